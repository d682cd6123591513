//! Rules as the engine runs them: what `compile` makes of a pack. Message rules'
//! preconditions on the configuration are already judged here (`Rule::applies`), so
//! what is left reads only messages.

use std::collections::HashSet;
use std::sync::Arc;

use super::field::Field;
use super::pattern::Pattern;
use super::spec::{Coverage, DocsSpec, Failure, Scope, Side, Verb};
use super::value::Kind;
use crate::findings::diagnostic::Severity;
use crate::functions::{Detector, Function};

#[derive(Debug)]
pub(crate) enum Op {
    Equals(String),
    NotEquals(String),
    Matches(Pattern),
    NotMatches(Pattern),
    Max(u64),
    Min(u64),
    Present,
    Absent,
    OneOf(Words),
    NotOneOf(Words),
    Contains(Call),
    NotContains(Call),
}

/// The values a `one_of` names, in their one form. A handful (the secure domains, the
/// distribution lists), each looked up once per value read, a bulk send's thousands of
/// recipients among them: sorted and searched, no hashing.
#[derive(Debug)]
pub(crate) struct Words(Box<[String]>);

impl Words {
    pub(crate) fn contains(&self, word: &str) -> bool {
        self.0.binary_search_by(|w| w.as_str().cmp(word)).is_ok()
    }
}

impl FromIterator<String> for Words {
    fn from_iter<I: IntoIterator<Item = String>>(words: I) -> Self {
        let mut words: Vec<String> = words.into_iter().collect();
        words.sort_unstable();
        words.dedup();
        Words(words.into())
    }
}

/// A function a condition calls, compiled with the rule's options.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) function: &'static Function,
    pub(crate) detector: Box<dyn Detector>,
}

#[derive(Debug)]
pub(crate) struct Condition {
    pub(crate) field: Field,
    pub(crate) field_name: String,
    pub(crate) op: Op,
    /// The operator's argument as written (after interpolation), for `{{expected}}`.
    pub(crate) expected: String,
    /// Overrides the rule's message when this condition fails.
    pub(crate) message: Option<String>,
}

impl Condition {
    /// The condition in words: `transport.mode is relay`.
    pub(crate) fn describe(&self) -> String {
        let verb = match &self.op {
            Op::Equals(_) => "is",
            Op::NotEquals(_) => "is not",
            Op::Matches(_) => "matches",
            Op::NotMatches(_) => "does not match",
            Op::Max(_) => "is at most",
            Op::Min(_) => "is at least",
            Op::Present => return format!("{} is set", self.field_name),
            Op::Absent => return format!("{} is not set", self.field_name),
            Op::OneOf(_) => "is one of",
            Op::NotOneOf(_) => "is none of",
            Op::Contains(_) => "contains",
            Op::NotContains(_) => "does not contain",
        };
        format!("{} {verb} {}", self.field_name, self.expected)
    }
}

#[derive(Debug)]
pub(crate) struct Interval {
    pub(crate) group_by: Field,
    /// Keys (`Interval::key`) of the values counted; all when `None`.
    pub(crate) only: Option<HashSet<String>>,
    /// How long after the one before it a send sharing a key may come; `None`: a key
    /// belongs to one send only (copies of it aside).
    pub(crate) min_seconds: Option<i64>,
}

impl Interval {
    /// A value's key for this rule: one send's own value (`once`) as written, else
    /// `Interval::key`.
    pub(crate) fn key_of(&self, text: &str) -> String {
        match self.min_seconds {
            None => text.trim().to_owned(),
            Some(_) => Interval::key(self.group_by.kind(), text),
        }
    }

    /// What messages are grouped by: a `group_by` value of `kind` in one form, any case
    /// (an address in its one form, so a copy addressed `"results-team-dl"@nhs.net` is
    /// the same list).
    pub(crate) fn key(kind: Kind, text: &str) -> String {
        match kind {
            Kind::Address => crate::mail::address::canonical(text),
            _ => text.to_ascii_lowercase(),
        }
    }
}

#[derive(Debug)]
pub(crate) enum Check {
    Require(Vec<Condition>),
    Interval(Interval),
}

/// One rule, compiled: what it reads, how it judges, what it says.
#[derive(Debug)]
pub struct Rule {
    pub(crate) id: Arc<str>,
    /// Former ids that still name this rule in users' configs and `explain`.
    pub(crate) aliases: Vec<String>,
    pub(crate) severity: Severity,
    /// The requirements it checks, by id (each one defined by a loaded pack).
    pub(crate) requirement: Arc<[Arc<str>]>,
    pub(crate) summary: String,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) docs: DocsSpec,
    pub(crate) pack: String,
    pub(crate) skip_in_templates: bool,
    pub(crate) scope: Scope,
    /// It asks DNS, so runs only in pre-flight.
    pub online: bool,
    /// A config rule whose errors make every send fail or breach: `--send` sends nothing
    /// while one is reported. False for every other rule.
    pub(crate) blocks_send: bool,
    /// Why the rule cannot run with this configuration (it interpolates an unset value,
    /// or its service is not configured).
    pub unavailable: Option<String>,
    /// Why a set-up rule has nothing to check in this configuration (it reads only parts of
    /// nhsmail-lint.yaml that are not there): it does not run, and is not noted as skipped,
    /// but the matrix must not count its requirement checked.
    pub(crate) nothing_to_check: Option<String>,
    /// False when a precondition on the configuration rules it out (a relay rule when
    /// the transport is submission): judged once, when the pack compiles.
    pub applies: bool,
    /// False when the configuration disables it.
    pub(crate) enabled: bool,
    pub(crate) when: Vec<Condition>,
    pub(crate) unless: Vec<Condition>,
    pub(crate) check: Check,
    /// Some field it reads needs a header block, so it cannot apply to a file that is
    /// not a message at all.
    pub(crate) needs_headers: bool,
    /// How `--fix` edits its findings (message rules only).
    pub(crate) fix: Option<super::fix::FixSpec>,
}

