//! Report formats behind one small trait. A reporter gets each file's findings in path
//! order as the scan finishes it, then the corpus-rule diagnostics, then the summary.
//! `ReportPlan` is everything the command line says about reporting.

mod aggregate;
mod charts;
mod ci;
pub(crate) mod compare;
pub(crate) mod coverage;
mod documents;
mod html;
pub mod human;
mod lines;
mod markdown;
pub mod provenance;
mod row;
pub mod sends;
mod tally;
mod verdict;
mod view;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::findings::diagnostic::{FileFindings, Located, Severity};
use crate::online::mailbox_status::MailboxStatus;
use crate::rules::RuleSet;
use crate::send::Outcome;

/// The report formats (`--format`; the command line offers them through clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphical diagnostics pointing into each message, then a summary.
    Human,
    /// One line a diagnostic: `path:line:col: severity[rule] message`.
    Concise,
    /// One JSON document (see docs/reports.md: "JSON").
    Json,
    /// One JSON object a file, streamed as each finishes; then the summary.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML: one test case a file.
    Junit,
    /// GitHub Actions workflow commands: annotations on the offending lines.
    Github,
    /// GitLab Code Quality: a JSON array of issues, for `artifacts: reports: codequality:`.
    Gitlab,
    /// Azure Pipelines logging commands: one `##vso[task.logissue]` a diagnostic.
    Azure,
    /// One self-contained HTML page for people: provenance, the compliance matrix,
    /// charts, findings by rule, accepted exceptions (see docs/reports.md).
    Html,
    /// A short Markdown summary for CI job pages and merge requests (under 1 MiB).
    Markdown,
}

/// How to report, decided once from the command line.
#[derive(Debug, Clone)]
pub struct ReportPlan {
    /// The output format.
    pub format: Format,
    /// `--output FILE`, else standard output.
    pub output: Option<PathBuf>,
    /// Counts per rule instead of each diagnostic (human and concise).
    pub statistics: bool,
    /// The least severity that fails the run; `None` never fails.
    pub fail_on: Option<Severity>,
    /// `--quiet`: the text formats print no summary line (the plan keeps only the notes
    /// that say what went unchecked).
    pub quiet: bool,
    /// Write corpus-rule facts into `jsonl`, for `merge` (a shard's output).
    pub facts: bool,
    /// Whether human output is coloured.
    pub color: bool,
    /// A progress bar on stderr: only when stderr is a terminal.
    pub progress: bool,
    /// What the run says about itself in every format but the text ones.
    pub provenance: provenance::Sources,
    /// What the HTML and Markdown reports say about this run's coverage and accepted
    /// exceptions; `None` for the other formats.
    pub coverage: Option<Arc<coverage::RunCoverage>>,
    /// `--compare`: the earlier JSON reports, oldest first (the HTML, Markdown and JSON
    /// reports only).
    pub compare: Option<Arc<compare::Earlier>>,
}

impl ReportPlan {
    /// The HTML and Markdown reports count as the scan streams, and want each message's
    /// excerpts, Date, From and Subject.
    pub(crate) fn wants_detail(&self) -> bool {
        matches!(self.format, Format::Html | Format::Markdown)
    }

    /// The JSON formats name each message (`compare` matches an earlier report's messages
    /// by name); the reports for people need the names only to compare.
    pub(crate) fn wants_names(&self) -> bool {
        matches!(self.format, Format::Json | Format::Jsonl) || self.compare.is_some()
    }
}

