//! The streamed formats, one line a diagnostic or a file, written as each file finishes
//! so that a scan of millions of files never buffers its report:
//! - `concise`: `path:line:col: severity[rule] message`
//! - `github`, `azure`: the CI services' annotations, one command a diagnostic (`ci.rs`)
//! - `gitlab`: GitLab Code Quality, a JSON array written one issue at a time
//! - `jsonl`: one JSON object per file, then corpus findings, (facts,) and the summary.

use std::io::{self, Write};

use serde_json::json;

use super::Format;
use super::ci;
use super::human::sanitise;
use super::{CorpusFindings, Ending, ReportPlan, Reporter, Statistics, summary_line};
use crate::findings::diagnostic::{FileFindings, Located};
use crate::findings::identity::Stamp;
use crate::online::mailbox_status::MailboxStatus;
use crate::rules::RuleSet;
use crate::rules::engine::Fact;
use crate::send::Outcome;

pub(crate) struct Lines<'a> {
    out: Box<dyn Write + 'a>,
    format: Format,
    rules: &'a RuleSet,
    statistics: Option<Statistics>,
    facts: bool,
    quiet: bool,
    /// GitLab issues written so far: the array opens before the first.
    issues: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(plan: &ReportPlan, rules: &'a RuleSet, out: Box<dyn Write + 'a>) -> Self {
        let statistics = (plan.statistics && plan.format == Format::Concise).then(Statistics::default);
        Lines { out, format: plan.format, rules, statistics, facts: plan.facts, quiet: plan.quiet, issues: 0 }
    }

    /// `name` and `unchecked` (not a message, or not read) go into `jsonl` for `merge`.
    fn write_file(
        &mut self,
        path: &str,
        diagnostics: &[Located],
        corpus: bool,
        (name, unchecked): (Option<&str>, bool),
    ) -> io::Result<()> {
        if let Some(statistics) = &mut self.statistics {
            statistics.count(diagnostics);
            return Ok(());
        }
        match self.format {
            Format::Jsonl => {
                let mut line = json!({ "path": path, "diagnostics": diagnostics });
                if let Some(name) = name {
                    line["message"] = json!(name);
                }
                if unchecked {
                    line["unchecked"] = json!(true);
                }
                if corpus {
                    line["corpus"] = json!(true);
                }
                writeln!(self.out, "{line}")
            }
            Format::Github => diagnostics.iter().try_for_each(|d| writeln!(self.out, "{}", ci::github(path, d))),
            Format::Azure => diagnostics.iter().try_for_each(|d| writeln!(self.out, "{}", ci::azure(path, d))),
            Format::Gitlab => {
                for issue in ci::gitlab(path, diagnostics) {
                    self.out.write_all(if self.issues == 0 { b"[\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut self.out, &issue)?;
                    self.issues += 1;
                }
                Ok(())
            }
            _ => diagnostics.iter().try_for_each(|d| writeln!(self.out, "{}", concise(path, d))),
        }
    }

    /// A line of text among the diagnostics, made inert where the lines around it are
    /// commands.
    fn plain(&mut self, line: &str) -> io::Result<()> {
        match self.format {
            Format::Github => self.out.write_all(ci::github_line(line).as_bytes()),
            Format::Azure => self.out.write_all(ci::azure_line(line).as_bytes()),
            _ => writeln!(self.out, "{line}"),
        }
    }
}

impl Reporter for Lines<'_> {
    fn config(&mut self, findings: FileFindings) -> io::Result<()> {
        self.write_file(&findings.path.display().to_string(), &findings.diagnostics, false, (None, false))
    }

    fn file(&mut self, _index: usize, findings: FileFindings) -> io::Result<()> {
        let unchecked = findings.detail.as_ref().is_some_and(|d| d.unchecked);
        let path = findings.path.display().to_string();
        self.write_file(&path, &findings.diagnostics, false, (findings.name.as_deref(), unchecked))
    }

    fn facts(&mut self, path: &std::path::Path, facts: &[Fact], stamp: Option<&Stamp>) -> io::Result<()> {
        if self.facts && self.format == Format::Jsonl {
            for fact in facts {
                writeln!(self.out, "{}", fact_line(self.rules, &path.display().to_string(), fact, stamp))?;
            }
        }
        Ok(())
    }

    fn mailbox(&mut self, status: &MailboxStatus) -> io::Result<()> {
        if self.format == Format::Jsonl {
            writeln!(self.out, "{}", json!({ "mailbox": status }))?;
        }
        Ok(())
    }

    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()> {
        match self.format {
            Format::Jsonl => outcomes.iter().try_for_each(|o| writeln!(self.out, "{}", json!({ "send": o }))),
            // The array holds issues only: the verdicts are in the other formats.
            Format::Gitlab => Ok(()),
            // Each value in it is on one line already (control characters escaped).
            _ => super::sends::outcomes_text(outcomes).lines().try_for_each(|line| self.plain(line)),
        }
    }

    fn finish(mut self: Box<Self>, late: Vec<CorpusFindings>, end: &Ending) -> io::Result<()> {
        let (summary, notes) = (&end.summary, &end.notes);
        for file in &late {
            self.write_file(
                &file.findings.path.display().to_string(),
                &file.findings.diagnostics,
                true,
                (None, false),
            )?;
        }
        match self.format {
            Format::Jsonl => {
                // What the baseline and `ignore:` left out: a merged report shows it as the
                // shards' accepted exceptions.
                let accepted = json!({ "baseline_known": end.baseline_known, "ignored": end.ignored });
                let closing = json!({
                    "summary": summary,
                    "unread": summary.unread,
                    "notes": notes,
                    "run": end.run,
                    "accepted": accepted,
                });
                writeln!(self.out, "{closing}")?
            }
            Format::Gitlab => self.out.write_all(if self.issues == 0 { b"[]\n" } else { b"\n]\n" })?,
            // GitHub and Azure show plain lines in the log as they are.
            _ => {
                if let Some(statistics) = &self.statistics {
                    self.out.write_all(statistics.table(self.rules).as_bytes())?;
                }
                for note in notes {
                    self.plain(&format!("note: {note}"))?;
                }
                if !self.quiet {
                    self.plain(&summary_line(summary))?;
                }
            }
        }
        self.out.flush()
    }
}

