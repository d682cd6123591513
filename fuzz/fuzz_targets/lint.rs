//! Fuzz target: bytes -> parse -> every rule of the built-in pack -> every report format.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nhsmail_lint::cli::Format;
use nhsmail_lint::config::Config;
use nhsmail_lint::findings::diagnostic::{FileFindings, Located, Severity};
use nhsmail_lint::mail::{MessageView, bytes, headers, parse_buffer};
use nhsmail_lint::report::provenance::{Provenance, Sources};
use nhsmail_lint::report::{self, Ending, ReportPlan, Summary};
use nhsmail_lint::rules::engine;
use nhsmail_lint::rules::{RuleSet, builtin_pack, compile};

static RULES: LazyLock<RuleSet> = LazyLock::new(|| {
    let mut config = Config::default();
    assert!(config.override_account("pathology.results@nhs.net"));
    config.distribution_lists.push("results-team-dl@nhs.net".into());
    compile(&[builtin_pack()], &config).expect("the built-in pack compiles")
});

/// Every rule that reads messages offline, as `check` runs them.
static ACTIVE: LazyLock<Vec<usize>> = LazyLock::new(|| {
    let runs = |r: &nhsmail_lint::rules::Rule| r.applies && !r.online && r.unavailable.is_none();
    RULES.rules.iter().enumerate().filter(|(_, r)| runs(r)).map(|(i, _)| i).collect()
});

const FORMATS: &[Format] = &[
    Format::Human,
    Format::Concise,
    Format::Json,
    Format::Jsonl,
    Format::Sarif,
    Format::Junit,
    Format::Github,
    Format::Gitlab,
    Format::Azure,
];

fuzz_target!(|data: &[u8]| {
    let (buffer, size) = parse_buffer(data.to_vec());
    let view = MessageView::new(&buffer, size);
    check_header_reader(&view);
    check_mime_walk(&view);
    let evaluation = engine::evaluate(&RULES, &ACTIVE, &view, None);
    let diagnostics: Vec<Located> = evaluation.diagnostics.into_iter().map(|d| Located::new(d, view.raw())).collect();
    let path = std::path::Path::new("fuzz.eml");
    let rendered = report::human::render(false, path, view.raw(), &diagnostics, 0);
    for &format in FORMATS {
        let plan = ReportPlan {
            format,
            output: None,
            statistics: false,
            fail_on: Some(Severity::Error),
            quiet: false,
            facts: true,
            color: false,
            progress: false,
            provenance: Sources::default(),
            coverage: None,
            compare: None,
        };
        let mut reporter = report::reporter(&plan, &RULES, Box::new(std::io::sink()));
        let findings = FileFindings {
            path: path.to_path_buf(),
            diagnostics: diagnostics.clone(),
            rendered: Some(rendered.clone()),
            detail: None,
            name: None,
        };
        reporter.file(0, findings).expect("a sink takes anything");
        let id = nhsmail_lint::findings::identity::message_id(&view);
        let stamp = nhsmail_lint::findings::identity::Stamp::of(&view, id.as_deref(), true);
        reporter.facts(path, &evaluation.facts, stamp.as_ref()).expect("a sink takes anything");
        let summary = Summary::default();
        let run = Provenance::new(&plan.provenance, 0, &summary);
        let end = Ending { summary, notes: Vec::new(), run, baseline_known: 0, ignored: 0, exit_code: 0 };
        reporter.finish(Vec::new(), &end).expect("a sink takes anything");
    }
});

/// The header reader: fields in order inside the header block, never overlapping; each a
/// name of printable ASCII without a colon, only white space before its colon, the value
/// after it; the block ends where the body starts; the view holds exactly these fields.
fn check_header_reader(view: &MessageView<'_>) {
    let raw = view.raw();
    let start = view.byte_order_mark().map_or(0, |b| b.end);
    let block = headers::read_block(raw, start);
    assert_eq!(block.end, bytes::body_start(&raw[start..]).map_or(raw.len(), |p| start + p));
    let mut at = start;
    for f in &block.fields {
        assert!(at <= f.field.start && f.field.end <= block.end, "{f:?}");
        assert!(f.name.start == f.field.start && f.name.end <= f.colon, "{f:?}");
        assert!(f.value.start == f.colon + 1 && f.value.end == f.field.end, "{f:?}");
        assert!(raw[f.name.clone()].iter().all(|b| (33..=126).contains(b) && *b != b':'));
        assert!(raw[f.name.end..f.colon].iter().all(|b| matches!(b, b' ' | b'\t')));
        assert_eq!(raw[f.colon], b':');
        at = f.field.end;
    }
    for line in &block.malformed {
        assert!(start <= line.start && line.end <= block.end);
    }
    if let Some(h) = view.headers() {
        let spans: Vec<_> = h.fields().iter().map(|f| (f.field.clone(), f.value_span.clone())).collect();
        let want: Vec<_> = block.fields.iter().map(|f| (f.field.clone(), f.value.clone())).collect();
        assert_eq!(spans, want);
    }
}

/// The MIME walk: the parts the view finds (the top header block as parsed up front)
/// are those of the slow reading.
fn check_mime_walk(view: &MessageView<'_>) {
    assert_eq!(view.leaf_parts(), view.reference_parts().as_slice());
    // The text view: every piece of rendered text maps inside the bytes it was read from.
    for piece in view.text_view() {
        for (at, c) in piece.text.char_indices() {
            let span = piece.map.span(at..at + c.len_utf8()).expect("every character is mapped");
            assert!(piece.span.start <= span.start && span.end <= piece.span.end, "{span:?} in {:?}", piece.span);
        }
    }
}
