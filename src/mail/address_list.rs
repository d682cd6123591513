//! The entries of an address-list field (From, Reply-To, To...) as written: split at the
//! commas that separate them (not those inside quotes, comments, angle brackets, domain
//! literals or encoded words), group members taken out of their groups, each with where
//! its display name and its address stand. An entry whose structure is broken (an
//! unclosed `<`, quote or comment, text after `>`) keeps that text as its address, so it
//! is judged as written: mail-parser repairs `<a@nhs.net` into `a@nhs.net`, and drops
//! `<>` and comments inside an address without a word.

use std::ops::Range;

/// One entry of the list, ranges into the value read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The entry, without the white space around it.
    pub(crate) whole: Range<usize>,
    /// Its display name as written (before `<`), or the whole entry when it is a name
    /// alone.
    pub(crate) phrase: Option<Range<usize>>,
    /// Where its top-level `<` stands, if any.
    pub(crate) angle: Option<usize>,
    pub(crate) address: Written,
}

/// What stands for an entry's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Written {
    /// The addr-spec (inside `<...>`, or the entry alone) without the comments and white
    /// space around it; or, when the entry is broken, the text that holds its address
    /// (from its `<`, else the whole entry). Valid or not: the grammar judges it.
    Address(Range<usize>),
    /// `<>`, the null address: where its brackets stand.
    Null(Range<usize>),
    /// A name alone (or only a comment): no address.
    Nothing,
}

/// The state of the entry being read.
#[derive(Default)]
struct Scan {
    start: usize,
    /// Where the top-level `<` stands, and just past its `>` once closed.
    angle: Option<usize>,
    angle_end: Option<usize>,
    /// A second `<`, a stray `>`, or text after `>`.
    broken: bool,
    /// An `@` outside quotes, comments and literals.
    at: bool,
}

pub(crate) fn entries(value: &str) -> Vec<Entry> {
    let b = value.as_bytes();
    let mut out = Vec::new();
    let mut scan = Scan::default();
    let (mut depth, mut quote, mut literal, mut group) = (0usize, false, false, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let in_angle = scan.angle.is_some() && scan.angle_end.is_none();
        if quote {
            match c {
                b'\\' => i += 1,
                b'"' => quote = false,
                _ => {}
            }
        } else if depth > 0 {
            match c {
                b'\\' => i += 1,
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
        } else if literal {
            match c {
                b'\\' => i += 1,
                b']' => literal = false,
                _ => {}
            }
        } else {
            if scan.angle_end.is_none() {
                // Bytes that change no state (most of an address) are passed over in a
                // tight loop: a bulk send's field is thousands of them.
                while i < b.len() && !SPECIAL[usize::from(b[i])] {
                    i += 1;
                }
                if i == b.len() {
                    break;
                }
            }
            let c = b[i];
            // Anything but white space and comments after `>` breaks the entry.
            if scan.angle_end.is_some() && !matches!(c, b' ' | b'\t' | b'(' | b',') && !(group && c == b';') {
                scan.broken = true;
            }
            match c {
                b'"' => quote = true,
                b'(' => depth = 1,
                b'[' => literal = true,
                b'@' => scan.at = true,
                b'=' if !in_angle && scan.angle.is_none() => {
                    if let Some(end) = encoded_word_end(value, i) {
                        i = end;
                        continue;
                    }
                }
                b'<' if scan.angle.is_none() => scan.angle = Some(i),
                b'<' => scan.broken = true,
                b'>' if in_angle => scan.angle_end = Some(i + 1),
                b'>' => scan.broken = true,
                b',' if !in_angle => {
                    push(value, i, &mut scan, false, &mut out);
                    scan = Scan { start: i + 1, ..Scan::default() };
                }
                // A group's name: its members are the entries.
                b':' if !in_angle && !group => {
                    group = true;
                    scan = Scan { start: i + 1, ..Scan::default() };
                }
                b';' if !in_angle && group => {
                    group = false;
                    push(value, i, &mut scan, false, &mut out);
                    scan = Scan { start: i + 1, ..Scan::default() };
                }
                _ => {}
            }
        }
        i += 1;
    }
    let unclosed = quote || depth > 0 || literal;
    push(value, b.len(), &mut scan, unclosed, &mut out);
    out
}

/// The bytes the scan acts on outside quotes, comments and literals (before an entry's
/// `>`; after it, every byte is judged).
static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    let special = b"\"([@=<>,:;";
    while i < special.len() {
        table[special[i] as usize] = true;
        i += 1;
    }
    table
};

