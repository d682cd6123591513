//! HTML as its reader gets it, with lol_html (a streaming parser that gives every token's
//! source range): text with entities decoded and the tags between characters gone
//! (`943<span>476</span>5919` reads `9434765919`), a line break for each block element
//! and `<br>`, `<script>` and `<style>` left out. Text hidden by CSS and comments are
//! kept: they are still in the message. The attributes a reader is shown or a client
//! follows (`alt`, `title`, `href`, `src`) are read too, each on a line of its own.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;

use lol_html::html_content::TextType;
use lol_html::{ElementContentHandlers, HtmlRewriter, Selector, Settings, doc_comments, doc_text};

use super::map::{Emitter, SpanMap};
use crate::mail::bytes;

/// Elements that start and end a block of text on screen.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "title",
    "tr",
    "ul",
];

/// Void elements that break a line.
const BREAKS: &[&str] = &["br", "hr"];

const ATTRIBUTES: &[&str] = &["alt", "title", "href", "src"];

/// Every element: the handler picks `BLOCKS`, `BREAKS` and `ATTRIBUTES` itself. (A list of
/// those instead made lol_html build a larger matcher for every part and read every tag's
/// attributes to match it: twice the cost.)
const SELECTED: &str = "*";

thread_local! {
    /// `SELECTED`, parsed once a thread rather than for every part.
    static SELECTOR: Selector = SELECTED.parse().expect("a valid selector");
}

/// The rendered text of `input` (the decoded HTML, mapped by `map`).
pub fn render(input: &str, map: &SpanMap) -> (String, SpanMap) {
    SELECTOR.with(|selector| render_with(input, map, selector))
}

fn render_with(input: &str, map: &SpanMap, selector: &Selector) -> (String, SpanMap) {
    let state = RefCell::new(State { out: Emitter::new(map, input.len()), node: None, markup_from: 0 });
    let parsed = {
        let mut rewriter = HtmlRewriter::new(
            Settings {
                element_content_handlers: vec![(
                    Cow::Borrowed(selector),
                    ElementContentHandlers::default().element(|el: &mut lol_html::html_content::Element<'_, '_>| {
                        let at = el.source_location().bytes();
                        // The name and attributes as written: lol_html's own (`tag_name`,
                        // `Attribute::name`) are a new string each, for every element.
                        let tag = input.as_bytes().get(at.clone()).unwrap_or_default();
                        let name = tag_name(tag);
                        let out = &mut state.borrow_mut().out;
                        if is_one_of(name, BLOCKS) || is_one_of(name, BREAKS) {
                            out.line_break(at.clone());
                        }
                        if ATTRIBUTES.iter().any(|a| bytes::find_ignore_case(tag, a.as_bytes()).is_some()) {
                            for attr in el.attributes() {
                                let named = attr.name_source_location().is_some_and(|n| {
                                    is_one_of(input.as_bytes().get(n.bytes()).unwrap_or_default(), ATTRIBUTES)
                                });
                                if let (true, Some(value)) = (named, attr.value_source_location()) {
                                    out.line_break(at.clone());
                                    decode_entities(out, input, value.bytes());
                                    out.line_break(at.clone());
                                }
                            }
                        }
                        Ok(())
                    }),
                )],
                document_content_handlers: vec![
                    doc_text!(|chunk| {
                        let at = chunk.source_location().bytes();
                        let state = &mut *state.borrow_mut();
                        let whole = match state.node.take() {
                            Some(open) => open.start..at.end.max(open.end),
                            None => at,
                        };
                        if !chunk.last_in_text_node() {
                            state.node = Some(whole);
                            return Ok(());
                        }
                        state.end_blocks(input, whole.start);
                        let out = &mut state.out;
                        match chunk.text_type() {
                            TextType::ScriptData | TextType::RawText => {}
                            TextType::Data | TextType::RCData => decode_entities(out, input, whole.clone()),
                            TextType::PlainText | TextType::CDataSection => {
                                if let Some(text) = input.get(whole.clone()) {
                                    out.copy(text, whole.clone())
                                }
                            }
                        }
                        state.markup_from = whole.end;
                        Ok(())
                    }),
                    doc_comments!(|comment| {
                        let at = comment.source_location().bytes();
                        let state = &mut *state.borrow_mut();
                        state.end_blocks(input, at.start);
                        // `<!-- ... -->`, or left open to the end (then no `-->` to drop).
                        let written = input.get(at.clone()).unwrap_or_default();
                        let inner = written.strip_prefix("<!--").map(|c| c.strip_suffix("-->").unwrap_or(c));
                        if let Some(inner) = inner {
                            let from = at.start + 4..at.start + 4 + inner.len();
                            state.out.line_break(at.clone());
                            state.out.copy(inner, from);
                            state.out.line_break(at.clone());
                        }
                        state.markup_from = at.end;
                        Ok(())
                    }),
                ],
                strict: false,
                ..Settings::new()
            },
            |_: &[u8]| {},
        );
        rewriter.write(input.as_bytes()).and_then(|()| rewriter.end()).is_ok()
    };
    let out = state.into_inner().out;
    if parsed {
        return out.finish();
    }
    // lol_html gave up (it never should on text): read the markup as it stands, so
    // nothing goes unread.
    let mut whole = Emitter::new(map, input.len());
    whole.copy(input, 0..input.len());
    whole.finish()
}

/// What the handlers share: the text so far, the text node being read (lol_html may give
/// it in chunks), and where the markup since the last text starts.
struct State<'a> {
    out: Emitter<'a>,
    node: Option<Range<usize>>,
    markup_from: usize,
}

