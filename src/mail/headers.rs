//! The top-level header fields of a message. Which fields exist, their names, raw values
//! (folds included) and byte spans come from our own reader of the header block
//! ([`read_block`], RFC 5322 section 2.2 and the obsolete white space before the colon of
//! section 4.5), never from the decoding library: mail-parser 0.11 loses the field after
//! a Date ending in an obsolete zone (`UT`, `Z`, `A`, `M`) and reads `Fr om:` as `From`.
//! mail-parser only decodes each value (addresses, encoded words, dates).

use std::ops::Range;

use std::sync::OnceLock;

use mail_parser::{Header, HeaderName, HeaderValue, MessageParser};

use super::bytes;
use super::mime::PartHeaders;

/// One field as the header block spells it, without decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawField {
    /// The whole field, name to the end of its value (folds included, final line break not).
    pub field: Range<usize>,
    /// Where the field's name lies in the message's bytes.
    pub name: Range<usize>,
    /// The colon after the name.
    pub colon: usize,
    /// The value after the colon, up to (not including) the final line break.
    pub value: Range<usize>,
}

impl RawField {
    /// Whether white space stands between the name and the colon (RFC 5322 section 4.5).
    pub(crate) fn obsolete(&self) -> bool {
        self.name.end != self.colon
    }
}

/// A header block read line by line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Block {
    /// Its fields, in order.
    pub fields: Vec<RawField>,
    /// Each run of lines that are neither a field nor a continuation of one, or hold
    /// only white space (with any continuation lines after them), without the final
    /// line break.
    pub malformed: Vec<Range<usize>>,
    /// Just past the empty line that ends the block (or the end of the input).
    pub end: usize,
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Reads the header block of `raw` from `start`: up to the first empty line (`\n` or
/// `\r\n` alone). A line starting with a space or tab continues the field before it; a
/// field is a name of printable ASCII other than `:`, optional spaces and tabs
/// (obsolete), then `:`. An mbox `From ` envelope line as the very first line is skipped.
pub fn read_block(raw: &[u8], start: usize) -> Block {
    enum Open {
        None,
        Field,
        Malformed,
    }
    let mut block = Block::default();
    let mut open = Open::None;
    let mut pos = start;
    while pos < raw.len() {
        let nl = memchr::memchr(b'\n', &raw[pos..]).map(|p| pos + p);
        let next = nl.map_or(raw.len(), |nl| nl + 1);
        let mut end = nl.unwrap_or(raw.len());
        if nl.is_some() && end > pos && raw[end - 1] == b'\r' {
            end -= 1;
        }
        let line = &raw[pos..end];
        if line.is_empty() {
            block.end = next;
            return block;
        }
        if is_wsp(line[0]) && !line.iter().all(|&b| is_wsp(b)) && matches!(open, Open::Field) {
            let f = block.fields.last_mut().expect("an open field");
            f.field.end = end;
            f.value.end = end;
        } else if let Some(field) = (!is_wsp(line[0])).then(|| field_at(raw, pos, end)).flatten() {
            block.fields.push(field);
            open = Open::Field;
        } else if pos == start && line.starts_with(b"From ") {
            open = Open::None;
        } else {
            // Neither a field nor a continuation (or only white space): one finding for
            // a run of such lines, so a body started too early is reported once.
            match open {
                Open::Malformed => block.malformed.last_mut().expect("an open line").end = end,
                _ => block.malformed.push(pos..end),
            }
            open = Open::Malformed;
        }
        pos = next;
    }
    block.end = raw.len();
    block
}

/// The field starting a line at `pos` (ending at `end`), if the line starts one.
fn field_at(raw: &[u8], pos: usize, end: usize) -> Option<RawField> {
    let line = &raw[pos..end];
    let name_len = line.iter().position(|&b| !(33..=126).contains(&b) || b == b':').unwrap_or(line.len());
    if name_len == 0 {
        return None;
    }
    let space = line[name_len..].iter().take_while(|&&b| is_wsp(b)).count();
    let colon = name_len + space;
    (line.get(colon) == Some(&b':')).then(|| RawField {
        field: pos..end,
        name: pos..pos + name_len,
        colon: pos + colon,
        value: pos + colon + 1..end,
    })
}

/// mail-parser as the header reader uses it: each field decoded as mail-parser's default
/// does, but for the address fields (From, Sender, Reply-To, To, Cc, Bcc, Resent-*), only
/// found: `address_list` reads those from the raw value, and decoding them (or copying them
/// out as text) cost as much again on a bulk send's thousands of recipients.
fn parser() -> &'static MessageParser {
    static PARSER: OnceLock<MessageParser> = OnceLock::new();
    PARSER.get_or_init(|| {
        let addresses = [
            HeaderName::From,
            HeaderName::Sender,
            HeaderName::ReplyTo,
            HeaderName::To,
            HeaderName::Cc,
            HeaderName::Bcc,
            HeaderName::ResentFrom,
            HeaderName::ResentSender,
            HeaderName::ResentTo,
            HeaderName::ResentCc,
            HeaderName::ResentBcc,
        ];
        let lists = [
            HeaderName::ListArchive,
            HeaderName::ListHelp,
            HeaderName::ListId,
            HeaderName::ListOwner,
            HeaderName::ListPost,
            HeaderName::ListSubscribe,
            HeaderName::ListUnsubscribe,
        ];
        let parser = addresses.into_iter().fold(MessageParser::new(), |parser, name| parser.ignore_header(name));
        lists
            .into_iter()
            .fold(parser, |parser, name| parser.header_address(name))
            .with_mime_headers()
            .with_date_headers()
            .with_message_ids()
            .header_text(HeaderName::Subject)
            .header_text(HeaderName::Comments)
            .header_id(HeaderName::ReturnPath)
            .header_comma_separated(HeaderName::Keywords)
            .header_comma_separated(HeaderName::ContentLanguage)
            .header_received(HeaderName::Received)
    })
}