/// Ends the entry read by `scan` at `end`.
fn push(value: &str, end: usize, scan: &mut Scan, unclosed: bool, out: &mut Vec<Entry>) {
    let whole = trim(value, scan.start..end);
    if whole.is_empty() {
        return;
    }
    let in_angle = scan.angle.is_some() && scan.angle_end.is_none();
    let address = match (scan.angle, scan.angle_end) {
        (Some(open), _) if unclosed || in_angle || scan.broken => Written::Address(open..whole.end),
        _ if unclosed || scan.broken => Written::Address(whole.clone()),
        (Some(open), Some(close)) => match strip_cfws(value, open + 1..close - 1) {
            Some(spec) => Written::Address(spec),
            None => Written::Null(open..close),
        },
        _ if scan.at => strip_cfws(value, whole.clone()).map_or(Written::Nothing, Written::Address),
        _ => Written::Nothing,
    };
    let phrase = match (&address, scan.angle) {
        (Written::Nothing, _) => Some(whole.clone()),
        (_, Some(open)) => Some(trim(value, whole.start..open)).filter(|p| !p.is_empty()),
        _ => None,
    };
    out.push(Entry { whole, phrase, angle: scan.angle, address });
}

fn trim(value: &str, range: Range<usize>) -> Range<usize> {
    let text = &value[range.clone()];
    let start = range.start + (text.len() - text.trim_start().len());
    let end = range.end - (text.len() - text.trim_end().len());
    start..end.max(start)
}

/// `range` without the white space and comments around it; `None` when that is all it
/// holds. A comment holding a control character (obsolete syntax) stays, for the
/// grammar to refuse.
fn strip_cfws(value: &str, range: Range<usize>) -> Option<Range<usize>> {
    let b = value.as_bytes();
    // Nearly every address has neither white space nor a comment: nothing to strip.
    if memchr::memchr3(b' ', b'\t', b'(', &b[range.clone()]).is_none() {
        return Some(range).filter(|r| !r.is_empty());
    }
    let (mut first, mut last) = (None, range.start);
    let mut i = range.start;
    while i < range.end {
        let comment = (b[i] == b'(').then(|| comment_end(b, i, range.end));
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'(' if !b[i..comment.unwrap_or(i)].iter().any(|&c| c != b'\t' && c.is_ascii_control()) => {
                i = comment.unwrap_or(i + 1)
            }
            c => {
                let next = match c {
                    b'"' => closing(b, i, range.end, b'"'),
                    b'[' => closing(b, i, range.end, b']'),
                    b'(' => comment.unwrap_or(i + 1),
                    _ => i + 1,
                };
                first.get_or_insert(i);
                last = next;
                i = next;
            }
        }
    }
    first.map(|f| f..last)
}

