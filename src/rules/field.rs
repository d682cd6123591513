//! Field selectors: the names rules use (`subject`, `from.address`, `header.X-Trust-Id`,
//! ...) and how each one reads its values out of a `MessageView` (config selectors are
//! in `config_field`). A value carries the byte span it came from, so diagnostics point
//! at the bytes that broke the rule.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

use super::config_field::{self, ConfigField};
use super::value::{Kind, Value};
use crate::config::Config;
use crate::mail::address::{canonical, is_valid_address};
use crate::mail::{Mailbox, MessageView, PartKind, bytes, headers};

/// What a condition is judged against, and reads its values from: one message, or the
/// configuration (config rules, and message rules' preconditions on it, judged once
/// when the pack compiles).
#[derive(Clone, Copy)]
pub(crate) enum Target<'a, 'm> {
    Message(&'a MessageView<'m>),
    Config(&'a Config),
}

impl<'a, 'm> Target<'a, 'm> {
    pub(crate) fn view(self) -> Option<&'a MessageView<'m>> {
        match self {
            Target::Message(view) => Some(view),
            Target::Config(_) => None,
        }
    }
}

/// What a rule reads from a message (or, for set-up rules, the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The decoded Subject.
    Subject,
    /// Each address of these headers.
    Addresses(&'static [&'static str]),
    /// Each display name of this header, as a reader sees it.
    DisplayNames(&'static str),
    /// How many mailboxes the headers name; `distinct` counts each address once.
    Count {
        /// The headers counted.
        headers: &'static [&'static str],
        /// Whether an address named twice counts once.
        distinct: bool,
    },
    /// The address replies go to: Reply-To, else From.
    ReplyAddress,
    /// The domain of each address of these headers.
    Domains(&'static [&'static str]),
    /// The value of each field of this name.
    Header(String),
    /// The Date field.
    Date,
    /// The text the recipient reads.
    BodyText,
    /// Each text part decoded, as written (markup not rendered).
    BodyRaw,
    /// Every attachment's name.
    AttachmentNames,
    /// Every attachment's size.
    AttachmentSizes,
    /// The message's size in bytes.
    MessageSize,
    /// The header block as a whole, when the message has one.
    MessageHeaders,
    /// Each line's length in bytes.
    LineLength,
    /// Each field written with white space before its colon (obsolete syntax).
    ObsoleteHeaders,
    /// Each header-block line that is neither a field nor a continuation.
    MalformedHeaderLines,
    /// Each field after the first of a name RFC 5322 allows once.
    RepeatedHeaders,
    /// A byte order mark at the start of the message.
    ByteOrderMark,
    /// The depth of a part nested too deep to read.
    Nesting,
    /// Each forwarded message sent encoded, so not read.
    EncodedForwards,
    /// A value of the config (set-up rules).
    Config(ConfigField),
}

const FROM: &[&str] = &["From"];
const SENDER: &[&str] = &["Sender"];
const REPLY_TO: &[&str] = &["Reply-To"];
const TO: &[&str] = &["To"];
const CC: &[&str] = &["Cc"];
const BCC: &[&str] = &["Bcc"];
const TO_CC: &[&str] = &["To", "Cc"];
const RECIPIENTS: &[&str] = &["To", "Cc", "Bcc"];

