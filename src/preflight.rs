//! The sending set-up, checked once a run: the config rules over the configuration,
//! with the services the set-up checks ask (the relay's DNS registration, the mailbox's
//! quota, the account and lists in the directory). Findings point into the config
//! file, shown with its secrets masked.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::diagnostic::{FileFindings, Located, Renderer, Severity};
use crate::online::Services;
use crate::rules::{RuleSet, engine};

pub struct PreflightPlan {
    pub rules: Arc<RuleSet>,
    /// Indices into `rules` of the config rules that run.
    pub active: Vec<usize>,
    /// The set-up the config rules read: the one stage that reads the configuration.
    pub config: Config,
    pub services: Option<Arc<Services>>,
}

/// What the set-up checks found.
pub struct Setup {
    /// Against the config file; `None` when it had nothing to say.
    pub findings: Option<FileFindings>,
    /// No error: `--send` may send.
    pub ok: bool,
}

pub fn run(plan: &PreflightPlan, render: Option<&Renderer<'_>>) -> Setup {
    let diagnostics = engine::evaluate_config(&plan.rules, &plan.active, &plan.config, plan.services.as_deref());
    let ok = !diagnostics.iter().any(|d| d.severity == Severity::Error);
    let findings = plan.config.source.as_ref().filter(|_| !diagnostics.is_empty()).map(|source| {
        let shown = source.shown();
        let path = PathBuf::from(&source.name);
        let diagnostics: Vec<Located> = diagnostics.into_iter().map(|d| Located::new(d, shown.as_bytes())).collect();
        let rendered = render.map(|r| r(&path, shown.as_bytes(), &diagnostics, 0));
        FileFindings { path, diagnostics, rendered }
    });
    Setup { findings, ok }
}
