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

/// The file's bytes, decompressed when it ends `.gz`; a large file is mapped when
/// `map_large` is set and that is safe (`mapped`).
pub fn read(path: &Path, map_large: bool) -> std::io::Result<Contents> {
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        if map_large && size >= mapped::MAP_FROM {
            match mapped::map(file) {
                // Rare (a header block with no line break at its end): a copy takes it.
                Ok(mapped) if mail::needs_line_break(&mapped) => {
                    let mut bytes = buffer(mapped.len() as u64)?;
                    bytes.extend_from_slice(&mapped);
                    return Ok(Contents::Read(bytes));
                }
                Ok(mapped) => return Ok(Contents::Mapped(mapped)),
                Err(unmapped) => file = unmapped,
            }
        }
        let mut bytes = buffer(size)?;
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

/// An empty buffer with room for `size` bytes and the line break `parse_buffer` may add:
/// a file too large for memory is an error on that file, not the end of the scan.
fn buffer(size: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
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

    /// A message of `MAP_FROM` bytes and more: headers, then a body of short lines.
    #[cfg(target_os = "linux")]
    fn large(ending: &[u8]) -> Vec<u8> {
        let mut bytes = b"Subject: a\n\n".to_vec();
        while (bytes.len() as u64) < mapped::MAP_FROM {
            bytes.extend_from_slice(b"QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD\n");
        }
        bytes.extend_from_slice(ending);
        bytes
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_large_file_is_mapped_unless_told_not_to_or_being_written() {
        let test = "a_large_file_is_mapped_unless_told_not_to_or_being_written";
        let Some((dir, _)) = mapped::local_test_dir(test) else { return };
        let path = dir.path().join("large.eml");
        let bytes = large(b"the end\n");
        std::fs::write(&path, &bytes).unwrap();
        let read_as = |map_large| match read(&path, map_large).unwrap() {
            Contents::Mapped(m) => ("mapped", m.to_vec()),
            Contents::Read(v) => ("read", v),
        };
        assert_eq!(read_as(true), ("mapped", bytes.clone()));
        assert_eq!(read_as(false), ("read", bytes.clone()), "a scan asking online services reads");
        let writer = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        assert_eq!(read_as(true), ("read", bytes.clone()), "a file open for writing is read");
        drop(writer);
        let small = dir.path().join("small.eml");
        std::fs::write(&small, b"Subject: a\n\nb\n").unwrap();
        assert!(matches!(read(&small, true).unwrap(), Contents::Read(_)));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_large_header_block_without_a_final_line_break_gets_one() {
        let test = "a_large_header_block_without_a_final_line_break_gets_one";
        let Some((dir, _)) = mapped::local_test_dir(test) else { return };
        let path = dir.path().join("headers.eml");
        let mut bytes = Vec::new();
        while (bytes.len() as u64) < mapped::MAP_FROM {
            bytes.extend_from_slice(b"X-Padding: 0123456789012345678901234567890123456789\n");
        }
        bytes.extend_from_slice(b"Subject: last");
        std::fs::write(&path, &bytes).unwrap();
        let (contents, size) = read(&path, true).unwrap().for_parsing();
        assert_eq!(size, bytes.len());
        assert_eq!(&contents[..size], &bytes[..]);
        assert_eq!(&contents[size..], b"\n", "mail-parser drops a last header without one");
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
