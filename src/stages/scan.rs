//! Walking the inputs and checking every file in parallel. Each worker reads, parses,
//! lints and (for human output) renders one file, then drops its bytes; results come
//! back to the calling thread in path order whatever the thread count, so memory holds
//! only the files in flight, never the corpus.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Condvar, Mutex};

use crate::config::Ignores;
use crate::findings::diagnostic::{Detail, Diagnostic, Excerpt, FileFindings, Located, Renderer, Severity};
use crate::findings::identity::{self, FindingKey, Stamp};
use crate::inputs::{self, Found, Inputs, Item, Source};
use crate::mail::MessageView;
use crate::online::Services;
use crate::rules::RuleSet;
use crate::rules::engine::{self, Fact};
use crate::stages::baseline::{self, Baseline};

/// What the scan needs, and nothing more: the inputs, the message rules this command
/// runs (decided once), per-path ignores, the baseline, and the services online rules ask.
pub(crate) struct ScanPlan {
    pub(crate) inputs: Inputs,
    pub(crate) rules: Arc<RuleSet>,
    /// Indices into `rules` of the message and corpus rules that run.
    pub(crate) active: Vec<usize>,
    pub(crate) ignores: Ignores,
    pub(crate) baseline: Option<Baseline>,
    /// Whether a message with corpus facts has its body digest taken as it is read (a
    /// shard: `merge` cannot read the message again to tell a copy).
    pub(crate) bodies: bool,
    pub(crate) jobs: usize,
    pub(crate) services: Option<Arc<Services>>,
    /// Whether each message's `Detail` is wanted (the HTML and Markdown reports); a file
    /// that is not a message gets one saying so whatever this says.
    pub(crate) detail: bool,
    /// Whether each message's name is wanted (`FileFindings::name`: the JSON formats
    /// write it, and `--compare` matches messages by it).
    pub(crate) names: bool,
}

/// What checking one message produced, by the stage that uses it.
pub(crate) struct Checked {
    /// What the report shows.
    pub(crate) findings: FileFindings,
    /// What the corpus rules keep of it.
    pub(crate) facts: Vec<Fact>,
    /// Its version 1 baseline fingerprint, when such a baseline is in use.
    pub(crate) fingerprint: Option<String>,
    /// What tells a copy of it, when it has corpus facts.
    pub(crate) stamp: Option<Stamp>,
    /// Findings the baseline knew, and so left out of `findings`.
    pub(crate) known: usize,
    /// Bytes read, for the progress bar.
    pub(crate) size: u64,
    /// Findings `ignore:` left out on this path.
    pub(crate) ignored: usize,
    /// The path could not be read, and why: the run is incomplete.
    pub(crate) unread: Option<String>,
}

/// The worker threads could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start worker threads: {0}")]
pub struct ScanError(#[from] rayon::ThreadPoolBuildError);

/// Checks every input, handing each message's result to `sink` in path order; returns what
/// the walk passed over.
///
/// A feeder thread walks the inputs (in path order) and hands the files to the pool in
/// batches, while the workers read, decompress, split mboxes, parse and check them; a
/// large mbox is handed out a chunk of messages at a time, so its messages are checked
/// on every worker too. Results come back numbered (file, chunk) and leave in that
/// order, so memory holds only what is in flight: the feeder stays at most a window of
/// files ahead of what was reported.
pub(crate) fn run(
    plan: &ScanPlan,
    render: Option<&Renderer<'_>>,
    mut sink: impl FnMut(usize, Checked),
) -> Result<inputs::Passed, ScanError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(plan.jobs).build()?;
    let passed = inputs::Passed::default();
    let window = Window::new(plan.jobs * WINDOW_PER_JOB);
    let handed_out = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<Vec<Piece>>(plan.jobs * 2);
    let mut files = inputs::files(&plan.inputs, &passed).enumerate();
    std::thread::scope(|threads| {
        let (pool, window, handed_out) = (&pool, &window, &handed_out);
        threads.spawn(move || {
            pool.in_place_scope(|work| {
                // Files travel in small batches: one hand-over per file costs more in
                // thread wake-ups than linting a typical message does.
                loop {
                    let batch: Vec<(usize, Found)> = files.by_ref().take(BATCH).collect();
                    let Some(&(last_file, _)) = batch.last() else { break };
                    window.admit(last_file);
                    let worker = Worker { plan, render, handed_out, tx: tx.clone() };
                    work.spawn(move |work| {
                        let pieces = batch.into_iter().map(|(file, found)| worker.file(work, file, found)).collect();
                        // The receiver only goes away if the reporter failed; nothing to do then.
                        let _ = worker.tx.send(pieces);
                    });
                }
            });
        });
        let mut next = (0, 0);
        let mut index = 0;
        let mut waiting = BTreeMap::new();
        for piece in rx.into_iter().flatten() {
            waiting.insert((piece.file, piece.chunk), piece);
            while let Some(piece) = waiting.remove(&next) {
                for checked in piece.checked {
                    sink(index, checked);
                    index += 1;
                }
                next = if piece.last {
                    window.reported(piece.file);
                    (piece.file + 1, 0)
                } else {
                    (piece.file, piece.chunk + 1)
                };
            }
        }
    });
    Ok(passed)
}

