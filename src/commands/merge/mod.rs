//! `merge`: the `jsonl` parts written by shards (`check --shard K/N --format jsonl`) made
//! into one report, in any format, with the corpus rules judged across every part's
//! facts: the same result as one machine scanning everything.

pub(crate) mod shards;

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::findings::diagnostic::{Detail, Diagnostic, FileFindings, Located, Severity};
use crate::findings::identity::{self, FindingKey, Stamp};
use crate::report::provenance::Provenance;
use crate::report::{self, CorpusFindings, Ending, Summary};
use crate::rules::engine::{self, Fact};
use crate::stages::baseline::Recorder;
use crate::stages::plan::MergePlan;
use shards::{Ours, PartRun, ShardsError};

struct Part {
    path: String,
    diagnostics: Vec<Located>,
    /// The message's name, as the shard wrote it (`--compare` matches messages by it).
    message: Option<String>,
    /// Not a message, or not read: the matrix does not count it as checked.
    unchecked: bool,
}

/// What one part holds, kept apart until its summary line shows it finished.
#[derive(Default)]
struct Read {
    run: Option<(Value, PartRun)>,
    files: Vec<Part>,
    facts: Vec<(String, Fact)>,
    stamps: HashMap<String, Stamp>,
    unread: Vec<report::Unread>,
    baseline_known: usize,
    ignored: usize,
}

/// A part that cannot be read, or is not a `jsonl` part; or the report that cannot be
/// written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum MergeError {
    /// A part could not be read.
    #[error("{path}: {source}")]
    #[diagnostic(code(merge))]
    Unreadable {
        /// The part.
        path: String,
        /// Why it could not be read.
        source: io::Error,
    },
    /// A line of a part is not what `check --format jsonl` writes.
    #[error("{path}:{line}: not a jsonl part: {source}")]
    #[diagnostic(code(merge))]
    NotAPart {
        /// The part.
        path: String,
        /// The line's number, from 1.
        line: usize,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// The report could not be written.
    #[error(transparent)]
    #[diagnostic(code(report))]
    Report(#[from] io::Error),
    /// The parts are not the shards of one scan.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Shards(#[from] ShardsError),
    /// The baseline could not be read or written.
    #[error(transparent)]
    #[diagnostic(code(baseline))]
    Baseline(#[from] crate::stages::baseline::BaselineError),
    /// Some paths or shards were not read.
    #[error("the scan is incomplete: {count} path(s) or shard(s) were not read, so what they hold was not checked")]
    #[diagnostic(
        code(incomplete),
        help("the merged report names each path and why; fix its permissions and scan that shard again")
    )]
    Incomplete {
        /// How many.
        count: usize,
    },
}