/// The run's counts, reckoned one way for `check` and `merge`.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub(crate) files: usize,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) infos: usize,
    /// Files with at least one diagnostic (not in the JSON contract).
    #[serde(skip)]
    pub(crate) files_with_findings: usize,
    /// The config file, when its sending set-up was checked.
    #[serde(skip)]
    pub(crate) config: Option<String>,
    /// Files read (an mbox counts once, however many messages it holds), and their bytes.
    #[serde(skip)]
    pub(crate) read: Read,
    /// Paths that could not be read, and why: the run is incomplete.
    #[serde(skip)]
    pub(crate) unread: Vec<Unread>,
    /// Files and folders a `.gitignore` left out of the walk (`--no-ignore` walks them).
    #[serde(skip)]
    pub(crate) gitignored: usize,
    /// Files the walk passed over as not mail, by extension (`""` for none).
    #[serde(skip)]
    pub(crate) not_mail: std::collections::BTreeMap<String, usize>,
}

/// A path that could not be read (a file or a folder), and the operating system's reason.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct Unread {
    pub(crate) path: String,
    pub(crate) reason: String,
}

impl Summary {
    /// Files passed over as not mail.
    pub(crate) fn not_mail_count(&self) -> usize {
        self.not_mail.values().sum()
    }
}

/// The file a message label names: `box.mbox` for `box.mbox:#3`, an mbox's third message.
pub(crate) fn file_of(label: &str) -> &str {
    label.rsplit_once(":#").filter(|(_, n)| n.parse::<u64>().is_ok()).map_or(label, |(file, _)| file)
}

/// Files and bytes read, counted as the scan reports each message in path order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Read {
    pub(crate) files: usize,
    pub(crate) bytes: u64,
    last: Option<String>,
}

impl Read {
    /// A message read from `label` (`box.mbox:#3` for an mbox's third), `size` bytes.
    pub(crate) fn message(&mut self, label: &std::path::Path, size: u64) {
        let text = label.to_string_lossy();
        let file = file_of(&text);
        if self.last.as_deref() != Some(file) {
            self.files += 1;
            self.last = Some(file.to_owned());
        }
        self.bytes += size;
    }
}

impl Summary {
    /// One checked file's diagnostics.
    pub(crate) fn file(&mut self, diagnostics: &[Located]) {
        self.files += 1;
        self.files_with_findings += usize::from(!diagnostics.is_empty());
        self.count(diagnostics);
    }

    /// The set-up's diagnostics, reported against the config file (not a checked file).
    pub(crate) fn setup(&mut self, diagnostics: &[Located]) {
        self.files_with_findings += usize::from(!diagnostics.is_empty());
        self.count(diagnostics);
    }

    /// Corpus-rule diagnostics for a file already counted, which the scan found
    /// `had_findings` in or not.
    pub(crate) fn corpus(&mut self, diagnostics: &[Located], had_findings: bool) {
        self.files_with_findings += usize::from(!had_findings && !diagnostics.is_empty());
        self.count(diagnostics);
    }

