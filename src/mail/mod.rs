//! `MessageView`: one message's raw bytes and what the rules read from them, each piece
//! computed on first use. Headers are parsed up front (cheap); MIME structure and text
//! parts only when a rule asks, and attachments are never decoded.

pub(crate) mod address;
pub(crate) mod address_list;
pub mod bytes;
pub mod headers;
pub(crate) mod mailbox_list;
pub(crate) mod mime;
pub(crate) mod rfc2047;
pub(crate) mod text;
pub(crate) mod wire;

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::ops::Range;
use std::rc::Rc;

use mail_parser::HeaderValue;

use address_list::Written;
pub(crate) use headers::Headers;
pub(crate) use mime::{Part, PartKind, Structure};
pub(crate) use text::{SpanMap, TextPiece};

/// One entry of an address-list header, with where it stands in the raw bytes.
#[derive(Debug, Clone)]
pub(crate) struct Mailbox {
    /// The address as written (`address_list::Written::Address`), valid or not; empty
    /// when the entry has none (a name alone, or `<>`).
    pub(crate) address: String,
    /// The display name (before `<`, or a name alone), RFC 2047 decoded.
    pub(crate) name: Option<String>,
    /// Where the display name is written (a name split at unquoted commas read whole
    /// by the mailbox after it): encoded or split, it still stands there.
    pub(crate) name_span: Option<Range<usize>>,
    /// The address's bytes; `<>` for the null address, the entry for a name alone.
    pub(crate) span: Range<usize>,
    /// The header value it came from, without the white space around it.
    pub(crate) field_span: Range<usize>,
    /// The entry is `<>` (with or without a name): it names no mailbox.
    pub(crate) null: bool,
}

/// One message as the rules read it: the raw bytes, and each field parsed on first use.
pub struct MessageView<'m> {
    raw: &'m [u8],
    size: usize,
    headers: Option<Headers<'m>>,
    body_start: usize,
    structure: OnceCell<Structure>,
    decoded: OnceCell<Vec<TextPiece>>,
    rendered: OnceCell<Vec<TextPiece>>,
    /// Mailboxes by header name: several rules read From, To and Reply-To.
    mailboxes: RefCell<Vec<(String, Rc<[Mailbox]>)>>,
}

impl<'m> MessageView<'m> {
    /// `buffer` holds the message in its first `size` bytes; see [`parse_buffer`].
    pub fn new(buffer: &'m [u8], size: usize) -> Self {
        let raw = &buffer[..size];
        let start = if raw.starts_with(bytes::BOM) { bytes::BOM.len() } else { 0 };
        let headers = looks_like_message(&raw[start..]).then(|| Headers::parse(buffer, size, start)).flatten();
        let body_start = bytes::body_start(&raw[start..]).map_or(size, |p| start + p);
        MessageView {
            raw,
            size,
            headers,
            body_start,
            structure: OnceCell::new(),
            decoded: OnceCell::new(),
            rendered: OnceCell::new(),
            mailboxes: RefCell::new(Vec::new()),
        }
    }

