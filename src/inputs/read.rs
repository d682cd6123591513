//! Reading what the walk found: a file's bytes (gunzipped when it ends `.gz`, within a
//! limit), standard input, and the messages an mbox holds.

use std::io::Read;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use super::mapped::{self, Mapped};
use super::mbox::{Mbox, is_separator};
use super::walk::Found;
use super::{Item, MAX_DECOMPRESSED, Source};
use crate::mail::{self, bytes::BOM};

/// The messages a found file holds, read as they are needed: one, or an mbox's each.
pub fn messages(found: Found) -> Box<dyn Iterator<Item = Item> + Send> {
    match found {
        Found::Stdin => Box::new(std::iter::once(stdin_item())),
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

/// A message's bytes: read into memory, or mapped from a large file.
pub enum Contents {
    Read(Vec<u8>),
    Mapped(Mapped),
}

impl Deref for Contents {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Contents::Read(bytes) => bytes,
            Contents::Mapped(mapped) => mapped,
        }
    }
}

impl Contents {
    /// The bytes ready for parsing and the message's own length (`mail::parse_buffer`).
    pub fn for_parsing(self) -> (Contents, usize) {
        match self {
            Contents::Read(bytes) => {
                let (bytes, size) = mail::parse_buffer(bytes);
                (Contents::Read(bytes), size)
            }
            // `read` maps only what needs no line break added.
            Contents::Mapped(mapped) => {
                let size = mapped.len();
                (Contents::Mapped(mapped), size)
            }
        }
    }
}

/// The file's bytes, decompressed when it ends `.gz`.
pub fn read(path: &Path) -> std::io::Result<Contents> {
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        if size >= mapped::MAP_FROM {
            match mapped::map(file) {
                Ok(mapped) if !mail::needs_line_break(&mapped) => return Ok(Contents::Mapped(mapped)),
                Ok(_) => file = std::fs::File::open(path)?,
                Err(unmapped) => file = unmapped,
            }
        }
        // One allocation (room for the line break `parse_buffer` may add) and one read.
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
        file.read_to_end(&mut bytes)?;
        return Ok(Contents::Read(bytes));
    }
    let mut bytes = Vec::new();
    let mut reader = open(path)?.take(MAX_DECOMPRESSED + 1);
    reader.read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_DECOMPRESSED {
        return Err(std::io::Error::other("larger than 1 GiB once decompressed"));
    }
    Ok(Contents::Read(bytes))
}

pub(super) fn open(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    let file = std::fs::File::open(path)?;
    let gzipped = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gzipped { Box::new(flate2::read::MultiGzDecoder::new(file)) } else { Box::new(file) })
}

fn stdin_item() -> Item {
    let mut bytes = Vec::new();
    let source = match std::io::stdin().lock().take(MAX_DECOMPRESSED).read_to_end(&mut bytes) {
        Ok(_) => Source::Bytes { bytes, first_line: 1 },
        Err(e) => Source::Failed(format!("cannot read standard input: {e}")),
    };
    Item { label: PathBuf::from("-"), source }
}

#[cfg(test)]
mod tests {
    use super::*;

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
