//! Rule packs from YAML to executable rules. Every check a pack can fail happens here,
//! before any message is read: unknown fields, operators on the wrong kind of field,
//! bad regexes, unknown functions and options, unknown config keys and placeholders,
//! duplicate ids. The configuration is read here and only here: `${config.*}` is
//! interpolated, and message rules' preconditions on it are judged, so that no rule
//! needs the configuration again while messages are checked.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use miette::Report;
use regex::Regex;
use serde_saphyr::Spanned;

use super::compiled::{Call, Check, Condition, Interval, Op, Requirement, Rule, RuleSet, StatusClass};
use super::condition::{holds, normalise};
use super::field::{Field, Target};
use super::pattern::Pattern;
use super::spec::{
    ConditionSpec, CorpusSpec, Coverage, FunctionCallSpec, OperatorSpec, OptionValue, PackSpec, RuleSpec, Scalar,
    Scope, StatusCodeSpec, TextOrList,
};
use super::value::Kind;
use crate::config::{Config, ConfigValue};
use crate::functions;
use crate::util::suggest;
use crate::util::units;
use crate::util::yaml::YamlSource;

/// What rule messages and help may interpolate as `{{name}}`.
pub(crate) const PLACEHOLDERS: &[&str] =
    &["value", "expected", "field", "fix", "detail", "previous", "previous_file", "interval", "earliest"];

/// Compiles `packs` in order; rule ids and requirement ids must each be unique across
/// all of them, and a rule may name a requirement of any loaded pack.
pub fn compile(packs: &[YamlSource], config: &Config) -> Result<RuleSet, Report> {
    let mut specs =
        packs.iter().map(|pack| Ok((pack, pack.parse::<PackSpec>()?))).collect::<Result<Vec<_>, Report>>()?;
    let mut requirements: Vec<Requirement> = Vec::new();
    let mut coverage_at = Vec::new();
    let mut status_specs = Vec::new();
    for (pack, spec) in &mut specs {
        status_specs.push((*pack, std::mem::take(&mut spec.status_codes)));
        for mut r in std::mem::take(&mut spec.requirements) {
            if !REQUIREMENT_ID.is_match(&r.id.value) {
                return Err(pack.error_at(&r.id, "requirement ids are letters, digits, `-` and `.` (like `M4`)"));
            }
            if let Some(first) = requirements.iter().find(|q| *q.id == r.id.value) {
                return Err(pack.error_at(
                    &r.id,
                    format!("duplicate requirement id `{}` (first defined in {})", r.id.value, first.pack),
                ));
            }
            let mut coverage = r.coverage.value.to_vec();
            coverage.sort();
            coverage.dedup();
            if coverage.is_empty() {
                return Err(pack.error_at(&r.coverage, "a requirement needs a coverage: offline, online or attest"));
            }
            // Judged now, like a message rule's preconditions on the configuration.
            let mut compiler = Compiler { pack, config, unavailable: None, online: false };
            let when = std::mem::take(&mut r.when)
                .into_iter()
                .map(|c| compiler.condition(c, Reads::Config))
                .collect::<Result<Vec<_>, _>>()?;
            let applies = when.iter().all(|c| holds(c, Target::Config(config), None));
            requirements.push(Requirement {
                applies,
                when: when.iter().map(Condition::describe).collect(),
                id: r.id.value.as_str().into(),
                verb: r.verb,
                sentence: r.sentence.trim().to_owned(),
                readable: r.readable.as_deref().map(|s| s.trim().to_owned()),
                coverage,
                source: r.source.trim().to_owned(),
                pack: pack.name.clone(),
            });
            coverage_at.push((*pack, r.coverage.referenced));
        }
    }
    let mut rules = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (pack, spec) in specs {
        for rule in spec.rules {
            // A former id (an alias) names its rule as surely as the id does.
            for name in std::iter::once(&rule.id).chain(&rule.aliases) {
                if let Some(first) = seen.get(&name.value) {
                    return Err(
                        pack.error_at(name, format!("duplicate rule id `{}` (first defined in {first})", name.value))
                    );
                }
                seen.insert(name.value.clone(), pack.name.clone());
            }
            for id in &rule.requirement {
                if !requirements.iter().any(|r| *r.id == id.value) {
                    let known = requirements.iter().map(|r| &*r.id).collect::<Vec<_>>().join(", ");
                    let list = if known.is_empty() {
                        "no loaded pack defines requirements (`requirements:`)".to_owned()
                    } else {
                        format!("requirements: {known}")
                    };
                    return Err(pack.error(
                        &id.referenced,
                        format!("unknown requirement `{}`", id.value),
                        suggest::help(&id.value, requirements.iter().map(|r| &*r.id), Some(list)),
                    ));
                }
            }
            rules.push(Compiler { pack, config, unavailable: None, online: false }.rule(rule)?);
        }
    }
    // A requirement said to be checked offline (or online) must have such a rule, so the
    // matrix cannot claim a check that does not exist.
    for (requirement, (pack, at)) in requirements.iter().zip(coverage_at) {
        for kind in [Coverage::Offline, Coverage::Online] {
            let backed = rules.iter().any(|r| r.online == (kind == Coverage::Online) && r.checks(&requirement.id));
            if requirement.coverage.contains(&kind) && !backed {
                return Err(pack.error(
                    &at,
                    format!(
                        "requirement `{}` is said to be checked {}, but no such rule names it",
                        requirement.id,
                        kind.as_str()
                    ),
                    Some(format!(
                        "add `requirement: [{}]` to a rule that checks it, or change its coverage",
                        requirement.id
                    )),
                ));
            }
        }
    }
    let mut status_codes: Vec<StatusClass> = Vec::new();
    for (pack, rows) in status_specs {
        let first = status_codes.len();
        for row in rows {
            let (class, at) = status_class(pack, row, &requirements)?;
            let pattern = |c: &StatusClass| c.diagnostic.as_ref().map(|p| p.text().to_owned());
            if status_codes[first..].iter().any(|c| c.code == class.code && pattern(c) == pattern(&class)) {
                return Err(pack.error_at(
                    &at,
                    format!("status code `{}` is already in this pack with the same diagnostic pattern", class.code),
                ));
            }
            status_codes.push(class);
        }
    }
    Ok(RuleSet { rules, requirements, status_codes })
}