impl State<'_> {
    /// A line break for each block the markup before `to` ends (`</p>`, `</td>`): read from
    /// the source between two texts, instead of a handler lol_html would box for every
    /// block's end tag.
    fn end_blocks(&mut self, input: &str, to: usize) {
        let markup = input.as_bytes().get(self.markup_from..to).unwrap_or_default();
        let mut i = 0;
        while let Some(p) = memchr::memmem::find(&markup[i..], b"</") {
            let at = i + p;
            if is_one_of(tag_name(&markup[at..]), BLOCKS) {
                self.out.line_break(self.markup_from + at..self.markup_from + at + 2);
            }
            i = at + 2;
        }
    }
}

/// The name a tag's bytes (`<td ...>`, `</p>`) give it.
fn tag_name(tag: &[u8]) -> &[u8] {
    let name = tag.strip_prefix(b"</").or_else(|| tag.strip_prefix(b"<")).unwrap_or_default();
    &name[..name.iter().take_while(|c| c.is_ascii_alphanumeric()).count()]
}

fn is_one_of(name: &[u8], names: &[&str]) -> bool {
    names.iter().any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// `input[range]` with its character references decoded, each mapped to its own bytes.
fn decode_entities(out: &mut Emitter<'_>, input: &str, range: Range<usize>) {
    let Some(text) = input.get(range.clone()) else { return };
    let (mut i, mut run) = (0, 0);
    while let Some(p) = memchr::memchr(b'&', &text.as_bytes()[i..]) {
        let at = i + p;
        let len = reference_len(&text.as_bytes()[at..]);
        i = at + 1;
        if len == 0 {
            continue;
        }
        let reference = &text[at..at + len];
        let decoded = htmlize::unescape(reference);
        if decoded != reference {
            out.copy(&text[run..at], range.start + run..range.start + at);
            out.replace(&decoded, range.start + at..range.start + at + len);
            i = at + len;
            run = i;
        }
    }
    out.copy(&text[run..], range.start + run..range.end);
}

/// The length of the character reference `&...` starts with (a name or a number, with
/// its `;` when it has one), 0 when none does.
fn reference_len(b: &[u8]) -> usize {
    let body = match b.get(1) {
        Some(b'#') => match b.get(2) {
            Some(b'x' | b'X') => 3 + b[3..].iter().take(8).take_while(|c| c.is_ascii_hexdigit()).count(),
            _ => 2 + b[2..].iter().take(8).take_while(|c| c.is_ascii_digit()).count(),
        },
        Some(c) if c.is_ascii_alphabetic() => {
            1 + b[1..].iter().take(32).take_while(|c| c.is_ascii_alphanumeric()).count()
        }
        _ => return 0,
    };
    body + usize::from(b.get(body) == Some(&b';'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(html: &str) -> String {
        render(html, &SpanMap::identity(0..html.len())).0
    }

    /// Where `needle` of the rendered text stands in the HTML.
    fn source_of<'h>(html: &'h str, needle: &str) -> &'h str {
        let (text, map) = render(html, &SpanMap::identity(0..html.len()));
        let at = text.find(needle).unwrap_or_else(|| panic!("{needle:?} in {text:?}"));
        &html[map.span(at..at + needle.len()).expect("mapped")]
    }

    #[test]
    fn entities_are_decoded_and_tags_between_characters_removed() {
        assert!(rendered("<p>NHS&nbsp;943&#160;476&#x20;5919</p>").contains("NHS\u{a0}943\u{a0}476 5919"));
        assert!(rendered("943<span>476</span>5919").contains("9434765919"));
        assert!(rendered("a &amp; b &lt;c&gt; &eacute; &zzz; &").contains("a & b <c> \u{e9} &zzz; &"));
        // As a browser reads it: `&not` is one of the references a `;` may be left off.
        assert!(rendered("&notit;").contains("\u{ac}it;"));
    }

    #[test]
    fn blocks_and_breaks_are_lines_and_scripts_and_styles_are_not_read() {
        let text = rendered("<div>one</div>two<br>three<p>four</p>five<script>var x = 1;</script><style>p{}</style>");
        assert_eq!(text.trim(), "one\ntwo\nthree\nfour\nfive");
    }

    #[test]
    fn hidden_text_comments_and_attributes_are_read() {
        let text = rendered(
            "<span style=\"display:none\">hidden</span><!-- note --><img alt=\"scan &amp; letter\" src=\"x.png\"><a href=\"https://x.example/?nhs=9434765919\" title=\"t\">link</a>",
        );
        for part in ["hidden", " note ", "scan & letter", "x.png", "https://x.example/?nhs=9434765919", "t", "link"] {
            assert!(text.lines().any(|l| l.contains(part)), "{part:?} in {text:?}");
        }
    }

    #[test]
    fn findings_point_at_the_source() {
        let html = "<p>NHS 943&nbsp;476&nbsp;5919</p>";
        assert_eq!(source_of(html, "943\u{a0}476\u{a0}5919"), "943&nbsp;476&nbsp;5919");
        let html = "<td>943<b>476</b>5919</td>";
        assert_eq!(source_of(html, "9434765919"), "943<b>476</b>5919");
        let html = "<a href=\"/r?n=9434765919\">r</a>";
        assert_eq!(source_of(html, "9434765919"), "9434765919");
    }

    #[test]
    fn broken_markup_is_still_read() {
        for html in [
            "<p>unclosed <b>943 476 5919",
            "<<<>>> 943 476 5919 </div></div>",
            "<a href='x",
            "</p>",
            "<!-- caf\u{e9}",
            "<!-- 943 476 5919 \u{e9}\u{e9}",
            "<![CDATA[\u{e9}",
            "<svg><![CDATA[943 476 5919 \u{e9}]]></svg>",
        ] {
            let text = rendered(html);
            if html.contains("943") {
                assert!(text.contains("943 476 5919"), "{html:?} gave {text:?}");
            }
        }
    }
}
