//! The rule-pack YAML schema as plain serde structs (`deny_unknown_fields` throughout).
//! Nothing here is checked beyond its shape; `compile` gives it meaning. Values that a
//! later check may reject carry their source location (`Spanned`).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use super::{config_field, field};
use crate::findings::diagnostic::Severity;
use crate::functions;

/// A rule pack: the rules, the requirements they trace to, and what the server's refusals
/// mean (docs/rules.md).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackSpec {
    /// The requirements the pack's rules trace to (the compliance matrix), as data.
    #[serde(default)]
    pub(crate) requirements: Vec<RequirementSpec>,
    /// The rules, each with an id unique across every loaded pack.
    #[serde(default)]
    pub(crate) rules: Vec<RuleSpec>,
    /// What each enhanced status code of a delivery report or SMTP reply means, for
    /// `nhsmail-lint bounces` (docs/bounces.md).
    #[serde(default)]
    pub(crate) status_codes: Vec<StatusCodeSpec>,
}

/// One row of the status-code table: a code (and, where one code means several things,
/// the diagnostic text that tells them apart), whose problem it is and what it means.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusCodeSpec {
    /// An RFC 3463 enhanced status code: class 2, 4 or 5, subject, detail (`5.7.60`).
    #[schemars(with = "String", extend("pattern" = r"^[245]\.[0-9]{1,3}\.[0-9]{1,3}$"))]
    pub(crate) code: Spanned<String>,
    /// A regular expression the diagnostic text must match for this row to apply (`5.2.2`
    /// is a full mailbox or the sender's submission quota); a row with one is preferred to
    /// a row of the same code without.
    #[schemars(with = "Option<String>")]
    pub(crate) diagnostic: Option<Spanned<String>>,
    /// Whose problem it is: the sender's (the application, its account or set-up) or the
    /// recipient's.
    pub(crate) side: Side,
    /// hard (sending again will fail the same way) or soft (it may go through later).
    pub(crate) failure: Failure,
    /// What the refusal means, in a sentence.
    pub(crate) meaning: String,
    /// The requirement whose breach the refusal is, or `none` when its cause is no
    /// requirement (a reputation block, a full mailbox).
    #[schemars(with = "String")]
    pub(crate) requirement: Spanned<String>,
    /// Where the meaning comes from: the page that documents the code.
    pub(crate) source: String,
}

/// Whose problem a refusal is.
#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Side {
    Sender,
    Recipient,
}

/// Whether sending again can succeed.
#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Failure {
    Hard,
    Soft,
}

/// One requirement of the guidance (or of a trust's policy): its stable id, the sentence
/// it comes from, word for word, the verb that sentence uses and how it is covered.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequirementSpec {
    /// A stable id (`M4`): letters, digits, `-` and `.`.
    #[schemars(with = "String")]
    pub(crate) id: Spanned<String>,
    /// The verb of its sentence: must, should or recommended.
    pub(crate) verb: Verb,
    /// The sentence it comes from, word for word.
    pub(crate) sentence: String,
    /// The sentence as a reader should read it, where the word-for-word one does not read
    /// as one (a row of a table, an example the page lost): shown first, the word-for-word
    /// sentence beside it for traceability.
    #[serde(default)]
    pub(crate) readable: Option<String>,
    /// One kind of coverage or a list of them; never empty.
    #[schemars(with = "OneOrMany<Coverage>")]
    pub(crate) coverage: Spanned<OneOrMany<Coverage>>,
    /// Where the sentence comes from.
    pub(crate) source: String,
    /// Preconditions on config fields: the requirement concerns only set-ups where all
    /// hold (the relay's DNS registration only a relay set-up). Judged when compiled.
    #[serde(default)]
    pub(crate) when: Vec<ConditionSpec>,
}

/// The verb of a requirement's sentence, which sets the severity its rules default to.
#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verb {
    Must,
    Should,
    Recommended,
}

impl Verb {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Must => "must",
            Verb::Should => "should",
            Verb::Recommended => "recommended",
        }
    }

    /// must -> error, should -> warning, recommended -> info.
    pub(crate) fn severity(self) -> Severity {
        match self {
            Verb::Must => Severity::Error,
            Verb::Should => Severity::Warning,
            Verb::Recommended => Severity::Info,
        }
    }
}

/// How a requirement is checked: by a rule that needs no network, by an online rule, or
/// by a person's attestation (`attestations:` in nhsmail-lint.yaml).
#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Coverage {
    Offline,
    Online,
    Attest,
}

impl Coverage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Coverage::Offline => "offline",
            Coverage::Online => "online",
            Coverage::Attest => "attest",
        }
    }
}

/// One value, or a list of them.
#[derive(Debug, Deserialize, Clone, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub(crate) fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one.clone()],
            OneOrMany::Many(many) => many.clone(),
        }
    }
}