/// Every selector name with a one-line description, for `docs/rules.md` and errors.
pub(crate) const CATALOGUE: &[(&str, &str)] = &[
    ("subject", "each decoded Subject (a message should have one; every one is judged)"),
    ("from.address", "each From address as written (an entry with no address, a name alone or `<>`, is not one)"),
    (
        "from.name",
        "each From display name as a reader shows it, RFC 2047 decoded (a name split at unquoted commas is read whole)",
    ),
    ("from.count", "how many mailboxes From names (an entry with no address is not one)"),
    ("sender.address", "the Sender address"),
    (
        "reply_to.address",
        "each Reply-To entry's address as written, comments and white space around it left out (`<>` and broken entries included; an entry with no address reads as its text)",
    ),
    (
        "reply_address",
        "where replies go: the Reply-To addresses, else (no Reply-To, or none of its entries a valid address) the From addresses",
    ),
    ("to.address / cc.address / bcc.address", "each address of that header"),
    ("to_cc.address", "each To and Cc address"),
    ("recipients", "each To, Cc and Bcc address, group members included"),
    (
        "recipients.count",
        "distinct recipient addresses (compared in one form: case, needless quoting and IDNA forms do not count)",
    ),
    ("recipients.domain", "the domain of each recipient"),
    ("reply_to.domain", "the domain of each Reply-To address"),
    (
        "header.<Name>",
        "each raw value of that header, folds flattened, trimmed (only the first of a field RFC 5322 allows once, Subject apart)",
    ),
    ("date", "the raw value of the first Date"),
    (
        "body.text",
        "what the recipient reads: each part holding text (any text/*, inline or attached, and those of forwarded message/rfc822 parts) decoded and shown as a reader shows it (HTML rendered, flowed and calendar lines joined), and each forwarded message's Subject",
    ),
    (
        "body.raw",
        "each part body.text reads, after its transfer and charset decoding but not rendered: markup and all, wrapped lines as sent",
    ),
    (
        "attachments.name",
        "every file name of each attachment (Content-Disposition filename and filename*, Content-Type name, repeated ones), forwarded messages' attachments included",
    ),
    ("attachments.size", "each attachment's decoded size in bytes, from its encoded length"),
    ("message.size", "the size in bytes of the message as sent: Bcc dropped, line breaks CR LF, ending in CR LF"),
    ("message.headers", "the header block (present unless the file is not a message)"),
    ("line.length", "the length of each physical line in octets, without CR LF"),
    (
        "headers.obsolete",
        "the name of each header field written with white space before its colon (RFC 5322 obsolete syntax)",
    ),
    (
        "headers.malformed",
        "each header-block line that is neither a field nor a continuation, or holds only white space",
    ),
    (
        "headers.repeated",
        "the name of each field after the first of those RFC 5322 allows once (Date, From, Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References, Subject), at the field",
    ),
    ("message.byte_order_mark", "a UTF-8 byte-order mark at the start of the file"),
    (
        "forwarded.encoded",
        "each forwarded message (message/rfc822, message/global) sent base64 or quoted-printable encoded, which is not read: the first line of its part's header block",
    ),
    (
        "message.nesting",
        "the depth of the first part (multipart or forwarded message) nested too deep to be read, at its header block; absent when every part was read",
    ),
];

/// What a diagnostic says of a field that has no value at all.
pub(crate) struct Missing {
    pub(crate) span: Range<usize>,
    /// Said as `{{value}}`.
    pub(crate) value: String,
    /// Said at the span in place of the rule's label.
    pub(crate) label: Option<String>,
}

impl Field {
    pub(crate) fn parse(name: &str) -> Option<Field> {
        if let Some(field) = ConfigField::parse(name) {
            return Some(Field::Config(field));
        }
        if let Some(header) = name.strip_prefix("header.") {
            let valid = !header.is_empty() && header.bytes().all(|b| b.is_ascii_graphic() && b != b':');
            return valid.then(|| Field::Header(header.to_owned()));
        }
        Some(match name {
            "subject" => Field::Subject,
            "from.address" => Field::Addresses(FROM),
            "from.name" => Field::DisplayNames("From"),
            "from.count" => Field::Count { headers: FROM, distinct: false },
            "sender.address" => Field::Addresses(SENDER),
            "reply_to.address" => Field::Addresses(REPLY_TO),
            "reply_address" => Field::ReplyAddress,
            "to.address" => Field::Addresses(TO),
            "cc.address" => Field::Addresses(CC),
            "bcc.address" => Field::Addresses(BCC),
            "to_cc.address" => Field::Addresses(TO_CC),
            "recipients" => Field::Addresses(RECIPIENTS),
            "recipients.count" => Field::Count { headers: RECIPIENTS, distinct: true },
            "recipients.domain" => Field::Domains(RECIPIENTS),
            "reply_to.domain" => Field::Domains(REPLY_TO),
            "date" => Field::Date,
            "body.text" => Field::BodyText,
            "body.raw" => Field::BodyRaw,
            "attachments.name" => Field::AttachmentNames,
            "attachments.size" => Field::AttachmentSizes,
            "message.size" => Field::MessageSize,
            "message.headers" => Field::MessageHeaders,
            "line.length" => Field::LineLength,
            "headers.obsolete" => Field::ObsoleteHeaders,
            "headers.malformed" => Field::MalformedHeaderLines,
            "headers.repeated" => Field::RepeatedHeaders,
            "message.byte_order_mark" => Field::ByteOrderMark,
            "message.nesting" => Field::Nesting,
            "forwarded.encoded" => Field::EncodedForwards,
            _ => return None,
        })
    }