/// Just past the `)` that closes the comment opened at `open` (nested comments and
/// quoted pairs read), or `end`.
fn comment_end(b: &[u8], open: usize, end: usize) -> usize {
    let (mut depth, mut i) = (0usize, open);
    while i < end {
        match b[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    end
}

/// Just past the `close` that ends the quoted string or literal opened at `open`, or `end`.
fn closing(b: &[u8], open: usize, end: usize, close: u8) -> usize {
    let mut i = open + 1;
    while i < end {
        match b[i] {
            b'\\' => i += 1,
            c if c == close => return i + 1,
            _ => {}
        }
        i += 1;
    }
    end
}

/// Just past an RFC 2047 encoded word (`=?charset?Q?text?=`) starting at `at`, when one
/// does: a comma inside it is text, not a separator.
fn encoded_word_end(value: &str, at: usize) -> Option<usize> {
    let rest = value.get(at + 2..)?;
    let word_end = rest.find(|c: char| c.is_ascii_whitespace()).unwrap_or(rest.len());
    let word = &rest[..word_end];
    let mut parts = word.splitn(3, '?');
    let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    let text_end = text.find("?=")?;
    let well_formed = !charset.is_empty() && matches!(encoding, "Q" | "q" | "B" | "b");
    well_formed.then(|| at + 2 + charset.len() + 1 + encoding.len() + 1 + text_end + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each entry as (display name, address) text, `<>` for the null address and ``
    /// for none.
    fn read(value: &str) -> Vec<(Option<&str>, &str)> {
        entries(value)
            .into_iter()
            .map(|e| {
                let phrase = e.phrase.map(|p| &value[p]);
                let address = match e.address {
                    Written::Address(r) => &value[r],
                    Written::Null(r) => &value[r],
                    Written::Nothing => "",
                };
                (phrase, address)
            })
            .collect()
    }

    #[test]
    fn names_and_addresses() {
        assert_eq!(
            read(r#""Smith, J" <j@nhs.net>, k@nhs.net (Results), Team <t@nhs.net>"#),
            [(Some("\"Smith, J\""), "j@nhs.net"), (None, "k@nhs.net"), (Some("Team"), "t@nhs.net")]
        );
        assert_eq!(read("Smith, John <j@nhs.net>"), [(Some("Smith"), ""), (Some("John"), "j@nhs.net")]);
        assert_eq!(read(r#""results team"@nhs.net"#), [(None, r#""results team"@nhs.net"#)]);
        assert_eq!(read("=?utf-8?Q?Smith,_J?= <j@nhs.net>"), [(Some("=?utf-8?Q?Smith,_J?="), "j@nhs.net")]);
    }

    #[test]
    fn comments_and_white_space_around_an_address_are_left_out() {
        assert_eq!(read("(comment)test@iana.org"), [(None, "test@iana.org")]);
        assert_eq!(read(" test@iana.org  (a (nested) one)"), [(None, "test@iana.org")]);
        assert_eq!(read("Name < (c) a@nhs.net >"), [(Some("Name"), "a@nhs.net")]);
        // Inside the address they stay, for the grammar to judge.
        assert_eq!(read("test(comment)test@iana.org"), [(None, "test(comment)test@iana.org")]);
        assert_eq!(read("test . test@iana.org"), [(None, "test . test@iana.org")]);
        assert_eq!(read("(\u{7})test@iana.org"), [(None, "(\u{7})test@iana.org")]);
    }

    #[test]
    fn groups_give_their_members() {
        assert_eq!(
            read("Team: a@nhs.net, b@nhs.net;, c@nhs.net"),
            [(None, "a@nhs.net"), (None, "b@nhs.net"), (None, "c@nhs.net")]
        );
        assert!(read("undisclosed-recipients:;").is_empty());
    }

    #[test]
    fn null_and_broken_entries_are_kept_as_written() {
        assert_eq!(read("<>, a@nhs.net"), [(None, "<>"), (None, "a@nhs.net")]);
        assert_eq!(read(r#""Results, Pathology" <>"#), [(Some("\"Results, Pathology\""), "<>")]);
        assert_eq!(read("Name <a@nhs.net"), [(Some("Name"), "<a@nhs.net")]);
        assert_eq!(read("Name <a@nhs.net> b@nhs.net"), [(Some("Name"), "<a@nhs.net> b@nhs.net")]);
        // An unclosed quote or comment runs to the end, commas and all.
        assert_eq!(read(r#""test@iana.org, b@nhs.net"#), [(None, r#""test@iana.org, b@nhs.net"#)]);
        assert_eq!(read("((comment)test@iana.org"), [(None, "((comment)test@iana.org")]);
        assert_eq!(read(r"test@iana.org(comment\"), [(None, r"test@iana.org(comment\")]);
    }

    #[test]
    fn names_alone_and_empty_entries() {
        assert_eq!(read("Pathology Results Team"), [(Some("Pathology Results Team"), "")]);
        assert_eq!(read("(none)"), [(Some("(none)"), "")]);
        assert!(read(" , ,").is_empty());
    }
}
