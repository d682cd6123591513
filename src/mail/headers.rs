//! The top-level header fields of a message, as mail-parser reads them, looked up by
//! their *raw* name bytes: mail-parser 0.11 folds `Fr om:` and `From :` into the real
//! `From`, which a receiving server would not, so a field only counts under a name
//! when its bytes spell exactly that name.

use std::ops::Range;

use mail_parser::{Header, HeaderValue, MessageParser};

use super::bytes;

pub struct HeaderField<'m> {
    pub value: HeaderValue<'m>,
    /// The whole field, name included.
    pub field: Range<usize>,
    /// The value after the colon, up to (not including) the final line break.
    pub value_span: Range<usize>,
    name: &'m [u8],
}

impl HeaderField<'_> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

pub struct Headers<'m> {
    fields: Vec<HeaderField<'m>>,
}

impl<'m> Headers<'m> {
    /// Parses the header block of `raw` (which may extend past the message's real end
    /// by one added line break, see `MessageView::new`). `None` when mail-parser finds
    /// no header field at all.
    pub fn parse(raw: &'m [u8], limit: usize) -> Option<Self> {
        let message = MessageParser::new().parse_headers(raw)?;
        let part = message.parts.into_iter().next()?;
        let fields = part.headers.into_iter().map(|h| Self::field(raw, h, limit)).collect::<Vec<_>>();
        (!fields.is_empty()).then_some(Headers { fields })
    }

    fn field(raw: &'m [u8], h: Header<'m>, limit: usize) -> HeaderField<'m> {
        let field_start = h.offset_field as usize;
        let value_start = h.offset_start as usize;
        let name_end = memchr::memrchr(b':', &raw[field_start..value_start]).map_or(value_start, |p| field_start + p);
        let mut value_end = (h.offset_end as usize).clamp(value_start, limit.max(value_start));
        // A value ends with its logical line (a line break not followed by a space or
        // tab); mail-parser's end can run past it (a Date ending in the obsolete zone
        // `UT` took in the next field).
        value_end = value_end.min(logical_line_end(raw, value_start));
        // mail-parser's end includes the line break; spans stop before it.
        while value_end > value_start && matches!(raw[value_end - 1], b'\r' | b'\n') {
            value_end -= 1;
        }
        HeaderField {
            value: h.value,
            field: field_start..value_end,
            value_span: value_start..value_end,
            name: &raw[field_start..name_end],
        }
    }

    /// Every field whose raw name is exactly `name` (ASCII case-insensitive), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a HeaderField<'m>> + 'a {
        self.fields.iter().filter(move |f| f.is(name))
    }

    pub fn first(&self, name: &str) -> Option<&HeaderField<'m>> {
        self.fields.iter().find(|f| f.is(name))
    }
}

/// Where the logical (unfolded) line starting at `from` ends: after the first line break
/// that is not followed by a space or a tab, or at the end of `raw`.
fn logical_line_end(raw: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(p) = memchr::memchr(b'\n', &raw[at..]) {
        let next = at + p + 1;
        if !matches!(raw.get(next), Some(b' ' | b'\t')) {
            return next;
        }
        at = next;
    }
    raw.len()
}

/// The raw value of a field as text of the same byte length (folds flattened to
/// spaces), trimmed, with the span of what remains.
pub fn raw_value<'m>(raw: &'m [u8], field: &HeaderField<'_>) -> (std::borrow::Cow<'m, str>, Range<usize>) {
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
        Headers::parse(raw, raw.len()).expect("headers")
    }

    #[test]
    fn a_value_never_runs_past_its_line() {
        let raw = b"Date: Thu, 20 Jun 2002 05:53:48 UT\nSubject: x\n folded\nTo: a@nhs.net\n\n";
        let h = parse(raw);
        let date = h.first("Date").expect("date");
        assert_eq!(&raw[date.value_span.clone()], b" Thu, 20 Jun 2002 05:53:48 UT");
        // (mail-parser 0.11 also loses the field after such a Date; the folded value
        // of a field it does read stays whole.)
        let raw = b"Subject: x\n folded\nTo: a@nhs.net\n\n";
        let h = parse(raw);
        let subject = h.first("Subject").expect("subject");
        assert_eq!(&raw[subject.value_span.clone()], b" x\n folded");
    }

    #[test]
    fn mangled_names_do_not_count() {
        let raw = b"Fr om: a@nhs.net\nFrom : b@nhs.net\nfrom: c@nhs.net\n\n";
        let h = parse(raw);
        let froms: Vec<_> = h.all("From").map(|f| &raw[f.value_span.clone()]).collect();
        assert_eq!(froms, vec![&b" c@nhs.net"[..]]);
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
    }
}
