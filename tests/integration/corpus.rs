//! The fixture corpus, strict as Semgrep's rule tests: every fixture declares the
//! diagnostics it must produce (`X-Lint-Expect: rule@line, ...` in its header, or a
//! `.expect` sidecar for files that cannot hold a header), and a missing or unexpected
//! diagnostic fails. Each fixture is also checked with the other line ending.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{findings, root, run, run_in};

pub const CONFIG: &str = "corpus/nhsmail-lint.yaml";
/// Folders checked in the normal mode; `corpus/templates` is checked with --template,
/// `corpus/relay` with its own config (the relay as transport).
const MESSAGE_FOLDERS: &[&str] = &["corpus/clean", "corpus/rules"];
pub const RELAY_FOLDER: &str = "corpus/relay";
pub const RELAY_CONFIG: &str = "corpus/relay/nhsmail-lint.yaml";
/// Rules whose cases are too big to commit; `generated.rs` builds them.
const GENERATED: &[&str] = &["message-size", "recipient-limit"];

type Expected = BTreeMap<String, Vec<(String, u64)>>;

fn fixtures(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read corpus dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(fixtures(&path));
        } else if path.extension().is_some_and(|e| e == "eml") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn parse_expectations(text: &str, path: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (rule, line) = item
                .split_once('@')
                .unwrap_or_else(|| panic!("{}: expectation `{item}` is not rule@line", path.display()));
            (rule.to_owned(), line.parse().unwrap_or_else(|_| panic!("{}: bad line in `{item}`", path.display())))
        })
        .collect();
    out.sort();
    out
}

/// What a fixture declares: its sidecar if there is one, else its X-Lint-Expect headers.
fn expectations(path: &Path) -> Vec<(String, u64)> {
    let sidecar = PathBuf::from(format!("{}.expect", path.display()));
    if let Ok(text) = std::fs::read_to_string(&sidecar) {
        return parse_expectations(&text, &sidecar);
    }
    let bytes = std::fs::read(path).expect("read fixture");
    let text = String::from_utf8_lossy(&bytes);
    let declared: Vec<&str> =
        text.lines().take_while(|l| !l.trim().is_empty()).filter_map(|l| l.strip_prefix("X-Lint-Expect:")).collect();
    parse_expectations(&declared.join(","), path)
}

fn expected_for(folders: &[&str]) -> Expected {
    let mut expected = Expected::new();
    for folder in folders {
        let files = fixtures(&root().join(folder));
        assert!(!files.is_empty(), "{folder} has no fixtures: an empty folder must not pass silently");
        for file in files {
            let relative = file.strip_prefix(root()).expect("under root").display().to_string();
            expected.insert(relative, expectations(&file));
        }
    }
    expected
}

fn actual(report: &serde_json::Value, strip: &Path) -> Expected {
    findings(report)
        .into_iter()
        .map(|(path, mut diagnostics)| {
            diagnostics.sort();
            let path = Path::new(&path).strip_prefix(strip).map(Path::to_path_buf).unwrap_or(PathBuf::from(&path));
            (path.display().to_string(), diagnostics)
        })
        .collect()
}

fn assert_same(expected: &Expected, actual: &Expected, what: &str) {
    let mut problems = Vec::new();
    for (path, want) in expected {
        match actual.get(path) {
            None => problems.push(format!("{path}: not in the report")),
            Some(got) if got != want => problems.push(format!("{path}:\n    expected {want:?}\n    got      {got:?}")),
            Some(_) => {}
        }
    }
    for path in actual.keys().filter(|p| !expected.contains_key(*p)) {
        problems.push(format!("{path}: reported but not a fixture"));
    }
    assert!(problems.is_empty(), "{what}: {} fixture(s) differ:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn fixtures_produce_exactly_their_declared_diagnostics() {
    let expected = expected_for(MESSAGE_FOLDERS);
    let mut args = vec!["check", "--config", CONFIG, "--format", "json"];
    args.extend(MESSAGE_FOLDERS);
    let result = run(&args);
    assert_eq!(result.code, 1, "the corpus holds failing fixtures, so the run fails\n{}", result.stderr);
    assert_same(&expected, &actual(&result.json(), Path::new("")), "as committed");
}

#[test]
fn fixtures_give_the_same_diagnostics_with_the_other_line_ending() {
    let expected = expected_for(MESSAGE_FOLDERS);
    let temp = tempfile::tempdir().expect("temp dir");
    let mut flipped = 0;
    for relative in expected.keys() {
        let bytes = std::fs::read(root().join(relative)).expect("read");
        let lf = String::from_utf8_lossy(&bytes).replace("\r\n", "\n").into_bytes();
        let other = if bytes.windows(2).any(|w| w == b"\r\n") {
            lf
        } else {
            String::from_utf8_lossy(&lf).replace('\n', "\r\n").into_bytes()
        };
        flipped += usize::from(other != bytes);
        let target = temp.path().join(relative);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(&target, other).expect("write");
    }
    assert!(flipped > expected.len() / 2, "most fixtures have line breaks to flip");
    let config = root().join(CONFIG);
    let mut args = vec!["check", "--config", config.to_str().expect("utf-8 path"), "--format", "json"];
    args.extend(MESSAGE_FOLDERS);
    let result = run_in(temp.path(), &args);
    assert_same(&expected, &actual(&result.json(), Path::new("")), "with flipped line endings");
}

#[test]
fn templates_pass_in_template_mode_except_real_breaches() {
    let expected = expected_for(&["corpus/templates"]);
    let result = run(&["check", "--template", "--config", CONFIG, "--format", "json", "corpus/templates"]);
    assert_same(&expected, &actual(&result.json(), Path::new("")), "--template");
    let without = run(&["check", "--config", CONFIG, "--format", "json", "corpus/templates"]);
    let fired = crate::common::rules_fired(&without.json());
    for rule in ["unrendered-placeholder", "missing-date", "missing-message-id"] {
        assert!(fired.iter().any(|r| r == rule), "without --template, {rule} fires on templates");
    }
}

#[test]
fn relay_fixtures_with_the_relay_config() {
    let expected = expected_for(&[RELAY_FOLDER]);
    let result = run(&["check", "--config", RELAY_CONFIG, "--format", "json", RELAY_FOLDER]);
    assert_same(&expected, &actual(&result.json(), Path::new("")), "relay");
}

#[test]
fn every_message_rule_of_the_pack_has_a_failing_fixture() {
    let rules = run(&["rules", "--format", "json"]).json();
    let mut expected = expected_for(MESSAGE_FOLDERS);
    expected.extend(expected_for(&[RELAY_FOLDER]));
    let covered: Vec<&String> = expected.values().flatten().map(|(rule, _)| rule).collect();
    for rule in rules.as_array().expect("rule list") {
        let id = rule["id"].as_str().expect("id");
        // Config and online rules are tested against real configs and DNS in preflight.rs.
        if GENERATED.contains(&id) || rule["scope"] == "config" || rule["online"] == true {
            continue;
        }
        assert!(covered.iter().any(|r| *r == id), "no fixture in corpus/ expects `{id}`");
    }
}

#[test]
fn the_clean_corpus_is_clean_with_its_config() {
    let count = fixtures(&root().join("corpus/clean")).len();
    let result = run(&["check", "--config", CONFIG, "corpus/clean"]);
    assert_eq!(result.code, 0, "{}", result.stdout);
    assert!(result.stdout.contains(&format!("Checked {count} files: no problems found.")), "{}", result.stdout);
}
