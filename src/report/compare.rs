//! `--compare PREVIOUS.json`: what changed since earlier JSON reports. The newest report's
//! findings are kept as finding keys, by message name, for the messages that had findings
//! only; the run is matched against them as it streams, so memory follows the number of
//! findings, never of messages. The older reports give their counts to the trend.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::coverage::RunCoverage;
use crate::findings::diagnostic::Located;
use crate::findings::identity::FindingKey;
use crate::rules::RuleSet;

/// Findings listed as examples in each list (the counts cover all).
pub(crate) const LISTED: usize = 20;

/// An earlier report that `--compare` cannot use.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CompareError {
    /// The file could not be opened.
    #[error("--compare {path}: {source}")]
    #[diagnostic(code(compare))]
    Unreadable {
        /// The report.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// It is not a JSON report of `check` or `merge`.
    #[error("--compare {path}: not a JSON report of `check` or `merge`: {source}")]
    #[diagnostic(code(compare), help("give the output of `nhsmail-lint check --format json` (or of `merge`)"))]
    NotAReport {
        /// The report.
        path: String,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// Its messages carry no name (a report of a version before `--compare`).
    #[error("--compare {path}: the report does not name its messages, so they cannot be matched with this run's")]
    #[diagnostic(
        code(compare),
        help(
            "it was written by an older nhsmail-lint: run that check again with this version and compare with its report"
        )
    )]
    NoNames {
        /// The report.
        path: String,
    },
    /// A finding in a message has no finding key.
    #[error("--compare {path}: {file} has findings without a finding key (`key`), so they cannot be matched")]
    #[diagnostic(
        code(compare),
        help("give the JSON report as nhsmail-lint wrote it: every finding in a message carries its `key`")
    )]
    NoKeys {
        /// The report.
        path: String,
        /// The first file entry with such a finding.
        file: String,
    },
}

/// One report's counts, for the trend and the requirements that moved.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Point {
    /// The report's file, or `this run`.
    pub(crate) report: String,
    /// When its run finished (`run.finished`).
    pub(crate) finished: String,
    pub(crate) messages: usize,
    pub(crate) findings: usize,
    pub(crate) errors: usize,
    /// Share compliant (percent, one decimal, rounded down) of each requirement its
    /// message rules checked.
    pub(crate) compliant: BTreeMap<String, f64>,
}

/// A requirement's share compliant from a report's `requirements` (or this run's matrix):
/// `None` when no message was checked for it.
pub(crate) fn share(checked: usize, failing: usize) -> Option<f64> {
    (checked > 0).then(|| {
        let percent = (checked - failing.min(checked)) as f64 * 100.0 / checked as f64;
        (percent * 10.0).floor() / 10.0
    })
}

/// A finding of the newest earlier report: the message it was in and its rule.
#[derive(Debug)]
struct Held {
    message: u32,
    index: u32,
    rule: Arc<str>,
}

/// The earlier reports, loaded once by the plan.
#[derive(Debug, Default)]
pub struct Earlier {
    /// Oldest first.
    points: Vec<Point>,
    /// The newest report's findings by key.
    keys: HashMap<FindingKey, Held>,
    /// The newest report's messages that had findings, by name, and their paths.
    messages: HashMap<String, u32>,
    paths: Vec<String>,
}

impl Earlier {
    /// The reports given to `--compare`, oldest first.
    pub(crate) fn load(paths: &[PathBuf]) -> Result<Earlier, CompareError> {
        let mut earlier = Earlier::default();
        for (n, path) in paths.iter().enumerate() {
            let report = read(path)?;
            earlier.points.push(report.point(path));
            if n + 1 == paths.len() {
                earlier.hold(report.files.held);
            }
        }
        Ok(earlier)
    }

    fn hold(&mut self, held: Vec<HeldMessage>) {
        let mut rules: HashMap<String, Arc<str>> = HashMap::new();
        for message in held {
            let slot = *self.messages.entry(message.name).or_insert_with(|| {
                self.paths.push(message.path);
                (self.paths.len() - 1) as u32
            });
            for (key, rule) in message.findings {
                let rule = rules.entry(rule).or_insert_with_key(|r| Arc::from(r.as_str())).clone();
                let index = self.keys.len() as u32;
                self.keys.entry(key).or_insert(Held { message: slot, index, rule });
            }
        }
    }

