//! The rule-pack YAML schema as plain serde structs (`deny_unknown_fields` throughout).
//! Nothing here is checked beyond its shape; `compile` gives it meaning. Values that a
//! later check may reject carry their source location (`Spanned`).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use crate::diagnostic::Severity;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackSpec {
    /// The requirements the pack's rules trace to (the compliance matrix), as data.
    #[serde(default)]
    pub requirements: Vec<RequirementSpec>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// One requirement of the guidance (or of a trust's policy): its stable id, the sentence
/// it comes from, word for word, the verb that sentence uses and how it is covered.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementSpec {
    pub id: Spanned<String>,
    pub verb: Verb,
    pub sentence: String,
    /// One kind of coverage or a list of them; never empty.
    pub coverage: Spanned<OneOrMany<Coverage>>,
    pub source: String,
    /// Preconditions on config fields: the requirement concerns only set-ups where all
    /// hold (the relay's DNS registration only a relay set-up). Judged when compiled.
    #[serde(default)]
    pub when: Vec<ConditionSpec>,
}

/// The verb of a requirement's sentence, which sets the severity its rules default to.
#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Must,
    Should,
    Recommended,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Must => "must",
            Verb::Should => "should",
            Verb::Recommended => "recommended",
        }
    }

    /// must -> error, should -> warning, recommended -> info.
    pub fn severity(self) -> Severity {
        match self {
            Verb::Must => Severity::Error,
            Verb::Should => Severity::Warning,
            Verb::Recommended => Severity::Info,
        }
    }
}

/// How a requirement is checked: by a rule that needs no network, by an online rule, or
/// by a person's attestation (`attestations:` in nhsmail-lint.yaml).
#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    Offline,
    Online,
    Attest,
}

impl Coverage {
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Offline => "offline",
            Coverage::Online => "online",
            Coverage::Attest => "attest",
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one.clone()],
            OneOrMany::Many(many) => many.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: Spanned<String>,
    /// Former ids, still accepted wherever a user names the rule (`rules.disable`,
    /// `rules.severity`, `ignore:`, `explain`), so renaming a rule breaks no config.
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    pub severity: Severity,
    /// The requirement ids this rule checks (`requirement: [M4]`).
    #[serde(default)]
    pub requirement: Vec<Spanned<String>>,
    pub summary: String,
    pub message: Spanned<String>,
    pub help: Option<Spanned<String>>,
    /// Short text under the highlighted bytes.
    pub label: Option<String>,
    #[serde(default)]
    pub scope: Scope,
    /// The rule asks DNS: it runs only in `preflight` (and before `--send`).
    #[serde(default)]
    pub online: bool,
    /// Templates still hold placeholders and lack per-send headers: `check --template`
    /// skips rules that set this.
    #[serde(default)]
    pub skip_in_templates: bool,
    /// Preconditions: the rule applies only when all of these hold.
    #[serde(default)]
    pub when: Vec<ConditionSpec>,
    /// Exclusions: the rule does not apply when any of these holds.
    #[serde(default)]
    pub unless: Vec<ConditionSpec>,
    #[serde(default)]
    pub require: Vec<ConditionSpec>,
    pub corpus: Option<Spanned<CorpusSpec>>,
    #[serde(default)]
    pub docs: DocsSpec,
}

#[derive(Debug, Deserialize, serde::Serialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Message,
    Corpus,
    /// The sending set-up in the config file, checked once a run.
    Config,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct DocsSpec {
    pub what: Option<String>,
    pub why: Option<String>,
    pub example: Option<String>,
    pub source: Option<String>,
    /// Why the rule's severity is not the one its requirement's verb gives.
    pub severity_reason: Option<String>,
}

