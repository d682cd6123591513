//! Running compiled rules: message rules over one `MessageView` (pure: view in,
//! diagnostics and corpus facts out), then corpus rules over the facts of every message.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use super::compiled::{Check, Condition, Op, Rule, RuleSet};
use super::condition::{holds, passes};
use super::field::{Field, Target};
use crate::config::Config;
use crate::findings::diagnostic::{Diagnostic, Located, Severity};
use crate::findings::identity::FindingKey;
use crate::functions::Finding;
use crate::mail::MessageView;
use crate::mail::bytes;
use crate::online::Services;
use crate::rules::fix::Judged;
use crate::util::clock;

/// What a corpus rule keeps of one message: small, so a scan of millions stays small.
#[derive(Debug, Clone)]
pub struct Fact {
    pub(crate) rule: usize,
    pub(crate) key: String,
    pub(crate) instant: i64,
    pub(crate) span: Range<usize>,
    /// Where the span starts, so a finding can be reported without the file.
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The key of the finding it would be (set by the scan, which knows the message).
    pub finding: Option<FindingKey>,
}

/// What the message rules made of one message.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// What they found.
    pub diagnostics: Vec<Diagnostic>,
    /// The small facts the corpus rules judge later.
    pub facts: Vec<Fact>,
}

/// One value that broke a condition.
struct Violation {
    span: Range<usize>,
    value: String,
    /// The bytes `fix` would replace, when it can replace them as they stand.
    replaces: Option<Range<usize>>,
    fix: Option<String>,
    detail: Option<String>,
    /// Set when a function could not tell: what to say in place of the rule's help.
    inconclusive: Option<&'static str>,
    severity: Option<Severity>,
    /// The check was not made (`Finding::not_made`): no diagnostic.
    not_made: bool,
    /// Said at the span in place of the rule's label.
    label: Option<String>,
}

impl Violation {
    fn of(span: Range<usize>, value: String) -> Self {
        Violation {
            span,
            value,
            replaces: None,
            fix: None,
            detail: None,
            inconclusive: None,
            severity: None,
            not_made: false,
            label: None,
        }
    }
}

/// Runs the message and corpus rules at `active` (indices into `rules`, decided once a
/// run) over one message; online rules ask `services`.
pub fn evaluate(rules: &RuleSet, active: &[usize], view: &MessageView<'_>, services: Option<&Services>) -> Evaluation {
    let mut out = Evaluation::default();
    for &index in active {
        let rule = &rules.rules[index];
        if view.headers().is_none() && rule.needs_headers {
            continue;
        }
        // A bug in one rule must not lose the others: it becomes an `internal-error`.
        let outcome = crate::util::isolate::catch(|| {
            let mut found = Evaluation::default();
            let target = Target::Message(view);
            if applies(rule, target, services) {
                check_message(rule, index, view, services, &mut found);
            }
            found
        });
        match outcome {
            Ok(found) => {
                out.diagnostics.extend(found.diagnostics);
                out.facts.extend(found.facts);
            }
            Err(panic) => out.diagnostics.push(internal_error(rule, &panic.0)),
        }
    }
    out.diagnostics.sort_by(|a, b| (a.span.start, &a.rule).cmp(&(b.span.start, &b.rule)));
    out
}

/// One message rule's findings (its preconditions hold).
fn check_message(rule: &Rule, index: usize, view: &MessageView<'_>, services: Option<&Services>, out: &mut Evaluation) {
    match &rule.check {
        Check::Require(conditions) => {
            require(rule, conditions, Target::Message(view), services, &mut out.diagnostics, &mut false)
        }
        Check::Interval(interval) => {
            // Only spacing needs the date; one send's own value (`once`) does not.
            let instant = match (view.date(), interval.min_seconds) {
                (Some(instant), _) => instant,
                (None, Some(_)) => return,
                (None, None) => 0,
            };
            let mut keys = HashSet::new();
            interval.group_by.for_each(Target::Message(view), &mut |v| {
                let key = interval.key_of(&v.text);
                if !key.is_empty()
                    && interval.only.as_ref().is_none_or(|only| only.contains(&key))
                    && keys.insert(key.clone())
                {
                    let (line, column) = crate::mail::bytes::line_col(view.raw(), v.span.start);
                    out.facts.push(Fact { rule: index, key, instant, span: v.span, line, column, finding: None });
                }
            });
        }
    }
}

