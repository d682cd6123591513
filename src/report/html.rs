//! `--format html`: one self-contained page for people (docs/reports.md): provenance,
//! the compliance matrix, charts, findings by rule with excerpts, accepted exceptions
//! and what `--send` did. An askama template, so every value is escaped as HTML; the
//! charts are plotters' SVG, inlined; nothing is loaded from anywhere.

use askama::Template;

use super::charts::{self, Chart};
use super::tally::Tally;
use super::view::View;

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    v: &'a View<'a>,
    weekly: Chart,
    weekly_note: Option<String>,
    per_rule: Chart,
    /// The top-ten charts: title, chart, and a note on what its counts leave out.
    tops: Vec<(&'static str, Chart, Option<String>)>,
    /// `--send`'s verdicts listed one a row, at most `AFFECTED` (the counts cover all).
    sends_listed: &'a [crate::send::Outcome],
    sends_more: usize,
    /// The command's inputs, the first `INPUTS` (a shell's glob can pass thousands).
    inputs_listed: &'a [String],
    inputs_more: usize,
}

/// Inputs named in the provenance at most; the JSON formats' `"run"` has them all.
const INPUTS: usize = 100;

impl Page<'_> {
    /// A count with thousands separated: `12,345`.
    fn n(&self, n: &usize) -> String {
        super::count(*n)
    }

    /// Text escaped as HTML, with its `backquoted` spans (config keys, flags) as code.
    fn code(&self, text: &str) -> String {
        let mut out = String::new();
        for (i, part) in text.split('`').enumerate() {
            let escaped =
                askama::filters::escape(part, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default();
            if i % 2 == 1 {
                out.push_str(&format!("<code>{escaped}</code>"));
            } else {
                out.push_str(&escaped);
            }
        }
        out
    }

    fn bytes(&self, n: &u64) -> String {
        let n = *n;
        match n {
            n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
            n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
            n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
            n => format!("{n} bytes"),
        }
    }
}

pub(crate) fn render(view: &View<'_>, tally: &Tally) -> askama::Result<String> {
    // The parts a merge reads carry findings, not messages: no Date, From or Subject.
    const MERGED: &str = "A merged report has none: the shards' parts carry findings, not the messages' headers.";
    let merged = view.end.run.command == "merge";
    let (weekly, weekly_note) = if merged { (Chart::Empty(MERGED), None) } else { charts::weekly(tally) };
    let headers = |top: &super::tally::TopCounts, what: [&'static str; 2]| {
        if merged { Chart::Empty(MERGED) } else { charts::top_ten(&top.top(10), false, what) }
    };
    let not_counted = tally.paths.not_counted;
    let files_note = (not_counted > 0).then(|| {
        format!(
            "{not_counted} finding(s) of rules across messages, on files not among these ten, are not counted here."
        )
    });
    let approximate = |top: &super::tally::TopCounts| {
        top.approximate.then(|| {
            format!(
                "More than {} distinct values: counted in bounded memory, each bar shows the findings it surely has \
                 (at least), and a value whose findings were spread thin may be missing.",
                super::tally::TRACKED
            )
        })
    };
    let files = ["The ten files with most findings", "File"];
    let senders = ["The ten senders (From) with most findings", "Sender"];
    let templates = ["The ten templates (Subject, digits folded) with most findings", "Template"];
    let tops = vec![
        (files[0], charts::top_ten(&tally.paths.top(), true, files), files_note),
        (senders[0], headers(&tally.senders, senders), approximate(&tally.senders)),
        (templates[0], headers(&tally.templates, templates), approximate(&tally.templates)),
    ];
    let sends = view.sends.unwrap_or_default();
    let sends_listed = &sends[..sends.len().min(super::tally::AFFECTED)];
    let inputs = &view.end.run.inputs;
    Page {
        v: view,
        weekly,
        weekly_note,
        per_rule: charts::per_rule(tally),
        tops,
        sends_listed,
        sends_more: sends.len() - sends_listed.len(),
        inputs_listed: &inputs[..inputs.len().min(INPUTS)],
        inputs_more: inputs.len().saturating_sub(INPUTS),
    }
    .render()
}
