//! HTML as its reader gets it. lol_html (a streaming parser that gives every token's
//! source range) says what is text, what is markup and what kind of text it is; the tags
//! between two texts are read from the source. What is read: text with entities decoded and
//! the tags between characters gone (`943<span>476</span>5919` reads `9434765919`), a line
//! break for each block element and `<br>`; not `<script>` or `<style>`, whose content no
//! reader is shown (`<noscript>`, `<xmp>` and the other raw-text elements are read). Text
//! hidden by CSS and comments are kept: they are still in the message. The attributes a
//! reader is shown or a client follows (`alt`, `title`, `href`, `src`; links with their
//! `%XX` escapes read) are read too, each on a line of its own at the next line break, so
//! that they never split the text they stand in.
//!
//! No element handler is registered: with one, lol_html keeps a stack of open elements
//! and searches it at every end tag, which costs the square of the input when tags are
//! left open (`<b>` 100,000 times, then `</i>` as often).

use std::cell::RefCell;
use std::ops::Range;

use lol_html::html_content::TextType;
use lol_html::{HtmlRewriter, Settings, doc_comments, doc_text};

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

/// Attributes whose value is a link: `%XX` escapes are read as the characters they stand for.
const LINKS: &[&str] = &["href", "src"];

/// The rendered text of `input` (the decoded HTML, mapped by `map`).
pub(crate) fn render(input: &str, map: &SpanMap) -> (String, SpanMap) {
    let state = RefCell::new(State {
        out: Emitter::new(map, input.len()),
        node: None,
        markup_from: 0,
        last_tag: 0..0,
        attributes: Vec::new(),
    });
    let parsed = {
        let mut rewriter = HtmlRewriter::new(
            Settings {
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
                        state.markup(input, whole.start);
                        let hidden = match chunk.text_type() {
                            TextType::ScriptData => true,
                            TextType::RawText => {
                                tag_name(input.as_bytes().get(state.last_tag.clone()).unwrap_or_default())
                                    .eq_ignore_ascii_case(b"style")
                            }
                            _ => false,
                        };
                        if !hidden {
                            let references = chunk.text_type().allows_html_entities();
                            decode(&mut state.out, input, whole.clone(), references, false);
                        }
                        state.markup_from = whole.end;
                        Ok(())
                    }),
                    doc_comments!(|comment| {
                        let at = comment.source_location().bytes();
                        let state = &mut *state.borrow_mut();
                        state.markup(input, at.start);
                        // `<!-- ... -->`, or left open to the end (then no `-->` to drop).
                        let written = input.get(at.clone()).unwrap_or_default();
                        let inner = written.strip_prefix("<!--").map(|c| c.strip_suffix("-->").unwrap_or(c));
                        if let Some(inner) = inner {
                            let from = at.start + 4..at.start + 4 + inner.len();
                            state.line_break(input, at.clone());
                            state.out.copy(inner, from);
                            state.line_break(input, at.clone());
                        }
                        state.markup_from = at.end.max(state.markup_from);
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
    let mut state = state.into_inner();
    if parsed {
        state.markup(input, input.len());
        state.line_break(input, input.len()..input.len());
        return state.out.finish();
    }
    // lol_html gave up (it never should on text): read the markup as it stands, so
    // nothing goes unread.
    let mut whole = Emitter::new(map, input.len());
    whole.copy(input, 0..input.len());
    whole.finish()
}

/// What the handlers share: the text so far, the text node being read (lol_html may give
/// it in chunks), where the markup since the last text starts, the last start tag read, and
/// the attribute values waiting for the next line break.
struct State<'a> {
    out: Emitter<'a>,
    node: Option<Range<usize>>,
    markup_from: usize,
    last_tag: Range<usize>,
    attributes: Vec<(Range<usize>, bool)>,
}

impl State<'_> {
    /// Reads the tags of the markup from `markup_from` to `to` (lol_html has said it is no
    /// text and no comment): a line break for each block start or end and `<br>`, and the
    /// values of the attributes a reader is shown or a client follows.
    fn markup(&mut self, input: &str, to: usize) {
        let from = self.markup_from.min(to);
        let markup = input.as_bytes().get(from..to).unwrap_or_default();
        let mut i = 0;
        while let Some(p) = memchr::memchr(b'<', &markup[i..]) {
            let at = i + p;
            let end = tag_end(markup, at);
            let tag = &markup[at..end];
            let name = tag_name(tag);
            if !name.is_empty() {
                if is_one_of(name, BLOCKS) || (tag[1] != b'/' && is_one_of(name, BREAKS)) {
                    self.line_break(input, from + at..from + end);
                }
                if tag[1] != b'/' {
                    self.last_tag = from + at..from + end;
                    // Most tags have none of the attributes: read them only where one is written.
                    let named = ATTRIBUTES.iter().any(|a| bytes::find_ignore_case(tag, a.as_bytes()).is_some());
                    for (attribute, value) in attributes(tag).into_iter().filter(|_| named) {
                        if is_one_of(attribute, ATTRIBUTES) {
                            let link = is_one_of(attribute, LINKS);
                            self.attributes.push((from + at + value.start..from + at + value.end, link));
                        }
                    }
                }
            }
            i = end.max(at + 1);
        }
    }

    /// A line break, after the attribute values read since the last one.
    fn line_break(&mut self, input: &str, at: Range<usize>) {
        self.out.line_break(at.clone());
        for (value, link) in std::mem::take(&mut self.attributes) {
            decode(&mut self.out, input, value, true, link);
            self.out.line_break(at.clone());
        }
    }
}

/// Where the tag starting at `at` ends: past its `>` outside quotes, or the end.
fn tag_end(markup: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    while let Some(p) = memchr::memchr3(b'>', b'"', b'\'', &markup[i..]) {
        let c = i + p;
        if markup[c] == b'>' {
            return c + 1;
        }
        // A quote opens a value only after `=` or white space (`<a href="x>y">`).
        if markup[c - 1] == b'=' || markup[c - 1].is_ascii_whitespace() {
            match memchr::memchr(markup[c], &markup[c + 1..]) {
                Some(q) => i = c + 1 + q + 1,
                None => return markup.len(),
            }
        } else {
            i = c + 1;
        }
    }
    markup.len()
}

/// The name a tag's bytes (`<td ...>`, `</p>`) give it.
fn tag_name(tag: &[u8]) -> &[u8] {
    let name = tag.strip_prefix(b"</").or_else(|| tag.strip_prefix(b"<")).unwrap_or_default();
    &name[..name.iter().take_while(|c| c.is_ascii_alphanumeric()).count()]
}

fn is_one_of(name: &[u8], names: &[&str]) -> bool {
    names.iter().any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// The attributes of a start tag's bytes: each name, and the range of its value (inside
/// the quotes) within `tag`.
fn attributes(tag: &[u8]) -> Vec<(&[u8], Range<usize>)> {
    let mut out = Vec::new();
    let end = tag.len() - usize::from(tag.ends_with(b">"));
    let mut i = 1 + tag_name(tag).len();
    let space = |c: &u8| c.is_ascii_whitespace() || *c == b'/';
    while i < end {
        i += tag[i..end].iter().take_while(|c| space(c)).count();
        let name_len = tag[i..end].iter().take_while(|c| !space(c) && **c != b'=').count();
        let name = &tag[i..i + name_len];
        i += name_len;
        i += tag[i..end].iter().take_while(|c| c.is_ascii_whitespace()).count();
        if tag.get(i) != Some(&b'=') || i >= end {
            i += usize::from(name_len == 0);
            continue;
        }
        i += 1;
        i += tag[i..end].iter().take_while(|c| c.is_ascii_whitespace()).count();
        let value = match tag.get(i) {
            Some(q @ (b'"' | b'\'')) if i < end => {
                let close = tag[i + 1..end].iter().position(|c| c == q).map_or(end, |p| i + 1 + p);
                let value = i + 1..close;
                i = close + 1;
                value
            }
            _ => {
                let len = tag[i..end].iter().take_while(|c| !c.is_ascii_whitespace()).count();
                let value = i..i + len;
                i += len;
                value
            }
        };
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// `input[range]` with its character references decoded when `references` (not in raw
/// text), and, in a link, its `%XX` escapes: each mapped to its own bytes.
fn decode(out: &mut Emitter<'_>, input: &str, range: Range<usize>, references: bool, link: bool) {
    let Some(text) = input.get(range.clone()) else { return };
    let b = text.as_bytes();
    // In a link's query, `+` is a space (`?nhs=943+476+5919`).
    let query = if link { memchr::memchr(b'?', b).unwrap_or(b.len()) } else { b.len() };
    let next = |from: usize| match (references, link) {
        (_, true) => memchr::memchr3(b'&', b'%', b'+', &b[from..]),
        (true, false) => memchr::memchr(b'&', &b[from..]),
        (false, false) => None,
    };
    let (mut i, mut run) = (0, 0);
    while let Some(p) = next(i) {
        let at = i + p;
        i = at + 1;
        if (b[at] == b'+' && at < query) || (b[at] == b'&' && !references) {
            continue;
        }
        let (len, decoded) = if b[at] == b'+' {
            (1, std::borrow::Cow::Borrowed(" "))
        } else if b[at] == b'%' {
            match b.get(at + 1..at + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()) {
                Some(byte) if byte.is_ascii() => (3, std::borrow::Cow::Owned(char::from(byte).to_string())),
                _ => continue,
            }
        } else {
            let len = reference_len(&b[at..]);
            if len == 0 {
                continue;
            }
            (len, htmlize::unescape(&text[at..at + len]))
        };
        if decoded != text[at..at + len] {
            out.copy(&text[run..at], range.start + run..range.start + at);
            out.replace(&decoded, range.start + at..range.start + at + len);
            i = at + len;
            run = i;
        }
    }
    out.copy(&text[run..], range.start + run..range.end);
}

/// The length of the character reference `&...` starts with (a name or a number, with
/// its `;` when it has one), 0 when none does. Leading zeros of a number count for
/// nothing (`&#0000000057;` is `9`).
fn reference_len(b: &[u8]) -> usize {
    let digits = |from: usize, hex: bool| {
        let zeros = b[from..].iter().take_while(|c| **c == b'0').count();
        let significant = b[from + zeros..]
            .iter()
            .take(8)
            .take_while(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() });
        from + zeros + significant.count()
    };
    let body = match b.get(1) {
        Some(b'#') => match b.get(2) {
            Some(b'x' | b'X') => digits(3, true),
            _ => digits(2, false),
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
    fn raw_text_other_than_style_is_read() {
        let text = rendered("<noscript>Patient 943 476 5919</noscript><xmp>a &amp; b</xmp><style>p { x: 1 }</style>");
        assert!(text.contains("Patient 943 476 5919"), "{text:?}");
        assert!(text.contains("a &amp; b"), "raw text keeps its references: {text:?}");
        assert!(!text.contains("x: 1"), "{text:?}");
    }

    #[test]
    fn links_are_read_as_followed_and_attributes_never_split_text() {
        let text =
            rendered("<p>943<span title=\"t\">476</span>5919 <a href=\"/r?nhs=943%20476+5919&amp;x=1\">view</a></p>");
        assert!(text.contains("9434765919 view"), "{text:?}");
        assert!(text.lines().any(|l| l == "/r?nhs=943 476 5919&x=1"), "{text:?}");
        let html = "<a href=\"/r?n=943%20476%205919\">r</a>";
        assert_eq!(source_of(html, "943 476 5919"), "943%20476%205919");
        // Leading zeros of a numeric reference count for nothing.
        assert!(rendered("&#0000000057;43").contains("943"));
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
