//! `--format markdown`: a summary for `$GITHUB_STEP_SUMMARY`, merge-request notes and
//! chat: totals, the matrix, the top rules, the first findings with `path:line`, a line
//! of provenance. Every list is capped, so the text stays far below GitHub's 1 MiB
//! step-summary limit whatever the scan's size; every value goes through `Markdown`,
//! so a Subject cannot add markup, links or HTML.

use std::fmt::{self, Write};

use askama::Template;

use super::aggregate::{MatrixRow, RuleView, View};

/// Requirements and rules listed at most (a pack may define many).
const ROWS: usize = 100;
/// Characters of one value shown at most.
const CELL: usize = 300;

#[derive(Template)]
#[template(path = "summary.md")]
struct Summary<'a> {
    v: &'a View<'a>,
    matrix: &'a [MatrixRow],
    matrix_more: usize,
    rules: &'a [RuleView<'a>],
    rules_more: usize,
    notes: &'a [String],
}

pub fn render(view: &View<'_>) -> askama::Result<String> {
    let matrix = &view.matrix[..view.matrix.len().min(ROWS)];
    let rules = &view.rules[..view.rules.len().min(15)];
    let notes = &view.end.notes[..view.end.notes.len().min(ROWS)];
    Summary {
        v: view,
        matrix,
        matrix_more: view.matrix.len() - matrix.len(),
        rules,
        rules_more: view.rules.len() - rules.len(),
        notes,
    }
    .render()
}

/// Text made inert in Markdown (and in the HTML GitHub allows in it): HTML's special
/// characters as entities, Markdown's punctuation backslash-escaped, line breaks and
/// control characters as spaces (a table cell stays one cell), cut at `CELL` characters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Markdown;

impl askama::filters::Escaper for Markdown {
    fn write_escaped_str<W: Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        for (i, c) in string.chars().enumerate() {
            if i == CELL {
                return dest.write_char('…');
            }
            match c {
                '<' => dest.write_str("&lt;")?,
                '>' => dest.write_str("&gt;")?,
                '&' => dest.write_str("&amp;")?,
                '"' => dest.write_str("&quot;")?,
                '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|' | '~' | '$' => {
                    dest.write_char('\\')?;
                    dest.write_char(c)?;
                }
                c if c.is_control() => dest.write_char(' ')?,
                c => dest.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::filters::Escaper;

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        Markdown.write_escaped_str(&mut out, text).expect("a String takes it");
        out
    }

    #[test]
    fn hostile_text_stays_text() {
        assert_eq!(escaped("<script>x</script>"), "&lt;script&gt;x&lt;/script&gt;");
        assert_eq!(escaped("\"><img onerror=alert(1)>"), "&quot;&gt;&lt;img onerror=alert\\(1\\)&gt;");
        assert_eq!(escaped("[a](javascript:x) | *b*\n# c"), "\\[a\\]\\(javascript:x\\) \\| \\*b\\* \\# c");
    }

    #[test]
    fn long_values_are_cut() {
        assert_eq!(escaped(&"a".repeat(1000)).chars().count(), CELL + 1);
    }
}
