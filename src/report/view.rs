//! The run as both reports for people show it: the headline, the requirements matrix in
//! words, each rule's section, the sends and the shards, built once from the tally.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::coverage::{RunCoverage, Status};
use super::row::{MatrixRow, RequirementVerdict, matrix_row};
use super::tally::{Example, RuleTally, Tally};
use super::verdict::{Reach, Verdict};
use super::{Ending, summary_line};
use crate::rules::RuleSet;
use crate::rules::spec::Verb;
use crate::send::Outcome;

/// A rule's section.
pub(crate) struct RuleView<'a> {
    pub(crate) id: &'a str,
    pub(crate) summary: &'a str,
    pub(crate) severity: &'static str,
    pub(crate) requirements: String,
    pub(crate) what: Option<&'a str>,
    pub(crate) why: Option<&'a str>,
    pub(crate) fix: Option<&'a str>,
    pub(crate) findings: usize,
    pub(crate) messages: usize,
    pub(crate) tally: &'a RuleTally,
    /// Affected messages not listed.
    pub(crate) more: usize,
}

/// Rows of the matrix that say the same thing, folded into one line: requirements this
/// run did not judge, for one reason.
pub(crate) struct Fold {
    /// `13 set-up requirements not checked: ...`.
    pub(crate) summary: String,
    pub(crate) rows: Vec<MatrixRow>,
}

/// A failing requirement, for the list under the verdict.
pub(crate) struct FailingRequirement<'a> {
    pub(crate) row: MatrixRow,
    /// One finding of its rules, the most frequent rule's first.
    pub(crate) example: Option<&'a Example>,
}

/// The run as both templates show it.
pub(crate) struct View<'a> {
    pub(crate) end: &'a Ending,
    pub(crate) headline: String,
    /// The status and sentence the reports open with.
    pub(crate) verdict: Verdict,
    /// Failing requirements, "must" first, then by how many messages fail.
    pub(crate) failing: Vec<FailingRequirement<'a>>,
    /// The rows shown one a row: what the run judged, what a person attested, and what
    /// it could not check for a reason of its own (a rule skipped: the note is beside it).
    pub(crate) matrix: Vec<MatrixRow>,
    /// The rest, one line a reason.
    pub(crate) folds: Vec<Fold>,
    pub(crate) rules: Vec<RuleView<'a>>,
    pub(crate) coverage: &'a RunCoverage,
    pub(crate) sends: Option<&'a [Outcome]>,
    pub(crate) send_counts: Vec<(&'static str, usize)>,
    pub(crate) first: &'a [Example],
    pub(crate) setup_findings: &'a [Example],
    /// Findings not listed among the first.
    pub(crate) more_findings: usize,
    /// For `merge`: each shard's run in words.
    pub(crate) shards: Vec<String>,
    /// The matrix in one sentence: how many requirements are in each state.
    pub(crate) matrix_summary: String,
    /// `--compare`: what changed since the earlier reports.
    pub(crate) compare: Option<super::compare::Comparison>,
}

