//! The text view: what a recipient reads in each part that holds text, with a map from
//! every piece of it back to the raw bytes. Transfer and charset decoding first
//! (`decode`), then the format: HTML rendered (`html`), flowed text joined and calendar
//! and vCard lines unfolded (`lines`). The content rules read this view as `body.text`.

pub(crate) mod decode;
mod html;
mod lines;
mod map;

use std::ops::Range;

pub(crate) use map::SpanMap;

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
    pub(crate) fn whole(text: String, span: Range<usize>, exact: bool) -> Self {
        let map = if exact { SpanMap::identity(span.clone()) } else { SpanMap::block(span.clone()) };
        TextPiece { text, map, span }
    }
}

/// The text of `part` after its transfer and charset decoding (the reading of
/// `body.raw`); `None` when it holds no text.
pub(crate) fn decode(raw: &[u8], part: &Part) -> Option<TextPiece> {
    let reading = part.text.as_ref()?;
    let (text, map) = decode::decode(raw, part.body.clone(), reading.transfer, reading.charset.as_deref());
    Some(TextPiece { text, map, span: part.body.clone() })
}

/// The text of `part` as its reader sees it, from its decoding (`decode`'s piece).
pub(crate) fn render(part: &Part, decoded: &TextPiece) -> Option<TextPiece> {
    let (text, map) = match part.text.as_ref()?.format {
        TextFormat::Plain { flowed: false, .. } => (decoded.text.clone(), decoded.map.clone()),
        TextFormat::Plain { flowed: true, delsp } => lines::flowed(&decoded.text, &decoded.map, delsp),
        TextFormat::Html => html::render(&decoded.text, &decoded.map),
        TextFormat::Calendar => lines::content_lines(&decoded.text, &decoded.map, true),
        TextFormat::Directory => lines::content_lines(&decoded.text, &decoded.map, false),
    };
    Some(TextPiece { text, map, span: decoded.span.clone() })
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use crate::mail::{MessageView, parse_buffer};

    const PIECES: &[&str] = &[
        "NHS ",
        "943",
        " 476 ",
        "5919",
        "&nbsp;",
        "&#160;",
        "&amp",
        "<b>",
        "</b>",
        "<p>",
        "</p>",
        "<br>",
        "<!-- c -->",
        "<!--",
        "-->",
        "<![CDATA[",
        "<svg>",
        "<a href=\"x?n=9434765919\">",
        "<script>s</script>",
        "=\n",
        "=3D",
        "=C3=A9",
        "\n",
        " \n",
        "\u{e9}",
        "\\,",
        "\\n",
        "<",
        ">",
        "\"",
        "\r\n ",
    ];

    proptest! {
        /// Whatever the bytes, every character of every piece of the text view maps inside
        /// the bytes it was read from, and where a map says the text is the bytes, it is.
        #[test]
        fn the_text_view_maps_inside_its_part(
            body in proptest::collection::vec(proptest::sample::select(PIECES), 0..24),
            content_type in proptest::sample::select(&[
                "text/html", "text/plain; format=flowed; delsp=yes", "text/calendar", "text/vcard", "text/csv",
                "text/plain; charset=iso-8859-1",
            ][..]),
            transfer in proptest::sample::select(&["7bit", "quoted-printable", "base64"][..]),
        ) {
            let body: String = body.concat();
            let encoded = if transfer == "base64" {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(body.as_bytes())
            } else {
                body
            };
            let raw = format!("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: {content_type}\nContent-Transfer-Encoding: {transfer}\n\n{encoded}\n--b--\n");
            let (buffer, size) = parse_buffer(raw.into_bytes());
            let view = MessageView::new(&buffer, size);
            for piece in view.text_view() {
                for (at, c) in piece.text.char_indices() {
                    let range = at..at + c.len_utf8();
                    let span = piece.map.span(range.clone()).expect("mapped");
                    prop_assert!(piece.span.start <= span.start && span.end <= piece.span.end, "{:?} of {:?}", span, piece.span);
                    if piece.map.is_exact(range.clone()) {
                        prop_assert_eq!(&buffer[span], piece.text[range].as_bytes());
                    }
                }
            }
        }
    }
}
