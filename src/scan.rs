//! Walking the inputs and checking every file in parallel. Each worker reads, parses,
//! lints and (for human output) renders one file, then drops its bytes; results come
//! back to the calling thread in path order whatever the thread count, so memory holds
//! only the files in flight, never the corpus.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::baseline::{self, Baseline};
use crate::config::Ignores;
use crate::diagnostic::{Diagnostic, FileFindings, Located, Renderer, Severity};
use crate::inputs::{self, Inputs, Item, Source};
use crate::mail::{self, MessageView};
use crate::online::Services;
use crate::rules::RuleSet;
use crate::rules::engine::{self, Fact};

/// What the scan needs, and nothing more: the inputs, the message rules this command
/// runs (decided once), per-path ignores, the baseline, and the services online rules ask.
pub struct ScanPlan {
    pub inputs: Inputs,
    pub rules: Arc<RuleSet>,
    /// Indices into `rules` of the message and corpus rules that run.
    pub active: Vec<usize>,
    pub ignores: Ignores,
    pub baseline: Option<Baseline>,
    /// Whether each message needs its fingerprint (a baseline is read or written).
    pub fingerprints: bool,
    pub jobs: usize,
    pub services: Option<Arc<Services>>,
}

/// What checking one message produced, by the stage that uses it.
pub struct Checked {
    /// What the report shows.
    pub findings: FileFindings,
    /// What the corpus rules keep of it.
    pub facts: Vec<Fact>,
    /// Its identity, for baselines, when one is in use.
    pub fingerprint: Option<String>,
    /// Findings the baseline knew, and so left out of `findings`.
    pub known: usize,
    /// Bytes read, for the progress bar.
    pub size: u64,
}

/// The worker threads could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start worker threads: {0}")]
pub struct ScanError(#[from] rayon::ThreadPoolBuildError);

/// Checks every input, handing each message's result to `sink` in path order.
pub fn run(
    plan: &ScanPlan,
    render: Option<&Renderer<'_>>,
    mut sink: impl FnMut(usize, Checked),
) -> Result<(), ScanError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(plan.jobs).build()?;
    // Files travel in small batches: one hand-over per file costs more in thread
    // wake-ups than linting a typical message does.
    let mut inputs = inputs::items(&plan.inputs.paths, &plan.inputs.selection).enumerate();
    let batches = std::iter::from_fn(move || {
        let batch: Vec<_> = inputs.by_ref().take(BATCH).collect();
        (!batch.is_empty()).then_some(batch)
    });
    let (tx, rx) = mpsc::sync_channel::<Vec<(usize, Checked)>>(plan.jobs * 2);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            pool.install(|| {
                batches.par_bridge().for_each_with(tx, |tx, batch| {
                    let reports =
                        batch.into_iter().map(|(index, item)| (index, isolated(plan, render, item))).collect();
                    // The receiver only goes away if the reporter failed; nothing to do then.
                    let _ = tx.send(reports);
                })
            })
        });
        let mut next = 0;
        let mut waiting = BTreeMap::new();
        for (index, report) in rx.into_iter().flatten() {
            waiting.insert(index, report);
            while let Some(report) = waiting.remove(&next) {
                sink(next, report);
                next += 1;
            }
        }
    });
    Ok(())
}

const BATCH: usize = 16;

/// A bug that panics on one file must not lose the rest of the scan: it becomes an
/// `internal-error` diagnostic on that file.
fn isolated(plan: &ScanPlan, render: Option<&Renderer<'_>>, item: Item) -> Checked {
    let path = item.label.clone();
    crate::isolate::catch(|| check_item(plan, render, item)).unwrap_or_else(|panic| {
        let message = format!("nhsmail-lint failed on this file: {panic}");
        let help = "This is a bug in nhsmail-lint; please report it with the file if you can share it.";
        scanner_finding(render, path, "internal-error", message, help)
    })
}

fn check_item(plan: &ScanPlan, render: Option<&Renderer<'_>>, item: Item) -> Checked {
    let path = item.label;
    let (bytes, first_line) = match item.source {
        Source::File(file) => match inputs::read(&file) {
            Ok(bytes) => (bytes, 1),
            Err(e) => return unreadable(render, path, e.to_string()),
        },
        Source::Bytes { bytes, first_line } => (bytes, first_line),
        Source::Failed(why) => return unreadable(render, path, why),
    };
    let (buffer, size) = mail::parse_buffer(bytes);
    let view = MessageView::new(&buffer, size);
    let evaluation = engine::evaluate(&plan.rules, &plan.active, &view, plan.services.as_deref());
    // An mbox message's lines are the mbox's lines.
    let shift = first_line - 1;
    let mut diagnostics: Vec<Located> = evaluation
        .diagnostics
        .into_iter()
        .filter(|d| !plan.ignores.ignored(&path, &d.rule))
        .map(|d| Located::new(d, view.raw()))
        .collect();
    let fingerprint = plan.fingerprints.then(|| baseline::fingerprint(&view));
    let mut known = 0;
    if let (Some(baseline), Some(fingerprint)) = (&plan.baseline, &fingerprint) {
        (diagnostics, known) = baseline.filter(fingerprint, diagnostics);
    }
    let rendered = render.filter(|_| !diagnostics.is_empty()).map(|r| r(&path, view.raw(), &diagnostics, shift));
    let mut facts = evaluation.facts;
    diagnostics.iter_mut().for_each(|d| d.line += shift);
    facts.iter_mut().for_each(|f| f.line += shift);
    Checked { findings: FileFindings { path, diagnostics, rendered }, facts, fingerprint, known, size: size as u64 }
}

/// A file that could not be read: one diagnostic, and the scan goes on.
fn unreadable(render: Option<&Renderer<'_>>, path: PathBuf, error: String) -> Checked {
    let help = "Check the file's permissions and that it still exists.";
    scanner_finding(render, path, "unreadable-file", format!("cannot read this file: {error}"), help)
}

/// A diagnostic of the scanner itself (no rule pack defines it), with no source to show.
fn scanner_finding(render: Option<&Renderer<'_>>, path: PathBuf, rule: &str, message: String, help: &str) -> Checked {
    let diagnostic = Diagnostic {
        rule: rule.into(),
        severity: Severity::Error,
        message,
        help: Some(help.into()),
        label: None,
        span: 0..0,
    };
    let diagnostics = vec![Located::new(diagnostic, b"")];
    let rendered = render.map(|r| r(&path, b"", &diagnostics, 0));
    let findings = FileFindings { path, diagnostics, rendered };
    Checked { findings, facts: Vec::new(), fingerprint: None, known: 0, size: 0 }
}
