//! The `rules` and `explain` commands: what each rule does, from the rule itself.

use std::fmt::Write;

use serde::Serialize;

use crate::findings::diagnostic::Severity;
use crate::rules::spec::Scope;
use crate::rules::{Rule, RuleSet};

/// Diagnostics the scanner itself reports, which no rule pack defines.
const ENGINE_DIAGNOSTICS: &[(&str, &str)] = &[
    (
        "unreadable-file",
        "unreadable-file (error): a file or directory could not be read (permissions, a symlink loop, a file \
         that vanished mid-scan). It is reported on that path with the system's reason, the scan goes on, and \
         the run is incomplete: exit 2, whatever --fail-on says.",
    ),
    (
        crate::findings::diagnostic::ATTESTATION_OPEN,
        "attestation-open (info): `preflight` lists each requirement that no machine can check (coverage \
         `attest` in `nhsmail-lint requirements`), that applies to this set-up, and that `attestations:` in \
         nhsmail-lint.yaml does not record yet. Record what was done, e.g. `attestations: {A1: \"application \
         account created, ticket INC0123456, 2026-10-02\"}`, and it is no longer reported.",
    ),
    (
        "internal-error",
        "internal-error (error): nhsmail-lint itself failed on this file (a bug). It is reported on that path \
         and the scan goes on; the run exits non-zero.",
    ),
];

/// A rule as `rules --format json` gives it to tooling: everything a pack says about it,
/// and what this configuration makes of it.
#[derive(Serialize)]
struct RuleRow<'a> {
    id: &'a str,
    aliases: &'a [String],
    severity: Severity,
    requirement: &'a [std::sync::Arc<str>],
    summary: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    label: Option<&'a str>,
    pack: &'a str,
    scope: Scope,
    online: bool,
    /// A config rule: whether its errors stop every send (absent for other rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    blocks_send: Option<bool>,
    skip_in_templates: bool,
    enabled: bool,
    /// Why the rule cannot run with this configuration, if it cannot.
    unavailable: Option<&'a str>,
    docs: &'a crate::rules::spec::DocsSpec,
}

/// The `rules` list as text: each rule's id, severity and summary.
pub fn rules_table(rules: &RuleSet) -> String {
    let width = rules.rules.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let mut out = format!("{:<width$}  {:<8}  SUMMARY\n", "ID", "SEVERITY");
    for rule in &rules.rules {
        let state = if rule.enabled { "" } else { " (disabled in config)" };
        let _ = writeln!(out, "{:<width$}  {:<8}  {}{state}", rule.id, rule.severity.as_str(), rule.summary);
    }
    out
}

