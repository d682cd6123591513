//! Fuzz target: bytes -> parse -> every rule of the built-in pack -> every report format.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nhsmail_lint::cli::Format;
use nhsmail_lint::config::Config;
use nhsmail_lint::diagnostic::{Located, Severity};
use nhsmail_lint::mail::{MessageView, parse_buffer};
use nhsmail_lint::report::{self, Options, Summary};
use nhsmail_lint::rules::engine::{self, Env};
use nhsmail_lint::rules::{BUILTIN_PACK, BUILTIN_PACK_NAME, RuleSet, compile};
use nhsmail_lint::scan::FileReport;
use nhsmail_lint::yaml::YamlSource;

static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    let mut config = Config::default();
    config.override_account("pathology.results@nhs.net").expect("valid");
    config.distribution_lists.push("results-team-dl@nhs.net".into());
    config
});

static RULES: LazyLock<RuleSet> = LazyLock::new(|| {
    compile(&[YamlSource::new(BUILTIN_PACK_NAME, BUILTIN_PACK)], &CONFIG).expect("the built-in pack compiles")
});

const FORMATS: &[Format] =
    &[Format::Human, Format::Concise, Format::Json, Format::Jsonl, Format::Sarif, Format::Junit, Format::Github];

fuzz_target!(|data: &[u8]| {
    let (buffer, size) = parse_buffer(data.to_vec());
    let view = MessageView::new(&buffer, size);
    let env = Env { config: &CONFIG, online: None };
    let evaluation = engine::evaluate(&RULES, |_| true, &view, env);
    let diagnostics: Vec<Located> = evaluation.diagnostics.into_iter().map(|d| Located::new(d, view.raw())).collect();
    let path = std::path::Path::new("fuzz.eml");
    let rendered = report::human::render(false, path, view.raw(), &diagnostics, 0);
    for &format in FORMATS {
        let options = Options { format, statistics: false, fail_on: Some(Severity::Error), facts: true };
        let mut reporter = report::reporter(options, &RULES, Box::new(std::io::sink()));
        let report = FileReport {
            path: path.to_path_buf(),
            diagnostics: diagnostics.clone(),
            facts: evaluation.facts.clone(),
            rendered: Some(rendered.clone()),
            fingerprint: None,
            known: 0,
            size: size as u64,
        };
        reporter.file(0, report).expect("a sink takes anything");
        reporter.finish(Vec::new(), &Summary::default(), &[]).expect("a sink takes anything");
    }
});
