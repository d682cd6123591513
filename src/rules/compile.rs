//! Rule packs from YAML to executable rules. Every check a pack can fail happens here,
//! before any message is read: unknown fields, operators on the wrong kind of field,
//! bad regexes, unknown functions, unknown config keys and placeholders, duplicate ids.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use miette::Report;
use regex::Regex;
use serde_saphyr::Spanned;

use super::field::Field;
use super::spec::{ConditionSpec, CorpusSpec, DocsSpec, OperatorSpec, PackSpec, RuleSpec, Scalar, Scope, TextOrList};
use super::value::Kind;
use crate::config::{Config, ConfigValue};
use crate::diagnostic::Severity;
use crate::functions::{self, Function};
use crate::units;
use crate::yaml::YamlSource;

/// What rule messages and help may interpolate as `{{name}}`.
pub const PLACEHOLDERS: &[&str] =
    &["value", "expected", "field", "fix", "detail", "previous", "previous_file", "interval", "earliest"];

#[derive(Debug)]
pub enum Op {
    Equals(String),
    NotEquals(String),
    Matches(Regex),
    NotMatches(Regex),
    Max(u64),
    Min(u64),
    Present,
    Absent,
    OneOf(HashSet<String>),
    NotOneOf(HashSet<String>),
    Contains(&'static Function),
    NotContains(&'static Function),
}

#[derive(Debug)]
pub struct Condition {
    pub field: Field,
    pub field_name: String,
    pub op: Op,
    /// The operator's argument as written (after interpolation), for `{{expected}}`.
    pub expected: String,
    /// Overrides the rule's message when this condition fails.
    pub message: Option<String>,
}

#[derive(Debug)]
pub struct Interval {
    pub group_by: Field,
    pub only: Option<HashSet<String>>,
    pub min_seconds: i64,
}

#[derive(Debug)]
pub enum Check {
    Require(Vec<Condition>),
    Interval(Interval),
}

#[derive(Debug)]
pub struct Rule {
    pub id: Arc<str>,
    pub severity: Severity,
    pub summary: String,
    pub message: String,
    pub help: Option<String>,
    pub label: Option<String>,
    pub docs: DocsSpec,
    pub pack: String,
    pub skip_in_templates: bool,
    pub scope: Scope,
    /// It asks DNS, so runs only in pre-flight.
    pub online: bool,
    /// Why the rule cannot run with this configuration (it interpolates an unset value).
    pub unavailable: Option<String>,
    /// False when the configuration disables it.
    pub enabled: bool,
    pub when: Vec<Condition>,
    pub unless: Vec<Condition>,
    pub check: Check,
    /// Some field it reads needs a header block, so it cannot apply to a file that is
    /// not a message at all.
    pub needs_headers: bool,
}

#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| &*r.id == id)
    }
}

/// Compiles `packs` in order; ids must be unique across all of them.
pub fn compile(packs: &[YamlSource], config: &Config) -> Result<RuleSet, Report> {
    let mut rules = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for pack in packs {
        let spec: PackSpec = pack.parse()?;
        for rule in spec.rules {
            if let Some(first) = seen.get(&rule.id.value) {
                return Err(pack
                    .error_at(&rule.id, format!("duplicate rule id `{}` (first defined in {first})", rule.id.value)));
            }
            seen.insert(rule.id.value.clone(), pack.name.clone());
            rules.push(Compiler { pack, config, unavailable: None, online: false }.rule(rule)?);
        }
    }
    Ok(RuleSet { rules })
}

fn not_configured(key: &str) -> String {
    let key = key.trim_start_matches("config.");
    format!(
        "`{key}` is not configured (set `{key}:` in nhsmail-lint.yaml{})",
        if key == "account" { " or pass --account" } else { "" }
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

static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new("^[a-z0-9]+(-[a-z0-9]+)*$").expect("valid regex"));
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{\{\s*([^}]*?)\s*\}\}").expect("valid regex"));
static INTERPOLATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{([^}]*)\}").expect("valid regex"));

