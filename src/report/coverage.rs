//! What one run covers, worked out by the plan for the HTML and Markdown reports: each
//! requirement with the rules that check it in this run (or why none does, or its
//! attestation), and the exceptions the configuration accepted (disabled rules, changed
//! severities, per-path ignores, a baseline), so that nothing is hidden silently.

use crate::findings::diagnostic::Severity;
use crate::rules::Rule;
use crate::rules::spec::{Scope, Verb};

/// Why this configuration does not run `rule`, or `None` when it does (`requirements`
/// and the reports say it in the same words).
pub(crate) fn not_run(rule: &Rule, has_setup: bool) -> Option<String> {
    if !rule.enabled {
        return Some("disabled in the config (`rules.disable`)".into());
    }
    if !rule.applies {
        return Some("does not apply to this set-up".into());
    }
    if let Some(why) = rule.unavailable.as_ref().or(rule.nothing_to_check.as_ref()) {
        return Some(why.clone());
    }
    if rule.scope == Scope::Config && !has_setup {
        return Some("no sending set-up (`transport:`, `mailbox:` or `directory:`) to check".into());
    }
    None
}

/// What the run does about one requirement.
#[derive(Debug, Clone)]
pub(crate) enum Status {
    /// Rules of this run check it: the message and corpus rules, and whether set-up
    /// rules do too.
    /// `to_attest`: a person must also attest what the rules cannot see (the firewall
    /// beside the relay's port), and the configuration records nothing yet.
    Checked { message_rules: Vec<String>, setup_rules: Vec<String>, to_attest: bool },
    /// No rule of this run checks it; the configuration records a person's attestation.
    Attested(String),
    /// A person must attest it, and the configuration records nothing yet.
    Open,
    /// It concerns another kind of set-up.
    NotApplicable,
    /// Only set-up rules check it, and the run has no sending set-up to check.
    NoSetup,
    /// No rule of this run checks it, and why.
    NotChecked(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) verb: Verb,
    pub(crate) sentence: String,
    pub(crate) status: Status,
}

/// The exceptions the configuration and command line accepted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exceptions {
    /// `rules.disable`.
    pub(crate) disabled: Vec<String>,
    /// `rules.severity`: rule, the pack's severity, the config's.
    pub(crate) regraded: Vec<(String, Severity, Severity)>,
    /// `ignore:`: each glob and the rules it switches off there.
    pub(crate) ignores: Vec<(String, Vec<String>)>,
    /// `--baseline FILE`.
    pub baseline: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RunCoverage {
    pub(crate) rows: Vec<Row>,
    pub(crate) exceptions: Exceptions,
}
