//! The `bounces` command: read the delivery reports among the inputs, say what each
//! refusal means by the packs' status-code table, and judge whether the message rules
//! find the same requirement's problem on what came back of the message. Exit 0 when no
//! recipient was refused (delays are warnings), 1 when one was, 2 when a report could
//! not be read.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use miette::{Diagnostic, Report};
use serde_json::{Value, json};

use crate::bounces::{self, Recipient, Returned};
use crate::cli::{BouncesArgs, Format};
use crate::inputs::{self, Inputs, Source};
use crate::mail::MessageView;
use crate::rules::compiled::StatusClass;
use crate::rules::engine;
use crate::rules::spec::{Failure, Scope};
use crate::rules::{RuleSet, compiled::Rule};
use crate::stages::plan;

/// A `bounces` command line that cannot run as given (exit 2).
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum BouncesError {
    /// Only the human, JSON and JSON Lines reports are written for bounces.
    #[error("`bounces --format {0}` is not written yet: use human, json or jsonl")]
    #[diagnostic(code(usage))]
    Format(String),
    /// A path given does not exist.
    #[error("{0}: no such file or directory")]
    #[diagnostic(code(usage))]
    NoSuchPath(String),
}

/// What `bounces` reads and with which rules it judges, worked out once.
pub struct BouncesPlan {
    inputs: Inputs,
    rules: RuleSet,
    /// The message rules that run on a returned message: enabled, applying to this
    /// configuration, offline and available.
    judging: Vec<usize>,
    format: Format,
}

impl BouncesPlan {
    /// The plan of a command line: the packs (and their status codes) loaded, the format
    /// checked, the inputs selected.
    pub fn new(args: BouncesArgs) -> Result<BouncesPlan, Report> {
        match args.format {
            Format::Human | Format::Json | Format::Jsonl => {}
            other => {
                let name = clap::ValueEnum::to_possible_value(&other).map(|v| v.get_name().to_owned());
                return Err(BouncesError::Format(name.unwrap_or_default()).into());
            }
        }
        for path in &args.paths {
            if path.as_os_str() != "-" && std::fs::symlink_metadata(path).is_err() {
                return Err(BouncesError::NoSuchPath(path.display().to_string()).into());
            }
        }
        let loaded = plan::load(&args.sources, args.account.as_deref())?;
        let implicit_root = args.paths.is_empty();
        let mut paths = if implicit_root { vec![PathBuf::from(".")] } else { args.paths };
        paths.sort();
        paths.dedup();
        let selection = plan::select_files(&args.select, implicit_root)?;
        let rules = loaded.rules;
        let runs =
            |r: &Rule| r.scope == Scope::Message && r.enabled && r.applies && !r.online && r.unavailable.is_none();
        let judging = rules.rules.iter().enumerate().filter(|(_, r)| runs(r)).map(|(i, _)| i).collect();
        Ok(BouncesPlan { inputs: Inputs { paths, selection }, rules, judging, format: args.format })
    }
}

/// What the run found: printed, and the exit code.
#[derive(Default)]
struct Outcome {
    reports: Vec<Value>,
    unread: Vec<Value>,
    /// Ordinary messages among the inputs: no bounce, not counted.
    not_reports: usize,
    refusals: Tally,
    judged: Judged,
}

#[derive(Default)]
struct Tally {
    hard: usize,
    soft: usize,
    failed: usize,
    delayed: usize,
    /// Refusals by requirement (`none`, `unclassified`).
    by_requirement: BTreeMap<String, usize>,
}

/// The loop closed: of the refusals whose cause is a requirement and whose message (or
/// header block) came back, how many the rules catch on it.
#[derive(Default)]
struct Judged {
    caught: usize,
    missed: Vec<Value>,
    /// Judged on a returned header block, by the header rules alone.
    on_headers: usize,
}

