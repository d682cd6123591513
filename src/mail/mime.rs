//! The MIME structure of a message, found without decoding it: leaf parts with their
//! byte ranges, whether each is body text or an attachment, every name an attachment
//! carries, how a part holding text is read (any `text/*`, inline or attached), the
//! forwarded messages (`message/rfc822`) walked as parts of this one, and attachment
//! sizes counted from the encoded bytes. Only text is ever decoded (in `MessageView`),
//! so a message full of attachments costs little more than a read.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use mail_parser::{ContentType, Header, HeaderName, HeaderValue, MessageParser};

use super::text::decode::Transfer;
use super::{bytes, rfc2047};

/// Multiparts and forwarded messages nested deeper than this are not walked, so hostile
/// input cannot recurse without bound; the message says so (`Structure::too_deep`).
pub(crate) const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PartKind {
    /// `text/plain` or `text/html` shown as the message body.
    Text,
    Attachment {
        /// Every file name the part's fields give it (they need not agree), in order.
        names: Vec<String>,
    },
}

/// How a part's content reads as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextFormat {
    /// Plain text; `flowed` (RFC 3676) joins soft line breaks, `delsp` with their space.
    Plain {
        flowed: bool,
        delsp: bool,
    },
    Html,
    /// `text/calendar`: the properties an invitation shows.
    Calendar,
    /// `text/vcard` and `text/directory`: every property.
    Directory,
}

/// What the text view needs to read a part holding text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextReading {
    pub(crate) format: TextFormat,
    pub(crate) transfer: Transfer,
    pub(crate) charset: Option<String>,
}

/// A message's leaf parts and what the walk could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Structure {
    pub(crate) parts: Vec<Part>,
    /// The header block of each forwarded message (`message/rfc822`) walked.
    pub(crate) forwarded: Vec<Range<usize>>,
    /// The first part nested beyond [`MAX_DEPTH`] (its header block) and its depth: what
    /// lies inside it was not read.
    pub(crate) too_deep: Option<(usize, Range<usize>)>,
    /// The header block of each forwarded message sent base64 or quoted-printable encoded:
    /// it is not walked (its parts would stand in another buffer), so not read.
    pub(crate) encoded_forwards: Vec<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Header block and body together: what a decoder needs.
    pub(crate) whole: Range<usize>,
    pub(crate) body: Range<usize>,
    pub(crate) kind: PartKind,
    base64: bool,
    /// How its content reads as text; `None` for binary content.
    pub(crate) text: Option<TextReading>,
    /// It belongs to a forwarded message: its size is counted in that message's.
    pub(crate) forwarded: bool,
}

impl Part {
    /// The decoded size, from the encoded bytes (counted only when a rule asks): base64
    /// carries 6 bits a character; other encodings are taken as their length less the
    /// final line break.
    pub(crate) fn decoded_size(&self, raw: &[u8]) -> u64 {
        let body = &raw[self.body.clone()];
        if self.base64 {
            let chars = body.iter().filter(|b| b.is_ascii_alphanumeric() || **b == b'+' || **b == b'/').count() as u64;
            chars * 6 / 8
        } else {
            let trimmed = body.strip_suffix(b"\n").unwrap_or(body);
            trimmed.strip_suffix(b"\r").unwrap_or(trimmed).len() as u64
        }
    }
}

/// What a part's header block says of its structure, as mail-parser reads the block.
#[derive(Debug, Default, Clone)]
pub(crate) struct PartHeaders<'m> {
    content_type: Option<ContentType<'m>>,
    disposition: Option<ContentType<'m>>,
    /// The file names of every Content-Type and Content-Disposition field (`name`,
    /// `filename`, `filename*`, repeated ones too), in order, each once.
    names: Vec<String>,
    transfer: Option<Transfer>,
}

