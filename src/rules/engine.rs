//! Running compiled rules: message rules over one `MessageView` (pure: view in,
//! diagnostics and corpus facts out), then corpus rules over the facts of every message.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use mail_parser::DateTime;

use super::compile::{Check, Condition, Op, Rule, RuleSet};
use super::field::{Kind, Value};
use crate::diagnostic::Diagnostic;
use crate::mail::MessageView;

/// What a corpus rule keeps of one message: small, so a scan of millions stays small.
#[derive(Debug, Clone)]
pub struct Fact {
    pub rule: usize,
    pub key: String,
    pub instant: i64,
    pub span: Range<usize>,
}

#[derive(Debug, Default)]
pub struct Evaluation {
    pub diagnostics: Vec<Diagnostic>,
    pub facts: Vec<Fact>,
}

/// One value that broke a condition.
struct Violation {
    span: Range<usize>,
    value: String,
    fix: Option<String>,
}

/// Runs the rules `active` allows over one message.
pub fn evaluate(rules: &RuleSet, active: impl Fn(&Rule) -> bool, view: &MessageView<'_>) -> Evaluation {
    let mut out = Evaluation::default();
    for (index, rule) in rules.rules.iter().enumerate() {
        if !active(rule) || (view.headers().is_none() && rule.needs_headers) {
            continue;
        }
        if !rule.when.iter().all(|c| holds(c, view)) || rule.unless.iter().any(|c| holds(c, view)) {
            continue;
        }
        match &rule.check {
            Check::Require(conditions) => {
                for condition in conditions {
                    let message = condition.message.as_deref().unwrap_or(&rule.message);
                    violations(condition, view, &mut |v| {
                        out.diagnostics.push(diagnostic(rule, message, v.span, &|name| match name {
                            "value" => Some(v.value.clone()),
                            "expected" => Some(condition.expected.clone()),
                            "field" => Some(condition.field_name.clone()),
                            "fix" => v.fix.clone(),
                            _ => None,
                        }))
                    });
                }
            }
            Check::Interval(interval) => {
                let Some(instant) = view.date() else { continue };
                let mut keys = HashSet::new();
                interval.group_by.for_each(view, &mut |v| {
                    let key = v.text.to_ascii_lowercase();
                    if interval.only.as_ref().is_none_or(|only| only.contains(&key)) && keys.insert(key.clone()) {
                        out.facts.push(Fact { rule: index, key, instant, span: v.span });
                    }
                });
            }
        }
    }
    out.diagnostics.sort_by(|a, b| (a.span.start, &a.rule).cmp(&(b.span.start, &b.rule)));
    out
}

/// Corpus rules over every message's facts: returns (file index, diagnostic) pairs.
/// Messages sharing a key are ordered by instant (ties by file order), and each one
/// dated less than the interval after the one before it is reported.
/// `name_of` names a file index in messages (`{{previous_file}}`).
pub fn evaluate_corpus(
    rules: &RuleSet,
    facts: Vec<(usize, Fact)>,
    name_of: &dyn Fn(usize) -> String,
) -> Vec<(usize, Diagnostic)> {
    // Per (rule, key): each message's instant, file and the span of the key in it.
    type Sends = Vec<(i64, usize, Range<usize>)>;
    let mut groups: BTreeMap<(usize, String), Sends> = BTreeMap::new();
    for (file, fact) in facts {
        groups.entry((fact.rule, fact.key)).or_default().push((fact.instant, file, fact.span));
    }
    let mut out = Vec::new();
    for ((rule_index, key), mut sends) in groups {
        let rule = &rules.rules[rule_index];
        let Check::Interval(interval) = &rule.check else {
            continue;
        };
        sends.sort_by_key(|(instant, file, _)| (*instant, *file));
        for pair in sends.windows(2) {
            let ((before, previous_file, _), (after, file, span)) = (&pair[0], &pair[1]);
            let gap = after - before;
            if gap < interval.min_seconds {
                let vars = |name: &str| match name {
                    "value" => Some(key.clone()),
                    "previous" => Some(DateTime::from_timestamp(*before).to_rfc3339()),
                    "previous_file" => Some(name_of(*previous_file)),
                    "interval" => Some(format!("{} min {} s", gap / 60, gap % 60)),
                    "earliest" => Some(DateTime::from_timestamp(before + interval.min_seconds).to_rfc3339()),
                    _ => None,
                };
                out.push((*file, diagnostic(rule, &rule.message, span.clone(), &vars)));
            }
        }
    }
    out
}

