//! The `html` and `markdown` reporter: it tallies each file as the scan streams
//! (`tally.rs`), then builds one view of the run (`view.rs`) for the template of its format.

use std::io::{self, Write};
use std::sync::Arc;

use super::Format;
use super::compare::Comparing;
use super::coverage::RunCoverage;
use super::tally::Tally;
use super::view::View;
use super::{CorpusFindings, Ending, ReportPlan, Reporter};
use crate::findings::diagnostic::FileFindings;
use crate::rules::RuleSet;
use crate::send::Outcome;

/// The `html` and `markdown` reporter.
pub(crate) struct Aggregating<'a> {
    out: Box<dyn Write + 'a>,
    format: Format,
    rules: &'a RuleSet,
    coverage: Arc<RunCoverage>,
    tally: Tally,
    sends: Option<Vec<Outcome>>,
    compare: Option<Comparing>,
}

impl<'a> Aggregating<'a> {
    pub(crate) fn new(plan: &ReportPlan, rules: &'a RuleSet, out: Box<dyn Write + 'a>) -> Self {
        let coverage = plan.coverage.clone().unwrap_or_default();
        let compare = plan.compare.clone().map(Comparing::new);
        Aggregating { out, format: plan.format, rules, coverage, tally: Tally::new(rules), sends: None, compare }
    }
}

impl Reporter for Aggregating<'_> {
    fn config(&mut self, findings: FileFindings) -> io::Result<()> {
        self.tally.setup(findings);
        Ok(())
    }

    fn not_made(&mut self, rules: &[Arc<str>]) -> io::Result<()> {
        for rule in rules.iter().filter_map(|id| self.rules.get(id)) {
            for requirement in rule.requirement.iter() {
                *self.tally.setup_unsure.entry(requirement.clone()).or_insert(0) += 1;
            }
        }
        Ok(())
    }

    fn file(&mut self, index: usize, findings: FileFindings) -> io::Result<()> {
        if let Some(compare) = &mut self.compare {
            let path = findings.path.display().to_string();
            compare.message(findings.name.as_deref(), &path, &findings.diagnostics);
        }
        self.tally.message(index, findings, false);
        Ok(())
    }

    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()> {
        self.sends = Some(outcomes.to_vec());
        Ok(())
    }

    fn finish(mut self: Box<Self>, late: Vec<CorpusFindings>, end: &Ending) -> io::Result<()> {
        for file in late {
            if let Some(compare) = &mut self.compare {
                compare.findings(&file.findings.path.display().to_string(), &file.findings.diagnostics);
            }
            self.tally.message(file.index, file.findings, true);
        }
        let mut view = View::new(self.rules, &self.coverage, &self.tally, self.sends.as_deref(), end);
        if let Some(compare) = self.compare.take() {
            let now = super::view::point(&view.matrix, end);
            view = view.compared(compare.finish(now, super::compare::rechecked(self.rules, &self.coverage)));
        }
        let text = match self.format {
            Format::Markdown => super::markdown::render(&view),
            _ => super::html::render(&view, &self.tally),
        }
        .map_err(io::Error::other)?;
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}
