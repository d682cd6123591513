//! Walking the inputs and checking every file in parallel. Each worker reads, parses,
//! lints and (for human output) renders one file, then drops its bytes; results come
//! back to the calling thread in path order whatever the thread count, so memory holds
//! only the files in flight, never the corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::baseline;
use crate::diagnostic::{Diagnostic, Located, Severity};
use crate::inputs::{self, Item, Source};
use crate::mail::{self, MessageView};
use crate::rules::engine::{self, Fact};
use crate::settings::Settings;

/// What checking one file produced.
pub struct FileReport {
    pub path: PathBuf,
    pub diagnostics: Vec<Located>,
    pub facts: Vec<Fact>,
    /// Human-format rendering of `diagnostics`, made while the bytes were at hand.
    pub rendered: Option<String>,
    /// The message's identity for baselines, when one is in use.
    pub fingerprint: Option<String>,
    /// Findings the baseline knew, and so left out of `diagnostics`.
    pub known: usize,
    /// Bytes read, for the progress bar.
    pub size: u64,
}

/// Renders a file's diagnostics against its bytes (for the human format), its line
/// numbers shifted by the last argument (an mbox message's place in its file).
pub type Renderer<'a> = dyn Fn(&Path, &[u8], &[Located], usize) -> String + Sync + 'a;

/// Checks every input, handing each file's report to `sink` in path order.
pub fn run(
    settings: &Settings,
    render: Option<&Renderer<'_>>,
    mut sink: impl FnMut(usize, FileReport),
) -> Result<(), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs)
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    // Files travel in small batches: one hand-over per file costs more in thread
    // wake-ups than linting a typical message does.
    let mut inputs = inputs::items(&settings.paths, &settings.selection).enumerate();
    let batches = std::iter::from_fn(move || {
        let batch: Vec<_> = inputs.by_ref().take(BATCH).collect();
        (!batch.is_empty()).then_some(batch)
    });
    let (tx, rx) = mpsc::sync_channel::<Vec<(usize, FileReport)>>(settings.jobs * 2);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            pool.install(|| {
                batches.par_bridge().for_each_with(tx, |tx, batch| {
                    let reports =
                        batch.into_iter().map(|(index, item)| (index, isolated(settings, render, item))).collect();
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
fn isolated(settings: &Settings, render: Option<&Renderer<'_>>, item: Item) -> FileReport {
    let path = item.label.clone();
    crate::isolate::catch(|| check_item(settings, render, item)).unwrap_or_else(|panic| {
        let message = format!("nhsmail-lint failed on this file: {panic}");
        let help = "This is a bug in nhsmail-lint; please report it with the file if you can share it.";
        scanner_finding(render, path, "internal-error", message, help)
    })
}

fn check_item(settings: &Settings, render: Option<&Renderer<'_>>, item: Item) -> FileReport {
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
    let evaluation = engine::evaluate(&settings.rules, |r| settings.is_active(r), &view, settings.env());
    // An mbox message's lines are the mbox's lines.
    let shift = first_line - 1;
    let mut diagnostics: Vec<Located> = evaluation
        .diagnostics
        .into_iter()
        .filter(|d| !settings.config.ignored(&path, &d.rule))
        .map(|d| Located::new(d, view.raw()))
        .collect();
    let fingerprint = settings.fingerprints().then(|| baseline::fingerprint(&view));
    let mut known = 0;
    if let (Some(baseline), Some(fingerprint)) = (&settings.baseline, &fingerprint) {
        (diagnostics, known) = baseline.filter(fingerprint, diagnostics);
    }
    let rendered = render.filter(|_| !diagnostics.is_empty()).map(|r| r(&path, view.raw(), &diagnostics, shift));
    let mut facts = evaluation.facts;
    diagnostics.iter_mut().for_each(|d| d.line += shift);
    facts.iter_mut().for_each(|f| f.line += shift);
    FileReport { path, diagnostics, facts, rendered, fingerprint, known, size: size as u64 }
}

/// A file that could not be read: one diagnostic, and the scan goes on.
fn unreadable(render: Option<&Renderer<'_>>, path: PathBuf, error: String) -> FileReport {
    let help = "Check the file's permissions and that it still exists.";
    scanner_finding(render, path, "unreadable-file", format!("cannot read this file: {error}"), help)
}

/// A diagnostic of the scanner itself (no rule pack defines it), with no source to show.
fn scanner_finding(
    render: Option<&Renderer<'_>>,
    path: PathBuf,
    rule: &str,
    message: String,
    help: &str,
) -> FileReport {
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
    FileReport { path, diagnostics, facts: Vec::new(), rendered, fingerprint: None, known: 0, size: 0 }
}
