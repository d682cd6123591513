//! A rule's `fix:`: how its finding becomes an edit of the message (`--fix`, `--diff`),
//! and how safe that edit is. Each way of editing is one variant here with its tests; an
//! edit is offered only where the bytes it replaces are the bytes the rule judged, so a
//! folded, encoded or otherwise unusual header gets no fix rather than a wrong one.

use std::ops::Range;

use serde::Deserialize;

use crate::findings::fix::{Applicability, Fix};

/// `fix:` in a rule (docs/rules.md, "Fixes").
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FixSpec {
    /// `safe` (applied by `--fix`) or `unsafe` (only with `--unsafe-fixes`).
    pub(crate) applicability: Applicability,
    /// How the edit is made.
    pub(crate) edit: Edit,
}

/// The ways a finding is edited.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Edit {
    /// The function's own suggestion (`{{fix}}`) in place of what it names.
    Suggestion,
    /// This text put before the value (`prepend: "[secure] "`).
    Prepend(String),
    /// A header line over the limit folded at its white space (none when it has none).
    Fold,
    /// A display name of two words, `Firstname Lastname`, quoted as `"Lastname, Firstname"`.
    LastnameFirst,
}

/// What a finding offers an edit from: the bytes it stands at, the value as read, and a
/// function's suggestion with the bytes it replaces.
pub(crate) struct Judged<'v> {
    pub(crate) span: Range<usize>,
    pub(crate) value: &'v str,
    pub(crate) suggestion: Option<(Range<usize>, &'v str)>,
}

impl FixSpec {
    /// The edit of `raw` (a message whose header block ends at `header_end`) for `judged`.
    pub(crate) fn fix(&self, raw: &[u8], header_end: usize, judged: &Judged<'_>) -> Option<Fix> {
        let at = |span: &Range<usize>| raw.get(span.clone());
        let (span, replacement) = match &self.edit {
            Edit::Suggestion => {
                let (span, text) = judged.suggestion.clone()?;
                (span, text.to_owned())
            }
            Edit::Prepend(text) => {
                // The value must stand at its span as read: a missing field has none.
                (!judged.value.is_empty() && at(&judged.span)? == judged.value.as_bytes())
                    .then(|| (judged.span.start..judged.span.start, text.clone()))?
            }
            Edit::Fold => {
                let line = at(&judged.span).filter(|_| judged.span.end <= header_end)?;
                (judged.span.clone(), fold(line, line_ending(raw, judged.span.end))?)
            }
            Edit::LastnameFirst => {
                // The name with its quotes, whether the span takes them in or not.
                let mut span = judged.span.clone();
                if span.start > 0 && raw.get(span.start - 1) == Some(&b'"') && raw.get(span.end) == Some(&b'"') {
                    span = span.start - 1..span.end + 1;
                }
                let written = at(&span)?;
                let bare = written.strip_prefix(b"\"").and_then(|w| w.strip_suffix(b"\"")).unwrap_or(written);
                (bare == judged.value.as_bytes()).then_some(())?;
                (span, lastname_first(judged.value)?)
            }
        };
        Some(Fix { applicability: self.applicability, span, replacement })
    }
}

/// The line ending the message uses after `end`, for the lines a fold adds.
fn line_ending(raw: &[u8], end: usize) -> &'static str {
    if raw.get(end) == Some(&b'\r') { "\r\n" } else { "\n" }
}

/// The longest a folded line may be: RFC 5322's limit less a margin for the line end.
const LIMIT: usize = 998;

/// `line` folded before white space so that no line exceeds the limit; `None` when a
/// stretch without white space is longer than the limit (no fold can help).
fn fold(line: &[u8], ending: &str) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?;
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while rest.len() > LIMIT {
        // The last white space the line may break before, not at its very start.
        let window = &rest[..=LIMIT.min(rest.len() - 1)];
        let cut = window.char_indices().rev().find(|&(i, c)| i > 0 && (c == ' ' || c == '\t')).map(|(i, _)| i)?;
        out.push_str(&rest[..cut]);
        out.push_str(ending);
        rest = &rest[cut..];
    }
    out.push_str(rest);
    Some(out)
}