/// One rule: what it checks, how serious a failure is, and what the report says.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    /// Lowercase words joined by `-`, unique across all packs; users name the rule by it.
    #[schemars(with = "String")]
    pub(crate) id: Spanned<String>,
    /// Former ids, still accepted wherever a user names the rule (`rules.disable`,
    /// `rules.severity`, `ignore:`, `explain`), so renaming a rule breaks no config.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) aliases: Vec<Spanned<String>>,
    /// error, warning or info.
    pub(crate) severity: Severity,
    /// The requirement ids this rule checks (`requirement: [M4]`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(crate) requirement: Vec<Spanned<String>>,
    /// One line, for `nhsmail-lint rules`.
    pub(crate) summary: String,
    /// Each finding's message; may use {{value}}, {{expected}}, {{field}} and other placeholders.
    #[schemars(with = "String")]
    pub(crate) message: Spanned<String>,
    /// What to do instead.
    #[schemars(with = "Option<String>")]
    pub(crate) help: Option<Spanned<String>>,
    /// Short text under the highlighted bytes.
    pub(crate) label: Option<String>,
    /// message (default), corpus (across every message checked) or config (the set-up).
    #[serde(default)]
    pub(crate) scope: Scope,
    /// The rule asks DNS: it runs only in `preflight` (and before `--send`).
    #[serde(default)]
    pub(crate) online: bool,
    /// A config rule: whether an error it reports makes every send fail or breach, so that
    /// `--send` sends nothing (true, the default), or concerns only some messages or none,
    /// so that `--send` still sends the rest (false). Only config rules take it.
    #[schemars(with = "Option<bool>")]
    pub(crate) blocks_send: Option<Spanned<bool>>,
    /// Templates still hold placeholders and lack per-send headers: `check --template`
    /// skips rules that set this.
    #[serde(default)]
    pub(crate) skip_in_templates: bool,
    /// Preconditions: the rule applies only when all of these hold.
    #[serde(default)]
    pub(crate) when: Vec<ConditionSpec>,
    /// Exclusions: the rule does not apply when any of these holds.
    #[serde(default)]
    pub(crate) unless: Vec<ConditionSpec>,
    /// What must hold: each failing value is one diagnostic.
    #[serde(default)]
    pub(crate) require: Vec<ConditionSpec>,
    /// A corpus rule's check: messages sharing a key at least `min_interval` apart.
    #[schemars(with = "Option<CorpusSpec>")]
    pub(crate) corpus: Option<Spanned<CorpusSpec>>,
    /// How `--fix` edits a finding of this message rule, and how safe that is.
    #[schemars(with = "Option<super::fix::FixSpec>")]
    pub(crate) fix: Option<Spanned<super::fix::FixSpec>>,
    /// What `nhsmail-lint explain ID` prints.
    #[serde(default)]
    pub(crate) docs: DocsSpec,
}

/// What a rule checks: each message, the messages together, or the set-up.
#[derive(Debug, Deserialize, serde::Serialize, Default, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Scope {
    #[default]
    Message,
    Corpus,
    /// The sending set-up in the config file, checked once a run.
    Config,
}

/// What `nhsmail-lint explain ID` prints about the rule.
#[derive(Debug, Deserialize, serde::Serialize, Default, Clone, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocsSpec {
    /// What the rule reports.
    pub(crate) what: Option<String>,
    /// Why it matters.
    pub(crate) why: Option<String>,
    /// A message or header it reports.
    pub(crate) example: Option<String>,
    /// Where the requirement comes from.
    pub(crate) source: Option<String>,
    /// Why the rule's severity is not the one its requirement's verb gives.
    pub(crate) severity_reason: Option<String>,
    /// A config rule: why an error of it does (`blocks_send`) or does not stop every send.
    pub(crate) sending: Option<String>,
}

/// `field` plus exactly one operator, and optionally a message of its own (rules with
/// several requirements say which one failed).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    {"required": ["equals"]}, {"required": ["not_equals"]}, {"required": ["matches"]},
    {"required": ["not_matches"]}, {"required": ["max"]}, {"required": ["min"]},
    {"required": ["present"]}, {"required": ["absent"]}, {"required": ["one_of"]},
    {"required": ["not_one_of"]}, {"required": ["contains"]}, {"required": ["not_contains"]}
]))]
pub(crate) struct ConditionSpec {
    /// What the condition reads: a message field (`subject`, `header.X-Trust-Id`), or in
    /// `when`/`unless` and config rules a config field (`transport.mode`).
    #[schemars(schema_with = "field_name")]
    pub(crate) field: Spanned<String>,
    /// This condition's own message when it fails (else the rule's).
    #[schemars(with = "Option<String>")]
    pub(crate) message: Option<Spanned<String>>,
    /// The value equals this (addresses: any case). `${config.*}` is interpolated.
    #[schemars(with = "Option<String>")]
    pub(crate) equals: Option<Spanned<String>>,
    /// The value differs from this.
    #[schemars(with = "Option<String>")]
    pub(crate) not_equals: Option<Spanned<String>>,
    /// The value matches this regular expression (Rust `regex` syntax).
    #[schemars(with = "Option<String>")]
    pub(crate) matches: Option<Spanned<String>>,
    /// The value does not match this regular expression.
    #[schemars(with = "Option<String>")]
    pub(crate) not_matches: Option<Spanned<String>>,
    /// At most this: a number, or a size (`35MiB`, `10 MB`) for size fields.
    #[schemars(with = "Option<Scalar>")]
    pub(crate) max: Option<Spanned<Scalar>>,
    /// At least this.
    #[schemars(with = "Option<Scalar>")]
    pub(crate) min: Option<Spanned<Scalar>>,
    /// `true`: the field must be present (`false`: absent).
    #[schemars(with = "Option<bool>")]
    pub(crate) present: Option<Spanned<bool>>,
    /// `true`: the field must be absent (`false`: present).
    #[schemars(with = "Option<bool>")]
    pub(crate) absent: Option<Spanned<bool>>,
    /// The value is one of these (a list, or `${config.LIST}`).
    #[schemars(with = "Option<TextOrList>")]
    pub(crate) one_of: Option<Spanned<TextOrList>>,
    /// The value is none of these.
    #[schemars(with = "Option<TextOrList>")]
    pub(crate) not_one_of: Option<Spanned<TextOrList>>,
    /// The check function finds something in the value.
    #[schemars(with = "Option<FunctionCallSpec>")]
    pub(crate) contains: Option<Spanned<FunctionCallSpec>>,
    /// The check function finds nothing in the value.
    #[schemars(with = "Option<FunctionCallSpec>")]
    pub(crate) not_contains: Option<Spanned<FunctionCallSpec>>,
}

