//! What a rule reports: severity levels and the diagnostic record every report format
//! is built from.

use std::ops::Range;
use std::sync::Arc;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::findings::identity::FindingKey;

/// The rule id of the findings that list requirements still waiting for an attestation:
/// made by pre-flight, counted apart by the reports, explained by `explain`.
pub(crate) const ATTESTATION_OPEN: &str = "attestation-open";

/// How serious a finding is: `error` fails a run by default; `warning` and `info` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
// A variant's doc comment would enter the JSON Schemas (schemars) and change them.
#[allow(missing_docs)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding in one file, with its span as a byte range into that file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub(crate) rule: Arc<str>,
    /// The ids of the requirements its rule checks (none for the scanner's own findings).
    pub(crate) requirement: Arc<[Arc<str>]>,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) span: Range<usize>,
    /// The edit `--fix` makes, when the rule offers one here.
    pub(crate) fix: Option<super::fix::Fix>,
}

/// What a report shows of one file (or of the config, or an mbox message): its
/// diagnostics, and their human rendering when that format is wanted (made while the
/// bytes were at hand).
#[derive(Debug, Clone)]
pub struct FileFindings {
    /// The file, as given or found by the walk.
    pub path: std::path::PathBuf,
    /// Its diagnostics, each with its line and column.
    pub diagnostics: Vec<Located>,
    /// The human output, when the worker rendered it where the bytes were.
    pub rendered: Option<String>,
    /// What the HTML and Markdown reports show besides (only when one is wanted).
    pub detail: Option<Box<Detail>>,
    /// The message's name (`identity::message_name`, as its finding keys have it), by
    /// which `--compare` knows it in an earlier run: for what was read (not a file that
    /// could not be, nor the set-up), when a report wants it (`ScanPlan::names`).
    pub name: Option<String>,
}

/// A message as the HTML and Markdown reports see it: an excerpt for each diagnostic
/// (in the same order), made while the bytes were at hand, and what the message says
/// of itself, for the charts.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    pub(crate) excerpts: Vec<Excerpt>,
    /// Its Date, seconds since the epoch (UTC), when it parses.
    pub(crate) date: Option<i64>,
    /// The first From address.
    pub(crate) from: Option<String>,
    /// The Subject with its digits folded (`Appointment on # December`): what the
    /// messages of one template share.
    pub(crate) template: Option<String>,
    /// No rule that reads a header ran on it: not a message at all, or not read. The
    /// reports' matrix does not count it as checked for those rules' requirements.
    pub(crate) unchecked: bool,
}

/// The lines around a diagnostic, as the terminal shows them: each line split into the
/// text before the offending bytes, those bytes, and the rest (no mark: all `before`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Excerpt {
    pub(crate) lines: Vec<ExcerptLine>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ExcerptLine {
    pub(crate) number: usize,
    pub(crate) before: String,
    pub(crate) marked: String,
    pub(crate) after: String,
}

/// Characters of a line shown around the mark; a longer line is cut with `…`.
const EXCERPT_WIDTH: usize = 160;

impl Excerpt {
    /// The line(s) of `span` in `raw`, with one line of context either side; line
    /// numbers shifted by `line_shift` (an mbox message's place in its file). Control
    /// characters and invalid UTF-8 are shown as `?`, as in the terminal.
    pub(crate) fn of(raw: &[u8], span: &Range<usize>, line_shift: usize) -> Excerpt {
        let start = span.start.min(raw.len());
        let end = span.end.clamp(start, raw.len());
        let line_start = |at: usize| memchr::memrchr(b'\n', &raw[..at]).map_or(0, |p| p + 1);
        let line_end = |at: usize| memchr::memchr(b'\n', &raw[at..]).map_or(raw.len(), |p| at + p);
        // One line before the mark's first line, one after its last; at most 8 in all.
        let mut at = line_start(start);
        if at > 0 {
            at = line_start(at - 1);
        }
        let mark_end_line = line_end(end.saturating_sub(1).max(start));
        let mut number = crate::mail::bytes::line_col(raw, at).0 + line_shift;
        let mut lines = Vec::new();
        let mut after_mark = 0;
        while lines.len() < 8 && after_mark < 2 {
            let stop = line_end(at);
            let touches = if start == end { (at..=stop).contains(&start) } else { start < stop && end > at };
            let (ms, me) = if touches { (start.clamp(at, stop), end.clamp(at, stop)) } else { (stop, stop) };
            // A very long line is read only around the mark (`cut` keeps less still).
            let far = EXCERPT_WIDTH * 4;
            let (before, marked) = (&raw[ms.saturating_sub(far).max(at)..ms], &raw[ms..me.min(ms + far)]);
            let after = &raw[me..stop.min(me + far)];
            lines.push(cut(shown(before), shown(marked), shown(after), number));
            if stop >= mark_end_line {
                after_mark += 1;
            }
            if stop >= raw.len() {
                break;
            }
            at = stop + 1;
            number += 1;
        }
        Excerpt { lines }
    }
}

