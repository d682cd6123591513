//! Splitting an mbox into its messages as they are read: a `From ` line is a separator
//! when it looks like one (a sender and a date, as mutt's `is_from()` reads it), with or
//! without a blank line before it; `>From ` quoting (mboxrd) is undone; a UTF-8 byte-order
//! mark before the first `From ` line is kept in front of the first message.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use super::{Item, MAX_DECOMPRESSED, Source};
use crate::mail::bytes::BOM;

/// The messages of an mbox, read as they are needed. A message starts after the `From `
/// line that opens the file (after a byte-order mark, if any) or after any later line that
/// `is_separator`; a blank line just before a separator is not part of either message.
/// In a message, a line `>From `, `>>From `, ... loses one `>` (mboxrd), so the bytes
/// checked are the message as it was sent; no line is added or removed, so the line
/// numbers reported are the mbox's own.
pub(super) struct Mbox {
    pub(super) path: PathBuf,
    reader: BufReader<Box<dyn Read + Send>>,
    /// The `From ` line that opens the next message, already read.
    pending: Option<usize>,
    /// The file starts with a byte-order mark, not yet given to the first message.
    bom: bool,
    line: usize,
    /// Messages read so far (the last one's number).
    pub(super) count: usize,
    done: bool,
}

impl Mbox {
    pub(super) fn new(path: PathBuf, reader: Box<dyn Read + Send>) -> Self {
        Mbox { path, reader: BufReader::new(reader), pending: None, bom: false, line: 0, count: 0, done: false }
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
                Ok(true) if line.strip_prefix(BOM).unwrap_or(&line).starts_with(b"From ") => {
                    self.bom = line.starts_with(BOM);
                    self.pending = Some(self.line);
                }
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
        // A byte-order mark before the first `From ` line stays in front of the first
        // message, so that the message rules report it (`byte-order-mark`).
        let mut bytes = if std::mem::take(&mut self.bom) { BOM.to_vec() } else { Vec::new() };
        let mut previous_blank = false;
        loop {
            match self.next_line(&mut line) {
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Ok(true) if is_separator(&line) => {
                    self.pending = Some(self.line);
                    break;
                }
                Ok(true) => {
                    previous_blank = line == b"\n" || line == b"\r\n";
                    bytes.extend_from_slice(unquoted(&line));
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

/// A line `>From `, `>>From `, ... without its first `>` (mboxrd); any other line as it is.
fn unquoted(line: &[u8]) -> &[u8] {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    if quotes > 0 && line[quotes..].starts_with(b"From ") { &line[1..] } else { line }
}

/// Whether a line is an mbox separator: `From `, a sender, and then either a date as
/// `asctime` writes it (`Www Mmm dd hh:mm[:ss] [zone ...] yyyy`, the form mutt's `is_from()`
/// accepts, the sender possibly holding spaces) or nothing more when the sender is `-` or an
/// address (Thunderbird's `From - `, Gmail's `From 1844...@xxx`); a header field written
/// `From  :` (obsolete white space before the colon) is never one. A body line such as
/// `From here on, quoted or not` has no date, so it stays in its message.
pub(super) fn is_separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else { return false };
    let Ok(rest) = std::str::from_utf8(rest) else { return false };
    let words: Vec<&str> = rest.split_ascii_whitespace().collect();
    match words.as_slice() {
        // `From  :<a@x>` is a header field written with obsolete white space, not a separator.
        [first, ..] if first.starts_with(':') => false,
        [] => false,
        [sender] => {
            *sender == "-" || *sender == "MAILER-DAEMON" || (sender.contains('@') && !sender.contains(['<', ':']))
        }
        _ => (1..words.len()).any(|i| is_date(&words[i..])),
    }
}

/// `Www Mmm dd hh:mm[:ss]`, then up to three words of zone, then a four-digit year, last.
fn is_date(words: &[&str]) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let [day, month, date, time, rest @ ..] = words else { return false };
    let named = |w: &str, names: &[&str]| names.iter().any(|n| w.eq_ignore_ascii_case(n));
    let number = |w: &str, digits: std::ops::RangeInclusive<usize>| {
        digits.contains(&w.len()) && w.bytes().all(|b| b.is_ascii_digit())
    };
    let clock = time.split(':').collect::<Vec<_>>();
    named(day, &DAYS)
        && named(month, &MONTHS)
        && number(date, 1..=2)
        && matches!(clock.len(), 2 | 3)
        && clock.iter().all(|part| number(part, 1..=2))
        && rest.last().is_some_and(|year| number(year, 4..=4))
        && rest.len() <= 4
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
    fn splits_on_from_lines_that_look_like_separators() {
        let mbox = b"From a@x Mon Jan 1 00:00:00 2026\nSubject: one\n\nbody\nFrom here on, quoted or not\n\nFrom b@x Tue Jan 2 00:00:00 2026\nSubject: two\n\n>From quoted\n";
        let got = messages(mbox);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], ("a.mbox:#1".into(), "Subject: one\n\nbody\nFrom here on, quoted or not\n".into(), 2));
        assert_eq!(got[1], ("a.mbox:#2".into(), "Subject: two\n\nFrom quoted\n".into(), 8));
    }

    #[test]
    fn splits_without_a_blank_line_before_the_separator() {
        // As mimekit's simple.mbox.txt is written (Thunderbird's `From - `).
        let mbox = b"From - \r\nSubject: one\r\n\r\nbody\r\nFrom - \r\nSubject: two\r\n\r\nx\r\nFrom me@x  Wed May 16 00:40:34 2001\r\nSubject: three\r\n";
        let got = messages(mbox);
        let bodies: Vec<(&str, usize)> = got.iter().map(|(_, b, l)| (b.as_str(), *l)).collect();
        assert_eq!(
            bodies,
            [("Subject: one\r\n\r\nbody\r\n", 2), ("Subject: two\r\n\r\nx\r\n", 6), ("Subject: three\r\n", 10)]
        );
    }

    #[test]
    fn undoes_mboxrd_quoting_at_line_starts_only() {
        let mbox =
            b"From a@x Mon Jan 1 00:00:00 2026\nSubject: q\n\n>From a\n>>From b\n> From c\n>Fromage\nx >From d\n";
        let got = messages(mbox);
        assert_eq!(got[0].1, "Subject: q\n\nFrom a\n>From b\n> From c\n>Fromage\nx >From d\n");
    }

    #[test]
    fn keeps_a_byte_order_mark_in_front_of_the_first_message() {
        let mbox = b"\xEF\xBB\xBFFrom -\nSubject: one\n\nFrom Russia with love\n\nFrom -\nSubject: two\n";
        let got = messages(mbox);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, "\u{FEFF}Subject: one\n\nFrom Russia with love\n");
        assert_eq!((got[1].1.as_str(), got[1].2), ("Subject: two\n", 7));
    }