fn internal_error(rule: &Rule, panic: &str) -> Diagnostic {
    Diagnostic {
        rule: "internal-error".into(),
        requirement: Vec::new().into(),
        severity: crate::findings::diagnostic::Severity::Error,
        message: format!("rule {} failed on this message: {panic}", rule.id),
        help: Some(
            "This is a bug in nhsmail-lint; the other rules ran. Please report it with the message if you can.".into(),
        ),
        label: None,
        span: 0..0,
        fix: None,
    }
}

/// What the config rules found: their diagnostics, and the rules whose check was not made
/// this run (a probe's step not reached or not asked for), which found nothing and
/// passed nothing.
#[derive(Debug, Default)]
pub(crate) struct SetupVerdict {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) not_made: Vec<Arc<str>>,
}

/// Runs the config rules at `active` once a run, over the configuration (the set-up
/// checks ask `services`); spans are into the config file.
pub(crate) fn evaluate_config(
    rules: &RuleSet,
    active: &[usize],
    config: &Config,
    services: Option<&Services>,
) -> SetupVerdict {
    let mut out = SetupVerdict::default();
    for rule in active.iter().map(|&i| &rules.rules[i]) {
        let target = Target::Config(config);
        if let Check::Require(conditions) = &rule.check
            && applies(rule, target, services)
        {
            let mut not_made = false;
            require(rule, conditions, target, services, &mut out.diagnostics, &mut not_made);
            if not_made {
                out.not_made.push(rule.id.clone());
            }
        }
    }
    out.diagnostics.sort_by(|a, b| (a.span.start, &a.rule).cmp(&(b.span.start, &b.rule)));
    out
}

fn applies(rule: &Rule, target: Target<'_, '_>, services: Option<&Services>) -> bool {
    rule.when.iter().all(|c| holds(c, target, services)) && !rule.unless.iter().any(|c| holds(c, target, services))
}

fn require(
    rule: &Rule,
    conditions: &[Condition],
    target: Target<'_, '_>,
    services: Option<&Services>,
    out: &mut Vec<Diagnostic>,
    not_made: &mut bool,
) {
    // One mistake, one finding: a value that broke a requirement is not judged again by
    // a later requirement of the rule on the same field (`pathology.results` is not a
    // full address; that it is not the account too goes without saying).
    let mut reported: HashSet<(&str, Range<usize>, String)> = HashSet::new();
    // Two readings of the same bytes (`body.text` and `body.raw`) that find the same
    // thing make one finding; a set, so a message with many findings costs no more.
    let mut made: HashSet<(Range<usize>, String)> = HashSet::new();
    for condition in conditions {
        let message = condition.message.as_deref().unwrap_or(&rule.message);
        violations(condition, target, services, &mut |v| {
            if v.not_made {
                *not_made = true;
                return;
            }
            // The value too: two numbers in one base64 line share the line's span.
            let key = (condition.field_name.as_str(), v.span.clone(), v.value.clone());
            if !reported.insert(key) {
                return;
            }
            let vars = |name: &str| match name {
                "value" => Some(v.value.clone()),
                "expected" => Some(condition.expected.clone()),
                "field" => Some(condition.field_name.clone()),
                "fix" => v.fix.clone(),
                "detail" => v.detail.clone(),
                _ => None,
            };
            let mut d = diagnostic(rule, message, v.span.clone(), &vars);
            if v.label.is_some() {
                d.label = v.label.clone();
            }
            if let Some(help) = v.inconclusive {
                d.message = format!("could not check {}: {}", rule.id, v.detail.as_deref().unwrap_or("no answer"));
                d.help = Some(help.to_owned());
                // The label names what was found, and nothing was.
                d.label = None;
            }
            // A function may grade a finding below its rule, never above it.
            d.severity = d.severity.min(v.severity.unwrap_or(d.severity));
            if let (Some(spec), Some(view)) = (&rule.fix, target.view()) {
                let suggestion = v.replaces.clone().zip(v.fix.as_deref());
                let judged = Judged { span: v.span.clone(), value: &v.value, suggestion };
                d.fix = spec.fix(view.raw(), view.header_end(), &judged);
            }
            if !made.insert((d.span.clone(), d.message.clone())) {
                return;
            }
            out.push(d);
        });
    }
}