static STATUS_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[245]\.[0-9]{1,3}\.[0-9]{1,3}$").expect("valid regex"));

/// One row of a pack's status-code table, and where its code was written: its code an
/// RFC 3463 one, its pattern a regular expression, its requirement `none` or one some
/// loaded pack defines.
fn status_class(
    pack: &YamlSource,
    row: StatusCodeSpec,
    requirements: &[Requirement],
) -> Result<(StatusClass, Spanned<String>), Report> {
    if !STATUS_CODE.is_match(&row.code.value) {
        return Err(
            pack.error_at(&row.code, "an enhanced status code is class.subject.detail, like `5.7.60` (RFC 3463)")
        );
    }
    let diagnostic = match &row.diagnostic {
        None => None,
        Some(text) if pack.is_prebuilt() => Some(Pattern::deferred(text.value.clone())),
        Some(text) => Some(
            Pattern::now(text.value.clone())
                .map_err(|e| pack.error_at(text, format!("invalid regular expression: {e}")))?,
        ),
    };
    let requirement = match row.requirement.value.as_str() {
        "none" => None,
        id => match requirements.iter().find(|r| &*r.id == id) {
            Some(known) => Some(known.id.clone()),
            None => {
                let known = requirements.iter().map(|r| &*r.id).collect::<Vec<_>>().join(", ");
                return Err(pack.error(
                    &row.requirement.referenced,
                    format!("unknown requirement `{id}`"),
                    suggest::help(
                        id,
                        requirements.iter().map(|r| &*r.id),
                        Some(format!("write `none` when the cause is no requirement; requirements: {known}")),
                    ),
                ));
            }
        },
    };
    let class = StatusClass {
        code: row.code.value.clone(),
        diagnostic,
        side: row.side,
        failure: row.failure,
        meaning: row.meaning.trim().to_owned(),
        requirement,
        source: row.source.trim().to_owned(),
    };
    Ok((class, row.code))
}