impl Rule {
    /// Whether the rule names requirement `id`.
    pub(crate) fn checks(&self, id: &str) -> bool {
        self.requirement.iter().any(|r| &**r == id)
    }

    /// Whether every field the rule reads is in the header block, so that it judges a
    /// returned header block as it would the whole message.
    pub(crate) fn reads_only_headers(&self) -> bool {
        let checked: &[Condition] = match &self.check {
            Check::Require(conditions) => conditions,
            Check::Interval(_) => return false,
        };
        self.when.iter().chain(&self.unless).chain(checked).all(|c| !c.field.reads_whole_message())
    }
}

/// One row of the compliance matrix, as a pack defines it.
#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    pub(crate) id: Arc<str>,
    pub(crate) verb: Verb,
    /// The sentence it comes from, word for word.
    pub(crate) sentence: String,
    /// The sentence as a reader reads it, where the word-for-word one does not read as one.
    pub(crate) readable: Option<String>,
    /// As declared, sorted; a declared `offline` or `online` is backed by such a rule.
    pub(crate) coverage: Vec<Coverage>,
    pub(crate) source: String,
    pub(crate) pack: String,
    /// False when its `when` on the configuration rules it out (a relay requirement
    /// when the transport is submission).
    pub(crate) applies: bool,
    /// Its `when`, in words (`transport.mode is relay`).
    pub(crate) when: Vec<String>,
}

impl Requirement {
    /// What the requirement says, as a reader reads it: the readable sentence, else the
    /// word-for-word one.
    pub(crate) fn reads(&self) -> &str {
        self.readable.as_deref().unwrap_or(&self.sentence)
    }
}

/// The rules of a run, compiled, with the requirements they trace to.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// Every rule, in pack order.
    pub rules: Vec<Rule>,
    /// The requirements of every loaded pack, in pack order.
    pub(crate) requirements: Vec<Requirement>,
    /// The status-code table of every loaded pack, in pack order.
    pub(crate) status_codes: Vec<StatusClass>,
}

/// One row of the status-code table, as a pack defines it: what a refusal with this
/// code (and diagnostic text) means.
#[derive(Debug)]
pub(crate) struct StatusClass {
    pub(crate) code: String,
    /// The diagnostic text must match it for the row to apply.
    pub(crate) diagnostic: Option<Pattern>,
    pub(crate) side: Side,
    pub(crate) failure: Failure,
    pub(crate) meaning: String,
    /// `None`: the cause is no requirement.
    pub(crate) requirement: Option<Arc<str>>,
    pub(crate) source: String,
}

impl RuleSet {
    /// The rule with this id, or with this former id.
    pub(crate) fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| &*r.id == id || r.aliases.iter().any(|a| a == id))
    }

    /// Every name a user may give a rule by: ids and former ids (aliases).
    pub fn ids(&self) -> Vec<&str> {
        self.rules.iter().flat_map(|r| std::iter::once(&*r.id).chain(r.aliases.iter().map(String::as_str))).collect()
    }

    pub(crate) fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| &*r.id == id)
    }

    /// The row that says what a refusal with `code` and `diagnostic` text means: one whose
    /// pattern matches the text before one with no pattern; among equals the last loaded,
    /// so a user's pack can restate a built-in row.
    pub(crate) fn classify(&self, code: &str, diagnostic: &str) -> Option<&StatusClass> {
        let rows = self.status_codes.iter().rev().filter(|c| c.code == code);
        let mut general = None;
        for row in rows {
            match &row.diagnostic {
                Some(pattern) if pattern.is_match(diagnostic) => return Some(row),
                Some(_) => {}
                None => general = general.or(Some(row)),
            }
        }
        general
    }

    /// The rules that name requirement `id`, in pack order.
    pub(crate) fn rules_for<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules.iter().filter(move |r| r.checks(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_hold_exactly_what_they_were_given() {
        let words: Words = ["nhs.net", "b.nhs.uk", "nhs.net", "a.nhs.uk"].map(str::to_owned).into_iter().collect();
        for word in ["nhs.net", "a.nhs.uk", "b.nhs.uk"] {
            assert!(words.contains(word), "{word}");
        }
        for word in ["", "nhs", "nhs.net.", "c.nhs.uk"] {
            assert!(!words.contains(word), "{word}");
        }
    }
}