/// Corpus rules over every message's facts: returns (file index, diagnostic) pairs.
/// Messages sharing a key are ordered by instant (ties by file order), and each one
/// dated less than the interval after the one before it is reported; for a key that
/// belongs to one send (`once`), every message after the first in file order is.
/// `name_of` names a file index in messages (`{{previous_file}}`).
pub(crate) fn evaluate_corpus(
    rules: &RuleSet,
    facts: Vec<(usize, Fact)>,
    name_of: &dyn Fn(usize) -> String,
) -> BTreeMap<usize, Vec<Located>> {
    let mut groups: BTreeMap<(usize, String), Vec<(usize, Fact)>> = BTreeMap::new();
    for (file, fact) in facts {
        groups.entry((fact.rule, fact.key.clone())).or_default().push((file, fact));
    }
    let mut out: BTreeMap<usize, Vec<Located>> = BTreeMap::new();
    for ((rule_index, key), mut sends) in groups {
        let rule = &rules.rules[rule_index];
        let Check::Interval(interval) = &rule.check else {
            continue;
        };
        match interval.min_seconds {
            Some(_) => sends.sort_by_key(|(file, fact)| (fact.instant, *file)),
            None => sends.sort_by_key(|(file, _)| *file),
        }
        for pair in sends.windows(2) {
            let ((previous_file, before), (file, after)) = (&pair[0], &pair[1]);
            let gap = after.instant - before.instant;
            if interval.min_seconds.is_none_or(|min| gap < min) {
                let vars = |name: &str| match name {
                    "value" => Some(key.clone()),
                    "previous" => Some(clock::rfc3339(before.instant)),
                    "previous_file" => Some(name_of(*previous_file)),
                    "interval" => Some(format!("{} min {} s", gap / 60, gap % 60)),
                    "earliest" => interval.min_seconds.map(|min| clock::rfc3339(before.instant + min)),
                    _ => None,
                };
                let diagnostic = diagnostic(rule, &rule.message, after.span.clone(), &vars);
                let located = Located { diagnostic, line: after.line, column: after.column, key: after.finding };
                out.entry(*file).or_default().push(located);
            }
        }
    }
    out
}

fn diagnostic(rule: &Rule, message: &str, span: Range<usize>, vars: &dyn Fn(&str) -> Option<String>) -> Diagnostic {
    Diagnostic {
        rule: rule.id.clone(),
        requirement: rule.requirement.clone(),
        severity: rule.severity,
        message: render(message, vars),
        help: rule.help.as_deref().map(|h| render(h, vars)),
        label: rule.label.clone(),
        span,
        fix: None,
    }
}