fn diagnostic(rule: &Rule, message: &str, span: Range<usize>, vars: &dyn Fn(&str) -> Option<String>) -> Diagnostic {
    Diagnostic {
        rule: rule.id.clone(),
        severity: rule.severity,
        message: render(message, vars),
        help: rule.help.as_deref().map(|h| render(h, vars)),
        label: rule.label.clone(),
        span,
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

fn equal(kind: Kind, a: &str, b: &str) -> bool {
    if kind == Kind::Address { a.eq_ignore_ascii_case(b) } else { a == b }
}

fn passes(condition: &Condition, value: &Value<'_>) -> bool {
    let kind = condition.field.kind();
    let text = value.text.as_ref();
    match &condition.op {
        Op::Equals(s) => equal(kind, text, s),
        Op::NotEquals(s) => !equal(kind, text, s),
        Op::Matches(re) => re.is_match(text),
        Op::NotMatches(re) => !re.is_match(text),
        Op::Max(n) => value.number.is_none_or(|v| v <= *n),
        Op::Min(n) => value.number.is_none_or(|v| v >= *n),
        Op::Present | Op::Absent => true,
        Op::OneOf(set) => set.contains(&normalise(kind, text)),
        Op::NotOneOf(set) => !set.contains(&normalise(kind, text)),
        Op::Contains(f) => !(f.find)(text).is_empty(),
        Op::NotContains(f) => (f.find)(text).is_empty(),
    }
}

fn normalise(kind: Kind, text: &str) -> String {
    if kind == Kind::Address { text.to_ascii_lowercase() } else { text.to_owned() }
}

/// As a precondition: true when the field has a value that passes (for `absent`, when
/// it has none).
fn holds(condition: &Condition, view: &MessageView<'_>) -> bool {
    let mut any = false;
    let mut any_passing = false;
    condition.field.for_each(view, &mut |v| {
        any = true;
        any_passing |= passes(condition, &v);
    });
    match condition.op {
        Op::Present => any,
        Op::Absent => !any,
        _ => any_passing,
    }
}

/// As a requirement: every value must pass; each one that does not is a violation
/// (for `not_contains`, each thing the function found is one).
fn violations(condition: &Condition, view: &MessageView<'_>, sink: &mut dyn FnMut(Violation)) {
    let mut any = false;
    condition.field.for_each(view, &mut |v| {
        any = true;
        match &condition.op {
            Op::Present => {}
            Op::NotContains(f) => {
                for finding in (f.find)(&v.text) {
                    sink(Violation {
                        span: v.sub_span(view, finding.range.clone()),
                        value: v.text[finding.range].to_owned(),
                        fix: finding.fix,
                    });
                }
            }
            _ if !passes(condition, &v) || matches!(condition.op, Op::Absent) => {
                sink(Violation { span: v.span.clone(), value: v.display(), fix: None })
            }
            _ => {}
        }
    });
    if !any && matches!(condition.op, Op::Present) {
        let (span, value) = condition.field.missing(view);
        sink(Violation { span, value, fix: None });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_known_and_drops_unknown() {
        let vars = |n: &str| (n == "value").then(|| "x@nhs.net".to_owned());
        assert_eq!(render("to {{value}} not {{ fix }}.", &vars), "to x@nhs.net not .");
        assert_eq!(render("unclosed {{value", &vars), "unclosed {{value");
    }
}