/// A field name's schema: each known field (with what it reads), or `header.NAME`.
fn field_name(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let catalogue = field::CATALOGUE.iter().chain(config_field::CATALOGUE);
    let mut choices: Vec<serde_json::Value> = Vec::new();
    for (names, what) in catalogue {
        if names.starts_with("header.") {
            choices.push(serde_json::json!({
                "type": "string", "pattern": r"^header\.[!-9;-~]+$", "description": format!("header.NAME: {what}")
            }));
            continue;
        }
        for name in names.split(" / ") {
            choices.push(serde_json::json!({"const": name, "description": what}));
        }
    }
    schemars::json_schema!({"description": "A field (docs/rules.md, \"Fields\").", "anyOf": choices})
}

/// The one operator of a condition, once taken out of `ConditionSpec`.
pub(crate) enum OperatorSpec {
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
    pub(crate) fn operators(&mut self) -> Vec<(&'static str, OperatorSpec)> {
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

/// A check over the whole corpus: messages sharing a key must be dated at least
/// `min_interval` apart (a distribution list), or be one send (`once`, a Message-ID).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorpusSpec {
    /// The message field whose values group messages (a distribution list's address).
    #[schemars(schema_with = "field_name")]
    pub(crate) group_by: Spanned<String>,
    /// Only these keys are spaced (a list, or `${config.distribution_lists}`).
    #[schemars(with = "Option<TextOrList>")]
    pub(crate) only: Option<Spanned<TextOrList>>,
    /// A duration (`30min`).
    #[schemars(with = "Option<String>")]
    pub(crate) min_interval: Option<Spanned<String>>,
    /// `true`: a key belongs to one send; every other message with it is reported (copies
    /// of one send, filed twice, are one send).
    #[schemars(with = "Option<bool>")]
    pub(crate) once: Option<Spanned<bool>>,
}

/// A whole number, or a size with its unit (`35MiB`, `10 MB`).
#[derive(Debug, Deserialize, Clone, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum Scalar {
    Number(u64),
    Text(String),
}

/// A value, or a list of values; `${config.LIST}` stands for a configured list.
#[derive(Debug, Deserialize, Clone, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum TextOrList {
    Text(String),
    List(Vec<String>),
}

/// A check function as a condition calls it: its name alone (`not_contains: nhs_number`)
/// or `{function: NAME, options: {...}}`.
#[derive(Debug)]
pub(crate) struct FunctionCallSpec {
    pub(crate) function: String,
    /// Each option by name, with where its value was written.
    pub(crate) options: Option<BTreeMap<String, Spanned<OptionValue>>>,
}

/// An option's value as written; `${config.*}` in text is interpolated when compiled.
#[derive(Debug, Deserialize, Clone, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum OptionValue {
    Flag(bool),
    Number(u64),
    Text(String),
    List(Vec<String>),
}

/// A function's name alone, or the name with its options; each name with its summary.
impl schemars::JsonSchema for FunctionCallSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FunctionCall".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<serde_json::Value> = functions::FUNCTIONS
            .iter()
            .map(|f| serde_json::json!({"const": f.name, "description": f.summary}))
            .collect();
        let option = generator.subschema_for::<OptionValue>();
        schemars::json_schema!({
            "description": "A check function (docs/rules.md, \"Check functions\"): its name, or `function:` with `options:`.",
            "oneOf": [
                {"anyOf": names},
                {
                    "type": "object",
                    "properties": {
                        "function": {"anyOf": names},
                        "options": {"type": "object", "additionalProperties": option}
                    },
                    "required": ["function"],
                    "additionalProperties": false
                }
            ]
        })
    }
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
