//! `--format markdown`: a summary for `$GITHUB_STEP_SUMMARY`, merge-request notes and
//! chat: totals, the matrix, the top rules, the first findings with `path:line`, a line
//! of provenance. Every list is capped, so the text stays far below GitHub's 1 MiB
//! step-summary limit whatever the scan's size; every value goes through `Markdown`,
//! so a Subject cannot add markup, links or HTML.

use std::fmt::{self, Write};

use askama::Template;

use super::provenance::Hashed;
use super::row::MatrixRow;
use super::tally::{Example, FIRST};
use super::view::{FailingRequirement, RuleView, View};

/// Requirements and rules listed at most (a pack may define many).
const ROWS: usize = 100;
/// Characters of one value shown at most.
const CELL: usize = 300;
/// Rule packs named in the provenance line at most (`--rules` takes any number).
const PACKS: usize = 10;
/// Bytes the summary may take: under GitHub's 1 MiB step-summary limit with room for
/// what a job appends. The caps above keep a summary far below it; this bound holds
/// whatever a pack's ids, notes and messages hold (an escaped character takes up to
/// six bytes).
pub(crate) const BUDGET: usize = 1_000_000;

#[derive(Template)]
#[template(path = "summary.md")]
struct Summary<'a> {
    v: &'a View<'a>,
    failing: &'a [FailingRequirement<'a>],
    failing_more: usize,
    matrix: &'a [MatrixRow],
    matrix_more: usize,
    rules: &'a [RuleView<'a>],
    rules_more: usize,
    setup: &'a [Example],
    /// Findings not listed: those after the first, set-up findings beyond the cap.
    findings_more: usize,
    notes: &'a [String],
    packs: &'a [Hashed],
    packs_more: usize,
}

pub(crate) fn render(view: &View<'_>) -> askama::Result<String> {
    let matrix = &view.matrix[..view.matrix.len().min(ROWS)];
    let failing = &view.failing[..view.failing.len().min(ROWS)];
    let rules = &view.rules[..view.rules.len().min(15)];
    let notes = &view.end.notes[..view.end.notes.len().min(ROWS)];
    let setup = &view.setup_findings[..view.setup_findings.len().min(FIRST)];
    let packs = &view.end.run.packs[..view.end.run.packs.len().min(PACKS)];
    let text = Summary {
        v: view,
        failing,
        failing_more: view.failing.len() - failing.len(),
        matrix,
        matrix_more: view.matrix.len() - matrix.len(),
        rules,
        rules_more: view.rules.len() - rules.len(),
        setup,
        findings_more: view.more_findings + (view.setup_findings.len() - setup.len()),
        notes,
        packs,
        packs_more: view.end.run.packs.len() - packs.len(),
    }
    .render()?;
    Ok(within_budget(text))
}

impl Summary<'_> {
    fn n(&self, n: &usize) -> String {
        super::count(*n)
    }

    /// Text made inert, with its `backquoted` spans (config keys, flags) as code spans,
    /// so a reader sees code, not escaped backquotes.
    fn code(&self, text: &str) -> String {
        code_spans(text)
    }
}

fn code_spans(text: &str) -> String {
    use askama::filters::Escaper;
    let parts: Vec<&str> = text.split('`').collect();
    // An odd number of backquotes: the last one opens nothing, and stays text.
    let unpaired = parts.len().is_multiple_of(2).then(|| parts.len() - 1);
    let mut out = String::new();
    for (i, part) in parts.into_iter().enumerate() {
        if Some(i) == unpaired {
            out.push_str("\\`");
        } else if i % 2 == 1 {
            // A code span shows its inside as it is: only a table's cell break and line
            // breaks need care.
            let inner: String = part.chars().take(CELL).map(|c| if c.is_control() { ' ' } else { c }).collect();
            // An empty span is no span in Markdown: a space stands for the nothing quoted.
            let inner = if inner.is_empty() { " ".to_owned() } else { inner.replace('|', "\\|") };
            out.push('`');
            out.push_str(&inner);
            out.push('`');
            continue;
        }
        let _ = Markdown.write_escaped_str(&mut out, part);
    }
    out
}