pub(crate) fn concise(path: &str, d: &Located) -> String {
    let diagnostic = &d.diagnostic;
    format!(
        "{}:{}:{}: {}[{}] {}",
        sanitise(path),
        d.line,
        d.column,
        diagnostic.severity.as_str(),
        diagnostic.rule,
        sanitise(&diagnostic.message)
    )
}

/// A corpus fact as a shard writes it, for `merge`, with its message's stamp (digests as
/// hex: JSON numbers lose 64-bit precision in many readers).
pub(crate) fn fact_line(rules: &RuleSet, path: &str, fact: &Fact, stamp: Option<&Stamp>) -> serde_json::Value {
    let stamp = stamp.map(|s| {
        let body = s.body.map(|b| format!("{b:016x}"));
        json!({ "id": format!("{:016x}", s.id), "header": format!("{:016x}", s.header), "body": body })
    });
    json!({ "fact": {
        "rule": &*rules.rules[fact.rule].id,
        "path": path,
        "key": fact.key,
        "instant": fact.instant,
        "start": fact.span.start,
        "end": fact.span.end,
        "line": fact.line,
        "column": fact.column,
        "finding": fact.finding,
        "stamp": stamp,
    }})
}

#[cfg(test)]
mod tests {
    use super::super::ci::tests::located;
    use super::*;

    #[test]
    fn concise_is_one_line() {
        assert_eq!(concise("a.eml", &located("x\u{1b}[2J")), "a.eml:3:11: error[no-reply-address] x\\u{1b}[2J");
    }
}