impl<'a> View<'a> {
    pub(super) fn new(
        rules: &'a RuleSet,
        coverage: &'a RunCoverage,
        tally: &'a Tally,
        sends: Option<&'a [Outcome]>,
        end: &'a Ending,
    ) -> View<'a> {
        let matrix = matrix(rules, coverage, tally, end.summary.files);
        let matrix_summary = matrix_summary(&matrix, end);
        let s = &end.summary;
        let reach = Reach {
            messages: s.files.saturating_sub(s.unread.len()),
            with_findings: s.files_with_findings.saturating_sub(s.unread.len()),
            unread: s.unread.len(),
        };
        let verdict = Verdict::of(&matrix, &reach);
        let mut by_count: Vec<(&Arc<str>, &RuleTally)> = tally.by_rule.iter().collect();
        by_count.sort_by(|a, b| b.1.findings().cmp(&a.1.findings()).then(a.0.cmp(b.0)));
        let rule_views: Vec<RuleView<'a>> = by_count
            .into_iter()
            .map(|(id, t)| {
                let rule = rules.get(id);
                RuleView {
                    id,
                    summary: rule.map_or("", |r| r.summary.as_str()),
                    severity: t.severity().as_str(),
                    requirements: rule.map(|r| r.requirement.join(", ")).unwrap_or_default(),
                    what: rule.and_then(|r| r.docs.what.as_deref()),
                    why: rule.and_then(|r| r.docs.why.as_deref()),
                    fix: rule.and_then(|r| r.help.as_deref()),
                    findings: t.findings(),
                    messages: t.messages,
                    tally: t,
                    more: t.messages - t.affected.len(),
                }
            })
            .collect();
        let mut send_counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for o in sends.unwrap_or_default() {
            *send_counts.entry(o.verdict.as_str()).or_insert(0) += 1;
        }
        let failing = failing_requirements(&matrix, rules, &rule_views, &tally.setup_findings);
        let (matrix, folds) = fold(matrix);
        View {
            end,
            headline: summary_line(s),
            verdict,
            failing,
            matrix,
            folds,
            rules: rule_views,
            coverage,
            sends,
            send_counts: send_counts.into_iter().collect(),
            first: &tally.first,
            setup_findings: &tally.setup_findings,
            more_findings: (s.errors + s.warnings + s.infos)
                .saturating_sub(tally.first.len() + tally.setup_findings.len()),
            shards: end.run.shards.iter().map(shard_text).collect(),
            matrix_summary,
            compare: None,
        }
    }

    /// `--compare`'s result, and its column in the matrix.
    pub(super) fn compared(mut self, comparison: super::compare::Comparison) -> View<'a> {
        for row in &mut self.matrix {
            row.change = comparison.change(&row.id);
        }
        self.compare = Some(comparison);
        self
    }
}

/// The matrix's rows, of `messages` scanned.
pub(super) fn matrix(rules: &RuleSet, coverage: &RunCoverage, tally: &Tally, messages: usize) -> Vec<MatrixRow> {
    // A row whose rules all read headers did not check the files that are not messages.
    let reads_headers = |id: &str| rules.get(id).is_some_and(|r| r.needs_headers);
    coverage
        .rows
        .iter()
        .map(|row| {
            let unchecked = match &row.status {
                Status::Checked { message_rules, .. } if message_rules.iter().all(|r| reads_headers(r)) => {
                    tally.unchecked
                }
                _ => 0,
            };
            matrix_row(row, tally, messages, unchecked, &coverage.exceptions)
        })
        .collect()
}

/// Each requirement's messages checked and failing (the JSON report's `requirements`,
/// what `--compare` reads of an earlier run).
pub(super) fn requirement_counts(matrix: &[MatrixRow]) -> Vec<super::compare::Requirement> {
    matrix
        .iter()
        .filter_map(|row| {
            let (checked, failing) = (row.checked?, row.failing?);
            Some(super::compare::Requirement { id: row.id.clone(), checked, failing })
        })
        .collect()
}

/// This run as a point of `--compare`'s trend.
pub(super) fn point(matrix: &[MatrixRow], end: &Ending) -> super::compare::Point {
    let s = &end.summary;
    super::compare::Point {
        report: "this run".into(),
        finished: end.run.finished.clone(),
        messages: s.files,
        findings: s.errors + s.warnings + s.infos,
        errors: s.errors,
        compliant: requirement_counts(matrix)
            .into_iter()
            .filter_map(|r| super::compare::share(r.checked, r.failing).map(|p| (r.id, p)))
            .collect(),
    }
}

