//! The `check` (and `preflight`) command: check the set-up, scan every file, run the
//! corpus rules over what the scan kept, send what passed when asked, report, and say
//! whether the run failed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::PathBuf;

use crate::baseline::Recorder;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::Format;
use crate::diagnostic::{Located, Severity};
use crate::inputs;
use crate::report::{self, CorpusFindings, Summary};
use crate::rules::engine;
use crate::scan::{self, FileReport, Renderer};
use crate::send::{self, Candidate};
use crate::settings::Settings;

/// True when some diagnostic reached `--fail-on`.
pub fn run(settings: &Settings) -> io::Result<bool> {
    let color = settings.color;
    let human = |path: &std::path::Path, raw: &[u8], d: &[Located], shift: usize| {
        report::human::render(color, path, raw, d, shift)
    };
    let render: Option<&Renderer<'_>> = (settings.format == Format::Human).then_some(&human);
    let out = report::output(settings.output.as_deref())?;
    let mut reporter = report::reporter(settings.report_options(), &settings.rules, out);
    let mut summary = Summary::default();
    let mut facts = Vec::new();
    let mut fact_paths: HashMap<usize, PathBuf> = HashMap::new();
    let mut fact_files_with_findings = HashSet::new();
    let mut setup_ok = true;
    if let Some(report) = config_report(settings, render) {
        setup_ok = !report.diagnostics.iter().any(|d| d.diagnostic.severity == Severity::Error);
        summary.count(&report.diagnostics);
        summary.files_with_findings += 1;
        reporter.config(report)?;
    }
    summary.config = settings.config.transport.as_ref().and(settings.config.source.as_ref()).map(|s| s.name.clone());
    let mut candidates = Vec::new();
    let mut known = 0;
    let mut recorder = settings.write_baseline.as_ref().map(|_| Recorder::default());
    let mut fingerprints: HashMap<usize, String> = HashMap::new();
    let progress = settings.progress.then(progress_bar);
    let mut failure = Ok(());
    let scanned = std::thread::scope(|scope| {
        if let Some(bar) = &progress {
            // The total grows as a second walk finds files; the scan does not wait for it.
            scope.spawn(|| inputs::sizes(&settings.paths, &settings.selection).for_each(|n| bar.inc_length(n)));
        }
        scan_all(settings, render, progress.as_ref(), |index, report| {
            known += report.known;
            if let (Some(recorder), Some(fingerprint)) = (&mut recorder, &report.fingerprint) {
                recorder.add(fingerprint, &report.diagnostics);
            }
            if settings.send.is_some() {
                candidates.push(Candidate { path: report.path.clone(), errors: error_rules(&report.diagnostics) });
            }
            summary.files += 1;
            summary.files_with_findings += usize::from(!report.diagnostics.is_empty());
            summary.count(&report.diagnostics);
            if !report.facts.is_empty() {
                if !report.diagnostics.is_empty() {
                    fact_files_with_findings.insert(index);
                }
                fact_paths.insert(index, report.path.clone());
                if let Some(fingerprint) = &report.fingerprint {
                    fingerprints.insert(index, fingerprint.clone());
                }
                facts.extend(report.facts.iter().cloned().map(|f| (index, f)));
            }
            if failure.is_ok() {
                failure = match &progress {
                    Some(bar) => bar.suspend(|| reporter.file(index, report)),
                    None => reporter.file(index, report),
                };
            }
        })
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    scanned.map_err(io::Error::other)?;
    failure?;

    let mut by_file: BTreeMap<usize, Vec<Located>> = BTreeMap::new();
    let name_of = |i: usize| fact_paths.get(&i).map(|p| p.display().to_string()).unwrap_or_default();
    // A shard sees only part of the corpus: it writes its facts and `merge` judges them.
    if settings.selection.shard.is_some() {
        facts.clear();
    }
    for (index, located) in engine::evaluate_corpus(&settings.rules, facts, &name_of) {
        by_file.entry(index).or_default().push(located);
    }
    let mut late = Vec::new();
    let mut rereader = inputs::Rereader::default();
    for (index, mut diagnostics) in by_file {
        let path = fact_paths.remove(&index).expect("facts come with their path");
        if let (Some(baseline), Some(fingerprint)) = (&settings.baseline, fingerprints.get(&index)) {
            let (fresh, old) = baseline.filter(fingerprint, diagnostics);
            (diagnostics, known) = (fresh, known + old);
        }
        if let (Some(recorder), Some(fingerprint)) = (&mut recorder, fingerprints.get(&index)) {
            recorder.add(fingerprint, &diagnostics);
        }
        summary.count(&diagnostics);
        if let Some(candidate) = candidates.get_mut(index) {
            candidate.errors.extend(error_rules(&diagnostics));
        }
        // The scan dropped the bytes: a file (or mbox message) with corpus findings is read
        // again to show them in place; standard input is shown without its source.
        let rendered = render.map(|r| match rereader.read(&path) {
            Some((raw, first_line)) => {
                let shown: Vec<Located> =
                    diagnostics.iter().map(|d| Located::new(d.diagnostic.clone(), &raw)).collect();
                r(&path, &raw, &shown, first_line - 1)
            }
            None => r(&path, &[], &diagnostics, 0),
        });
        late.push(CorpusFindings { index, path, diagnostics, rendered });
    }
    summary.files_with_findings += late.iter().filter(|l| !fact_files_with_findings.contains(&l.index)).count();
    let mut failed = summary.fails(settings.fail_on);
    if let Some(options) = &settings.send {
        let outcomes = send::run(settings, options, candidates, setup_ok).map_err(io::Error::other)?;
        // Everything that should go went, or the run failed.
        failed |= !outcomes.iter().all(|o| o.verdict.is_done());
        reporter.send(&outcomes)?;
    }
    if let (Some(recorder), Some(path)) = (&recorder, &settings.write_baseline) {
        recorder.write(path).map_err(|e| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))?;
    }
    let mut notes = settings.notes();
    if known > 0 {
        notes.push(format!("{known} finding(s) already in the baseline were not reported"));
    }
    reporter.finish(late, &summary, &notes)?;
    Ok(failed)
}

fn error_rules(diagnostics: &[Located]) -> Vec<String> {
    let errors = diagnostics.iter().filter(|d| d.diagnostic.severity == Severity::Error);
    errors.map(|d| d.diagnostic.rule.to_string()).collect()
}

/// The config rules' findings, reported against the config file (secrets masked).
fn config_report(settings: &Settings, render: Option<&Renderer<'_>>) -> Option<FileReport> {
    let source = settings.config.source.as_ref()?;
    let diagnostics = engine::evaluate_config(&settings.rules, |r| settings.is_active(r), settings.env());
    if diagnostics.is_empty() {
        return None;
    }
    let shown = source.shown();
    let path = PathBuf::from(&source.name);
    let diagnostics: Vec<Located> = diagnostics.into_iter().map(|d| Located::new(d, shown.as_bytes())).collect();
    let rendered = render.map(|r| r(&path, shown.as_bytes(), &diagnostics, 0));
    Some(FileReport { path, diagnostics, facts: Vec::new(), rendered, fingerprint: None, known: 0, size: 0 })
}

/// The scan, advancing the progress bar (on stderr) as each file's report arrives.
fn scan_all(
    settings: &Settings,
    render: Option<&Renderer<'_>>,
    progress: Option<&ProgressBar>,
    mut sink: impl FnMut(usize, FileReport),
) -> Result<(), String> {
    let mut files = 0u64;
    scan::run(settings, render, |index, report| {
        if let Some(bar) = progress {
            files += 1;
            bar.inc(report.size);
            bar.set_message(format!("{files} files"));
        }
        sink(index, report)
    })
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} {msg:>12} {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>12} ETA {eta}",
    )
    .expect("valid template");
    bar.set_style(style);
    bar
}