    /// The newest earlier report's file name and run date.
    fn newest(&self) -> Option<&Point> {
        self.points.last()
    }
}

fn read(path: &Path) -> Result<Report, CompareError> {
    let name = || path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| CompareError::Unreadable { path: name(), source })?;
    let report: Report = serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|source| CompareError::NotAReport { path: name(), source })?;
    if report.requirements.is_none() || report.files.unnamed {
        return Err(CompareError::NoNames { path: name() });
    }
    if let Some(file) = report.files.unkeyed {
        return Err(CompareError::NoKeys { path: name(), file });
    }
    Ok(report)
}

/// What `--compare` reads of a JSON report (the rest is passed over).
#[derive(Deserialize)]
struct Report {
    files: Files,
    summary: Counts,
    #[serde(default)]
    run: RunRead,
    requirements: Option<Vec<Requirement>>,
}

#[derive(Deserialize)]
struct Counts {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Deserialize, Default)]
struct RunRead {
    #[serde(default)]
    finished: String,
}

/// One line of the JSON report's `requirements`: how many messages its rules checked, and
/// how many failed it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Requirement {
    pub(crate) id: String,
    pub(crate) checked: usize,
    pub(crate) failing: usize,
}

impl Report {
    fn point(&self, path: &Path) -> Point {
        let s = &self.summary;
        let compliant = self
            .requirements
            .iter()
            .flatten()
            .filter_map(|r| share(r.checked, r.failing).map(|p| (r.id.clone(), p)))
            .collect();
        Point {
            report: path.display().to_string(),
            finished: self.run.finished.clone(),
            messages: s.files,
            findings: s.errors + s.warnings + s.infos,
            errors: s.errors,
            compliant,
        }
    }
}

/// A message of the report with keyed findings.
struct HeldMessage {
    name: String,
    path: String,
    findings: Vec<(FindingKey, String)>,
}

/// The report's `files`, read one entry at a time: only the messages with findings are kept.
#[derive(Default)]
struct Files {
    held: Vec<HeldMessage>,
    /// An entry with keyed findings but no message name.
    unnamed: bool,
    /// The first entry of a named message with a finding that has no key.
    unkeyed: Option<String>,
}

#[derive(Deserialize)]
struct FileRead {
    path: String,
    message: Option<String>,
    #[serde(default)]
    diagnostics: Vec<DiagnosticRead>,
}

#[derive(Deserialize)]
struct DiagnosticRead {
    rule: String,
    key: Option<String>,
}

impl<'de> Deserialize<'de> for Files {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Files, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Files;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of file entries")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Files, A::Error> {
                let mut files = Files::default();
                while let Some(entry) = seq.next_element::<FileRead>()? {
                    files.add(entry);
                }
                Ok(files)
            }
        }
        deserializer.deserialize_seq(Entries)
    }
}

impl Files {
    fn add(&mut self, entry: FileRead) {
        let keyed: Vec<(FindingKey, String)> = entry
            .diagnostics
            .iter()
            .filter_map(|d| d.key.as_deref().and_then(FindingKey::parse).map(|k| (k, d.rule.clone())))
            .collect();
        match entry.message {
            // Set-up findings and files that could not be read have neither name nor key.
            None => self.unnamed |= !keyed.is_empty(),
            Some(name) => {
                if keyed.len() < entry.diagnostics.len() && self.unkeyed.is_none() {
                    self.unkeyed = Some(entry.path.clone());
                }
                if !keyed.is_empty() {
                    self.held.push(HeldMessage { name, path: entry.path, findings: keyed });
                }
            }
        }
    }
}

/// A finding listed in the comparison.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Listed {
    pub(crate) path: String,
    pub(crate) rule: String,
    /// The finding's message (the earlier report's are not kept: only their rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

/// The run matched against the newest earlier report as it streams.
pub(crate) struct Comparing {
    earlier: Arc<Earlier>,
    /// Earlier messages with findings seen in this run, by slot.
    seen: Vec<bool>,
    /// Earlier findings found again, by index.
    found: Vec<bool>,
    new: usize,
    new_listed: Vec<Listed>,
}

impl Comparing {
    pub(crate) fn new(earlier: Arc<Earlier>) -> Comparing {
        let (seen, found) = (vec![false; earlier.paths.len()], vec![false; earlier.keys.len()]);
        Comparing { earlier, seen, found, new: 0, new_listed: Vec::new() }
    }