impl<'m> PartHeaders<'m> {
    /// From mail-parser's fields of one header block, in order (a later field of a name
    /// overrides an earlier one); `block` is the header block the fields' offsets count
    /// from.
    pub(crate) fn from_fields(fields: impl IntoIterator<Item = Header<'m>>, block: &[u8]) -> Self {
        let mut out = PartHeaders::default();
        let mut seen = HashSet::new();
        for header in fields {
            if let HeaderValue::ContentType(ct) = &header.value {
                let written = block.get(header.offset_start as usize..header.offset_end as usize).unwrap_or_default();
                // Each joined value by its text without white space, which is how
                // mail-parser's reading of it (a space kept between the words) is known.
                let joined: HashMap<String, String> =
                    joined_encoded_words(written).into_iter().map(|j| (j.split_whitespace().collect(), j)).collect();
                let named =
                    ct.attributes().unwrap_or_default().iter().filter(|a| a.name == "filename" || a.name == "name");
                for name in named {
                    let name = match joined.is_empty() {
                        true => name.value.to_string(),
                        false => joined
                            .get(&name.value.split_whitespace().collect::<String>())
                            .map_or_else(|| name.value.to_string(), String::clone),
                    };
                    if seen.insert(name.clone()) {
                        out.names.push(name);
                    }
                }
            }
            match (header.name, header.value) {
                (HeaderName::ContentType, HeaderValue::ContentType(ct)) => out.content_type = Some(ct),
                (HeaderName::ContentDisposition, HeaderValue::ContentType(cd)) => out.disposition = Some(cd),
                (HeaderName::ContentTransferEncoding, HeaderValue::Text(t)) => {
                    out.transfer = Some(Transfer::from_header(&t));
                }
                _ => {}
            }
        }
        out
    }

    /// Whether a field of this name counts (the others are left out before cloning).
    pub(crate) fn reads(name: &HeaderName<'_>) -> bool {
        matches!(name, HeaderName::ContentType | HeaderName::ContentDisposition | HeaderName::ContentTransferEncoding)
    }
}

fn part_headers(raw: &[u8]) -> PartHeaders<'_> {
    let Some(message) = MessageParser::new().parse_headers(raw) else {
        return PartHeaders::default();
    };
    let Some(part) = message.parts.into_iter().next() else {
        return PartHeaders::default();
    };
    PartHeaders::from_fields(part.headers, raw)
}

/// The leaf parts of the message whose header block is `raw[..body_start]`; `top` is
/// mail-parser's reading of that block when the caller has it already (the message's
/// headers were parsed up front), so the block is not parsed twice.
pub(crate) fn leaf_parts(raw: &[u8], body_start: usize, end: usize, top: Option<&PartHeaders<'_>>) -> Structure {
    let mut out = Structure::default();
    let at = Place { depth: 0, forwarded: false };
    match top {
        Some(headers) => walk(raw, 0..end, body_start, headers, at, &mut out),
        None => walk(raw, 0..end, body_start, &part_headers(&raw[..body_start]), at, &mut out),
    }
    out
}

/// How deep a part stands, and whether inside a forwarded message.
#[derive(Clone, Copy)]
struct Place {
    depth: usize,
    forwarded: bool,
}

fn walk(raw: &[u8], whole: Range<usize>, body_start: usize, headers: &PartHeaders<'_>, at: Place, out: &mut Structure) {
    let body = body_start..whole.end;
    let ctype = headers.content_type.as_ref();
    let main = ctype.map_or("text", |c| c.ctype());
    let sub = ctype.and_then(|c| c.subtype()).unwrap_or("plain");
    let boundary = ctype.and_then(|c| c.attribute("boundary"));
    let multipart = main.eq_ignore_ascii_case("multipart") && boundary.is_some();
    // A forwarded message sent as it is (7bit, 8bit or binary, as RFC 2046 5.2.1 asks) is
    // walked in place; an encoded one stays an opaque attachment.
    let forward = main.eq_ignore_ascii_case("message")
        && (sub.eq_ignore_ascii_case("rfc822") || sub.eq_ignore_ascii_case("global"));
    let message = forward && headers.transfer.is_none_or(|t| t == Transfer::Identity);
    if forward && !message {
        out.encoded_forwards.push(whole.start..body_start);
    }
    let deeper = Place { depth: at.depth + 1, ..at };
    if (multipart || message) && at.depth >= MAX_DEPTH {
        out.too_deep.get_or_insert((at.depth + 1, whole.start..body_start));
    } else if let (true, Some(boundary)) = (multipart, boundary) {
        for child in split_multipart(raw, body, boundary.as_bytes()) {
            let child_body = bytes::body_start(&raw[child.clone()]).map_or(child.end, |b| child.start + b);
            walk(raw, child.clone(), child_body, &part_headers(&raw[child.start..child_body]), deeper, out);
        }
        return;
    }
    let is_text = main.eq_ignore_ascii_case("text");
    let is_body_text = is_text && (sub.eq_ignore_ascii_case("plain") || sub.eq_ignore_ascii_case("html"));
    let names = headers.names.clone();
    let is_attachment = headers.disposition.as_ref().is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
    let kind = if is_body_text && !is_attachment && names.is_empty() {
        PartKind::Text
    } else {
        PartKind::Attachment { names }
    };
    let format = if is_text && sub.eq_ignore_ascii_case("html") {
        Some(TextFormat::Html)
    } else if sub.eq_ignore_ascii_case("calendar") && is_text || sub.eq_ignore_ascii_case("ics") {
        Some(TextFormat::Calendar)
    } else if is_text && ["vcard", "x-vcard", "directory"].iter().any(|v| sub.eq_ignore_ascii_case(v)) {
        Some(TextFormat::Directory)
    } else if is_text {
        let flowed = ctype.and_then(|c| c.attribute("format")).is_some_and(|f| f.eq_ignore_ascii_case("flowed"));
        let delsp = ctype.and_then(|c| c.attribute("delsp")).is_some_and(|d| d.eq_ignore_ascii_case("yes"));
        Some(TextFormat::Plain { flowed, delsp })
    } else {
        None
    };
    let text = format.filter(|_| !multipart && !message).map(|format| TextReading {
        format,
        transfer: headers.transfer.unwrap_or(Transfer::Identity),
        charset: ctype.and_then(|c| c.attribute("charset")).map(str::to_owned),
    });
    out.parts.push(Part {
        whole,
        body: body.clone(),
        kind,
        base64: headers.transfer == Some(Transfer::Base64),
        text,
        forwarded: at.forwarded,
    });
    if message && at.depth < MAX_DEPTH {
        let inner_body = bytes::body_start(&raw[body.clone()]).map_or(body.end, |b| body.start + b);
        if inner_body > body.start {
            out.forwarded.push(body.start..inner_body);
            let inner = Place { depth: at.depth + 1, forwarded: true };
            walk(raw, body.clone(), inner_body, &part_headers(&raw[body.start..inner_body]), inner, out);
        }
    }
}