    /// The message's bytes as read.
    pub fn raw(&self) -> &'m [u8] {
        self.raw
    }

    /// `None` when the file is not an RFC 5322 message at all.
    pub fn headers(&self) -> Option<&Headers<'m>> {
        self.headers.as_ref()
    }

    pub(crate) fn header_block(&self) -> Range<usize> {
        0..self.body_start
    }

    /// Where the header block ends: the start of the empty line that ends it, else (a
    /// message of header fields alone) the end of its last field.
    pub(crate) fn header_end(&self) -> usize {
        let before = &self.raw[..self.body_start];
        if let Some(rest) = before.strip_suffix(b"\n")
            && (rest.ends_with(b"\n") || rest.ends_with(b"\n\r") || rest.is_empty() || rest == b"\r")
        {
            return rest.strip_suffix(b"\r").unwrap_or(rest).len();
        }
        self.headers.as_ref().and_then(|h| h.fields().last()).map_or(self.body_start, |f| f.field.end)
    }

    /// The UTF-8 byte-order mark the file starts with, if any (the message is read
    /// after it).
    pub fn byte_order_mark(&self) -> Option<Range<usize>> {
        self.raw.starts_with(bytes::BOM).then(|| 0..bytes::BOM.len())
    }

    /// Every mailbox of the `name` header (its first, when RFC 5322 allows it once),
    /// groups flattened, in order.
    pub(crate) fn mailboxes(&self, name: &str) -> Rc<[Mailbox]> {
        if let Some((_, found)) = self.mailboxes.borrow().iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return found.clone();
        }
        let found: Rc<[Mailbox]> = match &self.headers {
            Some(headers) => self.read_mailboxes(headers.read(name)).into(),
            None => Rc::new([]),
        };
        self.mailboxes.borrow_mut().push((name.to_owned(), found.clone()));
        found
    }

    /// Every mailbox of every `name` field, a second From included: for what must hold
    /// whichever rules run (`--send` never sends as another address).
    pub(crate) fn every_mailbox(&self, name: &str) -> Vec<Mailbox> {
        self.headers.as_ref().map(|h| self.read_mailboxes(h.all(name))).unwrap_or_default()
    }

    fn read_mailboxes<'a>(&self, fields: impl Iterator<Item = &'a headers::HeaderField<'m>>) -> Vec<Mailbox>
    where
        'm: 'a,
    {
        let mut out = Vec::new();
        for field in fields {
            let (text, span) = headers::raw_value(self.raw, field);
            let at = |r: &Range<usize>| span.start + r.start..span.start + r.end;
            let entries = address_list::entries(&text);
            out.reserve(entries.len());
            // The display names as written: a name split at an unquoted comma is one
            // name, read whole by the mailbox it belongs to (the bare phrases split off
            // it still read their own).
            let named = mailbox_list::named_mailboxes(&text, &entries);
            // Both in order: a list of thousands is matched in one pass.
            let mut named = named.iter().peekable();
            for (i, entry) in entries.iter().enumerate() {
                let (address, at_span, null) = match &entry.address {
                    Written::Address(r) => (text[r.clone()].to_owned(), at(r), false),
                    Written::Null(r) => (String::new(), at(r), true),
                    Written::Nothing => (String::new(), at(&entry.whole), false),
                };
                while named.next_if(|n| n.entries.end <= i).is_some() {}
                let phrase = match named.peek() {
                    Some(n) if n.entries.end == i + 1 => Some(n.phrase.clone()),
                    _ => entry.phrase.clone(),
                };
                let name_span = phrase.filter(|p| !p.is_empty()).map(|p| at(&p));
                let name = name_span
                    .as_ref()
                    .map(|p| mailbox_list::display_name(&bytes::lossy(&self.raw[p.clone()])))
                    .filter(|n| !n.is_empty());
                out.push(Mailbox { address, name, name_span, span: at_span, field_span: span.clone(), null });
            }
        }
        out
    }

    /// The first Subject, decoded, with the span of its raw value.
    pub(crate) fn subject(&self) -> Option<(Cow<'_, str>, Range<usize>)> {
        self.subjects().next()
    }

    /// Every Subject field, decoded, in order: a message should have one, but a reader
    /// may show any of them, so each is judged.
    pub(crate) fn subjects(&self) -> impl Iterator<Item = (Cow<'_, str>, Range<usize>)> + '_ {
        self.headers.iter().flat_map(|h| h.all("Subject")).map(|field| self.decoded(field))
    }

    /// A field's value as text (decoded where mail-parser decodes it), with its raw span.
    fn decoded<'s>(&'s self, field: &'s headers::HeaderField<'_>) -> (Cow<'s, str>, Range<usize>) {
        let (raw_text, span) = headers::raw_value(self.raw, field);
        match &field.value {
            HeaderValue::Text(t) => (Cow::Borrowed(t.as_ref()), span),
            _ => (raw_text, span),
        }
    }

    /// The Date header as seconds since the epoch (UTC), when it parses.
    pub(crate) fn date(&self) -> Option<i64> {
        match &self.headers.as_ref()?.first("Date")?.value {
            HeaderValue::DateTime(d) if d.is_valid() => Some(d.to_timestamp()),
            _ => None,
        }
    }

    /// The MIME structure: leaf parts (those of forwarded messages included), the
    /// forwarded messages' header blocks, and what lies too deep to read.
    pub(crate) fn structure(&self) -> &Structure {
        self.structure.get_or_init(|| {
            if self.headers.is_none() {
                return Structure::default();
            }
            mime::leaf_parts(self.raw, self.body_start, self.size, self.headers.as_ref().and_then(Headers::mime))
        })
    }

    /// Every leaf part (text or attachment), found without decoding.
    pub fn leaf_parts(&self) -> &[Part] {
        &self.structure().parts
    }

    /// What a recipient reads, piece by piece: every part holding text (any `text/*`,
    /// inline or attached, forwarded messages' included) as shown, and each forwarded
    /// message's Subject. Built on first use: only rules that read the body pay for it.
    pub fn text_view(&self) -> &[TextPiece] {
        self.rendered.get_or_init(|| {
            let structure = self.structure();
            let subjects = structure.forwarded.iter().flat_map(|block| {
                let inner = Headers::parse(&self.raw[..block.end], block.end, block.start);
                let subjects: Vec<TextPiece> = inner
                    .iter()
                    .flat_map(|h| h.all("Subject"))
                    .map(|field| {
                        let (text, span) = self.decoded(field);
                        let exact = text.as_bytes() == &self.raw[span.clone()];
                        TextPiece::whole(text.into_owned(), span, exact)
                    })
                    .collect();
                subjects
            });
            let texts = structure.parts.iter().filter(|p| p.text.is_some()).zip(self.decoded_texts());
            let parts = texts.filter_map(|(part, decoded)| text::render(part, decoded));
            let mut pieces: Vec<TextPiece> = parts.chain(subjects).collect();
            pieces.sort_by_key(|p| p.span.start);
            pieces
        })
    }

    /// Each part holding text after its transfer and charset decoding, unrendered (the
    /// reading of `body.raw`): what `text_view` renders, decoded once for both.
    pub(crate) fn decoded_texts(&self) -> &[TextPiece] {
        self.decoded.get_or_init(|| self.leaf_parts().iter().filter_map(|p| text::decode(self.raw, p)).collect())
    }

    /// The slow reading the fast one must equal (the tests and the fuzz target compare
    /// them): the leaf parts found reading the top header block again.
    pub fn reference_parts(&self) -> Vec<Part> {
        if self.headers.is_none() {
            return Vec::new();
        }
        mime::leaf_parts(self.raw, self.body_start, self.size, None).parts
    }

    /// Where `needle` (text decoded from `region`) stands in the raw bytes: the first
    /// occurrence inside `region`, else the region's first line, so a label never
    /// covers a whole body.
    pub(crate) fn locate(&self, region: Range<usize>, needle: &str) -> Range<usize> {
        let region = region.start.min(self.size)..region.end.min(self.size);
        if let Some(p) = memchr::memmem::find(&self.raw[region.clone()], needle.as_bytes())
            && !needle.is_empty()
        {
            return region.start + p..region.start + p + needle.len();
        }
        let first_line_end = memchr::memchr(b'\n', &self.raw[region.clone()]).map_or(region.end, |p| region.start + p);
        let end = if first_line_end > region.start && self.raw[first_line_end - 1] == b'\r' {
            first_line_end - 1
        } else {
            first_line_end
        };
        region.start..end.max(region.start)
    }
}

