//! Report formats behind one small trait. A reporter gets each file's report in path
//! order as the scan finishes it, then the corpus-rule diagnostics, then the summary.

mod documents;
pub mod human;
mod lines;
pub mod sends;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::cli::Format;
use crate::diagnostic::{Located, Severity};
use crate::rules::RuleSet;
use crate::scan::FileReport;
use crate::send::Outcome;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Files with at least one diagnostic (not in the JSON contract).
    #[serde(skip)]
    pub files_with_findings: usize,
    /// The config file, when its sending set-up was checked.
    #[serde(skip)]
    pub config: Option<String>,
}

impl Summary {
    pub fn count(&mut self, diagnostics: &[Located]) {
        for d in diagnostics {
            match d.diagnostic.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    /// Whether a diagnostic reached `fail_on` (`None`: never fail).
    pub fn fails(&self, fail_on: Option<Severity>) -> bool {
        matches!((fail_on, self.worst()), (Some(threshold), Some(worst)) if worst >= threshold)
    }

    pub fn worst(&self) -> Option<Severity> {
        [(self.errors, Severity::Error), (self.warnings, Severity::Warning), (self.infos, Severity::Info)]
            .into_iter()
            .find(|(n, _)| *n > 0)
            .map(|(_, s)| s)
    }
}

/// Diagnostics that corpus rules found for one file after the scan.
pub struct CorpusFindings {
    pub index: usize,
    pub path: PathBuf,
    pub diagnostics: Vec<Located>,
    pub rendered: Option<String>,
}

pub trait Reporter {
    /// The config rules' findings, before any message.
    fn config(&mut self, report: FileReport) -> io::Result<()>;
    fn file(&mut self, index: usize, report: FileReport) -> io::Result<()>;
    /// What `--send` did with each message.
    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()>;
    fn finish(self: Box<Self>, late: Vec<CorpusFindings>, summary: &Summary, notes: &[String]) -> io::Result<()>;
}

/// How to report, decided once from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    /// Counts per rule instead of each diagnostic (human and concise).
    pub statistics: bool,
    pub fail_on: Option<Severity>,
    /// Write corpus-rule facts into `jsonl`, for `merge` (a shard's output).
    pub facts: bool,
}

/// Where the report goes: `--output FILE`, else standard output.
pub fn output(path: Option<&std::path::Path>) -> io::Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => {
            Box::new(io::BufWriter::new(std::fs::File::create(path).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot write the report to {}: {e}", path.display()))
            })?))
        }
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    })
}

pub fn reporter<'a>(options: Options, rules: &'a RuleSet, out: Box<dyn Write + 'a>) -> Box<dyn Reporter + 'a> {
    match options.format {
        Format::Human => Box::new(Human { out, rules, statistics: options.statistics.then(Statistics::default) }),
        Format::Concise | Format::Github | Format::Jsonl => Box::new(lines::Lines::new(options, rules, out)),
        Format::Json | Format::Sarif | Format::Junit => Box::new(documents::Documents::new(options, rules, out)),
    }
}

/// One file's diagnostics, as the document formats hold them.
#[derive(Debug, Clone, Serialize)]
pub struct FileFindings {
    pub path: String,
    pub diagnostics: Vec<Located>,
}

/// Counts of diagnostics per rule (`--statistics`), most frequent first when printed.
#[derive(Debug, Default)]
pub struct Statistics {
    counts: BTreeMap<(Arc<str>, Severity), usize>,
}

impl Statistics {
    pub fn count(&mut self, diagnostics: &[Located]) {
        for d in diagnostics {
            *self.counts.entry((d.diagnostic.rule.clone(), d.diagnostic.severity)).or_insert(0) += 1;
        }
    }

    pub fn table(&self, rules: &RuleSet) -> String {
        let mut rows: Vec<_> = self.counts.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut out = String::new();
        for ((rule, severity), count) in rows {
            let summary = rules.get(rule).map_or("", |r| r.summary.as_str());
            out.push_str(&format!("{count:>8}  {:<28} {:<8} {summary}\n", rule, severity.as_str()));
        }
        out
    }
}

/// The closing line of the text formats.
pub fn summary_line(summary: &Summary) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let checked = match &summary.config {
        Some(config) => format!("the sending set-up in {config} and {}", plural(summary.files, "file")),
        None => plural(summary.files, "file"),
    };
    if summary.worst().is_none() {
        format!("Checked {checked}: no problems found.")
    } else {
        format!(
            "Checked {checked}: {}, {}, {} in {}.",
            plural(summary.errors, "error"),
            plural(summary.warnings, "warning"),
            plural(summary.infos, "info"),
            plural(summary.files_with_findings, "file"),
        )
    }
}

struct Human<'a> {
    out: Box<dyn Write + 'a>,
    rules: &'a RuleSet,
    statistics: Option<Statistics>,
}

impl Reporter for Human<'_> {
    fn config(&mut self, report: FileReport) -> io::Result<()> {
        self.file(0, report)
    }

    fn file(&mut self, _index: usize, report: FileReport) -> io::Result<()> {
        match (&mut self.statistics, report.rendered) {
            (Some(statistics), _) => statistics.count(&report.diagnostics),
            (None, Some(text)) => self.out.write_all(text.as_bytes())?,
            (None, None) => {}
        }
        Ok(())
    }

    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()> {
        self.out.write_all(sends::outcomes_text(outcomes).as_bytes())
    }

    fn finish(mut self: Box<Self>, late: Vec<CorpusFindings>, summary: &Summary, notes: &[String]) -> io::Result<()> {
        if let Some(statistics) = &mut self.statistics {
            late.iter().for_each(|l| statistics.count(&l.diagnostics));
            self.out.write_all(statistics.table(self.rules).as_bytes())?;
        } else if !late.is_empty() {
            writeln!(self.out, "Across messages (corpus rules):\n")?;
            for file in late {
                self.out.write_all(file.rendered.unwrap_or_default().as_bytes())?;
            }
        }
        for note in notes {
            writeln!(self.out, "note: {note}")?;
        }
        writeln!(self.out, "{}", summary_line(summary))?;
        self.out.flush()
    }
}