/// True when some diagnostic reached `--fail-on`.
pub fn run(plan: &MergePlan) -> Result<bool, MergeError> {
    let started = crate::util::clock::now();
    let mut files: Vec<Part> = Vec::new();
    let mut shards: Vec<Value> = Vec::new();
    let mut facts: Vec<(String, Fact)> = Vec::new();
    // Each message's stamp, by path, for telling copies across parts.
    let mut stamps: HashMap<String, Stamp> = HashMap::new();
    // Findings the shards' baselines and `ignore:` left out, added up.
    let (mut baseline_known, mut ignored) = (0, 0);
    // Paths the shards could not read: the merged verdict is incomplete too.
    let mut unread: Vec<report::Unread> = Vec::new();
    let rule_index: HashMap<&str, usize> = plan.rules.rules.iter().enumerate().map(|(i, r)| (&*r.id, i)).collect();
    // Each part's run, from its summary line: what proves the parts are one scan.
    let mut runs: Vec<(String, Option<PartRun>)> = Vec::new();
    for part in &plan.parts {
        let name = part.display().to_string();
        let unreadable = |source| MergeError::Unreadable { path: name.clone(), source };
        let reader = io::BufReader::new(std::fs::File::open(part).map_err(unreadable)?);
        let mut read = Read::default();
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(unreadable)?;
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(&line).map_err(|source| MergeError::NotAPart {
                path: name.clone(),
                line: n + 1,
                source,
            })?;
            if let Some(run) = value.get("summary").and(value.get("run")) {
                let parsed = serde_json::from_value(run.clone()).map_err(|source| MergeError::NotAPart {
                    path: name.clone(),
                    line: n + 1,
                    source,
                })?;
                read.run = Some((run.clone(), parsed));
                let count = |key: &str| value["accepted"][key].as_u64().unwrap_or(0) as usize;
                read.baseline_known += count("baseline_known");
                read.ignored += count("ignored");
                if let Ok(listed) = serde_json::from_value::<Vec<report::Unread>>(value["unread"].clone()) {
                    read.unread.extend(listed);
                }
            } else if let Some(fact) = value.get("fact") {
                if let Some((path, parsed)) = parse_fact(fact, &rule_index) {
                    if let Some(stamp) = parse_stamp(&fact["stamp"]) {
                        read.stamps.entry(path.clone()).or_insert(stamp);
                    }
                    read.facts.push((path, parsed));
                }
            } else if let Some(path) = value.get("path").and_then(Value::as_str) {
                let diagnostics =
                    value["diagnostics"].as_array().map(|d| d.iter().filter_map(parse_diagnostic).collect());
                let message = value.get("message").and_then(Value::as_str).map(str::to_owned);
                let unchecked = value["unchecked"].as_bool().unwrap_or(false);
                let diagnostics = diagnostics.unwrap_or_default();
                read.files.push(Part { path: path.to_owned(), diagnostics, message, unchecked });
            }
        }
        runs.push((name, read.run.as_ref().map(|(_, run)| run.clone())));
        // A part cut short holds part of its shard: left out whole (its shard is then missing).
        if let Some((run, _)) = read.run {
            shards.push(run);
            files.extend(read.files);
            facts.extend(read.facts);
            stamps.extend(read.stamps);
            unread.extend(read.unread);
            baseline_known += read.baseline_known;
            ignored += read.ignored;
        }
    }
    let (packs, config) = plan.report.provenance.hashed();
    let ours = Ours { version: env!("CARGO_PKG_VERSION"), packs, config };
    let gaps = shards::prove(&runs, &ours, plan.allow_partial)?;
    let mut notes = plan.notes.clone();
    for path in &gaps.unfinished {
        notes.push(format!("{path} has no summary line (its shard was stopped): it was left out"));
    }
    for shard in &gaps.missing {
        let reason = "no part was given for this shard (--allow-partial): its share of the inputs was not checked";
        unread.push(report::Unread { path: format!("shard {shard}"), reason: reason.to_owned() });
        let diagnostic = Diagnostic {
            rule: "unreadable-file".into(),
            requirement: Vec::new().into(),
            severity: Severity::Error,
            message: format!("shard {shard} is missing: {reason}"),
            help: Some("Run that shard and merge again with its part.".to_owned()),
            label: None,
            span: 0..0,
            fix: None,
        };
        let missing = Located { diagnostic, line: 0, column: 0, key: None };
        files.push(Part { path: format!("shard {shard}"), diagnostics: vec![missing], message: None, unchecked: true });
    }
    files.sort_by_key(|f| order(&f.path));
    let index: HashMap<String, usize> = files.iter().enumerate().map(|(i, f)| (f.path.clone(), i)).collect();
    let mut facts: Vec<(usize, Fact)> =
        facts.into_iter().filter_map(|(path, fact)| index.get(&path).map(|i| (*i, fact))).collect();
    // A copy in another shard is the same send; the shards took every body digest.
    let stamps = stamps.into_iter().filter_map(|(path, stamp)| index.get(&path).map(|i| (*i, stamp))).collect();
    let copies = identity::copies(stamps, |_| None);
    facts.retain(|(i, _)| !copies.contains(i));
    notes.extend(identity::copies_note(copies.len()));

    let mut reporter = report::reporter(&plan.report, &plan.rules, report::output(&plan.report)?);
    let mut summary = Summary { unread, ..Summary::default() };
    let name_of = |i: usize| files.get(i).map(|f| f.path.clone()).unwrap_or_default();
    let by_file = engine::evaluate_corpus(&plan.rules, facts, &name_of);
    // The parts carry each finding's key: a baseline applies here as in one run.
    let mut recorder = plan.record_baseline.as_ref().map(|_| Recorder::default());
    let mut sift = |diagnostics: Vec<Located>| {
        let fresh = match &plan.baseline {
            Some(baseline) => {
                let (fresh, known) = baseline.filter(None, diagnostics);
                baseline_known += known;
                fresh
            }
            None => diagnostics,
        };
        if let Some(recorder) = &mut recorder {
            recorder.add(&fresh);
        }
        fresh
    };
    for part in &mut files {
        part.diagnostics = sift(std::mem::take(&mut part.diagnostics));
    }
    let by_file: Vec<(usize, Vec<Located>)> = by_file.into_iter().map(|(i, d)| (i, sift(d))).collect();
    let color = plan.report.color;
    for (i, part) in files.iter().enumerate() {
        summary.file(&part.diagnostics);
        let path = PathBuf::from(&part.path);
        let rendered = render(color, &path, &part.diagnostics);
        let (diagnostics, name) = (part.diagnostics.clone(), part.message.clone());
        let detail = part.unchecked.then(|| Box::new(Detail { unchecked: true, ..Detail::default() }));
        reporter.file(i, FileFindings { path, diagnostics, rendered, detail, name })?;
    }
    let mut corpus = Vec::new();
    for (index, diagnostics) in by_file.into_iter().filter(|(_, d)| !d.is_empty()) {
        summary.corpus(&diagnostics, !files[index].diagnostics.is_empty());
        let path = PathBuf::from(&files[index].path);
        let rendered = render(color, &path, &diagnostics);
        let findings = FileFindings { path, diagnostics, rendered, detail: None, name: None };
        corpus.push(CorpusFindings { index, findings });
    }
    let failed = summary.fails(plan.report.fail_on);
    let mut run = Provenance::new(&plan.report.provenance, started, &summary);
    // The parts hold no message bytes: what was read is what the shards read.
    let count = |key: &str| shards.iter().filter_map(|s| s[key].as_u64()).sum::<u64>();
    (run.files, run.bytes) = (count("files") as usize, count("bytes"));
    run.shards = shards;
    summary.read.files = run.files;
    let exit_code = if summary.unread.is_empty() { i32::from(failed) } else { 2 };
    notes.extend(crate::stages::baseline::known_note(baseline_known));
    let end = Ending { summary, notes, run, baseline_known, ignored, exit_code };
    reporter.finish(corpus, &end)?;
    if let (Some(recorder), Some(path)) = (&recorder, &plan.record_baseline) {
        recorder.write(path)?;
    }
    if !end.summary.unread.is_empty() {
        return Err(MergeError::Incomplete { count: end.summary.unread.len() });
    }
    Ok(failed)
}