/// One header field: its name and value, with their places in the bytes.
pub struct HeaderField<'m> {
    pub(crate) value: HeaderValue<'m>,
    /// The whole field, name included.
    pub field: Range<usize>,
    /// The value after the colon, up to (not including) the final line break.
    pub value_span: Range<usize>,
    /// Where the name starts to just past the colon, when white space stands before the
    /// colon (obsolete syntax).
    pub(crate) obsolete: Option<Range<usize>>,
    name: &'m [u8],
}

impl HeaderField<'_> {
    pub(crate) fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    pub(crate) fn name(&self) -> &[u8] {
        self.name
    }
}

/// The header fields of a message, looked up by name without regard to case.
pub struct Headers<'m> {
    fields: Vec<HeaderField<'m>>,
    malformed: Vec<Range<usize>>,
    /// mail-parser's reading of the block's MIME fields, kept for the MIME walk when it is
    /// what the walk would read (see [`Headers::mime`]).
    mime: Option<PartHeaders<'m>>,
}

impl<'m> Headers<'m> {
    /// Reads the header block of `raw[..size]` from `start` (past a byte-order mark);
    /// `raw` may extend past the message's real end by one added line break (see
    /// `MessageView::new`), which mail-parser needs. `None` when there is no header
    /// field at all.
    pub(crate) fn parse(raw: &'m [u8], size: usize, start: usize) -> Option<Self> {
        let block = read_block(&raw[..size], start);
        if block.fields.is_empty() {
            return None;
        }
        // mail-parser decodes the values; a field it read at the same offset under the
        // same name keeps its value, any other is decoded alone.
        let decoded = parser()
            .parse_headers(&raw[start..])
            .and_then(|m| m.parts.into_iter().next())
            .map(|p| p.headers)
            .unwrap_or_default();
        // The MIME walk would read the block alone (`raw[..block.end]`, byte-order mark
        // included): mail-parser's reading of the whole message is the same when there is
        // no mark and no field it read runs past the block (as a Date ending `UT` does).
        let mime = (start == 0 && decoded.iter().all(|h| h.offset_end as usize <= block.end)).then(|| {
            let fields = decoded.iter().filter(|h| PartHeaders::reads(&h.name)).cloned();
            PartHeaders::from_fields(fields, raw)
        });
        let mut decoded = decoded.into_iter().peekable();
        let mut fields = Vec::with_capacity(block.fields.len());
        for f in block.fields {
            let name = &raw[f.name.clone()];
            while decoded.peek().is_some_and(|h| start + (h.offset_field as usize) < f.field.start) {
                decoded.next();
            }
            let value = match decoded.peek() {
                Some(h) if start + h.offset_field as usize == f.field.start && same_name(h, name) => {
                    decoded.next().expect("peeked").value
                }
                _ => decode_alone(name, &raw[f.value.clone()]),
            };
            fields.push(HeaderField {
                value,
                obsolete: f.obsolete().then(|| f.name.start..f.colon + 1),
                field: f.field,
                value_span: f.value,
                name,
            });
        }
        Some(Headers { fields, malformed: block.malformed, mime })
    }

