//! The `check` (and `preflight`) command: check the set-up, scan every message, judge
//! the corpus rules across them, send what passed when asked, report, and say whether
//! the run failed. Each stage takes its own plan; this file only joins them up.

use std::io;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use miette::Diagnostic;

use crate::cli::Format;
use crate::findings::diagnostic::{Located, Renderer, Severity};
use crate::inputs;
use crate::report::provenance::Provenance;
use crate::report::{self, Ending, Summary};
use crate::send::{self, Candidate, SendError};
use crate::stages::baseline::{Baseline, Recorder};
use crate::stages::corpus::Corpus;
use crate::stages::plan::CheckPlan;
use crate::stages::preflight;
use crate::stages::scan::{self, Checked, ScanError};

/// A run that could not finish. Whatever it had done is reported first.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum RunError {
    /// The report could not be written.
    #[error(transparent)]
    #[diagnostic(code(report))]
    Report(#[from] io::Error),
    /// The scan could not start.
    #[error(transparent)]
    #[diagnostic(code(scan))]
    Scan(#[from] ScanError),
    /// Sending stopped part-way.
    #[error("sending stopped: {0}")]
    #[diagnostic(
        code(send),
        help("the report lists every message's verdict so far; fix the cause and run again (nothing is sent twice)")
    )]
    Send(#[from] SendError),
    /// The baseline could not be read or written.
    #[error(transparent)]
    #[diagnostic(code(baseline))]
    Baseline(#[from] crate::stages::baseline::BaselineError),
    /// Some paths could not be read.
    #[error("the run is incomplete: {count} path(s) could not be read, so what they hold was not checked")]
    #[diagnostic(
        code(incomplete),
        help("the report names each path and why; fix its permissions (or remove it from the inputs) and run again")
    )]
    Incomplete {
        /// How many.
        count: usize,
    },
    /// No message was checked and none was expected to be.
    #[error("nothing was checked: {why}")]
    #[diagnostic(code(empty), help("pass --allow-empty when a run with nothing to check is expected"))]
    NothingChecked {
        /// Why nothing was checked.
        why: String,
    },
}

