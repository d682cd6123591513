//! Byte-level helpers over a raw message: the header/body split, physical lines, and
//! same-length text views whose offsets stay valid as offsets into the original bytes.

use std::borrow::Cow;
use std::ops::Range;

/// The UTF-8 byte-order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where the header block ends and the body begins: just past the first empty line
/// (`\n` or `\r\n` on its own). `None` when the file has no empty line at all.
pub fn body_start(raw: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for nl in memchr::memchr_iter(b'\n', raw) {
        let line = &raw[line_start..nl];
        if line.is_empty() || line == b"\r" {
            return Some(nl + 1);
        }
        line_start = nl + 1;
    }
    None
}

/// Physical lines as byte ranges, excluding their CR LF / LF terminator.
pub(crate) fn lines(raw: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    let mut nls = memchr::memchr_iter(b'\n', raw);
    std::iter::from_fn(move || {
        if start > raw.len() || (start == raw.len() && !raw.is_empty()) {
            return None;
        }
        let range = match nls.next() {
            Some(nl) => {
                let end = if nl > start && raw[nl - 1] == b'\r' { nl - 1 } else { nl };
                let r = start..end;
                start = nl + 1;
                r
            }
            None => {
                let r = start..raw.len();
                start = raw.len() + 1;
                r
            }
        };
        Some(range)
    })
}

/// The physical lines longer than `limit` octets, exactly as `lines(raw)` filtered by
/// length would give them, without visiting every line: when a window of `limit + 1`
/// bytes from a line's start holds a line break, every line up to the window's last
/// break is short, so the scan jumps from a window's last break to the next window. On
/// base64 attachments (76-octet lines) it reads a few bytes at the end of each window
/// instead of finding every line break.
pub(crate) fn long_lines(raw: &[u8], limit: u64) -> impl Iterator<Item = Range<usize>> + '_ {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < raw.len() {
            let window_end = start.saturating_add(limit).saturating_add(1).min(raw.len());
            if let Some(p) = memchr::memrchr(b'\n', &raw[start..window_end]) {
                start += p + 1;
                continue;
            }
            // No break within the window: the line reaches past it (or is the last).
            let line_start = start;
            let end = match memchr::memchr(b'\n', &raw[window_end..]) {
                Some(p) => {
                    let nl = window_end + p;
                    start = nl + 1;
                    if raw[nl - 1] == b'\r' { nl - 1 } else { nl }
                }
                None => {
                    start = raw.len();
                    raw.len()
                }
            };
            if end - line_start > limit {
                return Some(line_start..end);
            }
        }
        None
    })
}

/// A UTF-8 view of `bytes` with exactly the same length: invalid bytes become `?`,
/// so byte offsets in the view are byte offsets in the input. When `flatten` is set,
/// CR and LF become spaces too (an unfolded header value of the same length).
pub(crate) fn same_len_text(bytes: &[u8], flatten: bool) -> Cow<'_, str> {
    let needs_flatten = flatten && memchr::memchr2(b'\r', b'\n', bytes).is_some();
    match std::str::from_utf8(bytes) {
        Ok(s) if !needs_flatten => Cow::Borrowed(s),
        // Valid text with line breaks: swap those bytes (ASCII for ASCII), not char by char
        // (a bulk send's To field is hundreds of kilobytes, read by many rules).
        Ok(s) => {
            let mut out = s.as_bytes().to_vec();
            out.iter_mut().filter(|b| **b == b'\r' || **b == b'\n').for_each(|b| *b = b' ');
            Cow::Owned(String::from_utf8(out).expect("ASCII bytes swapped for ASCII bytes"))
        }
        Err(_) => {
            let mut out = String::with_capacity(bytes.len());
            for chunk in bytes.utf8_chunks() {
                for ch in chunk.valid().chars() {
                    out.push(if flatten && (ch == '\r' || ch == '\n') { ' ' } else { ch });
                }
                out.extend(std::iter::repeat_n('?', chunk.invalid().len()));
            }
            Cow::Owned(out)
        }
    }
}