/// The summary cut, at a line's end, to `BUDGET` bytes, keeping its last line (the
/// provenance) and saying that it was cut.
fn within_budget(text: String) -> String {
    if text.len() <= BUDGET {
        return text;
    }
    const CUT: &str =
        "\n\n*The summary was cut here to stay under GitHub's 1 MiB limit; the HTML or JSON report has it all.*\n\n";
    let body = text.trim_end_matches('\n');
    let (body, last) = body.rsplit_once('\n').unwrap_or(("", body));
    let room = BUDGET.saturating_sub(last.len() + CUT.len() + 1);
    let end = truncate_bytes(body, room).rfind('\n').unwrap_or(0);
    format!("{}{CUT}{}\n", &body[..end], truncate_bytes(last, BUDGET / 2))
}

/// At most `max` bytes of `text`, cut at a character's boundary.
fn truncate_bytes(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max)]
}

/// Text made inert in Markdown (and in the HTML GitHub allows in it): HTML's special
/// characters as entities, Markdown's punctuation backslash-escaped, line breaks and
/// control characters as spaces (a table cell stays one cell), web addresses kept from
/// becoming links, cut at `CELL` characters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Markdown;

impl askama::filters::Escaper for Markdown {
    fn write_escaped_str<W: Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        for (i, (at, c)) in string.char_indices().enumerate() {
            if i == CELL {
                return dest.write_char('…');
            }
            // GitHub turns `https://...` and `www.` in plain text into links: a zero-width
            // space keeps a message's address text, never a link to follow.
            let rest = &string[at..];
            let word_start = !string[..at].ends_with(char::is_alphanumeric);
            let www = word_start && rest.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("www."));
            if www || (c == ':' && rest.starts_with("://")) {
                dest.write_str("&#8203;")?;
            }
            match c {
                '<' => dest.write_str("&lt;")?,
                '>' => dest.write_str("&gt;")?,
                '&' => dest.write_str("&amp;")?,
                // Brackets escaped, `(` cannot start a link; quotes matter only in HTML attributes.
                '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '#' | '+' | '!' | '|' | '~' | '$' => {
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
        assert_eq!(escaped("\"><img onerror=alert(1)>"), "\"&gt;&lt;img onerror=alert(1)&gt;");
        assert_eq!(escaped("[a](javascript:x) | *b*\n# c"), "\\[a\\](javascript:x) \\| \\*b\\* \\# c");
    }

    /// A run whose every value is as long and as costly to escape as it can be: a pack
    /// with hundreds of requirements and set-up rules, many packs, hostile messages.
    #[test]
    fn the_summary_fits_the_step_summary_limit_whatever_the_pack_and_messages_hold() {
        use super::super::coverage::RunCoverage;
        use super::super::provenance::{Build, Hashed, Provenance};
        use super::super::tally::Example;
        use super::super::{Ending, Summary};
        use crate::findings::diagnostic::Severity;

        let hostile = "&\"<|".repeat(200);
        let example = |n: usize| Example {
            path: format!("{hostile}{n}.eml"),
            line: n,
            column: 1,
            severity: Severity::Error,
            rule: hostile.as_str().into(),
            message: hostile.clone(),
            excerpt: None,
        };
        let run = Provenance {
            build: Build::current(),
            command: "check",
            packs: (0..5000)
                .map(|n| Hashed { name: format!("{hostile}{n}"), sha256: "0".repeat(64), found: None })
                .collect(),
            config: None,
            inputs: Vec::new(),
            started: String::new(),
            finished: String::new(),
            host: hostile.clone(),
            files: 1,
            messages: 1,
            bytes: 1,
            shard: None,
            run_id: None,
            shards: Vec::new(),
        };
        let end = Ending {
            summary: Summary::default(),
            notes: vec![hostile.clone(); 5000],
            run,
            baseline_known: 0,
            ignored: 0,
            exit_code: 1,
        };
        let row = |n: usize| MatrixRow {
            id: format!("{hostile}{n}"),
            verb: crate::rules::spec::Verb::Must,
            sentence: hostile.clone(),
            verdict: super::super::row::RequirementVerdict::Failing,
            checked: Some(n),
            failing: Some(n),
            percent: Some("0.0%".into()),
            note: hostile.clone(),
            change: None,
        };
        let coverage = RunCoverage::default();
        let first: Vec<Example> = (0..FIRST).map(example).collect();
        let setup: Vec<Example> = (0..5000).map(example).collect();
        let view = View {
            end: &end,
            headline: hostile.clone(),
            verdict: super::super::verdict::Verdict {
                standing: super::super::verdict::Standing::NotCompliant,
                sentence: hostile.clone(),
            },
            failing: Vec::new(),
            matrix: (0..5000).map(row).collect(),
            folds: Vec::new(),
            rules: Vec::new(),
            coverage: &coverage,
            sends: None,
            send_counts: Vec::new(),
            first: &first,
            setup_findings: &setup,
            more_findings: 0,
            shards: Vec::new(),
            matrix_summary: hostile.clone(),
            compare: None,
        };
        let text = render(&view).expect("renders");
        assert!(text.len() <= BUDGET, "{} bytes", text.len());
        assert!(text.contains("- and 4,970 more finding(s)"), "the set-up findings not listed are counted");
        assert!(text.contains(" and 4,990 more · config"), "the packs not named are counted");
        assert!(text.trim_end().ends_with("</sub>"), "the provenance line stays last");
    }