/// The failing rows, "must" first, each with an example from its rules.
fn failing_requirements<'a>(
    matrix: &[MatrixRow],
    rules: &RuleSet,
    views: &[RuleView<'a>],
    setup: &'a [Example],
) -> Vec<FailingRequirement<'a>> {
    let serves = |rule: &str, id: &str| rules.get(rule).is_some_and(|r| r.requirement.iter().any(|q| **q == *id));
    let mut out: Vec<FailingRequirement<'a>> = matrix
        .iter()
        .filter(|row| row.verdict == RequirementVerdict::Failing)
        .map(|row| {
            // The views come most findings first.
            let example = views
                .iter()
                .filter(|v| serves(v.id, &row.id))
                .find_map(|v| v.tally.examples.first())
                .or_else(|| setup.iter().find(|e| serves(&e.rule, &row.id)));
            FailingRequirement { row: row.clone(), example }
        })
        .collect();
    out.sort_by_key(|f| (f.row.verb != Verb::Must, std::cmp::Reverse(f.row.failing.unwrap_or(0))));
    out
}

/// The rows shown one a row, and the rest folded by reason: requirements to attest, not
/// applicable, or only set-up rules' with no set-up in the run. A row not checked for a
/// reason of its own (a rule skipped for want of `account:`) stays, with its reason.
fn fold(matrix: Vec<MatrixRow>) -> (Vec<MatrixRow>, Vec<Fold>) {
    let reasons: [(RequirementVerdict, &str, &str); 3] = [
        (
            RequirementVerdict::NoSetup,
            "set-up requirement",
            "not checked: no sending set-up (`transport:`, `mailbox:` or `directory:`) in this run",
        ),
        (RequirementVerdict::Open, "requirement", "to attest: nothing recorded under `attestations:`"),
        (RequirementVerdict::NotApplicable, "requirement", "not applicable: they concern another set-up"),
    ];
    let mut folded: Vec<Vec<MatrixRow>> = reasons.iter().map(|_| Vec::new()).collect();
    let mut shown = Vec::new();
    for row in matrix {
        match reasons.iter().position(|(verdict, _, _)| *verdict == row.verdict) {
            Some(i) => folded[i].push(row),
            None => shown.push(row),
        }
    }
    let folds = reasons
        .iter()
        .zip(folded)
        .filter(|(_, rows)| !rows.is_empty())
        .map(|((_, what, why), rows)| Fold { summary: format!("{} {why}", super::plural(rows.len(), what)), rows })
        .collect();
    (shown, folds)
}

/// `33 requirements: 9 compliant, 9 failing, 7 to attest, 6 not checked in this run, 3 not applicable.`,
/// and the findings the baseline and `ignore:` kept out of the counts.
fn matrix_summary(rows: &[MatrixRow], end: &Ending) -> String {
    let mut counts: BTreeMap<RequirementVerdict, usize> = BTreeMap::new();
    for row in rows {
        *counts.entry(row.verdict).or_insert(0) += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(verdict, n)| format!("{n} {}", verdict.label())).collect();
    let mut text = format!("{} requirement(s): {}.", rows.len(), parts.join(", "));
    // Accepted findings are not counted as failing: say so where the counts are read.
    let hidden = [(end.baseline_known, "the baseline knew"), (end.ignored, "`ignore:` left out")];
    let hidden: Vec<String> =
        hidden.iter().filter(|(n, _)| *n > 0).map(|(n, by)| format!("{n} finding(s) {by}")).collect();
    if !hidden.is_empty() {
        text.push_str(&format!(" Not counted as failing: {} (see Accepted exceptions).", hidden.join(" and ")));
    }
    text
}

/// A shard's `"run"` object in words: where, when, what it read.
fn shard_text(run: &serde_json::Value) -> String {
    let text = |key: &str| run[key].as_str().unwrap_or("?").to_owned();
    let count = |key: &str| run[key].as_u64().unwrap_or(0);
    let inputs: Vec<&str> = run["inputs"].as_array().into_iter().flatten().filter_map(|i| i.as_str()).collect();
    format!(
        "{} on {}, {} to {}: {} file(s), {} message(s), {} bytes from {}",
        text("command"),
        text("host"),
        text("started"),
        text("finished"),
        count("files"),
        count("messages"),
        count("bytes"),
        inputs.join(", ")
    )
}
