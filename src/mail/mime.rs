//! The MIME structure of a message, found without decoding it: leaf parts with their
//! byte ranges, whether each is body text or an attachment, attachment names, and
//! attachment sizes counted from the encoded bytes. Only text parts are ever decoded
//! (in `MessageView`), so a message full of attachments costs little more than a read.

use std::ops::Range;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{ContentType, Header, HeaderName, HeaderValue, MessageParser};

use super::bytes;

/// Deeper nesting than this is treated as one opaque part, so hostile input cannot
/// recurse without bound.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartKind {
    /// `text/plain` or `text/html` shown as the message body.
    Text,
    Attachment {
        name: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Header block and body together: what a decoder needs.
    pub whole: Range<usize>,
    pub body: Range<usize>,
    pub kind: PartKind,
    base64: bool,
    /// mail-parser would decode the body as its bytes read as UTF-8, so they can be read
    /// so without it (see `PartHeaders::plain`).
    pub plain: bool,
}

impl Part {
    /// The decoded size, from the encoded bytes (counted only when a rule asks): base64
    /// carries 6 bits a character; other encodings are taken as their length less the
    /// final line break.
    pub fn decoded_size(&self, raw: &[u8]) -> u64 {
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
pub struct PartHeaders<'m> {
    content_type: Option<ContentType<'m>>,
    disposition: Option<ContentType<'m>>,
    base64: bool,
    /// As mail-parser decides from the last Content-Type and Content-Transfer-Encoding
    /// fields: no transfer encoding, and no charset it converts from (none, UTF-8 or
    /// one it does not know), so it reads a text body as `String::from_utf8_lossy`.
    /// Only meaningful with `clean_end`.
    encoded: bool,
    /// mail-parser's reading of the block ends at our empty line (see [`body_from`]), so
    /// its body starts where ours does.
    clean_end: bool,
}

impl<'m> PartHeaders<'m> {
    /// From mail-parser's fields of one header block, in order (a later field of a name
    /// overrides an earlier one); `clean_end` as [`body_from`] says.
    pub fn from_fields(fields: impl IntoIterator<Item = Header<'m>>, clean_end: bool) -> Self {
        let mut out = PartHeaders { clean_end, ..PartHeaders::default() };
        let (mut converted, mut transfer_encoded) = (false, false);
        for header in fields {
            match &header.name {
                HeaderName::ContentType => {
                    converted = matches!(&header.value, HeaderValue::ContentType(ct)
                        if ct.attribute("charset").and_then(|c| charset_decoder(c.as_bytes())).is_some());
                }
                HeaderName::ContentTransferEncoding => {
                    transfer_encoded = matches!(&header.value, HeaderValue::Text(t)
                        if t.eq_ignore_ascii_case("base64") || t.eq_ignore_ascii_case("quoted-printable"));
                }
                _ => {}
            }
            match (header.name, header.value) {
                (HeaderName::ContentType, HeaderValue::ContentType(ct)) => out.content_type = Some(ct),
                (HeaderName::ContentDisposition, HeaderValue::ContentType(cd)) => out.disposition = Some(cd),
                (HeaderName::ContentTransferEncoding, HeaderValue::Text(t)) => {
                    out.base64 = t.trim().eq_ignore_ascii_case("base64")
                }
                _ => {}
            }
        }
        out.encoded = converted || transfer_encoded;
        out
    }

    /// Whether mail-parser, given this part alone, would decode its text body as the body's
    /// bytes read as UTF-8 (lossily).
    fn plain(&self) -> bool {
        self.clean_end && !self.encoded
    }

