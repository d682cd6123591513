//! The sending set-up, checked once a run: the config rules over the configuration,
//! with the services the set-up checks ask (the relay's DNS registration, the mailbox's
//! quota, the account and lists in the directory). Findings point into the config
//! file, shown with its secrets masked.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::findings::diagnostic::{ATTESTATION_OPEN, Diagnostic, FileFindings, Located, Renderer, Severity};
use crate::online::Services;
use crate::online::mailbox_status::MailboxStatus;
use crate::rules::spec::Coverage;
use crate::rules::{RuleSet, engine};

pub(crate) struct PreflightPlan {
    pub(crate) rules: Arc<RuleSet>,
    /// Indices into `rules` of the config rules that run.
    pub(crate) active: Vec<usize>,
    /// Report the requirements still waiting for an attestation (the `preflight` command).
    pub(crate) attestations: bool,
    /// The set-up the config rules read: the one stage that reads the configuration.
    pub(crate) config: Config,
    pub(crate) services: Option<Arc<Services>>,
}

/// What the set-up checks found.
pub(crate) struct Setup {
    /// Against the config file; `None` when it had nothing to say.
    pub(crate) findings: Option<FileFindings>,
    /// The rules whose errors stop every send (`blocks_send`), each once; empty: `--send`
    /// may send.
    pub(crate) blocking: Vec<Arc<str>>,
    /// The mailbox's numbers, when a rule read its quota.
    pub(crate) mailbox: Option<MailboxStatus>,
    /// The rules whose check was not made (a probe's step not reached or not asked for).
    pub(crate) not_made: Vec<Arc<str>>,
}

pub(crate) fn run(plan: &PreflightPlan, render: Option<&Renderer<'_>>) -> Setup {
    let engine::SetupVerdict { mut diagnostics, not_made } =
        engine::evaluate_config(&plan.rules, &plan.active, &plan.config, plan.services.as_deref());
    if plan.attestations {
        diagnostics.extend(open_attestations(&plan.rules, &plan.config));
        diagnostics.sort_by_key(|d| d.span.start);
    }
    let mut blocking: Vec<Arc<str>> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && plan.rules.get(&d.rule).is_some_and(|r| r.blocks_send))
        .map(|d| d.rule.clone())
        .collect();
    blocking.sort();
    blocking.dedup();
    let findings = plan.config.source.as_ref().filter(|_| !diagnostics.is_empty()).map(|source| {
        let shown = source.shown();
        let path = PathBuf::from(&source.name);
        let diagnostics: Vec<Located> = diagnostics.into_iter().map(|d| Located::new(d, shown.as_bytes())).collect();
        let rendered = render.map(|r| r(&path, shown.as_bytes(), &diagnostics, 0));
        FileFindings { path, diagnostics, rendered, detail: None, name: None }
    });
    let mailbox = plan.services.as_ref().and_then(|s| s.mailbox.as_ref());
    let mailbox = mailbox.and_then(|m| m.read().map(|read| MailboxStatus::new(m.host(), read)));
    Setup { findings, blocking, mailbox, not_made }
}

/// The requirement no machine can check that apply to this set-up and that
/// `attestations:` does not record yet: one info finding each, at `attestations:` when
/// the file has it (else at its start). Done here, not by a rule, because what is
/// missing is a person's record, not something wrong in the set-up.
fn open_attestations(rules: &RuleSet, config: &Config) -> Vec<Diagnostic> {
    let Some(source) = &config.source else { return Vec::new() };
    let text = &*source.text;
    let key = text.match_indices("attestations:").map(|(i, _)| i).find(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n');
    let span = key.map_or(0..0, |i| i..i + "attestations".len());
    let open = rules
        .requirements
        .iter()
        .filter(|r| r.applies && r.coverage.contains(&Coverage::Attest) && !config.attestations.contains_key(&*r.id));
    open.map(|r| Diagnostic {
        rule: ATTESTATION_OPEN.into(),
        requirement: vec![r.id.clone()].into(),
        severity: Severity::Info,
        message: format!("requirement {} is not attested yet: {}", r.id, r.reads()),
        help: Some(format!(
            "No machine can check this. When it is done, record it in nhsmail-lint.yaml: \
             `attestations: {{{}: \"what was done, reference, date\"}}`",
            r.id
        )),
        label: None,
        span: span.clone(),
        fix: None,
    })
    .collect()
}