    pub(crate) fn kind(&self) -> Kind {
        match self {
            Field::Config(field) => field.kind(),
            Field::Addresses(_) | Field::ReplyAddress | Field::Domains(_) => Kind::Address,
            Field::Count { .. } | Field::LineLength | Field::Nesting => Kind::Number,
            Field::MessageSize | Field::AttachmentSizes => Kind::Size,
            Field::MessageHeaders => Kind::Presence,
            _ => Kind::Text,
        }
    }

    /// Whether the field reads the header block, so cannot apply to a file that is not
    /// a message at all.
    pub(crate) fn needs_headers(&self) -> bool {
        !matches!(
            self,
            Field::MessageSize | Field::MessageHeaders | Field::LineLength | Field::ByteOrderMark | Field::Config(_)
        )
    }

    /// Whether the field needs the whole message as sent, not only its header block (the
    /// body, its parts, its size, its first bytes): a returned header block cannot show it.
    pub(crate) fn reads_whole_message(&self) -> bool {
        matches!(
            self,
            Field::BodyText
                | Field::BodyRaw
                | Field::AttachmentNames
                | Field::AttachmentSizes
                | Field::MessageSize
                | Field::LineLength
                | Field::ByteOrderMark
                | Field::Nesting
                | Field::EncodedForwards
        )
    }

    /// Whether the field reads the configuration rather than a message.
    pub(crate) fn is_config(&self) -> bool {
        matches!(self, Field::Config(_))
    }

    /// What reading the field costs a message, cheapest first: the header block is read
    /// already; the MIME structure and the physical lines cost a pass over the body; the
    /// text, decoding and rendering every text part. A rule's preconditions are judged in
    /// this order, so a rule whose recipients or headers rule it out renders nothing.
    pub(crate) fn cost(&self) -> u8 {
        match self {
            Field::BodyText | Field::BodyRaw => 2,
            Field::AttachmentNames
            | Field::AttachmentSizes
            | Field::LineLength
            | Field::Nesting
            | Field::EncodedForwards => 1,
            _ => 0,
        }
    }

