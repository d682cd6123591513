//! The text view: what a recipient reads in each part that holds text, with a map from
//! every piece of it back to the raw bytes. Transfer and charset decoding first
//! (`decode`), then the format: HTML rendered (`html`), flowed text joined and calendar
//! and vCard lines unfolded (`lines`). The content rules read this view as `body.text`.

mod decode;
mod html;
mod lines;
mod map;

use std::ops::Range;

pub use decode::Transfer;
pub use map::SpanMap;

use super::mime::{Part, TextFormat};

/// One piece of text a recipient reads: a part's content as shown, or a forwarded
/// message's Subject.
#[derive(Debug)]
pub struct TextPiece {
    pub text: String,
    pub map: SpanMap,
    /// The raw bytes it was read from (the part's body, the Subject's value).
    pub span: Range<usize>,
}

impl TextPiece {
    /// Text read from `span` as a whole, each byte at its place when `exact`.
    pub fn whole(text: String, span: Range<usize>, exact: bool) -> Self {
        let map = if exact { SpanMap::identity(span.clone()) } else { SpanMap::block(span.clone()) };
        TextPiece { text, map, span }
    }
}

/// The text of `part` as its reader sees it; `None` when it holds no text.
pub fn render(raw: &[u8], part: &Part) -> Option<TextPiece> {
    let reading = part.text.as_ref()?;
    let (decoded, map) = decode::decode(raw, part.body.clone(), reading.transfer, reading.charset.as_deref());
    let (text, map) = match reading.format {
        TextFormat::Plain { flowed: false, .. } => (decoded, map),
        TextFormat::Plain { flowed: true, delsp } => lines::flowed(&decoded, &map, delsp),
        TextFormat::Html => html::render(&decoded, &map),
        TextFormat::Calendar => lines::content_lines(&decoded, &map, true),
        TextFormat::Directory => lines::content_lines(&decoded, &map, false),
    };
    Some(TextPiece { text, map, span: part.body.clone() })
}