    /// mail-parser's reading of the MIME fields (Content-Type, Content-Disposition,
    /// Content-Transfer-Encoding), when it is what reading the header block alone gives.
    pub(crate) fn mime(&self) -> Option<&PartHeaders<'m>> {
        self.mime.as_ref()
    }

    /// Every field whose raw name is exactly `name` (ASCII case-insensitive), in order.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a HeaderField<'m>> + 'a {
        self.fields.iter().filter(move |f| f.is(name))
    }

    pub(crate) fn first(&self, name: &str) -> Option<&HeaderField<'m>> {
        self.fields.iter().find(|f| f.is(name))
    }

    /// The fields of `name` the rules read: only the first of a field RFC 5322 allows
    /// once (duplicate-header-field reports the others; readers disagree on which they
    /// show, mail-parser the last, Python's email the first), except Subject, every one
    /// of which is read: a patient detail in any Subject a reader may show is a leak.
    pub(crate) fn read<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a HeaderField<'m>> + 'a {
        let once = is_once(name) && !name.eq_ignore_ascii_case("Subject");
        self.all(name).take(if once { 1 } else { usize::MAX })
    }

    /// Each field after the first of a name RFC 5322 allows once, in order.
    pub(crate) fn repeated(&self) -> impl Iterator<Item = &HeaderField<'m>> + '_ {
        self.fields
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                ONCE.iter().any(|name| f.is(name))
                    && self.fields[..*i].iter().any(|e| e.name.eq_ignore_ascii_case(f.name))
            })
            .map(|(_, f)| f)
    }

    /// Every field, in order.
    pub fn fields(&self) -> &[HeaderField<'m>] {
        &self.fields
    }

    /// The header-block lines that are neither a field nor a continuation, and the
    /// lines of only white space.
    pub(crate) fn malformed(&self) -> &[Range<usize>] {
        &self.malformed
    }
}

/// The fields RFC 5322 section 3.6 allows at most once in a message.
pub(crate) const ONCE: &[&str] =
    &["Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To", "References", "Subject"];