/// The parts hold no message bytes: human output gives each finding's place in words.
fn render(color: bool, path: &Path, diagnostics: &[Located]) -> Option<String> {
    (!diagnostics.is_empty()).then(|| report::human::render(color, path, b"", diagnostics, 0))
}

/// Walk order: by file path, an mbox's messages by their number.
fn order(label: &str) -> (PathBuf, u64) {
    match label.rsplit_once(":#") {
        Some((file, n)) if n.parse::<u64>().is_ok() => (PathBuf::from(file), n.parse().unwrap_or(0)),
        _ => (PathBuf::from(label), 0),
    }
}

fn parse_diagnostic(d: &Value) -> Option<Located> {
    let severity = match d["severity"].as_str()? {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    };
    let diagnostic = Diagnostic {
        rule: d["rule"].as_str()?.into(),
        requirement: d["requirement"]
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_str).map(Arc::from).collect())
            .unwrap_or_default(),
        severity,
        message: d["message"].as_str()?.to_owned(),
        help: d["help"].as_str().map(str::to_owned),
        label: None,
        span: 0..0,
        fix: parse_fix(&d["fix"]),
    };
    let key = d["key"].as_str().and_then(FindingKey::parse);
    Some(Located { diagnostic, line: d["line"].as_u64()? as usize, column: d["column"].as_u64()? as usize, key })
}

/// A shard's fix, carried into the merged report as the shard wrote it.
fn parse_fix(f: &Value) -> Option<crate::findings::fix::Fix> {
    Some(crate::findings::fix::Fix {
        applicability: serde_json::from_value(f["applicability"].clone()).ok()?,
        span: f["start"].as_u64()? as usize..f["end"].as_u64()? as usize,
        replacement: f["replacement"].as_str()?.to_owned(),
    })
}

fn parse_fact(f: &Value, rule_index: &HashMap<&str, usize>) -> Option<(String, Fact)> {
    let fact = Fact {
        rule: *rule_index.get(f["rule"].as_str()?)?,
        key: f["key"].as_str()?.to_owned(),
        instant: f["instant"].as_i64()?,
        span: f["start"].as_u64()? as usize..f["end"].as_u64()? as usize,
        line: f["line"].as_u64()? as usize,
        column: f["column"].as_u64()? as usize,
        finding: f["finding"].as_str().and_then(FindingKey::parse),
    };
    Some((f["path"].as_str()?.to_owned(), fact))
}

fn parse_stamp(s: &Value) -> Option<Stamp> {
    let hex = |v: &Value| v.as_str().and_then(|t| u64::from_str_radix(t, 16).ok());
    Some(Stamp { id: hex(&s["id"])?, header: hex(&s["header"])?, body: hex(&s["body"]) })
}