    #[test]
    fn a_summary_over_budget_is_cut_at_a_line_and_keeps_its_provenance() {
        let body = "- a finding\n".repeat(BUDGET / 8);
        let cut = within_budget(format!("{body}<sub>provenance</sub>\n"));
        assert!(cut.len() <= BUDGET, "{} bytes", cut.len());
        assert!(cut.ends_with("<sub>provenance</sub>\n"));
        assert!(cut.contains("- a finding\n\n*The summary was cut here"), "cut at a line's end");
        let short = "- one\n<sub>p</sub>\n".to_owned();
        assert_eq!(within_budget(short.clone()), short);
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        assert_eq!(truncate_bytes("aé", 2), "a", "é is two bytes");
        assert_eq!((truncate_bytes("aé", 3), truncate_bytes("aé", 99), truncate_bytes("", 0)), ("aé", "aé", ""));
        // Lines of two-byte characters, and a provenance line over half the budget.
        let body = "- éééé\n".repeat(BUDGET / 9);
        let cut = within_budget(format!("{body}{}\n", "€".repeat(BUDGET / 4)));
        assert!(cut.len() <= BUDGET, "{} bytes", cut.len());
        assert!(cut.contains("- éééé\n\n*The summary was cut here"), "cut at a line's end");
        assert!(cut.ends_with("€\n") && cut.len() - cut.rfind("*\n\n").expect("the note") < BUDGET / 2 + 4);
    }

    #[test]
    fn addresses_in_messages_are_not_made_links() {
        assert_eq!(escaped("see https://evil.example/x"), "see https&#8203;://evil.example/x");
        assert_eq!(escaped("WWW.evil.example"), "&#8203;WWW.evil.example");
        assert_eq!(escaped("a www.b.c"), "a &#8203;www.b.c");
        assert_eq!(escaped("awww.b"), "awww.b", "not a word's start");
    }

    #[test]
    fn backquoted_spans_become_code_spans_and_the_rest_stays_inert() {
        assert_eq!(code_spans("set `account:` in *it*"), "set `account:` in \\*it\\*");
        assert_eq!(code_spans("the Message-ID `` is wrong"), "the Message-ID ` ` is wrong");
        assert_eq!(code_spans("a `b|c` cell"), "a `b\\|c` cell");
        assert_eq!(code_spans("one ` only"), "one \\` only");
        assert_eq!(code_spans("`<script>` `x`"), "`<script>` `x`", "a code span shows HTML as text");
    }

    #[test]
    fn long_values_are_cut() {
        assert_eq!(escaped(&"a".repeat(1000)).chars().count(), CELL + 1);
    }
}