const BATCH: usize = 16;
/// Messages of an mbox checked as one piece of work.
const CHUNK: usize = 16;
/// How many files per worker the feeder may run ahead of the oldest file not yet
/// reported (one slow file, a large mbox, then holds up only so much).
const WINDOW_PER_JOB: usize = 64;

/// Checked messages of one file, in order: its `chunk`th piece (most files have one;
/// an mbox's messages come in several), the `last` one closing the file.
struct Piece {
    file: usize,
    chunk: usize,
    last: bool,
    checked: Vec<Checked>,
}

/// Keeps the feeder within a window of files of what has been reported.
struct Window {
    size: usize,
    state: Mutex<Progress>,
    moved: Condvar,
}

struct Progress {
    /// Files before this one are reported.
    reported: usize,
    /// The file the feeder waits to hand out: it is woken once that fits, not for each
    /// file reported (a wake-up is a system call and a context switch).
    awaited: Option<usize>,
}

impl Window {
    fn new(size: usize) -> Self {
        Window { size: size.max(1), state: Mutex::new(Progress { reported: 0, awaited: None }), moved: Condvar::new() }
    }

    fn fits(&self, file: usize, reported: usize) -> bool {
        file < reported + self.size
    }

    /// Waits until `file` is within the window.
    fn admit(&self, file: usize) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while !self.fits(file, state.reported) {
            state.awaited = Some(file);
            state = self.moved.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn reported(&self, file: usize) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.reported = file + 1;
        if state.awaited.is_some_and(|awaited| self.fits(awaited, state.reported)) {
            state.awaited = None;
            self.moved.notify_one();
        }
    }
}

struct Worker<'a, 'r> {
    plan: &'a ScanPlan,
    render: Option<&'a Renderer<'r>>,
    /// Chunks handed to other workers and not yet done.
    handed_out: &'a AtomicUsize,
    tx: SyncSender<Vec<Piece>>,
}

impl<'a, 'r> Worker<'a, 'r> {
    /// Reads and checks one found file; returns its last piece. An mbox's full chunks go
    /// to other workers while few are out, else are checked here; either way they are
    /// sent as soon as done, so a large mbox is never held whole.
    fn file<'s>(&self, work: &rayon::Scope<'s>, file: usize, found: Found) -> Piece
    where
        'a: 's,
    {
        let mut messages = inputs::messages(found);
        let mut chunk = 0;
        loop {
            let items: Vec<Item> = messages.by_ref().take(CHUNK).collect();
            if items.len() < CHUNK {
                return Piece { file, chunk, last: true, checked: self.check(items) };
            }
            if self.handed_out.load(Ordering::Relaxed) < self.plan.jobs * 2 {
                self.handed_out.fetch_add(1, Ordering::Relaxed);
                let worker = Worker { tx: self.tx.clone(), ..*self };
                work.spawn(move |_| {
                    let piece = Piece { file, chunk, last: false, checked: worker.check(items) };
                    let _ = worker.tx.send(vec![piece]);
                    worker.handed_out.fetch_sub(1, Ordering::Relaxed);
                });
            } else {
                let _ = self.tx.send(vec![Piece { file, chunk, last: false, checked: self.check(items) }]);
            }
            chunk += 1;
        }
    }

    fn check(&self, items: Vec<Item>) -> Vec<Checked> {
        items.into_iter().map(|item| isolated(self.plan, self.render, item)).collect()
    }
}

