//! The `rules` and `explain` commands: what each rule does, from the rule itself.

use std::fmt::Write;

use serde::Serialize;

use crate::diagnostic::Severity;
use crate::rules::spec::Scope;
use crate::rules::{Rule, RuleSet};

/// Diagnostics the scanner itself reports, which no rule pack defines.
const ENGINE_DIAGNOSTICS: &[(&str, &str)] = &[
    (
        "unreadable-file",
        "unreadable-file (error): a file or directory could not be read (permissions, a symlink loop, a file \
         that vanished mid-scan). It is reported on that path and the scan goes on.",
    ),
    (
        "internal-error",
        "internal-error (error): nhsmail-lint itself failed on this file (a bug). It is reported on that path \
         and the scan goes on; the run exits non-zero.",
    ),
];

#[derive(Serialize)]
struct RuleRow<'a> {
    id: &'a str,
    severity: Severity,
    summary: &'a str,
    pack: &'a str,
    scope: Scope,
    online: bool,
    enabled: bool,
}

pub fn rules_table(rules: &RuleSet) -> String {
    let width = rules.rules.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let mut out = format!("{:<width$}  {:<8}  SUMMARY\n", "ID", "SEVERITY");
    for rule in &rules.rules {
        let state = if rule.enabled { "" } else { " (disabled in config)" };
        let _ = writeln!(out, "{:<width$}  {:<8}  {}{state}", rule.id, rule.severity.as_str(), rule.summary);
    }
    out
}

pub fn rules_json(rules: &RuleSet) -> String {
    let rows: Vec<RuleRow<'_>> = rules
        .rules
        .iter()
        .map(|r| RuleRow {
            id: &r.id,
            severity: r.severity,
            summary: &r.summary,
            pack: &r.pack,
            scope: r.scope,
            online: r.online,
            enabled: r.enabled,
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
        return Some(document(rule));
    }
    ENGINE_DIAGNOSTICS.iter().find(|(name, _)| *name == id).map(|(_, text)| format!("{text}\n"))
}

fn document(rule: &Rule) -> String {
    let mut out = format!("{} ({}): {}\n", rule.id, rule.severity.as_str(), rule.summary);
    let _ = writeln!(out, "Defined in {}", rule.pack);
    if !rule.aliases.is_empty() {
        let _ = writeln!(out, "Formerly {} (still accepted in configs)", rule.aliases.join(", "));
    }
    let docs = &rule.docs;
    for (heading, text) in [
        ("What it does", docs.what.as_deref()),
        ("Why it matters", docs.why.as_deref()),
        ("Example", docs.example.as_deref()),
        ("How to fix", rule.help.as_deref()),
        ("Source", docs.source.as_deref()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::yaml::YamlSource;

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