    fn count(&mut self, diagnostics: &[Located]) {
        for d in diagnostics {
            match d.diagnostic.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    /// Whether a diagnostic reached `fail_on` (`None`: never fail).
    pub(crate) fn fails(&self, fail_on: Option<Severity>) -> bool {
        matches!((fail_on, self.worst()), (Some(threshold), Some(worst)) if worst >= threshold)
    }

    pub(crate) fn worst(&self) -> Option<Severity> {
        [(self.errors, Severity::Error), (self.warnings, Severity::Warning), (self.infos, Severity::Info)]
            .into_iter()
            .find(|(n, _)| *n > 0)
            .map(|(_, s)| s)
    }
}

/// Diagnostics that corpus rules found for one file (by its scan index) after the scan.
pub struct CorpusFindings {
    pub(crate) index: usize,
    /// The file's findings.
    pub findings: FileFindings,
}

/// An output format: takes a run's results as they come and writes the report.
pub trait Reporter {
    /// The config rules' findings, before any message.
    fn config(&mut self, findings: FileFindings) -> io::Result<()>;
    /// The config rules whose check was not made this run: silent, yet not passed (only the
    /// reports' compliance matrix says so).
    fn not_made(&mut self, _rules: &[Arc<str>]) -> io::Result<()> {
        Ok(())
    }
    /// One file's findings, `index` being its place in path order.
    fn file(&mut self, index: usize, findings: FileFindings) -> io::Result<()>;
    /// A shard's corpus-rule facts for the file just reported, for `merge` to judge
    /// across every part (only `jsonl` writes them).
    fn facts(
        &mut self,
        _path: &std::path::Path,
        _facts: &[crate::rules::engine::Fact],
        _stamp: Option<&crate::findings::identity::Stamp>,
    ) -> io::Result<()> {
        Ok(())
    }
    /// The mailbox's numbers, when the pre-flight read them (`json` and `jsonl` carry
    /// them for monitoring; the other formats have the finding).
    fn mailbox(&mut self, _status: &MailboxStatus) -> io::Result<()> {
        Ok(())
    }
    /// What `--send` did with each message.
    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()>;
    /// The corpus findings found after the scan, then the end of the report.
    fn finish(self: Box<Self>, late: Vec<CorpusFindings>, end: &Ending) -> io::Result<()>;
}

/// What a report closes with: the counts, the notes, the run's provenance, what the
/// baseline and `ignore:` left out, and the exit code the run will have.
pub struct Ending {
    /// The run's counts.
    pub summary: Summary,
    /// Notes for the reader (rules skipped, paths left out).
    pub notes: Vec<String>,
    /// What ran, on what, with which packs and config.
    pub run: provenance::Provenance,
    /// Findings the baseline knew, not reported.
    pub baseline_known: usize,
    /// Findings `ignore:` left out.
    pub ignored: usize,
    /// The exit code the run ends with.
    pub exit_code: i32,
}

/// Where the report goes: `--output FILE`, else standard output.
pub(crate) fn output(plan: &ReportPlan) -> io::Result<Box<dyn Write>> {
    Ok(match &plan.output {
        Some(path) => {
            Box::new(io::BufWriter::new(std::fs::File::create(path).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot write the report to {}: {e}", path.display()))
            })?))
        }
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    })
}

/// The reporter of the plan's format, writing to `out`.
pub fn reporter<'a>(plan: &ReportPlan, rules: &'a RuleSet, out: Box<dyn Write + 'a>) -> Box<dyn Reporter + 'a> {
    match plan.format {
        Format::Human => {
            Box::new(Human { out, rules, statistics: plan.statistics.then(Statistics::default), quiet: plan.quiet })
        }
        Format::Concise | Format::Github | Format::Gitlab | Format::Azure | Format::Jsonl => {
            Box::new(lines::Lines::new(plan, rules, out))
        }
        Format::Json | Format::Sarif | Format::Junit => Box::new(documents::Documents::new(plan, rules, out)),
        Format::Html | Format::Markdown => Box::new(aggregate::Aggregating::new(plan, rules, out)),
    }
}

/// Counts of diagnostics per rule (`--statistics`), most frequent first when printed.
#[derive(Debug, Default)]
pub(crate) struct Statistics {
    counts: BTreeMap<(Arc<str>, Severity), usize>,
}

impl Statistics {
    pub(crate) fn count(&mut self, diagnostics: &[Located]) {
        for d in diagnostics {
            *self.counts.entry((d.diagnostic.rule.clone(), d.diagnostic.severity)).or_insert(0) += 1;
        }
    }

    pub(crate) fn table(&self, rules: &RuleSet) -> String {
        let mut rows: Vec<_> = self.counts.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut out = String::new();
        // The longest id present sets the column (a user's pack may have longer ids).
        let width = rows.iter().map(|((rule, _), _)| rule.chars().count()).max().unwrap_or(0);
        for ((rule, severity), count) in rows {
            let summary = rules.get(rule).map_or("", |r| r.summary.as_str());
            out.push_str(&format!("{count:>8}  {:<width$}  {:<8} {summary}\n", rule, severity.as_str()));
        }
        out
    }
}