/// Reads every report among the inputs and prints what they say; the exit code.
pub fn run(plan: &BouncesPlan) -> io::Result<u8> {
    let passed = inputs::Passed::default();
    let mut outcome = Outcome::default();
    for found in inputs::files(&plan.inputs, &passed) {
        for item in inputs::messages(found) {
            let bytes = match item.source {
                Source::File(file) => inputs::read(&file),
                Source::Bytes { bytes, .. } => Ok(bytes),
                Source::Failed(why) => Err(io::Error::other(why)),
            };
            match bytes.map_err(|e| e.to_string()).and_then(|b| bounces::read(&b).map_err(|e| e.to_string())) {
                Ok(Some(report)) => outcome.report(plan, &item.label, report),
                Ok(None) => outcome.not_reports += 1,
                Err(reason) => outcome.unread.push(json!({"path": item.label.display().to_string(), "reason": reason})),
            }
        }
    }
    let mut out = io::stdout().lock();
    match plan.format {
        Format::Json => {
            let text = serde_json::to_string_pretty(&outcome.json()).expect("JSON values serialise");
            writeln!(out, "{text}")?;
        }
        // One report a line, then each path not read, then the summary: what `json` holds, for
        // a log shipper or `jq -c`.
        Format::Jsonl => {
            let mut document = outcome.json();
            for line in document["reports"].as_array().into_iter().flatten() {
                writeln!(out, "{line}")?;
            }
            for unread in document["unread"].as_array().into_iter().flatten() {
                writeln!(out, "{}", json!({"unread": unread}))?;
            }
            writeln!(out, "{}", json!({"summary": document["summary"].take()}))?;
        }
        _ => out.write_all(outcome.human().as_bytes())?,
    }
    Ok(if !outcome.unread.is_empty() {
        2
    } else if outcome.refusals.failed > 0 {
        1
    } else {
        0
    })
}

impl Outcome {
    fn report(&mut self, plan: &BouncesPlan, path: &Path, report: bounces::Report) {
        let message_id = report.returned.message_id();
        let mut findings = None;
        let mut recipients = Vec::new();
        for recipient in &report.recipients {
            let class = classify(&plan.rules, recipient);
            let judgement = if recipient.refused() {
                self.count(recipient, class);
                class.and_then(|c| c.requirement.as_deref()).map(|requirement| {
                    let findings = findings.get_or_insert_with(|| Findings::of(plan, &report.returned));
                    let judgement = match findings {
                        Some(findings) => findings.judge(&plan.rules, requirement),
                        None => Judgement::NotJudged("nothing of the message came back".to_owned()),
                    };
                    self.record(path, recipient, requirement, &judgement, &report.returned);
                    judgement
                })
            } else {
                None
            };
            recipients.push(recipient_json(recipient, class, judgement));
        }
        let returned = match report.returned {
            Returned::Message(_) => "message",
            Returned::Headers(_) => "headers",
            Returned::Nothing => "nothing",
        };
        self.reports.push(json!({
            "path": path.display().to_string(),
            "form": report.form,
            "reporting_mta": report.reporting_mta,
            "date": report.date,
            "arrival_date": report.arrival_date,
            "original_envelope_id": report.original_envelope_id,
            "original_message_id": message_id,
            "returned": returned,
            "recipients": recipients,
        }));
    }

    fn count(&mut self, recipient: &Recipient, class: Option<&StatusClass>) {
        let tally = &mut self.refusals;
        if recipient.action == "failed" {
            tally.failed += 1;
        } else {
            tally.delayed += 1;
        }
        match class.map(|c| c.failure) {
            Some(Failure::Hard) => tally.hard += 1,
            Some(Failure::Soft) => tally.soft += 1,
            None => {}
        }
        let key = match class {
            Some(c) => c.requirement.as_deref().unwrap_or("none").to_owned(),
            None => "unclassified".to_owned(),
        };
        *tally.by_requirement.entry(key).or_default() += 1;
    }

    fn record(
        &mut self,
        path: &Path,
        recipient: &Recipient,
        requirement: &str,
        judgement: &Judgement,
        returned: &Returned,
    ) {
        match judgement {
            Judgement::Caught(_) => self.judged.caught += 1,
            Judgement::Missed => self.judged.missed.push(json!({
                "path": path.display().to_string(),
                "recipient": recipient.recipient,
                "status": recipient.status,
                "requirement": requirement,
            })),
            Judgement::NotJudged(_) => return,
        }
        if matches!(returned, Returned::Headers(_)) {
            self.judged.on_headers += 1;
        }
    }

    fn judged(&self) -> usize {
        self.judged.caught + self.judged.missed.len()
    }

