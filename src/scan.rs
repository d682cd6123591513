//! Walking the inputs and checking every file in parallel. Each worker reads, parses,
//! lints and (for human output) renders one file, then drops its bytes; results come
//! back to the calling thread in path order whatever the thread count, so memory holds
//! only the files in flight, never the corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::diagnostic::{Diagnostic, Located, Severity};
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
}

/// Renders a file's diagnostics against its bytes (for the human format).
pub type Renderer<'a> = dyn Fn(&Path, &[u8], &[Located]) -> String + Sync + 'a;

/// Files to check, in path order: directories recursively (files ending `.eml`), plus
/// every file named explicitly. Errors (unreadable directories, symlink loops) are
/// yielded in place so they become diagnostics of their own.
fn inputs(paths: &[PathBuf]) -> impl Iterator<Item = Result<PathBuf, (PathBuf, String)>> + Send + '_ {
    paths.iter().flat_map(|root| {
        walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter().filter_map(move |entry| {
            match entry {
                Ok(e) if e.file_type().is_dir() => None,
                Ok(e) if e.depth() == 0 || is_eml(e.path()) => Some(Ok(e.into_path())),
                Ok(_) => None,
                Err(err) => {
                    let path = err.path().unwrap_or(root).to_path_buf();
                    Some(Err((path, err.to_string())))
                }
            }
        })
    })
}

fn is_eml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml"))
}

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
    let mut inputs = inputs(&settings.paths).enumerate();
    let batches = std::iter::from_fn(move || {
        let batch: Vec<_> = inputs.by_ref().take(BATCH).collect();
        (!batch.is_empty()).then_some(batch)
    });
    let (tx, rx) = mpsc::sync_channel::<Vec<(usize, FileReport)>>(settings.jobs * 2);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            pool.install(|| {
                batches.par_bridge().for_each_with(tx, |tx, batch| {
                    let reports = batch
                        .into_iter()
                        .map(|(index, input)| match input {
                            Ok(path) => (index, isolated(settings, render, path)),
                            Err((path, error)) => (index, unreadable(render, path, error)),
                        })
                        .collect();
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
fn isolated(settings: &Settings, render: Option<&Renderer<'_>>, path: PathBuf) -> FileReport {
    crate::isolate::catch(|| check_file(settings, render, path.clone())).unwrap_or_else(|panic| {
        let message = format!("nhsmail-lint failed on this file: {panic}");
        let help = "This is a bug in nhsmail-lint; please report it with the file if you can share it.";
        scanner_finding(render, path, "internal-error", message, help)
    })
}

pub fn check_file(settings: &Settings, render: Option<&Renderer<'_>>, path: PathBuf) -> FileReport {
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => return unreadable(render, path, e.to_string()),
    };
    let (buffer, size) = mail::parse_buffer(bytes);
    let view = MessageView::new(&buffer, size);
    let evaluation = engine::evaluate(&settings.rules, |r| settings.is_active(r), &view, settings.env());
    let diagnostics: Vec<Located> = evaluation.diagnostics.into_iter().map(|d| Located::new(d, view.raw())).collect();
    let rendered = render.filter(|_| !diagnostics.is_empty()).map(|r| r(&path, view.raw(), &diagnostics));
    FileReport { path, diagnostics, facts: evaluation.facts, rendered }
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
    let rendered = render.map(|r| r(&path, b"", &diagnostics));
    FileReport { path, diagnostics, facts: Vec::new(), rendered }
}