/// The quoted parameter values of a field's raw value that hold adjacent RFC 2047
/// encoded-words, decoded as RFC 2047 6.2 reads them: the white space between two
/// encoded-words is no part of the text (mail-parser keeps it inside a parameter, so
/// `"=?utf-8?Q?a=5F943?= =?utf-8?Q?=5F476?="` would read `a_943 _476`).
fn joined_encoded_words(written: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = written;
    while let Some(open) = memchr::memchr(b'"', rest) {
        let Some(len) = memchr::memchr(b'"', &rest[open + 1..]) else { break };
        let quoted = &rest[open + 1..open + 1 + len];
        rest = &rest[open + len + 2..];
        let adjacent = quoted.windows(2).enumerate().any(|(i, w)| {
            w == b"?="
                && quoted[i + 2..].iter().skip_while(|c| c.is_ascii_whitespace()).take(2).eq(b"=?".iter())
                && quoted.get(i + 2).is_some_and(u8::is_ascii_whitespace)
        });
        if adjacent {
            // A fold's line break is no part of the value (RFC 5322 3.2.4).
            let unfolded: String =
                String::from_utf8_lossy(quoted).chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
            out.push(rfc2047::decode(&unfolded).into_owned());
        }
    }
    out
}

/// The byte ranges of the parts between `--boundary` delimiter lines. The line break
/// before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
fn split_multipart(raw: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut delimiter = Vec::with_capacity(boundary.len() + 2);
    delimiter.extend_from_slice(b"--");
    delimiter.extend_from_slice(boundary);
    let region = &raw[body.clone()];
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    // Every delimiter starts a line with `-`, which base64 (most of an archive's bytes)
    // never holds: memchr crosses an attachment at twice the speed of memmem's search for
    // a pair of the boundary's bytes. Only a `-` starting a line is compared, and the
    // comparison stops at the line's end, so a body of dashes costs its length.
    let starts = memchr::memchr_iter(b'-', region)
        .filter(|&pos| (pos == 0 || region[pos - 1] == b'\n') && region[pos..].starts_with(&delimiter));
    for pos in starts {
        let abs = body.start + pos;
        let after = abs + delimiter.len();
        // A delimiter starts a line and ends with `--` or the line (RFC 2046 5.1.1):
        // `--b1` must not match `--b10`.
        let rest_of_line = &raw[after..memchr::memchr(b'\n', &raw[after..body.end]).map_or(body.end, |p| after + p)];
        if !(rest_of_line.starts_with(b"--") || rest_of_line.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if let Some(start) = open.take() {
            let mut end = abs;
            if end > start && raw[end - 1] == b'\n' {
                end -= 1;
                if end > start && raw[end - 1] == b'\r' {
                    end -= 1;
                }
            }
            parts.push(start..end.max(start));
        }
        if rest_of_line.starts_with(b"--") {
            return parts;
        }
        let next_line = memchr::memchr(b'\n', &raw[after..body.end]).map_or(body.end, |p| after + p + 1);
        open = Some(next_line);
    }
    // An unclosed multipart: the last part runs to the end of the message.
    if let Some(start) = open {
        parts.push(start..body.end);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(raw: &[u8]) -> Vec<Part> {
        let b = bytes::body_start(raw).unwrap();
        leaf_parts(raw, b, raw.len(), None).parts
    }

    const MIXED: &[u8] = b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n\
preamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\nHello\r\n--XX\r\n\
Content-Type: application/pdf; name=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
QUJDRA==\r\n--XX--\r\nepilogue\r\n";

    #[test]
    fn finds_text_and_attachment_without_decoding() {
        let p = parts(MIXED);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].kind, PartKind::Text);
        assert_eq!(&MIXED[p[0].body.clone()], b"Hello");
        assert_eq!(p[1].kind, PartKind::Attachment { names: vec!["r.pdf".into()] });
        assert_eq!(p[1].decoded_size(MIXED), 4);
    }

    #[test]
    fn single_part_message_is_its_own_leaf() {
        let raw = b"Subject: x\n\nbody\n";
        let p = parts(raw);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, PartKind::Text);
    }

    #[test]
    fn unclosed_multipart_keeps_last_part() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\ntext\n--b\nContent-Disposition: attachment; filename=a.exe\n\nMZ";
        let p = parts(raw);
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].kind, PartKind::Attachment { names: vec!["a.exe".into()] });
        assert_eq!(p[1].decoded_size(raw), 2);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut raw = Vec::new();
        for i in 0..200 {
            raw.extend_from_slice(format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n").as_bytes());
        }
        raw.extend_from_slice(b"\nleaf\n");
        let structure = leaf_parts(&raw, bytes::body_start(&raw).unwrap(), raw.len(), None);
        assert_eq!(structure.parts.len(), 1);
        let (depth, at) = structure.too_deep.expect("reported");
        assert_eq!(depth, MAX_DEPTH + 1);
        assert!(raw[at].starts_with(format!("Content-Type: multipart/mixed; boundary=b{MAX_DEPTH}").as_bytes()));
    }

    #[test]
    fn every_name_a_part_carries() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/pdf; name=\"by-type.pdf\"\nContent-Disposition: attachment; filename=\"plain.pdf\";\n filename*=utf-8''encoded%20name.pdf; filename=\"again.pdf\"\nContent-Disposition: attachment; filename=second.pdf\n\nx\n--b--\n";
        let p = parts(raw);
        let PartKind::Attachment { names } = &p[0].kind else { panic!("{p:?}") };
        for name in ["by-type.pdf", "plain.pdf", "encoded name.pdf", "again.pdf", "second.pdf"] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
    }

    #[test]
    fn adjacent_encoded_words_in_a_name_are_joined() {
        for raw in [
            &b"Content-Type: application/pdf; name=\"=?utf-8?Q?results=5F943?= =?utf-8?Q?=5F476=5F5919.pdf?=\"\n\nx\n"[..],
            b"Content-Type: application/pdf;\n name=\"=?utf-8?Q?results=5F943?=\n =?utf-8?Q?=5F476=5F5919.pdf?=\"\n\nx\n",
        ] {
            let p = parts(raw);
            assert_eq!(p[0].kind, PartKind::Attachment { names: vec!["results_943_476_5919.pdf".into()] });
        }
    }

    #[test]
    fn forwarded_messages_are_walked_and_text_attachments_read() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nSee below\n--b\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: text/html\n\n<p>x</p>\n--c\nContent-Type: text/csv; name=list.csv\nContent-Disposition: attachment\n\na,b\n--c--\n--b\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\n--b--\n";
        let s = leaf_parts(raw, bytes::body_start(raw).unwrap(), raw.len(), None);
        let kinds: Vec<_> = s.parts.iter().map(|p| (p.text.as_ref().map(|t| t.format), p.forwarded)).collect();
        let plain = Some(TextFormat::Plain { flowed: false, delsp: false });
        assert_eq!(
            kinds,
            [
                (plain, false),
                (None, false),
                (Some(TextFormat::Html), true),
                (plain, true),
                (Some(TextFormat::Calendar), false)
            ]
        );
        assert_eq!(s.forwarded.len(), 1);
        assert!(raw[s.forwarded[0].clone()].starts_with(b"Subject: inner"));
        assert!(s.encoded_forwards.is_empty());
        let encoded = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeAoKeQo=\n--b--\n";
        let unread = leaf_parts(encoded, bytes::body_start(encoded).unwrap(), encoded.len(), None);
        assert!(unread.forwarded.is_empty());
        assert_eq!(unread.encoded_forwards.len(), 1);
        assert!(encoded[unread.encoded_forwards[0].clone()].starts_with(b"Content-Type: message/rfc822"));
        assert_eq!(s.parts[3].kind, PartKind::Attachment { names: vec!["list.csv".into()] });
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use crate::mail::{MessageView, parse_buffer};

    /// The parts the view finds (the top header block as parsed up front) are those of
    /// the slow reading.
    fn same_parts_either_way(raw: &[u8]) -> Result<(), TestCaseError> {
        let (buffer, size) = parse_buffer(raw.to_vec());
        let view = MessageView::new(&buffer, size);
        let parts = view.reference_parts();
        prop_assert_eq!(view.leaf_parts(), parts.as_slice(), "{}", String::from_utf8_lossy(raw));
        Ok(())
    }

    const LINES: &[&str] = &[
        "From: a@nhs.net",
        "Subject: x",
        "Date: Thu, 20 Jun 2002 05:53:48 UT",
        "Content-Type: multipart/mixed; boundary=b",
        "Content-Type: multipart/alternative;\n boundary=\"b\"",
        "Content-Type: text/html; charset=utf-8",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Type: TEXT/Plain; charset=\"UTF-8\"",
        "Content-Type: text/plain; charset=utf-7",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Transfer-Encoding: 8bit",
        "Content-Type: application/pdf; name=r.pdf",
        "Content-Type : text/plain",
        "Content-Transfer-Encoding: base64",
        "Content-Disposition: attachment; filename=\"a.exe\"",
        "To: \"unclosed <b@nhs.net>",
        "not a field",
        " folded",
    ];

    #[test]
    fn where_the_readings_differ_the_walk_reads_the_block_itself() {
        for raw in [
            // mail-parser's Date reads past the empty line, and finds a field in the body.
            &b"Date: Thu, 20 Jun 2002 05:53:48 UT\n\nContent-Type: image/png\n\nx\n"[..],
            // No empty line: the block alone loses its last field's value.
            b"From: a@nhs.net\nContent-Type: application/pdf; name=a.pdf",
            // A byte-order mark: the block alone starts with it.
            b"\xEF\xBB\xBFContent-Type: application/pdf; name=a.pdf\n\nx\n",
            // Latin-2 bytes: mail-parser converts them.
            b"Content-Type: text/plain; charset=iso-8859-2\n\nb\xF3r\n",
            // A part's Date reads past its empty line: its body starts elsewhere.
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\nDate: 1 Jan 2000 00:00 UT\n\nX: y\n\nz\n--b--\n",
            // mail-parser ends the block at a line of white space, before our empty line
            // (found by the fuzz target).
            b"From: a@nhs.net\nAAAA\n    \n\t\t\t\n\nbody\n",
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\nX: y\nAAAA\n \t\n\nz\n--b--\n",
            // Not UTF-8, no charset: read lossily either way.
            b"Subject: x\n\n\xFF\xFEabc\n",
        ] {
            same_parts_either_way(raw).unwrap();
        }
    }

    proptest! {
        #[test]
        fn the_walk_finds_the_same_parts_with_the_headers_parsed_up_front(
            bom in any::<bool>(),
            lines in proptest::collection::vec(proptest::sample::select(LINES), 1..8),
            crlf in any::<bool>(),
            blank in any::<bool>(),
            body in proptest::sample::select(&[
                "",
                "text\n",
                "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: image/png\n\nxx\n--b--\n",
                "--b\n\nunclosed",
                "Content-Type: image/png\n\nlooks like a header block\n",
                "caf\u{e9} =C3=A9 +AOk- aGk=\n",
                "--b\nContent-Type: text/plain; charset=iso-8859-2\nContent-Transfer-Encoding: 8bit\n\nb\u{f3}r\n--b\nDate: 1 Jan 2000 00:00 UT\n\nX: y\n\nz\n--b--\n",
            ][..]),
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut raw = String::from(if bom { "\u{feff}" } else { "" });
            for line in lines {
                raw.push_str(&line.replace('\n', nl));
                raw.push_str(nl);
            }
            if blank {
                raw.push_str(nl);
            }
            raw.push_str(&body.replace('\n', nl));
            same_parts_either_way(raw.as_bytes())?;
        }
    }
}