    fn json(&self) -> Value {
        let by_requirement: serde_json::Map<String, Value> =
            self.refusals.by_requirement.iter().map(|(k, n)| (k.clone(), json!(n))).collect();
        json!({
            "reports": self.reports,
            "unread": self.unread,
            "summary": {
                "reports": self.reports.len(),
                "not_reports": self.not_reports,
                "unread": self.unread.len(),
                "failed": self.refusals.failed,
                "delayed": self.refusals.delayed,
                "hard": self.refusals.hard,
                "soft": self.refusals.soft,
                "by_requirement": by_requirement,
                "judged": self.judged(),
                "judged_on_headers_only": self.judged.on_headers,
                "caught": self.judged.caught,
                "missed": self.judged.missed,
            },
        })
    }

    fn human(&self) -> String {
        let mut out = String::new();
        let text = |v: &Value| v.as_str().map(str::to_owned);
        for report in &self.reports {
            let by = text(&report["reporting_mta"]).map_or(String::new(), |m| format!(" by {m}"));
            let date = text(&report["date"]).map_or(String::new(), |d| format!(", {d}"));
            let about = match (text(&report["original_message_id"]), text(&report["returned"]).as_deref()) {
                (Some(id), Some("message")) => format!("about <{id}> (the message came back)"),
                (Some(id), _) => format!("about <{id}> (its header block came back)"),
                (None, _) => "about a message that did not come back".to_owned(),
            };
            out.push_str(&format!("{}: report{by}{date}, {about}\n", text(&report["path"]).unwrap_or_default()));
            for r in report["recipients"].as_array().into_iter().flatten() {
                let status = text(&r["status"]).unwrap_or_else(|| "no status".to_owned());
                let line = match r.get("class").filter(|c| !c.is_null()) {
                    Some(c) => format!(
                        "{} {status} ({}, {}) {}: {}",
                        text(&r["action"]).unwrap_or_default(),
                        text(&c["side"]).unwrap_or_default(),
                        text(&c["failure"]).unwrap_or_default(),
                        text(&c["requirement"]).map_or("no requirement".to_owned(), |q| format!("requirement {q}")),
                        text(&c["meaning"]).unwrap_or_default(),
                    ),
                    None => {
                        format!("{} {status}: not in the status-code table", text(&r["action"]).unwrap_or_default())
                    }
                };
                out.push_str(&format!("  {}: {line}\n", text(&r["recipient"]).unwrap_or_default()));
                if let Some(diagnostic) = text(&r["diagnostic"]) {
                    out.push_str(&format!("    server: {diagnostic}\n"));
                }
                if let Some(verdict) = r.get("caught").filter(|v| !v.is_null()) {
                    out.push_str(&format!("    {}\n", verdict_line(verdict)));
                }
            }
        }
        for unread in &self.unread {
            out.push_str(&format!(
                "{}: not read: {}\n",
                text(&unread["path"]).unwrap_or_default(),
                text(&unread["reason"]).unwrap_or_default()
            ));
        }
        let t = &self.refusals;
        let by: Vec<String> = t.by_requirement.iter().map(|(k, n)| format!("{k} {n}")).collect();
        out.push_str(&format!(
            "\n{} read, {} refusal(s): {} failed, {} delayed ({} hard, {} soft); by requirement: {}\n",
            crate::report::plural(self.reports.len(), "delivery report"),
            t.failed + t.delayed,
            t.failed,
            t.delayed,
            t.hard,
            t.soft,
            if by.is_empty() { "none".to_owned() } else { by.join(", ") },
        ));
        if self.not_reports > 0 {
            out.push_str(&format!(
                "{} not a delivery report, passed over\n",
                crate::report::plural(self.not_reports, "message")
            ));
        }
        let headers = match self.judged.on_headers {
            0 => String::new(),
            n => format!(" ({n} on a returned header block, by the header rules only)"),
        };
        out.push_str(&format!(
            "the linter would have caught {} of {} refusal(s) it could judge{headers}\n",
            self.judged.caught,
            self.judged()
        ));
        for missed in &self.judged.missed {
            out.push_str(&format!(
                "  missed: {} {} ({}), requirement {}\n",
                text(&missed["path"]).unwrap_or_default(),
                text(&missed["recipient"]).unwrap_or_default(),
                text(&missed["status"]).unwrap_or_default(),
                text(&missed["requirement"]).unwrap_or_default(),
            ));
        }
        out
    }
}

