//! Splitting an mbox into its messages as they are read (mboxo and mboxrd separators).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use super::{Item, MAX_DECOMPRESSED, Source};

/// The messages of an mbox, read as they are needed. A message starts after a line
/// beginning `From ` that opens the file or follows a blank line (mboxo and mboxrd);
/// the blank line that separates two messages is not part of either.
pub(super) struct Mbox {
    pub(super) path: PathBuf,
    reader: BufReader<Box<dyn Read + Send>>,
    /// The `From ` line that opens the next message, already read.
    pending: Option<usize>,
    line: usize,
    /// Messages read so far (the last one's number).
    pub(super) count: usize,
    done: bool,
}

impl Mbox {
    pub(super) fn new(path: PathBuf, reader: Box<dyn Read + Send>) -> Self {
        Mbox { path, reader: BufReader::new(reader), pending: None, line: 0, count: 0, done: false }
    }

    fn next_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<bool> {
        buf.clear();
        let n = self.reader.read_until(b'\n', buf)?;
        if n > 0 {
            self.line += 1;
        }
        Ok(n > 0)
    }
}

impl Iterator for Mbox {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.done {
            return None;
        }
        let mut line = Vec::new();
        // The first message's separator.
        if self.pending.is_none() {
            match self.next_line(&mut line) {
                Ok(true) if line.starts_with(b"From ") => self.pending = Some(self.line),
                Ok(true) => {
                    self.done = true;
                    let why = "it is named as an mbox but does not start with a `From ` line".to_owned();
                    return Some(Item { label: self.path.clone(), source: Source::Failed(why) });
                }
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => return Some(self.failed(e)),
            }
        }
        let separator = self.pending.take()?;
        let mut bytes = Vec::new();
        let mut previous_blank = false;
        loop {
            match self.next_line(&mut line) {
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Ok(true) if previous_blank && line.starts_with(b"From ") => {
                    self.pending = Some(self.line);
                    break;
                }
                Ok(true) => {
                    previous_blank = line == b"\n" || line == b"\r\n";
                    bytes.extend_from_slice(&line);
                    if bytes.len() as u64 > MAX_DECOMPRESSED {
                        self.done = true;
                        return Some(self.failed(std::io::Error::other("a message larger than 1 GiB")));
                    }
                }
                Err(e) => return Some(self.failed(e)),
            }
        }
        if previous_blank && self.pending.is_some() {
            let blank = if bytes.ends_with(b"\r\n") { 2 } else { 1 };
            bytes.truncate(bytes.len() - blank);
        }
        self.count += 1;
        let label = PathBuf::from(format!("{}:#{}", self.path.display(), self.count));
        Some(Item { label, source: Source::Bytes { bytes, first_line: separator + 1 } })
    }
}

impl Mbox {
    fn failed(&mut self, e: std::io::Error) -> Item {
        self.done = true;
        Item { label: self.path.clone(), source: Source::Failed(e.to_string()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(mbox: &[u8]) -> Vec<(String, String, usize)> {
        let reader: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(mbox.to_vec()));
        Mbox::new(PathBuf::from("a.mbox"), reader)
            .map(|item| match item.source {
                Source::Bytes { bytes, first_line } => {
                    (item.label.display().to_string(), String::from_utf8(bytes).unwrap(), first_line)
                }
                _ => panic!("unreadable"),
            })
            .collect()
    }

    #[test]
    fn splits_on_from_lines_after_blank_lines() {
        let mbox = b"From a@x Mon Jan 1 00:00:00 2026\nSubject: one\n\nbody\nFrom here on, quoted or not\n\nFrom b@x Tue Jan 2 00:00:00 2026\nSubject: two\n\n>From quoted\n";
        let got = messages(mbox);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], ("a.mbox:#1".into(), "Subject: one\n\nbody\nFrom here on, quoted or not\n".into(), 2));
        assert_eq!(got[1], ("a.mbox:#2".into(), "Subject: two\n\n>From quoted\n".into(), 8));
    }
}