/// The `rules` list as JSON.
pub fn rules_json(rules: &RuleSet) -> String {
    let rows: Vec<RuleRow<'_>> = rules
        .rules
        .iter()
        .map(|r| RuleRow {
            id: &r.id,
            aliases: &r.aliases,
            severity: r.severity,
            requirement: &r.requirement,
            summary: &r.summary,
            message: &r.message,
            help: r.help.as_deref(),
            label: r.label.as_deref(),
            pack: &r.pack,
            scope: r.scope,
            online: r.online,
            blocks_send: (r.scope == Scope::Config).then_some(r.blocks_send),
            skip_in_templates: r.skip_in_templates,
            enabled: r.enabled,
            unavailable: r.unavailable.as_deref(),
            docs: &r.docs,
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("rule rows serialise") + "\n"
}

/// The rules as a Markdown table (id, severity, scope, summary; online rules marked):
/// docs/rules.md holds this output between `<!-- rules:begin -->` and `<!-- rules:end -->`.
pub fn rules_markdown(rules: &RuleSet) -> String {
    let mut out = String::from("| id | severity | scope | summary |\n|---|---|---|---|\n");
    for rule in &rules.rules {
        let scope = match rule.scope {
            Scope::Message => "message",
            Scope::Corpus => "corpus",
            Scope::Config => "config",
        };
        let online = if rule.online { ", online" } else { "" };
        let state = if rule.enabled { "" } else { " (disabled in config)" };
        let summary = rule.summary.replace('|', "\\|").replace('\n', " ");
        let severity = rule.severity.as_str();
        let _ = writeln!(out, "| `{}` | {severity} | {scope}{online} | {summary}{state} |", rule.id);
    }
    out
}

/// The rule's documentation, or `None` for an unknown id.
pub fn explain(rules: &RuleSet, id: &str) -> Option<String> {
    if let Some(rule) = rules.get(id) {
        return Some(document(rules, rule));
    }
    ENGINE_DIAGNOSTICS.iter().find(|(name, _)| *name == id).map(|(_, text)| format!("{text}\n"))
}

fn document(rules: &RuleSet, rule: &Rule) -> String {
    let mut out = format!("{} ({}): {}\n", rule.id, rule.severity.as_str(), rule.summary);
    let _ = writeln!(out, "Defined in {}", rule.pack);
    if !rule.aliases.is_empty() {
        let _ = writeln!(out, "Formerly {} (still accepted in configs)", rule.aliases.join(", "));
    }
    if !rule.requirement.is_empty() {
        let _ = write!(out, "\nRequirement\n");
        for id in rule.requirement.iter() {
            if let Some(r) = rules.requirement(id) {
                let _ = writeln!(out, "    {id} ({}): {}", r.verb.as_str(), r.reads());
            }
        }
    }
    let docs = &rule.docs;
    for (heading, text) in [
        ("What it does", docs.what.as_deref()),
        ("Why it matters", docs.why.as_deref()),
        ("Example", docs.example.as_deref()),
        ("How to fix", rule.help.as_deref()),
        ("Source", docs.source.as_deref()),
        ("Severity", severity_note(rules, rule).as_deref()),
        ("Before --send", sending_note(rule).as_deref()),
    ] {
        if let Some(text) = text {
            let _ = write!(out, "\n{heading}\n");
            for line in text.trim_end().lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

/// What a config rule's error does to `--send`, and the pack's reason.
fn sending_note(rule: &Rule) -> Option<String> {
    if rule.scope != Scope::Config {
        return None;
    }
    let effect = match rule.blocks_send {
        true => "an error of this rule stops every send: `--send` sends nothing while it is reported",
        false => "does not stop sending: `--send` still sends every message it does not concern",
    };
    let reason = rule.docs.sending.as_deref().unwrap_or("(the pack gives no reason)");
    Some(format!("{effect}. {reason}"))
}

/// The severity the verbs of a rule's requirements give it: the strictest of them.
pub(crate) fn verb_severity(rules: &RuleSet, rule: &Rule) -> Option<Severity> {
    rule.requirement.iter().filter_map(|id| rules.requirement(id)).map(|r| r.verb.severity()).max()
}

/// Why the rule's severity is not its verb's, when it is not (and the pack says why).
fn severity_note(rules: &RuleSet, rule: &Rule) -> Option<String> {
    let by_verb = verb_severity(rules, rule)?;
    if by_verb == rule.severity {
        return None;
    }
    let reason = rule.docs.severity_reason.as_deref().unwrap_or("(the pack gives no reason)");
    Some(format!("{}, where the requirement's verb gives {}: {reason}", rule.severity.as_str(), by_verb.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::util::yaml::YamlSource;

    #[test]
    fn the_markdown_table_marks_online_rules_and_escapes_pipes() {
        let pack = r#"
rules:
  - id: piped
    severity: warning
    summary: one | two
    message: m
    require:
      - field: subject
        present: true
  - id: asks-dns
    severity: error
    summary: s
    message: m
    scope: config
    online: true
    require:
      - field: transport.host
        not_contains: unroutable_domain
"#;
        let rules = crate::rules::compile(&[YamlSource::new("t.yaml", pack)], &Config::default()).expect("compiles");
        assert_eq!(
            rules_markdown(&rules),
            "| id | severity | scope | summary |\n|---|---|---|---|\n\
             | `piped` | warning | message | one \\| two |\n\
             | `asks-dns` | error | config, online | s |\n"
        );
    }
}
