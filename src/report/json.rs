//! The JSON format: one document, the contract CI and auditors rely on (README, "JSON
//! format"). Every input file appears, clean ones with an empty list.

use std::io::{self, Write};

use serde::Serialize;

use super::{Late, Reporter, Summary};
use crate::diagnostic::Located;
use crate::scan::FileReport;
use crate::send::Outcome;

#[derive(Serialize)]
struct File {
    path: String,
    diagnostics: Vec<Located>,
}

#[derive(Serialize)]
struct Document<'a> {
    files: Vec<File>,
    summary: &'a Summary,
    notes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    send: Option<Sends>,
}

/// `--send`'s results: each message's verdict, and a count of each verdict.
#[derive(Serialize)]
struct Sends {
    messages: Vec<Outcome>,
    summary: std::collections::BTreeMap<&'static str, usize>,
}

pub struct Json {
    out: Box<dyn Write>,
    /// The config file's entry, first in the document when config rules reported.
    config: Option<File>,
    /// The scanned files, at their scan index.
    files: Vec<File>,
    send: Option<Sends>,
}

impl Json {
    pub fn new(out: Box<dyn Write>) -> Self {
        Json { out, config: None, files: Vec::new(), send: None }
    }
}

impl Reporter for Json {
    fn config(&mut self, report: FileReport) -> io::Result<()> {
        self.config = Some(File { path: report.path.display().to_string(), diagnostics: report.diagnostics });
        Ok(())
    }

    fn file(&mut self, _index: usize, report: FileReport) -> io::Result<()> {
        self.files.push(File { path: report.path.display().to_string(), diagnostics: report.diagnostics });
        Ok(())
    }

    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()> {
        let mut summary = std::collections::BTreeMap::new();
        for o in outcomes {
            *summary.entry(o.verdict.as_str()).or_insert(0) += 1;
        }
        self.send = Some(Sends { messages: outcomes.to_vec(), summary });
        Ok(())
    }

    fn finish(mut self: Box<Self>, late: Vec<Late>, summary: &Summary, notes: &[String]) -> io::Result<()> {
        for file in late {
            if let Some(entry) = self.files.get_mut(file.index) {
                entry.diagnostics.extend(file.diagnostics);
                entry.diagnostics.sort_by(|a, b| {
                    (a.line, a.column, &a.diagnostic.rule).cmp(&(b.line, b.column, &b.diagnostic.rule))
                });
            }
        }
        let files = self.config.take().into_iter().chain(std::mem::take(&mut self.files)).collect();
        let document = Document { files, summary, notes, send: self.send.take() };
        serde_json::to_writer(&mut self.out, &document)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}
