//! Report formats behind one small trait. A reporter gets each file's report in path
//! order as the scan finishes it, then the corpus-rule diagnostics, then the summary.

pub mod human;
mod json;
pub mod sends;

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::cli::Format;
use crate::diagnostic::{Located, Severity};
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

    pub fn worst(&self) -> Option<Severity> {
        [(self.errors, Severity::Error), (self.warnings, Severity::Warning), (self.infos, Severity::Info)]
            .into_iter()
            .find(|(n, _)| *n > 0)
            .map(|(_, s)| s)
    }
}

/// Diagnostics that corpus rules found for one file after the scan.
pub struct Late {
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
    fn finish(self: Box<Self>, late: Vec<Late>, summary: &Summary, notes: &[String]) -> io::Result<()>;
}

pub fn reporter(format: Format, out: Box<dyn Write>) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(Human { out }),
        Format::Json => Box::new(json::Json::new(out)),
    }
}

struct Human {
    out: Box<dyn Write>,
}

impl Reporter for Human {
    fn config(&mut self, report: FileReport) -> io::Result<()> {
        self.file(0, report)
    }

    fn file(&mut self, _index: usize, report: FileReport) -> io::Result<()> {
        if let Some(text) = report.rendered {
            self.out.write_all(text.as_bytes())?;
        }
        Ok(())
    }

    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()> {
        self.out.write_all(sends::outcomes_text(outcomes).as_bytes())
    }

    fn finish(mut self: Box<Self>, late: Vec<Late>, summary: &Summary, notes: &[String]) -> io::Result<()> {
        if !late.is_empty() {
            writeln!(self.out, "Across messages (corpus rules):\n")?;
            for file in late {
                self.out.write_all(file.rendered.unwrap_or_default().as_bytes())?;
            }
        }
        for note in notes {
            writeln!(self.out, "note: {note}")?;
        }
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let checked = match &summary.config {
            Some(config) => format!("the sending set-up in {config} and {}", plural(summary.files, "file")),
            None => plural(summary.files, "file"),
        };
        if summary.worst().is_none() {
            writeln!(self.out, "Checked {checked}: no problems found.")?;
        } else {
            writeln!(
                self.out,
                "Checked {checked}: {}, {}, {} in {}.",
                plural(summary.errors, "error"),
                plural(summary.warnings, "warning"),
                plural(summary.infos, "info"),
                plural(summary.files_with_findings, "file"),
            )?;
        }
        self.out.flush()
    }
}