fn verdict_line(verdict: &Value) -> String {
    match (verdict["judged"].as_bool(), verdict["caught"].as_bool()) {
        (Some(true), Some(true)) => {
            let rules: Vec<&str> =
                verdict["rules"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            format!("the linter would have caught it: {}", rules.join(", "))
        }
        (Some(true), _) => "the linter would have missed it: no rule found this requirement's problem".to_owned(),
        _ => format!("not judged: {}", verdict["reason"].as_str().unwrap_or_default()),
    }
}

/// The row for a recipient's refusal: by its status code, else by the code its diagnostic
/// text gives (a generic `Status: 5.0.0` beside `550 5.7.60 ...`).
fn classify<'r>(rules: &'r RuleSet, recipient: &Recipient) -> Option<&'r StatusClass> {
    let diagnostic = recipient.diagnostic.as_deref().unwrap_or_default();
    let by_status = recipient.status.as_deref().and_then(|code| rules.classify(code, diagnostic));
    by_status.or_else(|| bounces::status_in(diagnostic).and_then(|code| rules.classify(&code, diagnostic)))
}

fn recipient_json(recipient: &Recipient, class: Option<&StatusClass>, judgement: Option<Judgement>) -> Value {
    let class = class.map(|c| {
        json!({
            "code": c.code,
            "side": c.side,
            "failure": c.failure,
            "meaning": c.meaning,
            "requirement": c.requirement.as_deref(),
            "source": c.source,
        })
    });
    let caught = judgement.map(|j| match j {
        Judgement::Caught(rules) => json!({"judged": true, "caught": true, "rules": rules}),
        Judgement::Missed => json!({"judged": true, "caught": false, "rules": []}),
        Judgement::NotJudged(reason) => json!({"judged": false, "reason": reason}),
    });
    json!({
        "recipient": recipient.recipient,
        "action": recipient.action,
        "status": recipient.status,
        "diagnostic": recipient.diagnostic,
        "remote_mta": recipient.remote_mta,
        "class": class,
        "caught": caught,
    })
}

/// Whether the rules find a requirement's problem on what came back.
enum Judgement {
    /// These rules report it.
    Caught(Vec<String>),
    Missed,
    NotJudged(String),
}

/// What the message rules found on the returned message or header block, once a report.
struct Findings {
    /// The rules that could judge what came back (all of them on a whole message, the
    /// header rules on a header block), and each one's findings' requirements.
    ran: Vec<usize>,
    found: Vec<(String, Vec<String>)>,
    what: &'static str,
}

impl Findings {
    /// `None` when nothing of the message came back.
    fn of(plan: &BouncesPlan, returned: &Returned) -> Option<Findings> {
        let (bytes, ran, what): (&[u8], Vec<usize>, _) = match returned {
            Returned::Message(bytes) => (bytes, plan.judging.clone(), "message"),
            Returned::Headers(bytes) => {
                let headers = plan.judging.iter().copied().filter(|&i| plan.rules.rules[i].reads_only_headers());
                (bytes, headers.collect(), "header block")
            }
            Returned::Nothing => return None,
        };
        let (buffer, size) = crate::mail::parse_buffer(bytes.to_vec());
        let view = MessageView::new(&buffer, size);
        let evaluation = engine::evaluate(&plan.rules, &ran, &view, None);
        let found = evaluation
            .diagnostics
            .iter()
            .map(|d| (d.rule.to_string(), d.requirement.iter().map(|r| r.to_string()).collect()))
            .collect();
        Some(Findings { ran, found, what })
    }

    fn judge(&self, rules: &RuleSet, requirement: &str) -> Judgement {
        if !self.ran.iter().any(|&i| rules.rules[i].checks(requirement)) {
            return Judgement::NotJudged(format!(
                "no rule that runs on a returned {} checks requirement {requirement}",
                self.what
            ));
        }
        let mut caught: Vec<String> = self
            .found
            .iter()
            .filter(|(_, reqs)| reqs.iter().any(|r| r == requirement))
            .map(|(rule, _)| rule.clone())
            .collect();
        caught.dedup();
        if caught.is_empty() { Judgement::Missed } else { Judgement::Caught(caught) }
    }
}