/// A bug that panics on one file must not lose the rest of the scan: it becomes an
/// `internal-error` diagnostic on that file.
fn isolated(plan: &ScanPlan, render: Option<&Renderer<'_>>, item: Item) -> Checked {
    let path = item.label.clone();
    crate::util::isolate::catch(|| check_item(plan, render, item)).unwrap_or_else(|panic| {
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
    let (buffer, size) = crate::mail::parse_buffer(bytes);
    let view = MessageView::new(&buffer, size);
    let evaluation = engine::evaluate(&plan.rules, &plan.active, &view, plan.services.as_deref());
    // An mbox message's lines are the mbox's lines.
    let shift = first_line - 1;
    let found = evaluation.diagnostics.len();
    let mut diagnostics: Vec<Located> = evaluation
        .diagnostics
        .into_iter()
        .filter(|d| !plan.ignores.ignored(&path, &d.rule))
        .map(|d| Located::new(d, view.raw()))
        .collect();
    let ignored = found - diagnostics.len();
    let mut facts = evaluation.facts;
    let keyed = !diagnostics.is_empty() || !facts.is_empty();
    let message_id = (keyed || plan.names).then(|| identity::message_id(&view)).flatten();
    let name = (keyed || plan.names).then(|| identity::message_name(&view, message_id.as_deref()));
    if let Some(name) = name.as_deref().filter(|_| keyed) {
        for d in &mut diagnostics {
            d.key = Some(FindingKey::of(&d.diagnostic.rule, name, &view, &d.diagnostic.span));
        }
        for f in &mut facts {
            f.finding = Some(FindingKey::of(&plan.rules.rules[f.rule].id, name, &view, &f.span));
        }
    }
    let stamp = if facts.is_empty() { None } else { Stamp::of(&view, message_id.as_deref(), plan.bodies) };
    let legacy = plan.baseline.as_ref().filter(|b| b.is_legacy());
    let fingerprint = legacy.map(|_| baseline::legacy_fingerprint(&view));
    let mut known = 0;
    if let Some(baseline) = &plan.baseline {
        (diagnostics, known) = baseline.filter(fingerprint.as_deref(), diagnostics);
    }
    let rendered = render.filter(|_| !diagnostics.is_empty()).map(|r| r(&path, view.raw(), &diagnostics, shift));
    // Only a message with findings is shown or charted; one that is not a message is
    // counted as not checked.
    let shown = !diagnostics.is_empty() || view.headers().is_none();
    let detail = match view.headers() {
        _ if plan.detail && shown => Some(Box::new(detail(&view, &diagnostics, shift))),
        // Every report that counts requirements must know it checked nothing here.
        None => Some(Box::new(Detail { unchecked: true, ..Detail::default() })),
        Some(_) => None,
    };
    diagnostics.iter_mut().for_each(|d| d.line += shift);
    facts.iter_mut().for_each(|f| f.line += shift);
    let name = name.filter(|_| plan.names);
    let findings = FileFindings { path, diagnostics, rendered, detail, name };
    drop(view);
    inputs::recycle(buffer);
    Checked { findings, facts, fingerprint, stamp, known, size: size as u64, ignored, unread: None }
}

/// What the HTML and Markdown reports keep of a message: excerpts, Date, From and the
/// Subject's shape.
fn detail(view: &MessageView<'_>, diagnostics: &[Located], shift: usize) -> Detail {
    let excerpts = diagnostics.iter().map(|d| Excerpt::of(view.raw(), &d.diagnostic.span, shift)).collect();
    let from = view.mailboxes("From").first().map(|m| m.address.clone()).filter(|a| !a.is_empty());
    let template = view.subject().map(|(subject, _)| template_of(&subject));
    Detail { excerpts, date: view.date(), from, template, unchecked: view.headers().is_none() }
}

/// A Subject with each run of digits folded into `#`, control characters dropped and
/// cut at 80 characters: messages from one template share it, and no NHS number or
/// date is kept.
fn template_of(subject: &str) -> String {
    let mut out = String::new();
    for c in subject.chars().filter(|c| !c.is_control()) {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    let out = out.trim();
    match out.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out.to_owned(),
    }
}

/// A file or folder that could not be read: one diagnostic, the run marked incomplete
/// (`Checked::unread`), and the scan goes on.
fn unreadable(render: Option<&Renderer<'_>>, path: PathBuf, error: String) -> Checked {
    let (what, help) = if path.is_dir() {
        ("folder", "Check the folder's permissions: no message in it was checked.")
    } else {
        ("file", "Check the file's permissions and that it still exists: it was not checked.")
    };
    let mut checked =
        scanner_finding(render, path, "unreadable-file", format!("cannot read this {what}: {error}"), help);
    checked.unread = Some(error);
    checked
}

/// A diagnostic of the scanner itself (no rule pack defines it), with no source to show.
fn scanner_finding(render: Option<&Renderer<'_>>, path: PathBuf, rule: &str, message: String, help: &str) -> Checked {
    let diagnostic = Diagnostic {
        rule: rule.into(),
        requirement: Vec::new().into(),
        severity: Severity::Error,
        message,
        help: Some(help.into()),
        label: None,
        span: 0..0,
        fix: None,
    };
    let diagnostics = vec![Located::new(diagnostic, b"")];
    let rendered = render.map(|r| r(&path, b"", &diagnostics, 0));
    // No rule ran on it: the reports' matrix must not count it as checked.
    let detail = Some(Box::new(Detail { unchecked: true, ..Detail::default() }));
    let findings = FileFindings { path, diagnostics, rendered, detail, name: None };
    Checked { findings, facts: Vec::new(), fingerprint: None, stamp: None, known: 0, size: 0, ignored: 0, unread: None }
}
