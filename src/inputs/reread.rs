//! Reading scanned messages again, to show findings made after the scan.

use std::path::Path;

use super::mbox::Mbox;
use super::read::open;
use super::{Source, read};

/// Reads scanned items again by their labels, in scan order, to show findings made after
/// the scan (corpus rules): a file whole, an mbox message (`file.mbox:#N`) with the line
/// it starts on. Each mbox is read once, however many of its messages are asked for.
#[derive(Default)]
pub(crate) struct Rereader {
    mbox: Option<Mbox>,
}

impl Rereader {
    /// The item's bytes and the line of its file they start on; `None` for standard input
    /// or an item no longer there as it was.
    pub(crate) fn read(&mut self, label: &Path) -> Option<(Vec<u8>, usize)> {
        if label.is_file() {
            return read(label).ok().map(|bytes| (bytes, 1));
        }
        let (file, n) = label.to_str()?.rsplit_once(":#")?;
        let n: usize = n.parse().ok()?;
        let file = Path::new(file);
        let ahead = self.mbox.as_ref().is_some_and(|m| m.path == file && m.count < n);
        if !ahead {
            self.mbox = Some(Mbox::new(file.to_path_buf(), open(file).ok()?));
        }
        let mbox = self.mbox.as_mut()?;
        while let Some(item) = mbox.next() {
            match item.source {
                Source::Bytes { bytes, first_line } if mbox.count == n => {
                    return Some((bytes, first_line));
                }
                Source::Bytes { .. } => {}
                Source::File(_) | Source::Failed(_) => return None,
            }
        }
        None
    }
}