impl MessageView<'_> {
    /// Why the file is not a message (when `headers()` is `None`), in words: what its
    /// first line really is.
    pub(crate) fn why_not_a_message(&self) -> String {
        let bom = self.byte_order_mark();
        let raw = &self.raw[bom.as_ref().map_or(0, |b| b.end)..];
        let first = &raw[..memchr::memchr(b'\n', raw).unwrap_or(raw.len())];
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        let what = if self.raw.is_empty() {
            "the file is empty"
        } else if memchr::memchr(0, &self.raw[..self.size.min(1024)]).is_some() {
            "it holds binary data"
        } else if raw.is_empty() {
            "it holds nothing after that"
        } else if first.is_empty() {
            "its first line is blank, so it has no header fields"
        } else if first.iter().all(|b| matches!(b, b' ' | b'\t')) {
            "its first line is only white space, so it has no header fields"
        } else if matches!(first[0], b' ' | b'\t') {
            "its first line starts with white space, so it continues no header field"
        } else if !looks_like_message(raw) {
            "its first line is not a header field (`Name: value`) but prose or other text"
        } else {
            "no header field could be read"
        };
        match bom {
            Some(_) => format!("it starts with a byte-order mark, and {}", what.replacen("the file is", "it is", 1)),
            None => what.to_owned(),
        }
    }
}

