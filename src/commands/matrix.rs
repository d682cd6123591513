//! The `requirements` command: the compliance matrix, from the packs' own data. Each
//! requirement with its verb, its sentence, how it is covered and the rules that check
//! it (each with the severity it chose); given a configuration, also whether this
//! set-up leaves it unchecked (a rule disabled, not applying, or missing what it needs)
//! and what `attestations:` records for it.

use std::fmt::Write;

use serde::Serialize;

use crate::commands::explain::verb_severity;
use crate::config::Config;
use crate::findings::diagnostic::Severity;
use crate::report::coverage::not_run;
use crate::rules::spec::{Coverage, Verb};
use crate::rules::{Requirement, Rule, RuleSet};

/// One rule as the matrix shows it.
#[derive(Serialize)]
struct RuleCell<'a> {
    id: &'a str,
    severity: Severity,
    /// The severity its requirements' verbs give (must -> error, should -> warning,
    /// recommended -> info); differs from `severity` where the pack departs (and its
    /// `explain` says why) or the config re-grades it.
    verb_severity: Option<Severity>,
    online: bool,
    /// With a configuration: why this set-up does not run it (`None`: it runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    not_run: Option<String>,
}

/// What one set-up does about a requirement.
#[derive(Serialize)]
struct SetupCell<'a> {
    /// `checked`, `partly checked` (its rules run, and the rest is to attest), `attested`,
    /// `open` (to attest), `unchecked`, or `not applicable`.
    status: &'static str,
    /// What `attestations:` records for it.
    attestation: Option<&'a str>,
}

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    verb: Verb,
    /// Word for word, as its source has it.
    sentence: &'a str,
    /// As a reader reads it, where the word-for-word sentence does not read as one.
    #[serde(skip_serializing_if = "Option::is_none")]
    readable: Option<&'a str>,
    /// As the pack declares it, with what the rules naming it add.
    coverage: Vec<Coverage>,
    source: &'a str,
    pack: &'a str,
    /// The set-ups it concerns (its `when`, in words); empty: every set-up.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    only_when: &'a [String],
    rules: Vec<RuleCell<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    setup: Option<SetupCell<'a>>,
}

/// The matrix; `setup` is the loaded configuration when there is a config file.
fn rows<'a>(rules: &'a RuleSet, setup: Option<&'a Config>) -> Vec<Row<'a>> {
    rules.requirements.iter().map(|r| row(rules, r, setup)).collect()
}

fn row<'a>(rules: &'a RuleSet, requirement: &'a Requirement, setup: Option<&'a Config>) -> Row<'a> {
    let named: Vec<&Rule> = rules.rules_for(&requirement.id).collect();
    let mut coverage = requirement.coverage.clone();
    coverage.extend(named.iter().map(|r| if r.online { Coverage::Online } else { Coverage::Offline }));
    coverage.sort();
    coverage.dedup();
    let cells: Vec<RuleCell<'a>> = named
        .iter()
        .map(|rule| RuleCell {
            id: &rule.id,
            severity: rule.severity,
            verb_severity: verb_severity(rules, rule),
            online: rule.online,
            not_run: setup.and_then(|config| not_run(rule, config.has_setup())),
        })
        .collect();
    let setup = setup.map(|config| {
        let attestation = config.attestations.get(&*requirement.id).map(|a| a.value.trim());
        let runs = cells.iter().any(|c| c.not_run.is_none());
        let status = match (requirement.applies, runs, attestation) {
            (false, _, _) => "not applicable",
            (true, true, None) if requirement.coverage.contains(&Coverage::Attest) => "partly checked",
            (true, true, _) => "checked",
            (true, false, Some(_)) => "attested",
            (true, false, None) if requirement.coverage.contains(&Coverage::Attest) => "open",
            (true, false, None) => "unchecked",
        };
        SetupCell { status, attestation }
    });
    Row {
        id: &requirement.id,
        verb: requirement.verb,
        sentence: &requirement.sentence,
        readable: requirement.readable.as_deref(),
        coverage,
        source: &requirement.source,
        pack: &requirement.pack,
        only_when: &requirement.when,
        rules: cells,
        setup,
    }
}