    /// A message of this run (`name`, when it is one) and its findings.
    pub(crate) fn message(&mut self, name: Option<&str>, path: &str, diagnostics: &[Located]) {
        if let Some(&slot) = name.and_then(|n| self.earlier.messages.get(n)) {
            self.seen[slot as usize] = true;
        }
        self.findings(path, diagnostics);
    }

    /// Findings of rules across messages, on a message the scan has already reported.
    pub(crate) fn findings(&mut self, path: &str, diagnostics: &[Located]) {
        for d in diagnostics {
            let Some(key) = d.key else { continue };
            match self.earlier.keys.get(&key) {
                Some(held) => self.found[held.index as usize] = true,
                None => {
                    self.new += 1;
                    if self.new_listed.len() < LISTED {
                        self.new_listed.push(Listed {
                            path: path.to_owned(),
                            rule: d.diagnostic.rule.to_string(),
                            message: Some(d.diagnostic.message.clone()),
                        });
                    }
                }
            }
        }
    }

    /// What changed, given this run's counts as a point of the trend; `rechecked` says
    /// whether this run would have reported a rule's finding again (`rechecked`, below).
    pub(crate) fn finish(self, now: Point, rechecked: impl Fn(&str) -> bool) -> Comparison {
        let (mut fixed, mut gone, mut unchanged, mut unconfirmed) = (0, 0, 0, 0);
        let mut fixed_listed = Vec::new();
        let mut held: Vec<&Held> = self.earlier.keys.values().collect();
        held.sort_by_key(|h| h.index);
        for h in held {
            if self.found[h.index as usize] {
                unchanged += 1;
            } else if self.seen[h.message as usize] && !rechecked(&h.rule) {
                unconfirmed += 1;
            } else if self.seen[h.message as usize] {
                fixed += 1;
                if fixed_listed.len() < LISTED {
                    let path = self.earlier.paths[h.message as usize].clone();
                    fixed_listed.push(Listed { path, rule: h.rule.to_string(), message: None });
                }
            } else {
                gone += 1;
            }
        }
        let before = self.earlier.newest().cloned().unwrap_or_else(|| now.clone());
        let moved = moved(&before, &now);
        let mut trend = self.earlier.points.clone();
        trend.push(now);
        Comparison {
            against: Against { report: before.report, finished: before.finished },
            new: self.new,
            fixed,
            no_longer_in_archive: gone,
            not_checked_again: unconfirmed,
            unchanged,
            new_listed: self.new_listed,
            fixed_listed,
            moved,
            trend_requirements: trend_requirements(&trend),
            trend,
        }
    }
}

/// Whether this run would report a finding of `rule` again: the rule ran, no `ignore:`
/// entry switches it off anywhere, and no baseline hides known findings. Otherwise a
/// finding not found again is not evidence that it was fixed.
pub(crate) fn rechecked<'a>(rules: &'a RuleSet, coverage: &'a RunCoverage) -> impl Fn(&str) -> bool + 'a {
    move |rule| {
        let exceptions = &coverage.exceptions;
        rules.get(rule).is_some_and(|r| super::coverage::not_run(r, true).is_none())
            && !exceptions.ignores.iter().any(|(_, ignored)| ignored.iter().any(|r| r == rule))
            && exceptions.baseline.is_none()
    }
}

/// The requirements whose share compliant differs between two reports (both checked it).
fn moved(before: &Point, after: &Point) -> Vec<Moved> {
    before
        .compliant
        .iter()
        .filter_map(|(id, &was)| after.compliant.get(id).map(|&now| (id, was, now)))
        .filter(|(_, was, now)| (was - now).abs() >= 0.05)
        .map(|(id, before, after)| Moved {
            id: id.clone(),
            before,
            after,
            change: ((after - before) * 10.0).round() / 10.0,
        })
        .collect()
}

/// The requirements the trend shows: those below 100% compliant in any of its reports.
fn trend_requirements(trend: &[Point]) -> Vec<String> {
    let failing: BTreeSet<&String> =
        trend.iter().flat_map(|p| p.compliant.iter().filter(|(_, v)| **v < 100.0).map(|(id, _)| id)).collect();
    failing.into_iter().cloned().collect()
}