fn not_configured(key: &str, config: &Config) -> String {
    let key = key.trim_start_matches("config.");
    if key == "account" && config.has_placeholder_account() {
        return format!(
            "`account` is still the starter's placeholder {} (account-placeholder reports it: write your application account)",
            crate::config::PLACEHOLDER_ACCOUNT
        );
    }
    format!(
        "`{key}` is not configured (set `{key}:` in nhsmail-lint.yaml{})",
        if key == "account" { ", give the full address as the submission `username`, or pass --account" } else { "" }
    )
}

struct Compiler<'a> {
    pack: &'a YamlSource,
    config: &'a Config,
    unavailable: Option<String>,
    /// The rule being compiled is marked `online`: it may call online functions.
    online: bool,
}

/// Which fields a condition may read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reads {
    Message,
    Config,
    Either,
}

static REQUIREMENT_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^[A-Za-z0-9]+([-.][A-Za-z0-9]+)*$").expect("valid regex"));
static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new("^[a-z0-9]+(-[a-z0-9]+)*$").expect("valid regex"));
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{\{\s*([^}]*?)\s*\}\}").expect("valid regex"));
static INTERPOLATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{([^}]*)\}").expect("valid regex"));

impl<'a> Compiler<'a> {
    fn rule(mut self, spec: RuleSpec) -> Result<Rule, Report> {
        if let Some(bad) = std::iter::once(&spec.id).chain(&spec.aliases).find(|id| !ID.is_match(&id.value)) {
            return Err(self.err(bad, "rule ids are lowercase words joined by `-` (like `no-reply-address`)"));
        }
        self.placeholders(&spec.message)?;
        if let Some(help) = &spec.help {
            self.placeholders(help)?;
        }
        self.online = spec.online;
        // Only the set-up stops every send: a message rule's error stops its own message.
        let blocks_send = match (&spec.blocks_send, spec.scope) {
            (Some(given), Scope::Config) => given.value,
            (None, Scope::Config) => true,
            (Some(given), Scope::Message | Scope::Corpus) => {
                return Err(self.err(
                    given,
                    "`blocks_send` is for config rules (`scope: config`): a message rule's error holds back only \
                     its own message",
                ));
            }
            (None, Scope::Message | Scope::Corpus) => false,
        };
        // Config rules read only the config; message rules may read it in `when` and
        // `unless` (constant for the run), but report only on message bytes.
        let preconditions = match spec.scope {
            Scope::Config => Reads::Config,
            Scope::Message | Scope::Corpus => Reads::Either,
        };
        let requirements = match spec.scope {
            Scope::Config => Reads::Config,
            Scope::Message | Scope::Corpus => Reads::Message,
        };
        let mut when =
            spec.when.into_iter().map(|c| self.condition(c, preconditions)).collect::<Result<Vec<_>, _>>()?;
        let mut unless =
            spec.unless.into_iter().map(|c| self.condition(c, preconditions)).collect::<Result<Vec<_>, _>>()?;
        // A message rule's preconditions on the configuration are the same for every
        // message: judge them now, and keep only those that read messages.
        let applies;
        if spec.scope != Scope::Config {
            let on_config = |c: &Condition| c.field.is_config();
            let target = Target::Config(self.config);
            applies = when.iter().filter(|c| on_config(c)).all(|c| holds(c, target, None))
                && !unless.iter().filter(|c| on_config(c)).any(|c| holds(c, target, None));
            when.retain(|c| !on_config(c));
            unless.retain(|c| !on_config(c));
            // All of `when` must hold and none of `unless`, so their order is the
            // cost's alone: the cheap fields first.
            when.sort_by_key(|c| c.field.cost());
            unless.sort_by_key(|c| c.field.cost());
        } else {
            // So are a config rule's, except those that ask a service: a rule that does
            // not apply to this set-up (the mailbox's rules, with no `mailbox:`) is left
            // out, not noted as skipped.
            let offline = |c: &&Condition| !matches!(c.op, Op::Contains(_) | Op::NotContains(_));
            let target = Target::Config(self.config);
            applies = when.iter().filter(offline).all(|c| holds(c, target, None))
                && !unless.iter().filter(offline).any(|c| holds(c, target, None));
        }
        let fix = match spec.fix {
            Some(fix) if spec.scope != Scope::Message => {
                return Err(self.err(&fix, "`fix:` edits a message: only message rules take it"));
            }
            fix => fix.map(|f| f.value),
        };
        let check = match (spec.scope, spec.corpus) {
            (Scope::Message | Scope::Config, None) => {
                if spec.require.is_empty() {
                    return Err(self.err(&spec.id, "a rule needs at least one `require` condition"));
                }
                let conditions = spec.require.into_iter().map(|c| self.condition(c, requirements));
                Check::Require(conditions.collect::<Result<_, _>>()?)
            }
            (Scope::Corpus, Some(corpus)) => {
                if let Some(first) = spec.require.first() {
                    return Err(self.err(&first.field, "a corpus rule checks with `corpus:`, not `require`"));
                }
                Check::Interval(self.interval(corpus)?)
            }
            (Scope::Message | Scope::Config, Some(corpus)) => {
                return Err(self.err(&corpus, "`corpus:` needs `scope: corpus`"));
            }
            (Scope::Corpus, None) => return Err(self.err(&spec.id, "a corpus rule needs a `corpus:` block")),
        };
        let check_fields: Vec<&Field> = match &check {
            Check::Require(conditions) => conditions.iter().map(|c| &c.field).collect(),
            Check::Interval(interval) => vec![&interval.group_by],
        };
        let needs_headers =
            when.iter().chain(&unless).map(|c| &c.field).chain(check_fields.iter().copied()).any(Field::needs_headers);
        // A set-up rule that reads only parts of nhsmail-lint.yaml this configuration does
        // not have checks nothing (the mailbox's probes with no `mailbox:`): it does not
        // run (and is not noted as skipped: nothing was asked of it), and the matrix does not
        // call its requirement checked.
        let mut nothing_to_check = None;
        if spec.scope == Scope::Config {
            let blocks: Vec<(&str, bool)> = when
                .iter()
                .chain(&unless)
                .map(|c| &c.field)
                .chain(check_fields)
                .filter_map(|f| match f {
                    Field::Config(field) => Some(field.block(self.config)),
                    _ => None,
                })
                .collect();
            if !blocks.is_empty() && blocks.iter().all(|(_, configured)| !configured) {
                let mut names: Vec<String> = Vec::new();
                for (name, _) in blocks {
                    let name = format!("`{name}:`");
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                nothing_to_check = Some(format!("nothing in this set-up for it to check (no {})", names.join(" or ")));
            }
        }
        Ok(Rule {
            id: spec.id.value.into(),
            aliases: spec.aliases.into_iter().map(|a| a.value).collect(),
            severity: spec.severity,
            requirement: spec.requirement.into_iter().map(|r| Arc::from(r.value)).collect(),
            summary: spec.summary,
            message: spec.message.value,
            help: spec.help.map(|h| h.value),
            label: spec.label,
            docs: spec.docs,
            pack: self.pack.name.clone(),
            skip_in_templates: spec.skip_in_templates,
            scope: spec.scope,
            online: spec.online,
            blocks_send,
            unavailable: self.unavailable,
            nothing_to_check,
            applies,
            enabled: true,
            when,
            unless,
            check,
            needs_headers,
            fix,
        })
    }

    fn err<T>(&self, at: &Spanned<T>, message: impl Into<String>) -> Report {
        self.pack.error_at(at, message)
    }

    fn placeholders(&self, text: &Spanned<String>) -> Result<(), Report> {
        for cap in PLACEHOLDER.captures_iter(&text.value) {
            if !PLACEHOLDERS.contains(&&cap[1]) {
                let known = PLACEHOLDERS.iter().map(|p| format!("{{{{{p}}}}}")).collect::<Vec<_>>().join(", ");
                return Err(self.pack.error(
                    &text.referenced,
                    format!("unknown placeholder `{}`", &cap[0]),
                    Some(format!("messages may use {known}")),
                ));
            }
        }
        Ok(())
    }

    fn field(&self, name: &Spanned<String>) -> Result<Field, Report> {
        Field::parse(&name.value).ok_or_else(|| {
            let known = Field::names().collect::<Vec<_>>().join(", ");
            let names = Field::names().flat_map(|n| n.split(" / "));
            self.pack.error(
                &name.referenced,
                format!("unknown field `{}`", name.value),
                suggest::help(&name.value, names, Some(format!("fields: {known}"))),
            )
        })
    }

    fn condition(&mut self, mut spec: ConditionSpec, reads: Reads) -> Result<Condition, Report> {
        let field = self.field(&spec.field)?;
        match (reads, field.is_config()) {
            (Reads::Config, false) => {
                return Err(self.err(&spec.field, "a config rule reads only config fields (`transport.*`)"));
            }
            (Reads::Message, true) => {
                return Err(self.err(
                    &spec.field,
                    "a message rule can test config fields only in `when` or `unless`; `scope: config` checks them",
                ));
            }
            _ => {}
        }
        if let Some(message) = &spec.message {
            self.placeholders(message)?;
        }
        let mut operators = spec.operators();
        let operator = match operators.len() {
            1 => operators.pop().expect("one operator").1,
            0 => {
                return Err(self.err(
                    &spec.field,
                    "a condition needs one operator (equals, matches, max, present, one_of, contains, ...)",
                ));
            }
            _ => {
                let names = operators.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
                return Err(self.err(
                    &spec.field,
                    format!("one operator per condition, found {names}: write one condition for each"),
                ));
            }
        };
        let (op, expected) = self.operator(operator, field.kind())?;
        Ok(Condition { field, field_name: spec.field.value, op, expected, message: spec.message.map(|m| m.value) })
    }

    /// Compiles one operator for a field of `kind`: the executable op and its argument
    /// as text (for `{{expected}}`).
    fn operator(&mut self, operator: OperatorSpec, kind: Kind) -> Result<(Op, String), Report> {
        const TEXTUAL: &[Kind] = &[Kind::Text, Kind::Address];
        const NUMERIC: &[Kind] = &[Kind::Number, Kind::Size];
        const COMPARABLE: &[Kind] = &[Kind::Text, Kind::Address, Kind::Number, Kind::Size];
        let fold = |text: String| normalise(kind, &text).into_owned();
        Ok(match operator {
            OperatorSpec::Equals(v) => {
                self.need_kind(&v, "equals", kind, COMPARABLE)?;
                let text = fold(self.interpolate_text(&v, false)?);
                (Op::Equals(text.clone()), text)
            }
            OperatorSpec::NotEquals(v) => {
                self.need_kind(&v, "not_equals", kind, COMPARABLE)?;
                let text = fold(self.interpolate_text(&v, false)?);
                (Op::NotEquals(text.clone()), text)
            }
            OperatorSpec::Matches(v) => {
                self.need_kind(&v, "matches", kind, TEXTUAL)?;
                let (re, pattern) = self.regex(&v)?;
                (Op::Matches(re), pattern)
            }
            OperatorSpec::NotMatches(v) => {
                self.need_kind(&v, "not_matches", kind, TEXTUAL)?;
                let (re, pattern) = self.regex(&v)?;
                (Op::NotMatches(re), pattern)
            }
            OperatorSpec::Max(v) => {
                self.need_kind(&v, "max", kind, NUMERIC)?;
                let n = self.number(&v, kind)?;
                (Op::Max(n), n.to_string())
            }
            OperatorSpec::Min(v) => {
                self.need_kind(&v, "min", kind, NUMERIC)?;
                let n = self.number(&v, kind)?;
                (Op::Min(n), n.to_string())
            }
            OperatorSpec::Present(v) => (if v.value { Op::Present } else { Op::Absent }, String::new()),
            OperatorSpec::Absent(v) => (if v.value { Op::Absent } else { Op::Present }, String::new()),
            OperatorSpec::OneOf(v) => {
                self.need_kind(&v, "one_of", kind, COMPARABLE)?;
                let list = self.interpolate_list(&v)?;
                (Op::OneOf(list.iter().cloned().map(fold).collect()), list.join(", "))
            }
            OperatorSpec::NotOneOf(v) => {
                self.need_kind(&v, "not_one_of", kind, COMPARABLE)?;
                let list = self.interpolate_list(&v)?;
                (Op::NotOneOf(list.iter().cloned().map(fold).collect()), list.join(", "))
            }
            OperatorSpec::Contains(v) => {
                self.need_kind(&v, "contains", kind, TEXTUAL)?;
                let call = self.call(&v)?;
                (Op::Contains(call), v.value.function)
            }
            OperatorSpec::NotContains(v) => {
                self.need_kind(&v, "not_contains", kind, TEXTUAL)?;
                let call = self.call(&v)?;
                (Op::NotContains(call), v.value.function)
            }
        })
    }

    fn regex(&mut self, v: &Spanned<String>) -> Result<(Pattern, String), Report> {
        let pattern = self.interpolate_text(v, true)?;
        if self.pack.is_prebuilt() && pattern == v.value {
            return Ok((Pattern::deferred(pattern.clone()), pattern));
        }
        let re = Pattern::now(pattern.clone()).map_err(|e| self.err(v, format!("invalid regular expression: {e}")))?;
        Ok((re, pattern))
    }

    fn number(&self, v: &Spanned<Scalar>, kind: Kind) -> Result<u64, Report> {
        match (&v.value, kind) {
            (Scalar::Number(n), _) => Ok(*n),
            (Scalar::Text(t), Kind::Size) => units::parse_size(t).map_err(|e| self.err(v, e.to_string())),
            (Scalar::Text(t), _) => Err(self.err(v, format!("`{t}` is not a whole number"))),
        }
    }

    /// A function call: the function must exist, an online one needs an `online` rule
    /// (and makes it unavailable when its service is not configured), and its options
    /// must be ones it declares, of the types it reads.
    fn call(&mut self, v: &Spanned<FunctionCallSpec>) -> Result<Call, Report> {
        let spec = &v.value;
        let function = functions::lookup(&spec.function).ok_or_else(|| {
            let known = functions::FUNCTIONS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
            self.pack.error(
                &v.referenced,
                format!("unknown function `{}`", spec.function),
                suggest::help(
                    &spec.function,
                    functions::FUNCTIONS.iter().map(|f| f.name),
                    Some(format!("functions: {known}")),
                ),
            )
        })?;
        if let Some(service) = function.service {
            if !self.online {
                return Err(self.err(v, format!("`{}` asks the network: mark the rule `online: true`", spec.function)));
            }
            if self.unavailable.is_none() {
                self.unavailable = service.unavailable(self.config);
            }
        }
        let options = match &spec.options {
            None => None,
            Some(options) => {
                let mut values = serde_json::Map::new();
                for (name, value) in options {
                    if !function.options.iter().any(|o| o.name == name) {
                        let takes = match function.options {
                            [] => format!("`{}` takes no options", function.name),
                            declared => {
                                let names: Vec<&str> = declared.iter().map(|o| o.name).collect();
                                format!("`{}` takes: {}", function.name, names.join(", "))
                            }
                        };
                        return Err(self.pack.error(
                            &value.referenced,
                            format!("unknown option `{name}` of `{}`", function.name),
                            suggest::help(name, function.options.iter().map(|o| o.name), Some(takes)),
                        ));
                    }
                    // An unset config value leaves the option out: the rule is
                    // unavailable anyway, and the function's default stands.
                    if let Some(value) = self.option_value(value)? {
                        values.insert(name.clone(), value);
                    }
                }
                Some(serde_json::Value::Object(values))
            }
        };
        let detector = function.detector(options).map_err(|e| self.err(v, e.to_string()))?;
        Ok(Call { function, detector })
    }

    /// An option's value, `${config.*}` interpolated (a whole `${config.LIST}` becomes
    /// the list).
    fn option_value(&mut self, value: &Spanned<OptionValue>) -> Result<Option<serde_json::Value>, Report> {
        Ok(Some(match &value.value {
            OptionValue::Flag(b) => serde_json::Value::Bool(*b),
            OptionValue::Number(n) => serde_json::Value::from(*n),
            OptionValue::List(items) => {
                let spanned = |t: &String| Spanned::new(t.clone(), value.referenced, value.defined);
                let items = items.iter().map(|t| self.interpolate_text(&spanned(t), false));
                serde_json::Value::from(items.collect::<Result<Vec<_>, _>>()?)
            }
            OptionValue::Text(text) => {
                let spanned = Spanned::new(text.clone(), value.referenced, value.defined);
                match self.whole_interpolation(&spanned)? {
                    Some(ConfigValue::List(items)) => serde_json::Value::from(items.to_vec()),
                    Some(ConfigValue::Number(Some(n))) => serde_json::Value::from(n),
                    Some(ConfigValue::Text(Some(t))) => serde_json::Value::from(t),
                    Some(ConfigValue::Text(None) | ConfigValue::Number(None)) => return Ok(None),
                    None => serde_json::Value::from(self.interpolate_text(&spanned, false)?),
                }
            }
        }))
    }

    /// The config value a text that is one `${config.KEY}` and nothing else names (an
    /// unset one makes the rule unavailable).
    fn whole_interpolation(&mut self, text: &Spanned<String>) -> Result<Option<ConfigValue<'a>>, Report> {
        let Some(cap) = INTERPOLATION.captures(&text.value) else { return Ok(None) };
        if cap.get(0).is_none_or(|m| m.as_str() != text.value.trim()) {
            return Ok(None);
        }
        let key = cap[1].to_owned();
        let value = self.lookup(text, &key)?;
        if matches!(value, ConfigValue::Text(None) | ConfigValue::Number(None)) && self.unavailable.is_none() {
            self.unavailable = Some(not_configured(&key, self.config));
        }
        Ok(Some(value))
    }