    /// Every field name, for errors and documentation.
    pub fn names() -> impl Iterator<Item = &'static str> {
        CATALOGUE.iter().chain(config_field::CATALOGUE).map(|(name, _)| *name)
    }

    /// Where to point, what to say as `{{value}}`, and the label (in place of the rule's),
    /// when the field has no value at all.
    pub(crate) fn missing(&self, target: Target<'_, '_>) -> Missing {
        let at = |span: Range<usize>| Missing { span, value: String::new(), label: None };
        match (self, target) {
            (Field::MessageHeaders, Target::Message(view)) => {
                let first_line = bytes::lines(view.raw()).next().unwrap_or(0..0);
                Missing { value: view.why_not_a_message(), ..at(first_line.start..first_line.end.min(200)) }
            }
            // Where the field would be added.
            (Field::Header(name), Target::Message(view)) => {
                let end = view.header_end();
                Missing { label: Some(format!("the header block ends here, with no {name} field")), ..at(end..end) }
            }
            (Field::Date, Target::Message(_)) => Field::Header("Date".into()).missing(target),
            (Field::Config(field), Target::Config(config)) => at(field.missing(config)),
            _ => at(0..0),
        }
    }

    /// Calls `f` with each value of the field: a message field's from a message, a
    /// config field's from the configuration (none from the other target).
    pub(crate) fn for_each(&self, target: Target<'_, '_>, f: &mut dyn FnMut(Value<'_>)) {
        let view = match (self, target) {
            (Field::Config(field), Target::Config(config)) => return field.for_each(config, f),
            (Field::Config(_), Target::Message(_)) | (_, Target::Config(_)) => return,
            (_, Target::Message(view)) => view,
        };
        match self {
            Field::Config(_) => {}
            Field::Subject => {
                for (text, span) in view.subjects() {
                    let exact = text.as_bytes() == &view.raw()[span.clone()];
                    f(Value::text(text, span, exact));
                }
            }
            Field::Addresses(names) => {
                for name in *names {
                    let boxes = view.mailboxes(name);
                    addresses(name, &boxes).for_each(|m| f(address(view, m)));
                }
            }
            Field::ReplyAddress => {
                // Replies go to From when Reply-To is absent or names no usable address
                // (`Reply-To:`, `Reply-To: <>`, a name alone): then From is judged.
                // A template's placeholder (`Reply-To: {{ department.reply_to }}`) will be an
                // address once rendered: replies go there, not to From.
                let reply_to = view.mailboxes("Reply-To");
                let usable = reply_to.iter().any(|m| {
                    is_valid_address(&m.address)
                        || !crate::functions::placeholder::find(&String::from_utf8_lossy(&view.raw()[m.span.clone()]))
                            .is_empty()
                });
                let boxes = if usable { reply_to } else { view.mailboxes("From") };
                boxes.iter().for_each(|m| f(address(view, m)));
            }
            Field::DisplayNames(name) => {
                // `<>` names no mailbox: From it is no sender (missing-from), with no name
                // to judge. The bare phrases split off a display name at its unquoted
                // commas are part of the name the mailbox after them reads.
                let boxes = view.mailboxes(name);
                let split_off = split_off(&boxes);
                for (m, _) in boxes.iter().zip(split_off).filter(|(m, split)| !m.null && !split) {
                    let name = m.name.as_deref().map(str::trim).unwrap_or("");
                    let span = match &m.name_span {
                        _ if name.is_empty() => m.field_span.clone(),
                        Some(written) => written.clone(),
                        None => view.locate(m.field_span.clone(), name),
                    };
                    let exact = view.raw().get(span.clone()) == Some(name.as_bytes());
                    f(Value::text(Cow::Owned(name.to_owned()), span, exact));
                }
            }
            Field::Count { headers, distinct } => {
                let lists: Vec<_> = headers.iter().map(|n| (*n, view.mailboxes(n))).collect();
                let mut boxes = lists.iter().flat_map(|(n, list)| addresses(n, list));
                let Some(first) = boxes.next() else {
                    if view.headers().is_some() {
                        f(Value::number(0, 0..0));
                    }
                    return;
                };
                let count = if *distinct {
                    let capacity = lists.iter().map(|(_, list)| list.len()).sum();
                    let mut seen = HashSet::with_capacity_and_hasher(capacity, foldhash::fast::RandomState::default());
                    std::iter::once(first).chain(boxes).filter(|m| seen.insert(canonical(&m.address))).count()
                } else {
                    1 + boxes.count()
                };
                f(Value::number(count as u64, first.field_span.clone()));
            }
            Field::Domains(names) => {
                for boxes in names.iter().map(|n| view.mailboxes(n)) {
                    for m in boxes.iter() {
                        if let Some((_, domain)) = m.address.rsplit_once('@') {
                            let span = m.span.end - domain.len().min(m.span.len())..m.span.end;
                            f(Value::text(Cow::Owned(domain.to_owned()), span, true));
                        }
                    }
                }
            }
            Field::Header(name) => {
                let Some(headers) = view.headers() else { return };
                for field in headers.read(name) {
                    let (text, span) = headers::raw_value(view.raw(), field);
                    f(Value::text(text, span, true));
                }
            }
            Field::Date => Field::Header("Date".into()).for_each(target, f),
            Field::BodyText => {
                for piece in view.text_view() {
                    f(Value::mapped(&piece.text, piece.span.clone(), &piece.map));
                }
            }
            Field::BodyRaw => {
                for piece in view.decoded_texts() {
                    f(Value::mapped(&piece.text, piece.span.clone(), &piece.map));
                }
            }
            Field::AttachmentNames | Field::AttachmentSizes => {
                for part in view.leaf_parts() {
                    let PartKind::Attachment { names } = &part.kind else {
                        continue;
                    };
                    let headers = part.whole.start..part.body.start;
                    // Names are found in order, each after the one before, and the encoded
                    // form's place once a part: a header of many names costs its length.
                    let mut cursor = headers.start;
                    let mut encoded = None;
                    let mut span_of = |name: &str| {
                        let span = view.locate(cursor..headers.end, name);
                        if view.raw().get(span.clone()) == Some(name.as_bytes()) {
                            cursor = span.end;
                            return (span, true);
                        }
                        // An encoded name (RFC 2231 or 2047): point at where it is written.
                        let at = encoded.get_or_insert_with(|| encoded_name_span(view.raw(), headers.clone()));
                        (at.clone().unwrap_or(span), false)
                    };
                    if *self == Field::AttachmentSizes {
                        // A forwarded message's attachments are counted in its own size.
                        if !part.forwarded {
                            let span = span_of(names.first().map_or("", String::as_str)).0;
                            f(Value::number(part.decoded_size(view.raw()), span));
                        }
                        continue;
                    }
                    for name in names {
                        let (span, exact) = span_of(name);
                        f(Value::text(Cow::Borrowed(name), span, exact));
                    }
                }
            }
            Field::EncodedForwards => {
                for at in &view.structure().encoded_forwards {
                    let first_line = view.locate(at.clone(), "");
                    let text = bytes::same_len_text(&view.raw()[first_line.clone()], false).into_owned();
                    f(Value::text(Cow::Owned(text), first_line, true));
                }
            }
            Field::Nesting => {
                if let Some((depth, at)) = &view.structure().too_deep {
                    let first_line = view.locate(at.clone(), "");
                    f(Value::number(*depth as u64, first_line));
                }
            }
            Field::MessageSize => f(Value::number(crate::mail::wire::wire_size(view) as u64, 0..0)),
            Field::MessageHeaders => {
                if view.headers().is_some() {
                    f(Value::text(Cow::Borrowed(""), view.header_block(), true));
                }
            }
            Field::LineLength => {
                for line in bytes::lines(view.raw()) {
                    f(Value::number(line.len() as u64, line));
                }
            }
            Field::ObsoleteHeaders => {
                let Some(headers) = view.headers() else { return };
                for (field, span) in headers.fields().iter().filter_map(|h| Some((h, h.obsolete.clone()?))) {
                    f(Value::text(bytes::same_len_text(field.name(), false), span, false));
                }
            }
            Field::MalformedHeaderLines => {
                let Some(headers) = view.headers() else { return };
                for line in headers.malformed() {
                    let raw = &view.raw()[line.clone()];
                    let first = &raw[..memchr::memchr2(b'\r', b'\n', raw).unwrap_or(raw.len())];
                    let text = if first.iter().all(|b| matches!(b, b' ' | b'\t')) {
                        Cow::Borrowed("a line of only white space, before the empty line that ends the header block")
                    } else {
                        let text = bytes::same_len_text(&first[..first.len().min(80)], false);
                        let more = if first.len() > 80 || first.len() < raw.len() { "..." } else { "" };
                        Cow::Owned(format!(
                            "`{text}{more}` is neither a header field (`Name: value`) nor the continuation of one"
                        ))
                    };
                    let first_line = line.start
                        ..memchr::memchr(b'\n', raw)
                            .map_or(line.end, |p| line.start + p - usize::from(p > 0 && raw[p - 1] == b'\r'));
                    f(Value::text(text, first_line, false));
                }
            }
            Field::RepeatedHeaders => {
                let Some(headers) = view.headers() else { return };
                for field in headers.repeated() {
                    let text = bytes::same_len_text(field.name(), false);
                    f(Value::text(text, field.field.start..field.field.start + field.name().len(), true));
                }
            }
            Field::ByteOrderMark => {
                if let Some(span) = view.byte_order_mark() {
                    f(Value::text(Cow::Borrowed("EF BB BF"), span, false));
                }
            }
        }
    }
}