/// Keeps a long line's mark in view: at most `EXCERPT_WIDTH` characters either side.
fn cut(before: String, marked: String, after: String, number: usize) -> ExcerptLine {
    let before = match before.chars().count() {
        n if n > EXCERPT_WIDTH => format!("…{}", before.chars().skip(n - EXCERPT_WIDTH).collect::<String>()),
        _ => before,
    };
    let marked = match marked.chars().count() {
        n if n > EXCERPT_WIDTH => format!("{}…", marked.chars().take(EXCERPT_WIDTH).collect::<String>()),
        _ => marked,
    };
    let after = match after.chars().count() {
        n if n > EXCERPT_WIDTH => format!("{}…", after.chars().take(EXCERPT_WIDTH).collect::<String>()),
        _ => after,
    };
    ExcerptLine { number, before, marked, after }
}

/// Bytes as text a page can show: line ends dropped, control characters and invalid
/// UTF-8 as `?`.
fn shown(bytes: &[u8]) -> String {
    let text = crate::mail::bytes::same_len_text(bytes, false);
    text.trim_end_matches(['\r', '\n']).chars().map(|c| if c.is_control() && c != '\t' { '?' } else { c }).collect()
}

/// Renders a file's diagnostics against its bytes (for the human format), its line
/// numbers shifted by the last argument (an mbox message's place in its file).
pub(crate) type Renderer<'a> = dyn Fn(&std::path::Path, &[u8], &[Located], usize) -> String + Sync + 'a;

/// A diagnostic with its line and column resolved, as reports print it.
#[derive(Debug, Clone)]
pub struct Located {
    pub(crate) diagnostic: Diagnostic,
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// Which finding this is, wherever its message is filed (`identity::FindingKey`);
    /// `None` for what is not in a message (a file that could not be read, the set-up).
    pub(crate) key: Option<FindingKey>,
}

impl Located {
    /// A diagnostic placed: its line and column worked out from the file's bytes.
    pub fn new(diagnostic: Diagnostic, raw: &[u8]) -> Self {
        let (line, column) = crate::mail::bytes::line_col(raw, diagnostic.span.start);
        Located { diagnostic, line, column, key: None }
    }
}

/// A fix as the JSON formats carry it: the byte range of the file it replaces.
#[derive(Serialize)]
struct FixShown<'a> {
    #[serde(flatten)]
    fix: &'a super::fix::Fix,
    start: usize,
    end: usize,
}

/// The JSON contract's shape:
/// `{"rule","requirement","severity","message","line","column","help","key"}` (`key` only
/// for findings in a message).
impl Serialize for Located {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = &self.diagnostic;
        let mut out = serializer.serialize_struct("Diagnostic", 9)?;
        out.serialize_field("rule", &*d.rule)?;
        out.serialize_field("requirement", &*d.requirement)?;
        out.serialize_field("severity", &d.severity)?;
        out.serialize_field("message", &d.message)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("column", &self.column)?;
        out.serialize_field("help", &d.help)?;
        if let Some(key) = &self.key {
            out.serialize_field("key", key)?;
        }
        if let Some(fix) = &d.fix {
            out.serialize_field("fix", &FixShown { fix, start: fix.span.start, end: fix.span.end })?;
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_marks_the_bytes_with_a_line_either_side() {
        let raw = b"From: a@nhs.net\r\nReply-To: no-reply@nhs.net\r\nSubject: x\r\nTo: b@nhs.net\r\n";
        let start = 27;
        let excerpt = Excerpt::of(raw, &(start..start + 16), 0);
        let lines: Vec<(usize, &str, &str, &str)> =
            excerpt.lines.iter().map(|l| (l.number, &*l.before, &*l.marked, &*l.after)).collect();
        assert_eq!(
            lines,
            [(1, "From: a@nhs.net", "", ""), (2, "Reply-To: ", "no-reply@nhs.net", ""), (3, "Subject: x", "", "")]
        );
        // An mbox message's lines are the mbox's; control characters are shown as `?`.
        let excerpt = Excerpt::of(b"Subject: a\x1b[2Jb\n", &(9..10), 40);
        assert_eq!((excerpt.lines[0].number, &*excerpt.lines[0].after), (41, "?[2Jb"));
    }
}