    fn need_kind<T>(&self, at: &Spanned<T>, op: &str, kind: Kind, allowed: &[Kind]) -> Result<(), Report> {
        if allowed.contains(&kind) {
            Ok(())
        } else {
            Err(self.err(at, format!("`{op}` does not apply to a {kind:?} field")))
        }
    }

    /// Replaces each `${config.KEY}` in `text`. An unknown key is an error; an unset
    /// one makes the rule unavailable (it is skipped, and the report says why).
    fn interpolate_text(&mut self, text: &Spanned<String>, regex_escape: bool) -> Result<String, Report> {
        let mut out = String::new();
        let mut last = 0;
        for cap in INTERPOLATION.captures_iter(&text.value) {
            let whole = cap.get(0).expect("match");
            out.push_str(&text.value[last..whole.start()]);
            last = whole.end();
            match self.lookup(text, &cap[1])? {
                ConfigValue::Text(Some(value)) => {
                    out.push_str(&if regex_escape { regex::escape(value) } else { value.to_owned() })
                }
                ConfigValue::Number(Some(n)) => out.push_str(&n.to_string()),
                ConfigValue::Text(None) | ConfigValue::Number(None) => {
                    self.unavailable = Some(not_configured(&cap[1], self.config))
                }
                ConfigValue::List(_) => {
                    return Err(self.err(text, format!("`{}` is a list: use it with one_of or not_one_of", &cap[0])));
                }
            }
        }
        out.push_str(&text.value[last..]);
        Ok(out)
    }