/// The report compared with.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Against {
    pub(crate) report: String,
    pub(crate) finished: String,
}

/// A requirement whose share compliant moved.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Moved {
    pub(crate) id: String,
    pub(crate) before: f64,
    pub(crate) after: f64,
    /// Percentage points, `after - before`.
    pub(crate) change: f64,
}

impl Moved {
    /// `+4.0 pts`, `-2.5 pts`.
    pub(crate) fn points(&self) -> String {
        points(self.change)
    }
}

/// A change in share compliant, in percentage points.
pub(crate) fn points(change: f64) -> String {
    format!("{change:+.1} pts")
}

/// What changed since the newest earlier report, and the trend across all given.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Comparison {
    pub(crate) against: Against,
    /// Findings of this run no earlier report had.
    pub(crate) new: usize,
    /// Earlier findings gone from a message that is still in the archive.
    pub(crate) fixed: usize,
    /// Earlier findings whose message this run did not see.
    pub(crate) no_longer_in_archive: usize,
    /// Earlier findings not found again in a message this run saw, whose rule this run did
    /// not run, or which an accepted exception (`ignore:` naming the rule, a baseline) may
    /// have hidden: not claimed fixed.
    pub(crate) not_checked_again: usize,
    /// Earlier findings found again.
    pub(crate) unchanged: usize,
    #[serde(rename = "new_findings")]
    pub(crate) new_listed: Vec<Listed>,
    #[serde(rename = "fixed_findings")]
    pub(crate) fixed_listed: Vec<Listed>,
    #[serde(rename = "requirements")]
    pub(crate) moved: Vec<Moved>,
    /// Oldest first, this run last.
    pub(crate) trend: Vec<Point>,
    /// The requirements the trend's columns show.
    #[serde(skip)]
    pub(crate) trend_requirements: Vec<String>,
}

impl Comparison {
    /// The change of a requirement's share compliant, for the matrix's column.
    pub(crate) fn change(&self, id: &str) -> Option<String> {
        self.moved.iter().find(|m| m.id == id).map(Moved::points)
    }
}

