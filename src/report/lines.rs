//! The streamed formats, one line a diagnostic or a file, written as each file finishes
//! so that a scan of millions of files never buffers its report:
//! - `concise`: `path:line:col: severity[rule] message`
//! - `github`: GitHub Actions workflow commands, which annotate the line in a pull request
//! - `jsonl`: one JSON object per file, then corpus findings, (facts,) and the summary.

use std::io::{self, Write};

use serde_json::json;

use super::Format;
use super::human::sanitise;
use super::{CorpusFindings, Ending, ReportPlan, Reporter, Statistics, summary_line};
use crate::findings::diagnostic::{FileFindings, Located, Severity};
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
}

impl<'a> Lines<'a> {
    pub(crate) fn new(plan: &ReportPlan, rules: &'a RuleSet, out: Box<dyn Write + 'a>) -> Self {
        let statistics = (plan.statistics && plan.format == Format::Concise).then(Statistics::default);
        Lines { out, format: plan.format, rules, statistics, facts: plan.facts, quiet: plan.quiet }
    }

    fn write_file(&mut self, path: &str, diagnostics: &[Located], corpus: bool) -> io::Result<()> {
        if let Some(statistics) = &mut self.statistics {
            statistics.count(diagnostics);
            return Ok(());
        }
        match self.format {
            Format::Jsonl => {
                let mut line = json!({ "path": path, "diagnostics": diagnostics });
                if corpus {
                    line["corpus"] = json!(true);
                }
                writeln!(self.out, "{line}")
            }
            Format::Github => diagnostics.iter().try_for_each(|d| writeln!(self.out, "{}", github(path, d))),
            _ => diagnostics.iter().try_for_each(|d| writeln!(self.out, "{}", concise(path, d))),
        }
    }
}

impl Reporter for Lines<'_> {
    fn config(&mut self, findings: FileFindings) -> io::Result<()> {
        self.write_file(&findings.path.display().to_string(), &findings.diagnostics, false)
    }

    fn file(&mut self, _index: usize, findings: FileFindings) -> io::Result<()> {
        self.write_file(&findings.path.display().to_string(), &findings.diagnostics, false)
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
            _ => self.out.write_all(super::sends::outcomes_text(outcomes).as_bytes()),
        }
    }

    fn finish(mut self: Box<Self>, late: Vec<CorpusFindings>, end: &Ending) -> io::Result<()> {
        let (summary, notes) = (&end.summary, &end.notes);
        for file in &late {
            self.write_file(&file.findings.path.display().to_string(), &file.findings.diagnostics, true)?;
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
            // Workflow commands only: GitHub shows plain lines in the log as they are.
            _ => {
                if let Some(statistics) = &self.statistics {
                    self.out.write_all(statistics.table(self.rules).as_bytes())?;
                }
                for note in notes {
                    writeln!(self.out, "note: {note}")?;
                }
                if !self.quiet {
                    writeln!(self.out, "{}", summary_line(summary))?;
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

/// ` (requirement M4)`, or nothing for a diagnostic no requirement is traced to: what
/// the GitHub and JUnit texts add to the rule's id.
pub(crate) fn requirement_suffix(ids: &[std::sync::Arc<str>]) -> String {
    match ids {
        [] => String::new(),
        [one] => format!(" (requirement {one})"),
        many => format!(" (requirements {})", many.join(", ")),
    }
}

/// `::error file=...,line=...,col=...,title=...::message`, escaped as the runner expects;
/// the title names the rule and its requirements.
fn github(path: &str, d: &Located) -> String {
    let level = match d.diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    // The runner decodes %25, %0D, %0A (and %3A, %2C in properties); any other control
    // character is written as %XX too, which stays inert in the log.
    let data = |s: &str| {
        s.chars()
            .map(|c| match c {
                '%' => "%25".to_owned(),
                c if c.is_control() => format!("%{:02X}", c as u32),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    format!(
        "::{level} file={},line={},col={},title={}::{}",
        property(path),
        d.line,
        d.column,
        property(&format!("nhsmail-lint {}{}", d.diagnostic.rule, requirement_suffix(&d.diagnostic.requirement))),
        data(&d.diagnostic.message)
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
    use super::*;
    use crate::findings::diagnostic::Diagnostic;

    fn located(message: &str) -> Located {
        let diagnostic = Diagnostic {
            rule: "no-reply-address".into(),
            requirement: vec!["M4".into()].into(),
            severity: Severity::Error,
            message: message.into(),
            help: None,
            label: None,
            span: 0..0,
            fix: None,
        };
        Located { diagnostic, line: 3, column: 11, key: None }
    }

    #[test]
    fn github_commands_escape_what_the_runner_reads() {
        let line = github("out/a,b.eml", &located("50% of\nit: bad"));
        assert_eq!(
            line,
            "::error file=out/a%2Cb.eml,line=3,col=11,title=nhsmail-lint no-reply-address (requirement M4)::50%25 of%0Ait: bad"
        );
    }

    #[test]
    fn concise_is_one_line() {
        assert_eq!(concise("a.eml", &located("x\u{1b}[2J")), "a.eml:3:11: error[no-reply-address] x\\u{1b}[2J");
    }
}