/// Fills `{{name}}` placeholders; one with no value here is left out.
fn render(template: &str, vars: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else { break };
        out.push_str(&rest[..open]);
        let name = rest[open + 2..open + close].trim();
        out.push_str(&vars(name).unwrap_or_default());
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

/// As a requirement: every value must pass; each one that does not is a violation
/// (for `not_contains`, each thing the function found is one).
fn violations(
    condition: &Condition,
    target: Target<'_, '_>,
    services: Option<&Services>,
    sink: &mut dyn FnMut(Violation),
) {
    // Every line of every attachment is a value of `line.length`: find the long ones
    // without visiting each line (`bytes::long_lines`).
    if let (Field::LineLength, Op::Max(limit), Target::Message(view)) = (&condition.field, &condition.op, target) {
        for line in bytes::long_lines(view.raw(), *limit) {
            sink(Violation::of(line.clone(), line.len().to_string()));
        }
        return;
    }
    // A message whose wire size cannot exceed the limit needs no counting.
    if let (Field::MessageSize, Op::Max(limit), Target::Message(view)) = (&condition.field, &condition.op, target)
        && crate::mail::wire::within(view, *limit)
    {
        return;
    }
    let mut any = false;
    condition.field.for_each(target, &mut |v| {
        any = true;
        match &condition.op {
            Op::Present => {}
            Op::NotContains(call) => {
                for finding in call.detector.find(&v.text, services) {
                    let Finding { range, fix, fix_range, detail, inconclusive, severity, not_made } = finding;
                    // The bytes the suggestion replaces, only where they are what it read.
                    let replaces = fix_range.and_then(|r| {
                        let span = v.sub_span(target.view(), r.clone());
                        let raw = target.view()?.raw().get(span.clone())?;
                        (raw == v.text.get(r)?.as_bytes()).then_some(span)
                    });
                    sink(Violation {
                        span: v.sub_span(target.view(), range.clone()),
                        value: v.text[range].to_owned(),
                        replaces,
                        fix,
                        detail,
                        inconclusive: call.function.service.filter(|_| inconclusive).map(|s| s.inconclusive_help()),
                        severity,
                        not_made,
                        label: None,
                    });
                }
            }
            _ if !passes(condition, &v, services) || matches!(condition.op, Op::Absent) => {
                sink(Violation::of(v.span.clone(), v.display().into_owned()))
            }
            _ => {}
        }
    });
    if !any && matches!(condition.op, Op::Present) {
        let missing = condition.field.missing(target);
        sink(Violation { label: missing.label, ..Violation::of(missing.span, missing.value) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::Detector;
    use crate::rules::compiled::Call;
    use crate::util::yaml::YamlSource;

    #[derive(Debug)]
    struct Panics;

    impl Detector for Panics {
        fn find(&self, _: &str, _: Option<&Services>) -> Vec<Finding> {
            panic!("boom")
        }
    }

    #[test]
    fn a_panicking_rule_is_an_internal_error_and_the_others_still_run() {
        let pack = "rules:
  - {id: buggy, severity: error, summary: s, message: m, require: [{field: subject, not_contains: nhs_number}]}
  - {id: dated, severity: warning, summary: s, message: no date, require: [{field: header.Date, present: true}]}
";
        let config = Config::default();
        let mut rules = super::super::compile(&[YamlSource::new("t.yaml", pack)], &config).expect("compiles");
        if let Check::Require(conditions) = &mut rules.rules[0].check
            && let Op::NotContains(call) = &conditions[0].op
        {
            conditions[0].op = Op::NotContains(Call { function: call.function, detector: Box::new(Panics) });
        }
        let raw = b"Subject: hello\n\nbody\n";
        let view = MessageView::new(raw, raw.len());
        let out = evaluate(&rules, &[0, 1], &view, None);
        let found: Vec<(&str, &str)> = out.diagnostics.iter().map(|d| (&*d.rule, d.message.as_str())).collect();
        assert_eq!(found, [("internal-error", "rule buggy failed on this message: boom"), ("dated", "no date")]);
        let dated = &out.diagnostics[1];
        assert_eq!(dated.span, 15..15, "at the empty line that ends the header block");
        assert_eq!(dated.label.as_deref(), Some("the header block ends here, with no Date field"));
    }

    #[test]
    fn a_value_is_reported_once_per_rule_and_rules_that_do_not_apply_are_left_out() {
        let pack = "rules:
  - id: user
    severity: error
    summary: s
    message: not the account
    scope: config
    require:
      - {field: transport.username, not_contains: invalid_address, message: not an address}
      - {field: transport.username, equals: a@nhs.net}
      - {field: transport.host, equals: send.nhs.net}
  - id: relay-only
    severity: error
    summary: s
    message: m
    scope: config
    when: [{field: transport.mode, equals: relay}]
    require: [{field: transport.host, equals: x}]
";
        let yaml = "transport: {mode: submission, host: smtp.example, username: a}\n";
        let config = Config::load(YamlSource::new("c.yaml", yaml)).expect("config");
        let rules = super::super::compile(&[YamlSource::new("t.yaml", pack)], &config).expect("compiles");
        assert!(!rules.rules[1].applies, "judged when the pack compiles");
        let found = evaluate_config(&rules, &[0, 1], &config, None).diagnostics;
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["not the account", "not an address"], "the host, and the username once");
    }

    #[test]
    fn render_fills_known_and_drops_unknown() {
        let vars = |n: &str| (n == "value").then(|| "x@nhs.net".to_owned());
        assert_eq!(render("to {{value}} not {{ fix }}.", &vars), "to x@nhs.net not .");
        assert_eq!(render("unclosed {{value", &vars), "unclosed {{value");
    }
}
