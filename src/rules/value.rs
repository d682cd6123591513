//! What a field reads: its kind (which decides the operators that apply) and each value,
//! with the bytes it stands at. Shared by message fields (`field`) and config fields
//! (`config_field`).

use std::borrow::Cow;
use std::ops::Range;

use crate::mail::{MessageView, SpanMap};

/// What a field's values are, which decides the operators that make sense on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    /// Addresses and domains compare case-insensitively.
    Address,
    Number,
    /// A number of bytes: limits may be written `35MiB`.
    Size,
    /// Only `present` / `absent` apply.
    Presence,
}

/// One value of a field in one message.
#[derive(Debug, Clone)]
pub(crate) struct Value<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) number: Option<u64>,
    pub(crate) span: Range<usize>,
    /// `text` is byte-for-byte what stands at `span`, so offsets into it are offsets
    /// into the message.
    pub(crate) exact: bool,
    /// Where each piece of `text` came from, when it was decoded or rendered.
    pub(crate) map: Option<&'a SpanMap>,
}

impl<'a> Value<'a> {
    pub(crate) fn text(text: Cow<'a, str>, span: Range<usize>, exact: bool) -> Self {
        Value { text, number: None, span, exact, map: None }
    }

    /// Text read through decoding or rendering, `map` saying where each piece stands.
    pub(crate) fn mapped(text: &'a str, span: Range<usize>, map: &'a SpanMap) -> Self {
        Value { text: Cow::Borrowed(text), number: None, span, exact: false, map: Some(map) }
    }

    pub(crate) fn number(n: u64, span: Range<usize>) -> Self {
        Value { text: Cow::Borrowed(""), number: Some(n), span, exact: false, map: None }
    }

    /// How the value reads in a message.
    pub(crate) fn display(&self) -> Cow<'_, str> {
        match self.number {
            Some(n) => Cow::Owned(n.to_string()),
            None => Cow::Borrowed(&self.text),
        }
    }

    /// The span in the message of `range`, a byte range of `text`.
    pub(crate) fn sub_span(&self, view: Option<&MessageView<'_>>, range: Range<usize>) -> Range<usize> {
        if range.start == 0 && range.end == self.text.len() {
            return self.span.clone();
        }
        if let Some(span) = self.map.and_then(|m| m.span(range.clone())) {
            return span;
        }
        match view {
            _ if self.exact => self.span.start + range.start..self.span.start + range.end,
            Some(view) => view.locate(self.span.clone(), &self.text[range]),
            None => self.span.clone(),
        }
    }
}
