//! HTML as its reader gets it, with lol_html (a streaming parser that gives every token's
//! source range): text with entities decoded and the tags between characters gone
//! (`943<span>476</span>5919` reads `9434765919`), a line break for each block element
//! and `<br>`, `<script>` and `<style>` left out. Text hidden by CSS and comments are
//! kept: they are still in the message. The attributes a reader is shown or a client
//! follows (`alt`, `title`, `href`, `src`) are read too, each on a line of its own.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use lol_html::html_content::TextType;
use lol_html::{HtmlRewriter, Settings, doc_comments, doc_text, element, end_tag};

use super::map::{Emitter, SpanMap};

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

/// The rendered text of `input` (the decoded HTML, mapped by `map`).
pub fn render(input: &str, map: &SpanMap) -> (String, SpanMap) {
    let out = Rc::new(RefCell::new(Emitter::new(map, input.len())));
    let node = RefCell::new(None::<Range<usize>>);
    // End-tag handlers must own what they hold, and the emitter borrows `map`: a block's
    // end leaves its line break here, written before whatever comes next.
    let ended: Rc<RefCell<Option<Range<usize>>>> = Rc::default();
    let flush = |out: &mut Emitter<'_>, ended: &RefCell<Option<Range<usize>>>| {
        if let Some(at) = ended.borrow_mut().take() {
            out.line_break(at);
        }
    };
    let parsed = {
        let text_out = out.clone();
        let element_out = out.clone();
        let comment_out = out.clone();
        let (text_ended, element_ended, comment_ended) = (ended.clone(), ended.clone(), ended.clone());
        let mut rewriter = HtmlRewriter::new(
            Settings {
                element_content_handlers: vec![element!("*", move |el| {
                    let at = el.source_location().bytes();
                    let name = el.tag_name();
                    let mut out = element_out.borrow_mut();
                    flush(&mut out, &element_ended);
                    let block = BLOCKS.contains(&name.as_str());
                    if block || BREAKS.contains(&name.as_str()) {
                        out.line_break(at.clone());
                    }
                    for attr in el.attributes() {
                        if ATTRIBUTES.contains(&attr.name().as_str())
                            && let Some(value) = attr.value_source_location()
                        {
                            out.line_break(at.clone());
                            decode_entities(&mut out, input, value.bytes());
                            out.line_break(at.clone());
                        }
                    }
                    if block && el.can_have_content() {
                        let ended = element_ended.clone();
                        el.on_end_tag(end_tag!(move |end| {
                            *ended.borrow_mut() = Some(end.source_location().bytes());
                            Ok(())
                        }))?;
                    }
                    Ok(())
                })],
                document_content_handlers: vec![
                    doc_text!(move |chunk| {
                        let at = chunk.source_location().bytes();
                        let mut node = node.borrow_mut();
                        let whole = match node.take() {
                            Some(open) => open.start..at.end.max(open.end),
                            None => at,
                        };
                        if !chunk.last_in_text_node() {
                            *node = Some(whole);
                            return Ok(());
                        }
                        let mut out = text_out.borrow_mut();
                        flush(&mut out, &text_ended);
                        match chunk.text_type() {
                            TextType::ScriptData | TextType::RawText => {}
                            TextType::Data | TextType::RCData => decode_entities(&mut out, input, whole),
                            TextType::PlainText | TextType::CDataSection => out.copy(&input[whole.clone()], whole),
                        }
                        Ok(())
                    }),
                    doc_comments!(move |comment| {
                        let at = comment.source_location().bytes();
                        let inner = at.start + 4..at.end.saturating_sub(3).max(at.start + 4);
                        let mut out = comment_out.borrow_mut();
                        flush(&mut out, &comment_ended);
                        if input.get(at.clone()).is_some_and(|c| c.starts_with("<!--")) && inner.end <= input.len() {
                            out.line_break(at.clone());
                            out.copy(&input[inner.clone()], inner);
                            out.line_break(at);
                        }
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
    let out = Rc::try_unwrap(out).ok().expect("the rewriter is gone").into_inner();
    if parsed {
        return out.finish();
    }
    // lol_html gave up (it never should on text): read the markup as it stands, so
    // nothing goes unread.
    let mut whole = Emitter::new(map, input.len());
    whole.copy(input, 0..input.len());
    whole.finish()
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
        for html in ["<p>unclosed <b>943 476 5919", "<<<>>> 943 476 5919 </div></div>", "<a href='x", "</p>"] {
            let text = rendered(html);
            if html.contains("943") {
                assert!(text.contains("943 476 5919"), "{html:?} gave {text:?}");
            }
        }
    }
}