    /// Whether a field of this name counts (the others are left out before cloning).
    pub fn reads(name: &HeaderName<'_>) -> bool {
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
    let clean_end = body_from(&part.headers, raw);
    PartHeaders::from_fields(part.headers, clean_end)
}

/// Whether mail-parser's reading of the header block `block` (its `fields`) ends at the
/// empty line that ends the block, so that its body starts where ours does: the last
/// field ends right there. (It may end a block earlier, at a line of white space after
/// lines that are no fields, or read past it, as a Date ending `UT` does.)
pub fn body_from(fields: &[Header<'_>], block: &[u8]) -> bool {
    let empty_line = if block.ends_with(b"\n\r\n") {
        block.len() - 2
    } else if block.ends_with(b"\n\n") {
        block.len() - 1
    } else {
        return false;
    };
    fields.last().is_some_and(|h| h.offset_end as usize == empty_line)
}

/// The leaf parts of the message whose header block is `raw[..body_start]`; `top` is
/// mail-parser's reading of that block when the caller has it already (the message's
/// headers were parsed up front), so the block is not parsed twice.
pub fn leaf_parts(raw: &[u8], body_start: usize, end: usize, top: Option<&PartHeaders<'_>>) -> Vec<Part> {
    let mut parts = Vec::new();
    match top {
        Some(headers) => walk(raw, 0..end, body_start, headers, 0, &mut parts),
        None => walk(raw, 0..end, body_start, &part_headers(&raw[..body_start]), 0, &mut parts),
    }
    parts
}

fn walk(
    raw: &[u8],
    whole: Range<usize>,
    body_start: usize,
    headers: &PartHeaders<'_>,
    depth: usize,
    out: &mut Vec<Part>,
) {
    let body = body_start..whole.end;
    let ctype = headers.content_type.as_ref();
    let main = ctype.map_or("text", |c| c.ctype());
    let boundary = ctype.and_then(|c| c.attribute("boundary"));
    if main.eq_ignore_ascii_case("multipart")
        && depth < MAX_DEPTH
        && let Some(boundary) = boundary
    {
        for child in split_multipart(raw, body, boundary.as_bytes()) {
            let child_body = bytes::body_start(&raw[child.clone()]).map_or(child.end, |b| child.start + b);
            walk(raw, child.clone(), child_body, &part_headers(&raw[child.start..child_body]), depth + 1, out);
        }
        return;
    }
    let sub = ctype.and_then(|c| c.subtype()).unwrap_or("plain");
    let is_text =
        main.eq_ignore_ascii_case("text") && (sub.eq_ignore_ascii_case("plain") || sub.eq_ignore_ascii_case("html"));
    let name = headers
        .disposition
        .as_ref()
        .and_then(|d| d.attribute("filename"))
        .or_else(|| ctype.and_then(|c| c.attribute("name")))
        .map(str::to_owned);
    let is_attachment = headers.disposition.as_ref().is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
    let kind = if is_text && !is_attachment && name.is_none() { PartKind::Text } else { PartKind::Attachment { name } };
    out.push(Part { whole, body, kind, base64: headers.base64, plain: headers.plain() });
}

/// The byte ranges of the parts between `--boundary` delimiter lines. The line break
/// before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
fn split_multipart(raw: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut delimiter = Vec::with_capacity(boundary.len() + 2);
    delimiter.extend_from_slice(b"--");
    delimiter.extend_from_slice(boundary);
    let finder = memchr::memmem::Finder::new(&delimiter);
    let region = &raw[body.clone()];
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    for pos in finder.find_iter(region) {
        let abs = body.start + pos;
        let after = abs + delimiter.len();
        // A delimiter starts a line and ends with `--` or the line (RFC 2046 5.1.1):
        // `--b1` must not match `--b10`.
        let rest_of_line = &raw[after..memchr::memchr(b'\n', &raw[after..body.end]).map_or(body.end, |p| after + p)];
        if (pos > 0 && region[pos - 1] != b'\n')
            || !(rest_of_line.starts_with(b"--") || rest_of_line.iter().all(u8::is_ascii_whitespace))
        {
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
        leaf_parts(raw, b, raw.len(), None)
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
        assert_eq!(p[1].kind, PartKind::Attachment { name: Some("r.pdf".into()) });
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
        assert_eq!(p[1].kind, PartKind::Attachment { name: Some("a.exe".into()) });
        assert_eq!(p[1].decoded_size(raw), 2);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut raw = Vec::new();
        for i in 0..200 {
            raw.extend_from_slice(format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n").as_bytes());
        }
        raw.extend_from_slice(b"\nleaf\n");
        let p = parts(&raw);
        assert_eq!(p.len(), 1);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use crate::mail::{MessageView, parse_buffer};

    /// The parts and texts the view finds (the top header block as parsed up front, text
    /// read without mail-parser where it would read it as it is) are those of the slow
    /// reading.
    fn same_parts_either_way(raw: &[u8]) -> Result<(), TestCaseError> {
        let (buffer, size) = parse_buffer(raw.to_vec());
        let view = MessageView::new(&buffer, size);
        let (parts, texts) = view.reference_reading();
        let shown = String::from_utf8_lossy(raw);
        prop_assert_eq!(view.leaf_parts(), parts.as_slice(), "{}", shown);
        let fast: Vec<&str> = view.text_bodies().iter().map(|t| t.text.as_str()).collect();
        prop_assert_eq!(fast, texts, "{}", shown);
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