impl Point {
    /// A cell of the trend table: the share compliant, or `-` where not checked.
    pub(crate) fn cell(&self, id: &str) -> String {
        self.compliant.get(id).map_or_else(|| "-".to_owned(), |p| format!("{p:.1}%"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::diagnostic::{Diagnostic, Severity};

    fn finding(key: u128) -> Located {
        let diagnostic = Diagnostic {
            rule: "r".into(),
            requirement: Vec::new().into(),
            severity: Severity::Error,
            message: "m".into(),
            help: None,
            label: None,
            span: 0..0,
            fix: None,
        };
        Located { diagnostic, line: 1, column: 1, key: Some(FindingKey(key)) }
    }

    fn key(n: u128) -> String {
        FindingKey(n).to_string()
    }

    fn point(compliant: &[(&str, f64)]) -> Point {
        Point {
            report: "r.json".into(),
            finished: String::new(),
            messages: 10,
            findings: 0,
            errors: 0,
            compliant: compliant.iter().map(|(id, p)| (id.to_string(), *p)).collect(),
        }
    }

    /// An earlier report whose messages `a` (findings 1, 2), `b` (3) and `c` (4) had findings.
    fn earlier() -> Arc<Earlier> {
        let json = serde_json::json!({
            "files": [
                { "path": "a.eml", "message": "<a@x>", "diagnostics": [
                    { "rule": "r", "key": key(1) }, { "rule": "r", "key": key(2) } ] },
                { "path": "b.eml", "message": "<b@x>", "diagnostics": [ { "rule": "s", "key": key(3) } ] },
                { "path": "c.eml", "message": "<c@x>", "diagnostics": [ { "rule": "r", "key": key(4) } ] },
                { "path": "d.eml", "message": "<d@x>", "diagnostics": [] },
                { "path": "nhsmail-lint.yaml", "diagnostics": [ { "rule": "setup" } ] },
            ],
            "summary": { "files": 4, "errors": 5, "warnings": 0, "infos": 0 },
            "run": { "finished": "2026-01-01T00:00:00Z" },
            "requirements": [ { "id": "M1", "checked": 4, "failing": 3 } ],
        });
        let report: Report = serde_json::from_value(json).expect("a report");
        let mut earlier = Earlier { points: vec![report.point(Path::new("old.json"))], ..Earlier::default() };
        earlier.hold(report.files.held);
        Arc::new(earlier)
    }

    #[test]
    fn a_finding_is_fixed_only_where_its_message_is_still_there() {
        let mut comparing = Comparing::new(earlier());
        // `a` keeps finding 1 and loses 2; `b` is clean now; `c` is gone; `d` gains one.
        comparing.message(Some("<a@x>"), "a.eml", &[finding(1)]);
        comparing.message(Some("<b@x>"), "b.eml", &[]);
        comparing.message(Some("<d@x>"), "d.eml", &[finding(9)]);
        comparing.message(None, "not-mail.txt", &[]);
        let done = comparing.finish(point(&[("M1", 50.0)]), |_| true);
        assert_eq!((done.new, done.fixed, done.no_longer_in_archive, done.unchanged), (1, 2, 1, 1));
        let fixed: Vec<(&str, &str)> = done.fixed_listed.iter().map(|l| (l.path.as_str(), l.rule.as_str())).collect();
        assert_eq!(fixed, [("a.eml", "r"), ("b.eml", "s")]);
        assert_eq!(done.new_listed[0].path, "d.eml");
        assert_eq!(done.moved.len(), 1);
        assert_eq!((done.moved[0].before, done.moved[0].after), (25.0, 50.0));
        assert_eq!(done.change("M1").as_deref(), Some("+25.0 pts"));
        assert_eq!(done.trend.len(), 2, "the earlier report, then this run");
    }

    #[test]
    fn a_finding_whose_rule_did_not_run_again_is_not_claimed_fixed() {
        let mut comparing = Comparing::new(earlier());
        comparing.message(Some("<a@x>"), "a.eml", &[finding(1)]);
        comparing.message(Some("<b@x>"), "b.eml", &[]);
        // Rule `s` (b's finding) was disabled, ignored or baselined in this run.
        let done = comparing.finish(point(&[]), |rule| rule != "s");
        assert_eq!((done.fixed, done.not_checked_again), (1, 1));
        assert_eq!(done.fixed_listed[0].path, "a.eml");
    }

    #[test]
    fn a_corpus_finding_found_after_the_scan_counts_as_found_again() {
        let mut comparing = Comparing::new(earlier());
        comparing.message(Some("<c@x>"), "c.eml", &[]);
        comparing.findings("c.eml", &[finding(4)]);
        let done = comparing.finish(point(&[]), |_| true);
        assert_eq!((done.fixed, done.unchanged, done.no_longer_in_archive), (0, 1, 3));
    }

    #[test]
    fn reports_without_names_or_keys_are_refused() {
        let parse = |files: serde_json::Value, requirements: bool| {
            let mut json = serde_json::json!({
                "files": files, "summary": { "files": 1, "errors": 1, "warnings": 0, "infos": 0 } });
            if requirements {
                json["requirements"] = serde_json::json!([]);
            }
            let report: Report = serde_json::from_value(json).expect("a report");
            (report.requirements.is_none() || report.files.unnamed, report.files.unkeyed)
        };
        let keyed = serde_json::json!([{ "path": "a.eml", "diagnostics": [ { "rule": "r", "key": key(1) } ] }]);
        assert_eq!(parse(keyed, true), (true, None), "findings in a message that has no name");
        let named = serde_json::json!([{ "path": "a.eml", "message": "<a@x>", "diagnostics": [ { "rule": "r" } ] }]);
        assert_eq!(parse(named.clone(), true), (false, Some("a.eml".into())), "a finding without its key");
        assert!(parse(named, false).0, "no `requirements`: written before message names");
    }

    #[test]
    fn shares_round_down_like_the_matrix() {
        assert_eq!(share(3, 1), Some(66.6));
        assert_eq!(share(0, 0), None);
        assert_eq!(points(-2.5), "-2.5 pts");
        assert_eq!(
            (super::super::count(5000), super::super::count(999), super::super::count(1_234_567)),
            ("5,000".to_owned(), "999".to_owned(), "1,234,567".to_owned())
        );
        let trend = [point(&[("M1", 100.0), ("M2", 90.0)]), point(&[("M1", 99.0)])];
        assert_eq!(trend_requirements(&trend), ["M1", "M2"]);
    }
}