/// An address value; an entry with no address reads as the text that stands in its
/// place (its name), so messages can quote it.
/// Where an attachment's encoded name is written in its part's header block: from the
/// first `filename*` / `filename=` parameter (else `name*` / `name=`) to the end of
/// that parameter's line, folds included.
fn encoded_name_span(raw: &[u8], headers: Range<usize>) -> Option<Range<usize>> {
    let block = raw.get(headers.clone())?;
    let lower = block.to_ascii_lowercase();
    let at = [&b"filename*"[..], b"filename=", b"name*", b"name="]
        .iter()
        .find_map(|key| memchr::memmem::find(&lower, key))?;
    let mut end = at;
    while let Some(p) = memchr::memchr(b'\n', &block[end..]) {
        end += p + 1;
        if !matches!(block.get(end), Some(b' ' | b'\t')) {
            break;
        }
    }
    let end = if end == at { block.len() } else { end };
    let trimmed = block[at..end].trim_ascii_end().len();
    Some(headers.start + at..headers.start + at + trimmed)
}

/// The entries of header `name` (`boxes`) that are its addresses. In From, an entry with
/// no address is none: a name alone (`From: Pathology Results`), `<>` named or not
/// (`From: "Results, Pathology" <>`), or the first half of a display name split at an
/// unquoted comma (`From: Smith, John <j@nhs.net>`, reported by
/// display-name-unquoted-comma, whose address is still judged alone); with none left, the
/// message has no From address (missing-from). Sender is optional, so one naming no
/// address at all is judged as its text (`Sender: robot`), the split name's first half
/// still left out. Elsewhere every entry is kept (an invalid Reply-To, a recipient).
fn addresses<'b>(name: &str, boxes: &'b [Mailbox]) -> impl Iterator<Item = &'b Mailbox> {
    let from = name.eq_ignore_ascii_case("From");
    // Judged once for the field, not once an entry (a field of names alone would cost
    // its square).
    let sender = name.eq_ignore_ascii_case("Sender") && !boxes.iter().all(|b| b.address.is_empty());
    boxes.iter().filter(move |m| !m.address.is_empty() || !(from || sender))
}

/// Which of `boxes` are a bare phrase split off the display name of the mailbox after
/// it at an unquoted comma (`Smith` of `Smith, John <j@nhs.net>`): that mailbox's name,
/// read whole, starts at or before it.
fn split_off(boxes: &[Mailbox]) -> Vec<bool> {
    let mut name_start = None;
    let mut out: Vec<bool> = boxes
        .iter()
        .rev()
        .map(|m| {
            if m.address.is_empty() && !m.null {
                return name_start.is_some_and(|s| s <= m.span.start);
            }
            name_start = m.name_span.as_ref().map(|s| s.start);
            false
        })
        .collect();
    out.reverse();
    out
}

fn address<'a>(view: &MessageView<'a>, m: &Mailbox) -> Value<'a> {
    if m.address.is_empty() {
        let (text, span) = (bytes::same_len_text(&view.raw()[m.span.clone()], true), m.span.clone());
        return Value::text(text, span, true);
    }
    Value::text(Cow::Owned(m.address.clone()), m.span.clone(), true)
}