/// `1 file`, `2 files`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    format!("{} {word}{}", count(n), if n == 1 { "" } else { "s" })
}

/// A count as the reports for people write it, thousands separated: `5,000`. (The JSON
/// formats keep plain numbers.)
pub(crate) fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The closing line of the text formats.
pub(crate) fn summary_line(summary: &Summary) -> String {
    let unread = summary.unread.len();
    // Messages and the files that hold them (an mbox holds many); a path not read is
    // neither, and its `unreadable-file` error is counted apart.
    let read = summary.files.saturating_sub(unread);
    let files = summary.read.files.saturating_sub(unread);
    let mut what = Vec::new();
    if let Some(config) = &summary.config {
        what.push(format!("the sending set-up in {config}"));
    }
    if read > 0 || summary.config.is_none() {
        what.push(format!("{} in {}", plural(read, "message"), plural(files, "file")));
    }
    let mut passed_over = Vec::new();
    if summary.not_mail_count() > 0 {
        passed_over.push(format!("{} skipped as not mail", plural(summary.not_mail_count(), "file")));
    }
    if summary.gitignored > 0 {
        passed_over.push(format!("{} left out by .gitignore", plural(summary.gitignored, "path")));
    }
    if unread > 0 {
        passed_over.push(format!("{} could not be read", plural(unread, "path")));
    }
    let passed_over = match passed_over.is_empty() {
        true => String::new(),
        false => format!(" ({})", passed_over.join(", ")),
    };
    let errors = summary.errors.saturating_sub(unread);
    let with_findings = summary.files_with_findings.saturating_sub(unread);
    let counts = format!(
        "{}, {}, {} in {}",
        plural(errors, "error"),
        plural(summary.warnings, "warning"),
        plural(summary.infos, "info"),
        plural(with_findings, "message")
    );
    let checked = what.join(" and ");
    // "No problems found" only where something was read and nothing went unread.
    if unread > 0 {
        format!("Checked {checked}{passed_over}: {counts}; the run is incomplete.")
    } else if read == 0 && summary.config.is_none() {
        format!("Checked {checked}{passed_over}: nothing was checked.")
    } else if summary.worst().is_none() {
        format!("Checked {checked}{passed_over}: no problems found.")
    } else {
        format!("Checked {checked}{passed_over}: {counts}.")
    }
}

struct Human<'a> {
    out: Box<dyn Write + 'a>,
    rules: &'a RuleSet,
    statistics: Option<Statistics>,
    quiet: bool,
}

impl Reporter for Human<'_> {
    fn config(&mut self, findings: FileFindings) -> io::Result<()> {
        self.file(0, findings)
    }

    fn file(&mut self, _index: usize, findings: FileFindings) -> io::Result<()> {
        match (&mut self.statistics, findings.rendered) {
            (Some(statistics), _) => statistics.count(&findings.diagnostics),
            (None, Some(text)) => self.out.write_all(text.as_bytes())?,
            (None, None) => {}
        }
        Ok(())
    }

    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()> {
        self.out.write_all(sends::outcomes_text(outcomes).as_bytes())
    }

    fn finish(mut self: Box<Self>, late: Vec<CorpusFindings>, end: &Ending) -> io::Result<()> {
        let (summary, notes) = (&end.summary, &end.notes);
        if let Some(statistics) = &mut self.statistics {
            late.iter().for_each(|l| statistics.count(&l.findings.diagnostics));
            self.out.write_all(statistics.table(self.rules).as_bytes())?;
        } else if !late.is_empty() {
            writeln!(self.out, "Across messages (corpus rules):\n")?;
            for file in late {
                self.out.write_all(file.findings.rendered.unwrap_or_default().as_bytes())?;
            }
        }
        for note in notes {
            writeln!(self.out, "note: {note}")?;
        }
        if !self.quiet {
            writeln!(self.out, "{}", summary_line(summary))?;
        }
        self.out.flush()
    }
}
