//! Reading what the walk found: a file's bytes (gunzipped when it ends `.gz`, within a
//! limit), standard input, and the messages an mbox holds.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::mbox::{Mbox, is_separator};
use super::walk::Found;
use super::{Item, MAX_DECOMPRESSED, Source};
use crate::mail::bytes::BOM;

/// The messages a found file holds, read as they are needed: one, or an mbox's each.
pub(crate) fn messages(found: Found) -> Box<dyn Iterator<Item = Item> + Send> {
    match found {
        Found::Stdin(name) => Box::new(std::iter::once(stdin_item(name))),
        Found::File { path, explicit } => expand(path, explicit),
        Found::Failed { path, why } => Box::new(std::iter::once(Item { label: path, source: Source::Failed(why) })),
    }
}

fn is_mbox(path: &Path, explicit: bool) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".mbox") {
        return true;
    }
    // A file named explicitly is an mbox when it starts like one and holds several messages.
    explicit
        && !name.ends_with(".eml")
        && open(path).is_ok_and(|mut r| {
            let mut head = vec![0; 64 * 1024];
            let n = read_up_to(&mut r, &mut head);
            head.truncate(n);
            looks_like_mbox(&head)
        })
}

/// The start of a file is an mbox's when its first line (after a byte-order mark, if any)
/// starts `From ` and a later line is a separator (`mbox::is_separator`).
fn looks_like_mbox(head: &[u8]) -> bool {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    head.starts_with(b"From ") && head.split(|&b| b == b'\n').skip(1).any(is_separator)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

fn expand(path: PathBuf, explicit: bool) -> Box<dyn Iterator<Item = Item> + Send> {
    if is_mbox(&path, explicit) {
        match open(&path) {
            Ok(reader) => Box::new(Mbox::new(path, reader)),
            Err(e) => Box::new(std::iter::once(Item { label: path, source: Source::Failed(e.to_string()) })),
        }
    } else {
        Box::new(std::iter::once(Item { label: path.clone(), source: Source::File(path) }))
    }
}

/// The file's bytes, decompressed when it ends `.gz`, in this worker's spare buffer when
/// it has one (`recycle`). Read, never mapped: a mapped file that another process truncates
/// kills the whole run with SIGBUS, where a read fails on that file alone.
pub(crate) fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let mut bytes = buffer(size)?;
        file.read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    let mut bytes = Vec::new();
    let mut reader = open(path)?.take(MAX_DECOMPRESSED + 1);
    reader.read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_DECOMPRESSED {
        return Err(std::io::Error::other("larger than 1 GiB once decompressed"));
    }
    Ok(bytes)
}

/// Buffers up to this capacity are kept by each worker for its next file: a scan of
/// small messages allocates no buffer a file, and a large one is freed after its file.
const KEEP: usize = 4 << 20;

thread_local! {
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Hands a message's buffer back to this worker for its next file, unless it is large.
pub(crate) fn recycle(mut bytes: Vec<u8>) {
    if bytes.capacity() <= KEEP {
        bytes.clear();
        SPARE.set(bytes);
    }
}

/// An empty buffer with room for `size` bytes and the line break `parse_buffer` may add:
/// a file too large for memory is an error on that file, not the end of the scan.
fn buffer(size: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = SPARE.take();
    bytes.clear();
    let room = usize::try_from(size).ok().and_then(|n| n.checked_add(1));
    room.and_then(|n| bytes.try_reserve_exact(n).ok())
        .ok_or_else(|| std::io::Error::other(format!("{size} bytes do not fit in memory")))?;
    Ok(bytes)
}

pub(super) fn open(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    let file = std::fs::File::open(path)?;
    let gzipped = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gzipped { Box::new(flate2::read::MultiGzDecoder::new(file)) } else { Box::new(file) })
}

fn stdin_item(label: PathBuf) -> Item {
    let mut bytes = Vec::new();
    let source = match std::io::stdin().lock().take(MAX_DECOMPRESSED).read_to_end(&mut bytes) {
        Ok(_) => Source::Bytes { bytes, first_line: 1 },
        Err(e) => Source::Failed(format!("cannot read standard input: {e}")),
    };
    Item { label, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_buffer_holds_only_the_next_file() {
        let dir = tempfile::tempdir().unwrap();
        let (large, small) = (dir.path().join("large.eml"), dir.path().join("small.eml"));
        std::fs::write(&large, vec![b'x'; 100_000]).unwrap();
        std::fs::write(&small, b"Subject: a\n\nb\n").unwrap();
        recycle(read(&large).unwrap());
        assert_eq!(read(&small).unwrap(), b"Subject: a\n\nb\n");
        let kept = SPARE.take();
        assert!(kept.capacity() == 0, "the buffer in use is not also spare");
        recycle(vec![0; KEEP + 1]);
        assert_eq!(SPARE.take().capacity(), 0, "a buffer over the bound is freed, not kept");
    }

    #[test]
    fn an_mbox_is_recognised_by_its_separators() {
        assert!(looks_like_mbox(b"From - \nSubject: a\n\nx\nFrom - \nSubject: b\n"));
        assert!(looks_like_mbox(
            b"\xEF\xBB\xBFFrom a@x Mon Jan  1 00:00:00 2026\nS: a\nFrom b@x Mon Jan  1 00:00:00 2026\n"
        ));
        // One message, its body quoting a `From ` line that is not a separator.
        assert!(!looks_like_mbox(b"From a@x Mon Jan  1 00:00:00 2026\nS: a\n\nFrom here on, quoted or not\n"));
        assert!(!looks_like_mbox(b"Subject: a\n\nFrom - \nFrom - \n"));
    }
}