/// True when some diagnostic reached `--fail-on`, or a message that should have gone
/// did not.
pub fn run(plan: &CheckPlan) -> Result<bool, RunError> {
    if let Some(fix) = plan.fix {
        let mut stdout = std::io::stdout().lock();
        let fixed = crate::stages::fix::run(&plan.scan, fix, &mut stdout)?;
        for (path, why) in &fixed.not_edited {
            eprintln!("nhsmail-lint: {} not fixed: {why}", path.display());
        }
        let left = match fixed.unsafe_left {
            0 => String::new(),
            n => format!(" ({n} more with --unsafe-fixes)"),
        };
        let verb = if fix.diff { "would fix" } else { "fixed" };
        let (fixes, files) = (report::plural(fixed.fixes, "finding"), report::plural(fixed.files, "file"));
        eprintln!("nhsmail-lint: {verb} {fixes} in {files}{left}");
        // `--diff` is the whole answer: the diffs, and whether there were any.
        if fix.diff {
            return Ok(fixed.fixes > 0);
        }
    }
    let started = crate::util::clock::now();
    let color = plan.report.color;
    let human = |path: &std::path::Path, raw: &[u8], d: &[Located], shift: usize| {
        report::human::render(color, path, raw, d, shift)
    };
    let render: Option<&Renderer<'_>> = (plan.report.format == Format::Human).then_some(&human);
    let mut reporter = report::reporter(&plan.report, &plan.rules, report::output(&plan.report)?);
    let mut summary = Summary { config: plan.setup_source.clone(), ..Summary::default() };
    let setup = plan.preflight.as_ref().map(|p| preflight::run(p, render));
    let blocking = setup.as_ref().map(|s| s.blocking.clone()).unwrap_or_default();
    if let Some(setup) = setup {
        if let Some(findings) = setup.findings {
            summary.setup(&findings.diagnostics);
            reporter.config(findings)?;
        }
        if let Some(mailbox) = &setup.mailbox {
            reporter.mailbox(mailbox)?;
        }
        reporter.not_made(&setup.not_made)?;
    }
    let mut baselines = Baselines::new(plan.scan.baseline.as_ref(), plan.record_baseline.is_some());
    let mut corpus = Corpus::default();
    let mut candidates = Vec::new();
    let mut failure = Ok(());
    let mut ignored = 0;
    let passed = scan_with_progress(plan, render, |index, mut checked| {
        if let Some(reason) = &checked.unread {
            let path = checked.findings.path.display().to_string();
            summary.unread.push(report::Unread { path, reason: reason.clone() });
        }
        baselines.scanned(&checked);
        ignored += checked.ignored;
        summary.read.message(&checked.findings.path, checked.size);
        if plan.send.is_some() {
            candidates.push(Candidate {
                path: checked.findings.path.clone(),
                errors: error_rules(&checked.findings.diagnostics),
            });
        }
        summary.file(&checked.findings.diagnostics);
        // A shard writes its facts for `merge` to judge; a whole run judges them here.
        let shard = plan.report.facts;
        if !shard {
            corpus.keep(index, &mut checked);
        }
        if failure.is_ok() {
            let facts_for = (shard && plan.report.format == Format::Jsonl).then(|| checked.findings.path.clone());
            failure = reporter.file(index, checked.findings);
            if let (Ok(()), Some(path)) = (&failure, facts_for) {
                failure = reporter.facts(&path, &checked.facts, checked.stamp.as_ref());
            }
        }
    })?;
    failure?;
    summary.not_mail = passed.not_mail_by_extension();
    summary.gitignored = passed.gitignored_count();
    let nothing = nothing_checked(plan, &summary, &passed);
    let mut corpus_findings = Vec::new();
    let excerpts = plan.report.wants_detail();
    for judged in corpus.judge(&plan.rules, &mut |f, d| baselines.sift(f, d), render, excerpts) {
        let findings = &judged.findings;
        summary.corpus(&findings.findings.diagnostics, judged.had_findings);
        if let Some(candidate) = candidates.get_mut(findings.index) {
            candidate.errors.extend(error_rules(&findings.findings.diagnostics));
        }
        corpus_findings.push(judged.findings);
    }
    let mut failed = summary.fails(plan.report.fail_on);
    let mut notes = plan.notes.clone();
    let mut stopped = None;
    if let Some(send_plan) = &plan.send {
        let sending = send::run(send_plan, candidates, &blocking);
        // Everything that should go went, or the run failed.
        failed |= !sending.outcomes.iter().all(|o| o.verdict.is_done());
        reporter.send(&sending.outcomes)?;
        if let Some(error) = &sending.stopped {
            notes.push(format!("sending stopped: {error}"));
        }
        stopped = sending.stopped;
    }
    notes.extend(crate::findings::identity::copies_note(corpus.copies));
    notes.extend(crate::stages::baseline::known_note(baselines.known));
    if plan.verbose && !summary.not_mail.is_empty() {
        let each: Vec<String> = summary
            .not_mail
            .iter()
            .map(|(extension, n)| match extension.as_str() {
                "" => format!("{n} with no extension"),
                extension => format!("{n} .{extension}"),
            })
            .collect();
        notes.push(format!("skipped as not mail: {}", each.join(", ")));
    }
    if let Some(why) = &nothing {
        notes.push(format!("nothing was checked: {why}"));
    }
    // An incomplete run (a path not read, nothing to check, sending stopped) exits 2
    // whatever was found: `--fail-on` weighs findings, never what was not looked at.
    let incomplete = stopped.is_some() || !summary.unread.is_empty() || nothing.is_some();
    let exit_code = if incomplete { 2 } else { i32::from(failed) };
    let run = Provenance::new(&plan.report.provenance, started, &summary);
    let end = Ending { summary, notes, run, baseline_known: baselines.known, ignored, exit_code };
    reporter.finish(corpus_findings, &end)?;
    if let Some(error) = stopped {
        return Err(error.into());
    }
    baselines.record(plan.record_baseline.as_deref())?;
    if !end.summary.unread.is_empty() {
        return Err(RunError::Incomplete { count: end.summary.unread.len() });
    }
    if let Some(why) = nothing {
        return Err(RunError::NothingChecked { why });
    }
    Ok(failed)
}