/// `field` plus exactly one operator, and optionally a message of its own (rules with
/// several requirements say which one failed).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    pub field: Spanned<String>,
    pub message: Option<Spanned<String>>,
    pub equals: Option<Spanned<String>>,
    pub not_equals: Option<Spanned<String>>,
    pub matches: Option<Spanned<String>>,
    pub not_matches: Option<Spanned<String>>,
    pub max: Option<Spanned<Scalar>>,
    pub min: Option<Spanned<Scalar>>,
    pub present: Option<Spanned<bool>>,
    pub absent: Option<Spanned<bool>>,
    pub one_of: Option<Spanned<TextOrList>>,
    pub not_one_of: Option<Spanned<TextOrList>>,
    pub contains: Option<Spanned<FunctionCallSpec>>,
    pub not_contains: Option<Spanned<FunctionCallSpec>>,
}

/// The one operator of a condition, once taken out of `ConditionSpec`.
pub enum OperatorSpec {
    Equals(Spanned<String>),
    NotEquals(Spanned<String>),
    Matches(Spanned<String>),
    NotMatches(Spanned<String>),
    Max(Spanned<Scalar>),
    Min(Spanned<Scalar>),
    Present(Spanned<bool>),
    Absent(Spanned<bool>),
    OneOf(Spanned<TextOrList>),
    NotOneOf(Spanned<TextOrList>),
    Contains(Spanned<FunctionCallSpec>),
    NotContains(Spanned<FunctionCallSpec>),
}

impl ConditionSpec {
    /// Every operator written in this condition, with its key.
    pub fn operators(&mut self) -> Vec<(&'static str, OperatorSpec)> {
        let mut out = Vec::new();
        let mut take = |key, op: Option<OperatorSpec>| out.extend(op.map(|o| (key, o)));
        take("equals", self.equals.take().map(OperatorSpec::Equals));
        take("not_equals", self.not_equals.take().map(OperatorSpec::NotEquals));
        take("matches", self.matches.take().map(OperatorSpec::Matches));
        take("not_matches", self.not_matches.take().map(OperatorSpec::NotMatches));
        take("max", self.max.take().map(OperatorSpec::Max));
        take("min", self.min.take().map(OperatorSpec::Min));
        take("present", self.present.take().map(OperatorSpec::Present));
        take("absent", self.absent.take().map(OperatorSpec::Absent));
        take("one_of", self.one_of.take().map(OperatorSpec::OneOf));
        take("not_one_of", self.not_one_of.take().map(OperatorSpec::NotOneOf));
        take("contains", self.contains.take().map(OperatorSpec::Contains));
        take("not_contains", self.not_contains.take().map(OperatorSpec::NotContains));
        out
    }
}

/// A distribution-list style check over the whole corpus: messages sharing a key
/// must be dated at least `min_interval` apart.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusSpec {
    pub group_by: Spanned<String>,
    pub only: Option<Spanned<TextOrList>>,
    pub min_interval: Spanned<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum Scalar {
    Number(u64),
    Text(String),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum TextOrList {
    Text(String),
    List(Vec<String>),
}

/// A check function as a condition calls it: its name alone (`not_contains: nhs_number`)
/// or `{function: NAME, options: {...}}`.
#[derive(Debug)]
pub struct FunctionCallSpec {
    pub function: String,
    /// Each option by name, with where its value was written.
    pub options: Option<BTreeMap<String, Spanned<OptionValue>>>,
}

/// An option's value as written; `${config.*}` in text is interpolated when compiled.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OptionValue {
    Flag(bool),
    Number(u64),
    Text(String),
    List(Vec<String>),
}

/// By hand rather than `untagged`, so that a mistyped key is named in the error.
impl<'de> Deserialize<'de> for FunctionCallSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Call;
        impl<'de> Visitor<'de> for Call {
            type Value = FunctionCallSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a function name, or `function:` with `options:`")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<FunctionCallSpec, E> {
                Ok(FunctionCallSpec { function: name.to_owned(), options: None })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FunctionCallSpec, A::Error> {
                let (mut function, mut options) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "function" => function = Some(map.next_value()?),
                        "options" => options = Some(map.next_value()?),
                        other => return Err(de::Error::unknown_field(other, &["function", "options"])),
                    }
                }
                let function = function.ok_or_else(|| de::Error::missing_field("function"))?;
                Ok(FunctionCallSpec { function, options })
            }
        }
        deserializer.deserialize_any(Call)
    }
}