    #[test]
    fn separators_need_a_sender_and_a_date() {
        for yes in [
            "From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n",
            "From jm@dogma.slashnull.org  Wed May 16 00:40:34 2001\r\n",
            "From - Fri Dec 13 15:01:21 1996\n",
            "From news@gmane.org Tue Mar 04 03:33:20 2003\n",
            "From a@x Mon Jan 1 00:00 +0000 2026\n",
            "From John Smith Mon Jan 1 00:00:00 GMT 2026\n",
            "From -\n",
            "From 1844347792267117879@xxx\n",
        ] {
            assert!(is_separator(yes.as_bytes()), "{yes:?}");
        }
        for no in [
            "From here on, quoted or not\n",
            "From Russia with love\n",
            "From me\n",
            "From \n",
            "From: a@x\n",
            "From  :<tst1@example.com>\n",
            "From : a@x Mon Jan 1 00:00:00 2026\n",
            "From <a@x>\n",
            ">From a@x Mon Jan 1 00:00:00 2026\n",
            " From a@x Mon Jan 1 00:00:00 2026\n",
            "From a@x Monday January 1 00:00:00 2026\n",
            "From a@x Mon Jan 1 2026\n",
            "From a@x Mon Jan 1 00:00:00\n",
        ] {
            assert!(!is_separator(no.as_bytes()), "{no:?}");
        }
    }
}