fn is_once(name: &str) -> bool {
    ONCE.iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn same_name(h: &Header<'_>, name: &[u8]) -> bool {
    h.name.as_str().as_bytes().eq_ignore_ascii_case(name)
}

/// One field's value decoded on its own, as mail-parser decodes a field of that name.
fn decode_alone(name: &[u8], value: &[u8]) -> HeaderValue<'static> {
    let mut one = Vec::with_capacity(name.len() + value.len() + 3);
    one.extend_from_slice(name);
    one.push(b':');
    one.extend_from_slice(value);
    one.extend_from_slice(b"\n\n");
    parser()
        .parse_headers(&one)
        .and_then(|m| m.parts.into_iter().next())
        .and_then(|p| p.headers.into_iter().next())
        .map_or(HeaderValue::Empty, |h| h.value.into_owned())
}
/// The raw value of a field as text of the same byte length (folds flattened to
/// spaces), trimmed, with the span of what remains: what a label on the whole value
/// underlines (not the space after the colon).
pub(crate) fn raw_value<'m>(raw: &'m [u8], field: &HeaderField<'_>) -> (std::borrow::Cow<'m, str>, Range<usize>) {
    let span = field.value_span.clone();
    let text = bytes::same_len_text(&raw[span.clone()], true);
    let lead = text.len() - text.trim_start().len();
    let trail = text.len() - text.trim_end().len();
    let trimmed_span = span.start + lead..(span.end - trail).max(span.start + lead);
    let text = match text {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.trim()),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.trim().to_owned()),
    };
    (text, trimmed_span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Headers<'_> {
        Headers::parse(raw, raw.len(), 0).expect("headers")
    }

    #[test]
    fn no_field_is_lost_after_an_obsolete_zone() {
        for zone in ["UT", "Z", "A", "M", "GMT"] {
            for nl in ["\n", "\r\n"] {
                let raw = format!(
                    "Date: Thu, 20 Jun 2002 05:53:48 {zone}{nl}From: Smith, John <j@nhs.net>{nl}Subject: x{nl} folded{nl}{nl}"
                );
                let raw = raw.as_bytes();
                let h = parse(raw);
                let date = h.first("Date").expect("date");
                assert_eq!(raw[date.value_span.clone()], *format!(" Thu, 20 Jun 2002 05:53:48 {zone}").as_bytes());
                let from = h.first("From").unwrap_or_else(|| panic!("From after {zone}"));
                // Address fields are only found (`parser`): `address_list` reads them.
                assert_eq!(raw[from.value_span.clone()], *b" Smith, John <j@nhs.net>", "{zone}");
                let subject = h.first("Subject").expect("subject");
                assert_eq!(raw[subject.value_span.clone()], *format!(" x{nl} folded").as_bytes());
            }
        }
    }

    #[test]
    fn obsolete_spacing_is_read_and_mangled_names_are_not_fields() {
        let raw = b"Fr om: a@nhs.net\nFrom : b@nhs.net\nfrom: c@nhs.net\nDate\t: Fri, 21 Nov 1997 09:55:06 -0600\n\n";
        let h = parse(raw);
        let froms: Vec<_> = h.all("From").map(|f| &raw[f.value_span.clone()]).collect();
        assert_eq!(froms, vec![&b" b@nhs.net"[..], b" c@nhs.net"]);
        let obsolete: Vec<_> = h.fields().iter().filter_map(|f| f.obsolete.clone()).map(|r| &raw[r]).collect();
        assert_eq!(obsolete, vec![&b"From :"[..], b"Date\t:"]);
        assert!(matches!(h.first("Date").unwrap().value, HeaderValue::DateTime(_)));
        assert!(matches!(&h.first("From").unwrap().value, HeaderValue::Empty));
        assert_eq!(h.malformed().iter().map(|r| &raw[r.clone()]).collect::<Vec<_>>(), vec![&b"Fr om: a@nhs.net"[..]]);
    }

    #[test]
    fn malformed_lines_and_white_space_lines() {
        let raw = b" X: starts folded\nFrom: a@nhs.net\nThis is an invalid header\n  more of it\n \r\nTo: b@nhs.net\n \nCc: c@nhs.net\n\nbody: x\n";
        let block = read_block(raw, 0);
        let lines: Vec<_> = block.malformed.iter().map(|r| &raw[r.clone()]).collect();
        assert_eq!(lines, vec![&b" X: starts folded"[..], b"This is an invalid header\n  more of it\n ", b" "]);
        let names: Vec<_> = block.fields.iter().map(|f| &raw[f.name.clone()]).collect();
        assert_eq!(names, vec![&b"From"[..], b"To", b"Cc"]);
        assert_eq!(block.end, raw.len() - b"body: x\n".len());
    }

    #[test]
    fn a_field_allowed_once_is_read_at_its_first_occurrence_and_every_subject() {
        let raw = b"From: a@nhs.net\nSubject: one\nfrom : b@nhs.net\nReceived: x\nReceived: y\nSUBJECT: two\nFROM: c@nhs.net\n\n";
        let h = parse(raw);
        let values = |name: &str| h.read(name).map(|f| raw_value(raw, f).0.into_owned()).collect::<Vec<_>>();
        assert_eq!(values("From"), ["a@nhs.net"]);
        assert_eq!(values("Subject"), ["one", "two"]);
        assert_eq!(values("Received"), ["x", "y"]);
        let repeated: Vec<_> = h.repeated().map(|f| &raw[f.field.clone()]).collect();
        assert_eq!(repeated, [&b"from : b@nhs.net"[..], b"SUBJECT: two", b"FROM: c@nhs.net"]);
    }

    #[test]
    fn value_span_excludes_line_break_and_covers_folds() {
        let raw = b"Subject: one\r\n two\r\nX: y\r\n\r\n";
        let h = parse(raw);
        let s = h.first("subject").unwrap();
        assert_eq!(&raw[s.value_span.clone()], b" one\r\n two");
        let (text, span) = raw_value(raw, s);
        assert_eq!(text, "one   two");
        assert_eq!(&raw[span], b"one\r\n two");
        // A value folded from its first line: the label starts at its first word.
        let raw = b"To:\r\n  a@nhs.net \r\n\r\n";
        let to = parse(raw).first("To").map(|f| raw_value(raw, f).1).expect("To");
        assert_eq!(&raw[to], b"a@nhs.net");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// A field: name, white space before the colon, value lines (the first after the
    /// colon, the rest folded under it), each possibly with 8-bit bytes.
    fn field() -> impl Strategy<Value = (String, String, Vec<Vec<u8>>)> {
        (
            "[A-Za-z][A-Za-z0-9-]{0,12}",
            prop_oneof![Just(String::new()), Just(String::new()), "[ \t]{1,3}"],
            proptest::collection::vec(
                proptest::collection::vec(prop_oneof![32u8..127, 128u8..=255, Just(b'\t')], 0..20),
                1..4,
            ),
        )
    }

    proptest! {
        #[test]
        fn every_field_is_found_once_with_exact_spans(
            fields in proptest::collection::vec(field(), 1..10),
            crlf in any::<bool>(),
            last_break in any::<bool>(),
        ) {
            let nl: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            let mut raw = Vec::new();
            let mut want = Vec::new();
            for (i, (name, space, lines)) in fields.iter().enumerate() {
                let start = raw.len();
                raw.extend_from_slice(name.as_bytes());
                raw.extend_from_slice(space.as_bytes());
                let colon = raw.len();
                raw.push(b':');
                for (j, line) in lines.iter().enumerate() {
                    if j > 0 {
                        raw.extend_from_slice(nl);
                        // A fold: white space then at least one byte that is not.
                        raw.push(b' ');
                        raw.push(b'x');
                    }
                    raw.extend_from_slice(line);
                }
                let end = raw.len();
                want.push(RawField { field: start..end, name: start..start + name.len(), colon, value: colon + 1..end });
                if i + 1 < fields.len() || last_break {
                    raw.extend_from_slice(nl);
                }
            }
            let header_end = raw.len();
            if last_break {
                raw.extend_from_slice(nl);
                raw.extend_from_slice(b"Body: not a field");
                raw.extend_from_slice(nl);
            }
            let block = read_block(&raw, 0);
            prop_assert_eq!(&block.fields, &want);
            prop_assert!(block.malformed.is_empty());
            prop_assert_eq!(block.end, if last_break { header_end + nl.len() } else { raw.len() });
            let body_start = bytes::body_start(&raw).unwrap_or(raw.len());
            prop_assert_eq!(block.end, body_start);
            // mail-parser decodes them, and decides none of them.
            let mut buffer = raw.clone();
            if !last_break { buffer.push(b'\n'); }
            let headers = Headers::parse(&buffer, raw.len(), 0).expect("fields");
            prop_assert_eq!(headers.fields().len(), want.len());
            for (got, want) in headers.fields().iter().zip(&want) {
                prop_assert_eq!(&got.field, &want.field);
                prop_assert_eq!(&got.value_span, &want.value);
                prop_assert_eq!(got.obsolete.is_some(), want.obsolete());
            }
        }
    }
}