/// Why a run given paths read no message, unless that is allowed: what the walk passed
/// over, or that there was nothing there (`None` when something was read).
fn nothing_checked(plan: &CheckPlan, summary: &Summary, passed: &inputs::Passed) -> Option<String> {
    if plan.allow_empty || plan.scan.inputs.paths.is_empty() || summary.files > summary.unread.len() {
        return None;
    }
    if !summary.unread.is_empty() {
        // Said already, as an incomplete run.
        return None;
    }
    let mut why = Vec::new();
    let left_out = passed.not_selected_count();
    if left_out > 0 {
        why.push(format!("--include / --exclude left out all {left_out} mail file(s)"));
    }
    if summary.gitignored > 0 {
        why.push(format!("{} path(s) left out by .gitignore (--no-ignore walks them)", summary.gitignored));
    }
    let not_mail = summary.not_mail_count();
    if not_mail > 0 {
        why.push(format!("{not_mail} file(s) skipped as not mail (-v lists them by extension)"));
    }
    if plan.scan.inputs.selection.shard.is_some() && why.is_empty() {
        why.push("no file fell in this shard".to_owned());
    }
    if why.is_empty() {
        why.push("no .eml, .mbox or Maildir message under the paths given".to_owned());
    }
    Some(why.join("; "))
}

fn error_rules(diagnostics: &[Located]) -> Vec<String> {
    let errors = diagnostics.iter().filter(|d| d.diagnostic.severity == Severity::Error);
    errors.map(|d| d.diagnostic.rule.to_string()).collect()
}

/// The baseline in use: findings it knows are left out (and counted), and what the run
/// reports is recorded for `--write-baseline`.
struct Baselines<'a> {
    baseline: Option<&'a Baseline>,
    recorder: Option<Recorder>,
    known: usize,
}

impl<'a> Baselines<'a> {
    fn new(baseline: Option<&'a Baseline>, record: bool) -> Self {
        Baselines { baseline, recorder: record.then(Recorder::default), known: 0 }
    }

    /// A scanned message, which the scan has already sifted.
    fn scanned(&mut self, checked: &Checked) {
        self.known += checked.known;
        if let Some(recorder) = &mut self.recorder {
            recorder.add(&checked.findings.diagnostics);
        }
    }

    /// Corpus findings for a message (with its version 1 fingerprint, when such a baseline
    /// is in use): what the baseline does not know.
    fn sift(&mut self, fingerprint: Option<&str>, diagnostics: Vec<Located>) -> Vec<Located> {
        let fresh = match self.baseline {
            Some(baseline) => {
                let (fresh, known) = baseline.filter(fingerprint, diagnostics);
                self.known += known;
                fresh
            }
            None => diagnostics,
        };
        if let Some(recorder) = &mut self.recorder {
            recorder.add(&fresh);
        }
        fresh
    }

    fn record(&self, path: Option<&std::path::Path>) -> Result<(), RunError> {
        let (Some(recorder), Some(path)) = (&self.recorder, path) else { return Ok(()) };
        Ok(recorder.write(path)?)
    }
}

/// The scan, with a progress bar on stderr (a terminal only) that advances as each
/// message's result arrives; its total grows as a second walk finds files. It is drawn
/// only once the run has taken `PROGRESS_AFTER`: a pre-commit run over one template ends
/// long before, and a bar flashed and cleared is noise.
fn scan_with_progress(
    plan: &CheckPlan,
    render: Option<&Renderer<'_>>,
    mut sink: impl FnMut(usize, Checked),
) -> Result<inputs::Passed, ScanError> {
    let progress = plan.report.progress.then(progress_bar);
    let started = std::time::Instant::now();
    let inputs = &plan.scan.inputs;
    let scanned = std::thread::scope(|scope| {
        if let Some(bar) = &progress {
            scope.spawn(|| inputs::sizes(inputs, &inputs::Passed::default()).for_each(|n| bar.inc_length(n)));
        }
        let mut files = 0u64;
        scan::run(&plan.scan, render, |index, checked| {
            if let Some(bar) = &progress {
                files += 1;
                if bar.is_hidden() && started.elapsed() >= PROGRESS_AFTER {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                }
                bar.inc(checked.size);
                bar.set_message(format!("{files} files"));
                bar.suspend(|| sink(index, checked));
            } else {
                sink(index, checked);
            }
        })
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    scanned
}

/// How long a run goes before its progress bar is shown.
const PROGRESS_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
    let style = ProgressStyle::with_template(
        "{spinner} {msg:>12} {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>12} ETA {eta}",
    )
    .expect("valid template");
    bar.set_style(style);
    bar
}