/// `Pathology Results` -> `"Results, Pathology"`; `None` unless the name is two words of
/// letters (hyphens and apostrophes within), which is all the order can be told from.
fn lastname_first(name: &str) -> Option<String> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let word =
        |w: &str| w.chars().all(|c| c.is_alphabetic() || c == '-' || c == '\'') && w.starts_with(char::is_alphabetic);
    match words.as_slice() {
        [first, last] if word(first) && word(last) => Some(format!("\"{last}, {first}\"")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(edit: Edit) -> FixSpec {
        FixSpec { applicability: Applicability::Safe, edit }
    }

    #[test]
    fn prepend_goes_before_the_value_and_never_where_there_is_none() {
        let raw = b"Subject: Results\r\n\r\nbody";
        let judged = Judged { span: 9..16, value: "Results", suggestion: None };
        let fix = spec(Edit::Prepend("[secure] ".into())).fix(raw, 18, &judged).expect("fix");
        assert_eq!((fix.span, fix.replacement.as_str()), (9..9, "[secure] "));
        let missing = Judged { span: 18..18, value: "", suggestion: None };
        assert!(spec(Edit::Prepend("[secure] ".into())).fix(raw, 18, &missing).is_none());
        // Read through an encoded word, the value is not the bytes: no fix.
        let encoded = Judged { span: 9..16, value: "Résults", suggestion: None };
        assert!(spec(Edit::Prepend("[secure] ".into())).fix(raw, 18, &encoded).is_none());
    }

    #[test]
    fn a_long_header_line_is_folded_at_white_space_and_a_body_line_is_not() {
        let value = "word ".repeat(300);
        let raw = format!("X-Long: {value}\r\n\r\nbody");
        let line_end = 8 + value.len();
        let judged = Judged { span: 0..line_end, value: "1508", suggestion: None };
        let fix = spec(Edit::Fold).fix(raw.as_bytes(), line_end, &judged).expect("fold");
        assert!(fix.replacement.split("\r\n").all(|l| l.len() <= LIMIT), "every line within the limit");
        assert!(fix.replacement.split("\r\n").skip(1).all(|l| l.starts_with(' ')), "each new line is a continuation");
        assert_eq!(fix.replacement.replace("\r\n", ""), raw[..line_end], "unfolded, the same header");
        assert!(spec(Edit::Fold).fix(raw.as_bytes(), 0, &judged).is_none(), "not in the header block");
        let unbroken = format!("X-Long: {}\n\n", "x".repeat(1200));
        let judged = Judged { span: 0..1208, value: "1208", suggestion: None };
        assert!(spec(Edit::Fold).fix(unbroken.as_bytes(), 1208, &judged).is_none(), "no white space: no fix");
    }

    #[test]
    fn two_words_are_reordered_and_anything_else_is_left() {
        assert_eq!(lastname_first("Pathology Results").as_deref(), Some("\"Results, Pathology\""));
        assert_eq!(lastname_first("Mary-Jane O'Neil").as_deref(), Some("\"O'Neil, Mary-Jane\""));
        assert_eq!(lastname_first("Pathology"), None);
        assert_eq!(lastname_first("St James Hospital"), None);
        let raw = b"From: \"Pathology Results\" <p@nhs.net>\n";
        let judged = Judged { span: 6..25, value: "Pathology Results", suggestion: None };
        let fix = spec(Edit::LastnameFirst).fix(raw, 40, &judged).expect("fix");
        assert_eq!((fix.span, fix.replacement.as_str()), (6..25, "\"Results, Pathology\""));
        // The same name read inside its quotes: the quotes are replaced with it.
        let inside = Judged { span: 7..24, value: "Pathology Results", suggestion: None };
        assert_eq!(spec(Edit::LastnameFirst).fix(raw, 40, &inside).expect("fix").span, 6..25);
    }
}