/// An RFC 5322 message starts with a header field (`name:`); tolerate an mbox-style
/// `From ` envelope line before it. Anything else (empty, binary, prose) is not one.
fn looks_like_message(raw: &[u8]) -> bool {
    let first_line_end = memchr::memchr(b'\n', raw).unwrap_or(raw.len());
    let first = &raw[..first_line_end];
    if first.starts_with(b"From ") {
        return true;
    }
    let Some(colon) = memchr::memchr(b':', first) else {
        return false;
    };
    // The name, then (obsolete) spaces or tabs before the colon.
    let name = &first[..colon];
    let name = &name[..name.len() - name.iter().rev().take_while(|b| matches!(b, b' ' | b'\t')).count()];
    !name.is_empty() && name.iter().all(|b| b.is_ascii_graphic() && *b != b':')
}

/// Reads a message for parsing. mail-parser 0.11 drops the value of a last header that
/// has no line break, so a header-only message without one gets a `\n` appended; the
/// returned size is the message's own length, which every span stays within.
pub fn parse_buffer(mut bytes: Vec<u8>) -> (Vec<u8>, usize) {
    let size = bytes.len();
    if needs_line_break(&bytes) {
        bytes.push(b'\n');
    }
    (bytes, size)
}

/// Whether `parse_buffer` would append a `\n` to these bytes.
pub(crate) fn needs_line_break(bytes: &[u8]) -> bool {
    !bytes.ends_with(b"\n") && bytes::body_start(bytes).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(raw: &[u8]) -> (Vec<u8>, usize) {
        parse_buffer(raw.to_vec())
    }

    #[test]
    fn last_header_without_line_break_keeps_its_value() {
        let (buf, size) = view(b"From: a@nhs.net\nSubject: hello");
        let v = MessageView::new(&buf, size);
        assert_eq!(v.subject().unwrap().0, "hello");
        assert_eq!(&buf[v.subject().unwrap().1], b"hello");
    }

    #[test]
    fn mailbox_spans_point_at_each_address() {
        let raw = b"To: \"Smith, J\" <j@nhs.net>, k@NHS.net\n\n";
        let v = MessageView::new(raw, raw.len());
        let m = v.mailboxes("To");
        assert_eq!(m.len(), 2);
        assert_eq!(&raw[m[0].span.clone()], b"j@nhs.net");
        assert_eq!(&raw[m[1].span.clone()], b"k@NHS.net");
        assert_eq!(m[0].name.as_deref(), Some("Smith, J"));
    }

    #[test]
    fn quoted_local_parts_and_comments() {
        let raw = b"Reply-To: \"results team\"@nhs.net, \"a b\" <\"results.team\"@nhs.net>,\n x@nhs.net (Results, Pathology), \"y@nhs.net\" <y@nhs.net>\n\n";
        let v = MessageView::new(raw, raw.len());
        let m = v.mailboxes("Reply-To");
        let got: Vec<_> = m.iter().map(|m| (m.address.as_str(), m.name.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("\"results team\"@nhs.net", None),
                ("\"results.team\"@nhs.net", Some("a b")),
                ("x@nhs.net", None),
                ("y@nhs.net", Some("y@nhs.net"))
            ]
        );
        // The address in brackets, not its copy in the display name.
        let y = &m[3];
        assert_eq!(raw[y.span.start - 1], b'<');
        assert_eq!(&raw[m[0].span.clone()], b"\"results team\"@nhs.net");
    }

    #[test]
    fn display_names_read_as_written_and_as_shown() {
        let raw = "From: =?utf-8?Q?O=E2=80=99Brien=2C?= \"Niamh\" <n@nhs.net>\nTo: Smith, John\n <j@nhs.net>, Team: a@nhs.net;\nFrom: other@nhs.net\n\n";
        let v = MessageView::new(raw.as_bytes(), raw.len());
        let from = v.mailboxes("From");
        assert_eq!(from.len(), 1, "the first From alone");
        assert_eq!(from[0].name.as_deref(), Some("O’Brien, Niamh"));
        assert_eq!(&raw[from[0].name_span.clone().expect("written")], "=?utf-8?Q?O=E2=80=99Brien=2C?= \"Niamh\"");
        assert_eq!(
            &raw[from[0].field_span.clone()],
            &raw[6..raw.find('\n').unwrap()],
            "the value, not the space before it"
        );
        let to = v.mailboxes("To");
        let names: Vec<_> = to.iter().map(|m| (m.address.as_str(), m.name.as_deref())).collect();
        // The name split at its comma is read whole by the mailbox it belongs to.
        assert_eq!(names, [("", Some("Smith")), ("j@nhs.net", Some("Smith, John")), ("a@nhs.net", None)]);
    }

    #[test]
    fn the_header_block_ends_at_its_empty_line_or_its_last_field() {
        for (raw, at) in [
            (&b"From: a@nhs.net\n\nbody\n"[..], 16),
            (b"From: a@nhs.net\r\n\r\nbody\r\n", 17),
            (b"From: a@nhs.net\n", 15),
            (b"From: a@nhs.net\r\nSubject: x", 27),
        ] {
            let (buffer, size) = parse_buffer(raw.to_vec());
            assert_eq!(MessageView::new(&buffer, size).header_end(), at, "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn group_members_are_mailboxes() {
        let raw = b"To: Team: a@nhs.net, b@nhs.net;, c@nhs.net\n\n";
        let v = MessageView::new(raw, raw.len());
        let got: Vec<_> = v.mailboxes("To").iter().map(|m| m.address.clone()).collect();
        assert_eq!(got, ["a@nhs.net", "b@nhs.net", "c@nhs.net"]);
    }

    #[test]
    fn not_a_message() {
        for raw in [&b""[..], b"\x00\x01\x02binary", b"just some prose\nmore\n"] {
            assert!(MessageView::new(raw, raw.len()).headers().is_none());
        }
    }

    #[test]
    fn decodes_only_text_parts() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\naMOpbGxv\n--b\nContent-Type: application/octet-stream\n\nxx\n--b--\n";
        let v = MessageView::new(raw, raw.len());
        let t = v.decoded_texts();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].text, "héllo");
        // Decoded from base64: the text maps to its encoded line, not byte for byte.
        assert!(!t[0].map.is_exact(0..1));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn address_lists_split_into_their_addresses_with_exact_spans(
            entries in proptest::collection::vec(("[a-z][a-z0-9.]{0,8}[a-z0-9]", "[a-z]{1,8}", proptest::option::of("[A-Za-z][A-Za-z ,]{0,10}[A-Za-z]")), 1..8),
        ) {
            let rendered: Vec<String> = entries.iter().map(|(local, domain, name)| match name {
                Some(name) => format!("\"{name}\" <{local}@{domain}.nhs.uk>"),
                None => format!("{local}@{domain}.nhs.uk"),
            }).collect();
            let raw = format!("To: {}\n\nbody\n", rendered.join(",\n  "));
            let view = MessageView::new(raw.as_bytes(), raw.len());
            let boxes = view.mailboxes("To");
            prop_assert_eq!(boxes.len(), entries.len(), "{}", raw);
            for (m, (local, domain, _)) in boxes.iter().zip(&entries) {
                let expected = format!("{local}@{domain}.nhs.uk");
                prop_assert_eq!(&m.address, &expected);
                prop_assert_eq!(&raw[m.span.clone()], expected.as_str(), "the span is the address's bytes");
            }
        }
    }
}