/// The coverage, and the set-ups it concerns when not all: `attest (only when transport.mode is relay)`.
fn coverage_text(row: &Row<'_>) -> String {
    let kinds = row.coverage.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    match row.only_when {
        [] => kinds,
        when => format!("{kinds} (only when {})", when.join(" and ")),
    }
}

/// A rule's severity, and the verb's where they differ: `smtp-port (warning; verb: error)`.
fn rule_text(cell: &RuleCell<'_>, code: bool) -> String {
    let id = if code { format!("`{}`", cell.id) } else { cell.id.to_owned() };
    match cell.verb_severity {
        Some(by_verb) if by_verb != cell.severity => {
            format!("{id} ({}; verb: {})", cell.severity.as_str(), by_verb.as_str())
        }
        _ => format!("{id} ({})", cell.severity.as_str()),
    }
}

fn setup_text(row: &Row<'_>) -> Option<String> {
    let setup = row.setup.as_ref()?;
    let mut text = setup.status.to_owned();
    let skipped: Vec<String> =
        row.rules.iter().filter_map(|c| c.not_run.as_ref().map(|why| format!("{} not run: {why}", c.id))).collect();
    if !skipped.is_empty() {
        let _ = write!(text, " ({})", skipped.join("; "));
    }
    if let Some(attested) = setup.attestation {
        let _ = write!(text, "; attested: {attested}");
    } else if setup.status == "open" {
        text.push_str(": record it under `attestations:`");
    } else if setup.status == "partly checked" {
        text.push_str(": record the rest under `attestations:`");
    }
    Some(text)
}

/// One block a requirement: id, verb, coverage, the sentence, the rules (and the set-up).
pub fn human(rules: &RuleSet, setup: Option<&Config>) -> String {
    let mut out = String::new();
    for row in rows(rules, setup) {
        let _ = writeln!(out, "{}  {}  [{}]", row.id, row.verb.as_str(), coverage_text(&row));
        let _ = writeln!(out, "    {}", row.readable.unwrap_or(row.sentence));
        if row.readable.is_some() {
            let _ = writeln!(out, "    word for word: {}", row.sentence);
        }
        let _ = writeln!(out, "    source: {}", row.source);
        if !row.rules.is_empty() {
            let cells: Vec<String> = row.rules.iter().map(|c| rule_text(c, false)).collect();
            let _ = writeln!(out, "    rules: {}", cells.join(", "));
        }
        if let Some(text) = setup_text(&row) {
            let _ = writeln!(out, "    this set-up: {text}");
        }
        out.push('\n');
    }
    out
}

/// The compliance matrix as JSON.
pub fn json(rules: &RuleSet, setup: Option<&Config>) -> String {
    serde_json::to_string_pretty(&rows(rules, setup)).expect("matrix rows serialise") + "\n"
}

/// The matrix as a Markdown table: docs/requirements.md holds this output (without a
/// configuration) between `<!-- requirements:begin -->` and `<!-- requirements:end -->`.
pub fn markdown(rules: &RuleSet, setup: Option<&Config>) -> String {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from("| id | verb | sentence | coverage | rules (severity) |");
    out.push_str(if setup.is_some() {
        " this set-up |\n|---|---|---|---|---|---|\n"
    } else {
        "\n|---|---|---|---|---|\n"
    });
    for row in rows(rules, setup) {
        let cells: Vec<String> = row.rules.iter().map(|c| rule_text(c, true)).collect();
        let rules = if cells.is_empty() { "-".to_owned() } else { cells.join(", ") };
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {} |",
            row.id,
            row.verb.as_str(),
            cell(&match row.readable {
                Some(readable) => format!("{readable} (word for word: “{}”)", row.sentence),
                None => row.sentence.to_owned(),
            }),
            coverage_text(&row),
            cell(&rules)
        );
        if let Some(text) = setup_text(&row) {
            let _ = write!(out, " {} |", cell(&text));
        }
        out.push('\n');
    }
    out
}