    fn interpolate_list(&mut self, value: &Spanned<TextOrList>) -> Result<Vec<String>, Report> {
        match &value.value {
            TextOrList::List(items) => Ok(items.clone()),
            TextOrList::Text(text) => {
                let spanned = Spanned::new(text.clone(), value.referenced, value.defined);
                match INTERPOLATION.captures(text) {
                    Some(cap) if cap.get(0).is_some_and(|m| m.as_str() == text.trim()) => {
                        match self.lookup(&spanned, &cap[1])? {
                            ConfigValue::List(items) => Ok(items.to_vec()),
                            ConfigValue::Text(Some(v)) => Ok(vec![v.to_owned()]),
                            ConfigValue::Number(Some(n)) => Ok(vec![n.to_string()]),
                            ConfigValue::Text(None) | ConfigValue::Number(None) => {
                                self.unavailable = Some(not_configured(&cap[1], self.config));
                                Ok(Vec::new())
                            }
                        }
                    }
                    _ => Ok(vec![self.interpolate_text(&spanned, false)?]),
                }
            }
        }
    }

    fn lookup(&self, at: &Spanned<String>, key: &str) -> Result<ConfigValue<'a>, Report> {
        key.strip_prefix("config.").and_then(|k| self.config.lookup(k)).ok_or_else(|| {
            let known = Config::KEYS.iter().map(|k| format!("${{config.{k}}}")).collect::<Vec<_>>().join(", ");
            let keys = Config::KEYS.iter().map(|k| format!("config.{k}")).collect::<Vec<_>>();
            let guess = suggest::closest(key, keys.iter().map(String::as_str)).map(|k| format!("${{{k}}}"));
            let guess = guess.map_or(String::new(), |g| format!("did you mean `{g}`? "));
            self.pack.error(
                &at.referenced,
                format!("unknown interpolation `${{{key}}}`"),
                Some(format!("{guess}known: {known}")),
            )
        })
    }

    fn interval(&mut self, spec: Spanned<CorpusSpec>) -> Result<Interval, Report> {
        let spec = spec.value;
        let group_by = self.field(&spec.group_by)?;
        if group_by.is_config() {
            return Err(self.err(&spec.group_by, "a corpus rule groups messages by a message field"));
        }
        self.need_kind(&spec.group_by, "group_by", group_by.kind(), &[Kind::Text, Kind::Address])?;
        let only: Option<HashSet<String>> = spec
            .only
            .as_ref()
            .map(|o| self.interpolate_list(o))
            .transpose()?
            .map(|list| list.into_iter().map(|s| Interval::key(group_by.kind(), &s)).collect());
        // With nothing to group, the rule would pass everything in silence: say so instead.
        if only.as_ref().is_some_and(HashSet::is_empty) && self.unavailable.is_none() {
            self.unavailable = spec.only.as_ref().map(|o| match &o.value {
                TextOrList::Text(t) => {
                    let key = t.trim().trim_start_matches("${config.").trim_end_matches('}');
                    format!("`{key}` is empty (list them under `{key}:` in nhsmail-lint.yaml)")
                }
                TextOrList::List(_) => "its `only` list is empty".to_owned(),
            });
        }
        let min_seconds = match (&spec.min_interval, &spec.once) {
            (Some(interval), None) => {
                Some(units::parse_duration(&interval.value).map_err(|e| self.err(interval, e.to_string()))?)
            }
            (None, Some(once)) if once.value => None,
            (Some(_), Some(once)) => {
                return Err(self.err(once, "a corpus rule takes `min_interval` or `once: true`, not both"));
            }
            (None, Some(once)) => return Err(self.err(once, "`once` can only be `true` (leave it out otherwise)")),
            (None, None) => {
                return Err(self.err(&spec.group_by, "a corpus rule needs `min_interval` (a duration) or `once: true`"));
            }
        };
        Ok(Interval { group_by, only, min_seconds })
    }
}
