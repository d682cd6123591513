//! Rules as the engine runs them: what `compile` makes of a pack. Message rules'
//! preconditions on the configuration are already judged here (`Rule::applies`), so
//! what is left reads only messages.

use std::collections::HashSet;
use std::sync::Arc;

use regex::Regex;

use super::field::Field;
use super::spec::{DocsSpec, Scope};
use crate::diagnostic::Severity;
use crate::functions::{Detector, Function};

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
    Contains(Call),
    NotContains(Call),
}

/// A function a condition calls, compiled with the rule's options.
#[derive(Debug)]
pub struct Call {
    pub function: &'static Function,
    pub detector: Box<dyn Detector>,
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
    /// Former ids that still name this rule in users' configs and `explain`.
    pub aliases: Vec<String>,
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
    /// Why the rule cannot run with this configuration (it interpolates an unset value,
    /// or its service is not configured).
    pub unavailable: Option<String>,
    /// False when a precondition on the configuration rules it out (a relay rule when
    /// the transport is submission): judged once, when the pack compiles.
    pub applies: bool,
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
    /// The rule with this id, or with this former id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| &*r.id == id || r.aliases.iter().any(|a| a == id))
    }
}