impl Compiler<'_> {
    fn rule(mut self, spec: RuleSpec) -> Result<Rule, Report> {
        if !ID.is_match(&spec.id.value) {
            return Err(self.err(&spec.id, "rule ids are lowercase words joined by `-` (like `no-reply-address`)"));
        }
        self.placeholders(&spec.message)?;
        if let Some(help) = &spec.help {
            self.placeholders(help)?;
        }
        self.online = spec.online;
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
        let when = spec.when.into_iter().map(|c| self.condition(c, preconditions)).collect::<Result<Vec<_>, _>>()?;
        let unless =
            spec.unless.into_iter().map(|c| self.condition(c, preconditions)).collect::<Result<Vec<_>, _>>()?;
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
        let needs_headers = when.iter().chain(&unless).map(|c| &c.field).chain(check_fields).any(Field::needs_headers);
        Ok(Rule {
            id: spec.id.value.into(),
            severity: spec.severity,
            summary: spec.summary,
            message: spec.message.value,
            help: spec.help.map(|h| h.value),
            label: spec.label,
            docs: spec.docs,
            pack: self.pack.name.clone(),
            skip_in_templates: spec.skip_in_templates,
            scope: spec.scope,
            online: spec.online,
            unavailable: self.unavailable,
            enabled: true,
            when,
            unless,
            check,
            needs_headers,
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
            self.pack.error(
                &name.referenced,
                format!("unknown field `{}`", name.value),
                Some(format!("fields: {known}")),
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
        let fold = |text: String| {
            if kind == Kind::Address { text.to_ascii_lowercase() } else { text }
        };
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
                (Op::Contains(self.function(&v)?), v.value)
            }
            OperatorSpec::NotContains(v) => {
                self.need_kind(&v, "not_contains", kind, TEXTUAL)?;
                (Op::NotContains(self.function(&v)?), v.value)
            }
        })
    }

    fn regex(&mut self, v: &Spanned<String>) -> Result<(Regex, String), Report> {
        let pattern = self.interpolate_text(v, true)?;
        let re = regex::RegexBuilder::new(&pattern)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| self.err(v, format!("invalid regular expression: {e}")))?;
        Ok((re, pattern))
    }

    fn number(&self, v: &Spanned<Scalar>, kind: Kind) -> Result<u64, Report> {
        match (&v.value, kind) {
            (Scalar::Number(n), _) => Ok(*n),
            (Scalar::Text(t), Kind::Size) => units::parse_size(t).map_err(|e| self.err(v, e.to_string())),
            (Scalar::Text(t), _) => Err(self.err(v, format!("`{t}` is not a whole number"))),
        }
    }

    /// An online function needs an `online` rule, and makes it unavailable when the
    /// service it asks is not configured.
    fn function(&mut self, v: &Spanned<String>) -> Result<&'static Function, Report> {
        let function = functions::lookup(&v.value).ok_or_else(|| {
            let known = functions::FUNCTIONS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
            self.pack.error(
                &v.referenced,
                format!("unknown function `{}`", v.value),
                Some(format!("functions: {known}")),
            )
        })?;
        if let Some(service) = function.service() {
            if !self.online {
                return Err(self.err(v, format!("`{}` asks the network: mark the rule `online: true`", v.value)));
            }
            if self.unavailable.is_none() {
                self.unavailable = service.unavailable(self.config);
            }
        }
        Ok(function)
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
                ConfigValue::Text(None) => self.unavailable = Some(not_configured(&cap[1])),
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
                            ConfigValue::Text(None) => {
                                self.unavailable = Some(not_configured(&cap[1]));
                                Ok(Vec::new())
                            }
                        }
                    }
                    _ => Ok(vec![self.interpolate_text(&spanned, false)?]),
                }
            }
        }
    }

    fn lookup(&self, at: &Spanned<String>, key: &str) -> Result<ConfigValue<'_>, Report> {
        key.strip_prefix("config.").and_then(|k| self.config.lookup(k)).ok_or_else(|| {
            let known = Config::KEYS.iter().map(|k| format!("${{config.{k}}}")).collect::<Vec<_>>().join(", ");
            self.pack.error(
                &at.referenced,
                format!("unknown interpolation `${{{key}}}`"),
                Some(format!("known: {known}")),
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
            .map(|list| list.into_iter().map(|s| s.to_ascii_lowercase()).collect());
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
        let min_seconds =
            units::parse_duration(&spec.min_interval.value).map_err(|e| self.err(&spec.min_interval, e.to_string()))?;
        Ok(Interval { group_by, only, min_seconds })
    }
}