/// 1-based line and column of a byte offset. Columns count characters, with each
/// invalid UTF-8 byte counted as one.
pub(crate) fn line_col(raw: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(raw.len());
    let before = &raw[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
    let column =
        before[line_start..].utf8_chunks().map(|c| c.valid().chars().count() + c.invalid().len()).sum::<usize>() + 1;
    (line, column)
}

/// `String::from_utf8_lossy`, borrowing valid UTF-8 after std's validator (word at a
/// time over ASCII) where the lossy walk goes a byte at a time: each of a bulk send's
/// thousands of display names is read this way.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    std::str::from_utf8(bytes).map_or_else(|_| String::from_utf8_lossy(bytes), Cow::Borrowed)
}

/// Whether `first` is ever followed by `second` (`=?`, an encoded word's opening): a
/// byte search, where `str::contains` sets up a substring searcher per call (a bulk
/// send's thousands of names each paid for one).
pub(crate) fn holds_pair(haystack: &[u8], first: u8, second: u8) -> bool {
    memchr::memchr_iter(first, haystack).any(|i| haystack.get(i + 1) == Some(&second))
}

/// Case-insensitive (ASCII) search for `needle` in `haystack`.
pub(crate) fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

/// Lines longer than this are not shown: a terminal cannot show them usefully, and
/// miette cannot lay out labels beyond column 65,535.
const MAX_SHOWN_LINE: usize = 4096;

/// Whether the line holding `offset` is short enough to show.
pub(crate) fn is_shown(raw: &[u8], offset: usize) -> bool {
    let offset = offset.min(raw.len());
    let start = memchr::memrchr(b'\n', &raw[..offset]).map_or(0, |p| p + 1);
    let end = memchr::memchr(b'\n', &raw[offset..]).map_or(raw.len(), |p| offset + p);
    !raw.is_empty() && end - start <= MAX_SHOWN_LINE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_reads_as_std_does() {
        for bytes in [&b"Smith, John"[..], "Sm\u{ef}th".as_bytes(), b"Sm\xefth", b"\xff"] {
            assert_eq!(lossy(bytes), String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn a_pair_is_found_only_as_a_pair() {
        assert!(holds_pair(b"Smith =?utf-8?Q?J?=", b'=', b'?'));
        assert!(!holds_pair(b"a=b ?c", b'=', b'?'));
        assert!(!holds_pair(b"ends with =", b'=', b'?'));
    }

    #[test]
    fn body_start_handles_lf_and_crlf() {
        assert_eq!(body_start(b"A: b\n\nbody"), Some(6));
        assert_eq!(body_start(b"A: b\r\n\r\nbody"), Some(8));
        assert_eq!(body_start(b"A: b\r\nC: d"), None);
    }

    #[test]
    fn lines_exclude_terminators() {
        let raw = b"ab\r\ncde\nf";
        let got: Vec<_> = lines(raw).map(|r| &raw[r]).collect();
        assert_eq!(got, vec![&b"ab"[..], b"cde", b"f"]);
        let raw = b"ab\n";
        assert_eq!(lines(raw).count(), 1);
    }

    #[test]
    fn long_lines_are_the_lines_over_the_limit() {
        let raw = b"abc\r\nabcd\nab\r\nabcde";
        let got: Vec<_> = long_lines(raw, 3).map(|r| &raw[r]).collect();
        assert_eq!(got, vec![&b"abcd"[..], b"abcde"]);
        assert_eq!(long_lines(raw, 5).count(), 0);
        assert_eq!(long_lines(b"abcd\r", 4).count(), 1, "a last line keeps its CR, as `lines` gives it");
        assert_eq!(long_lines(b"", 0).count(), 0);
        assert_eq!(long_lines(b"x", u64::MAX).count(), 0);
    }

    #[test]
    fn same_len_text_keeps_offsets() {
        let v = same_len_text(b"a\xff\xfeb\r\n c", true);
        assert_eq!(v, "a??b   c");
        assert_eq!(v.len(), 8);
    }

    #[test]
    fn line_col_counts_chars() {
        let raw = "x\né: ab".as_bytes();
        assert_eq!(line_col(raw, raw.len() - 2), (2, 4));
        assert_eq!(line_col(b"a\xffb", 2), (1, 3));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn long_lines_agree_with_every_line_judged(
            raw in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'\r'), Just(b'\n')], 0..200),
            limit in 0u64..12,
        ) {
            let want: Vec<_> = lines(&raw).filter(|l| l.len() as u64 > limit).collect();
            prop_assert_eq!(long_lines(&raw, limit).collect::<Vec<_>>(), want);
        }
    }
}
