//! The fixture corpus, run with `nhsmail-lint test` (the command a trust runs on its own
//! pack's fixtures: one implementation). Every fixture declares the diagnostics it must
//! produce (`X-Lint-Expect: rule@line, ...` in its header, or a `.expect` sidecar); a
//! missing or unexpected diagnostic fails it, as committed and with the other line
//! ending. Three folders need their own set-up, so the corpus is three runs, and every
//! message rule must have a failing fixture in one of them.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{root, run};

pub const CONFIG: &str = "corpus/nhsmail-lint.yaml";
/// Folders checked in the normal mode; `corpus/templates` is checked with --template,
/// `corpus/relay` with its own config (the relay as transport).
const MESSAGE_FOLDERS: &[&str] = &["corpus/clean", "corpus/rules"];
pub const RELAY_FOLDER: &str = "corpus/relay";
pub const RELAY_CONFIG: &str = "corpus/relay/nhsmail-lint.yaml";
/// Rules whose cases are too big to commit; `generated.rs` builds them.
const GENERATED: &[&str] = &["message-size", "recipient-limit"];

/// `nhsmail-lint test ARGS --format json`: the outcome, after asserting that every
/// fixture passed and that the exit code says whether every rule was exercised.
fn test(args: &[&str]) -> Value {
    let mut all = vec!["test", "--format", "json"];
    all.extend(args);
    let result = run(&all);
    let outcome = result.json();
    let fixtures = outcome["fixtures"].as_array().expect("fixtures");
    let failed: Vec<String> = fixtures
        .iter()
        .filter(|f| f["problems"].as_array().is_some_and(|p| !p.is_empty()))
        .map(|f| format!("{}:\n    {}", f["path"], f["problems"]))
        .collect();
    assert!(failed.is_empty(), "{args:?}: {} fixture(s) differ:\n{}", failed.len(), failed.join("\n"));
    let untested = untested(&outcome);
    assert_eq!(result.code, i32::from(!untested.is_empty()), "{args:?}: untested {untested:?}\n{}", result.stderr);
    outcome
}

fn untested(outcome: &Value) -> Vec<String> {
    let rules = outcome["rules"].as_array().expect("rules");
    let untested = rules.iter().filter(|r| r["untestable"].is_null() && r["failing_fixtures"] == 0);
    untested.map(|r| r["id"].as_str().expect("id").to_owned()).collect()
}

fn covered(outcome: &Value) -> BTreeSet<String> {
    let rules = outcome["rules"].as_array().expect("rules");
    let fired = rules.iter().filter(|r| r["failing_fixtures"].as_u64().is_some_and(|n| n > 0));
    fired.map(|r| r["id"].as_str().expect("id").to_owned()).collect()
}

/// The `.eml` files under `folder`, counted directly, so a run that found fewer fails.
fn eml_count(folder: &str) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .expect("read corpus dir")
            .map(|e| e.expect("entry").path())
            .map(|p| if p.is_dir() { count(&p) } else { usize::from(p.extension().is_some_and(|e| e == "eml")) })
            .sum()
    }
    count(&root().join(folder))
}

#[test]
fn fixtures_produce_exactly_their_declared_diagnostics_with_both_line_endings() {
    let mut args = vec!["--config", CONFIG];
    args.extend(MESSAGE_FOLDERS);
    let outcome = test(&args);
    let expected: usize = MESSAGE_FOLDERS.iter().map(|f| eml_count(f)).sum();
    assert_eq!(outcome["fixtures"].as_array().expect("fixtures").len(), expected, "every fixture was run");
    // `check` itself fails on the corpus: it holds failing fixtures.
    let mut check = vec!["check", "--config", CONFIG];
    check.extend(MESSAGE_FOLDERS);
    assert_eq!(run(&check).code, 1);
}

#[test]
fn templates_pass_in_template_mode_except_real_breaches() {
    let outcome = test(&["--template", "--config", CONFIG, "corpus/templates"]);
    assert_eq!(outcome["fixtures"].as_array().expect("fixtures").len(), eml_count("corpus/templates"));
    let without = run(&["check", "--config", CONFIG, "--format", "json", "corpus/templates"]);
    let fired = crate::common::rules_fired(&without.json());
    for rule in ["unrendered-placeholder", "missing-date", "missing-message-id"] {
        assert!(fired.iter().any(|r| r == rule), "without --template, {rule} fires on templates");
    }
}

#[test]
fn relay_fixtures_with_the_relay_config() {
    let outcome = test(&["--config", RELAY_CONFIG, RELAY_FOLDER]);
    assert_eq!(outcome["fixtures"].as_array().expect("fixtures").len(), eml_count(RELAY_FOLDER));
}

#[test]
fn every_message_rule_of_the_pack_has_a_failing_fixture() {
    let mut args = vec!["--config", CONFIG];
    args.extend(MESSAGE_FOLDERS);
    let main = test(&args);
    let relay = test(&["--config", RELAY_CONFIG, RELAY_FOLDER]);
    let mut covered = covered(&main);
    covered.extend(self::covered(&relay));
    covered.extend(GENERATED.iter().map(|r| r.to_string()));
    // Rules neither run could exercise (config and online rules) are tested against real
    // configs and servers in preflight.rs; every other rule needs a fixture in one run.
    let mut needed: BTreeSet<String> = untested(&main).into_iter().collect();
    needed.extend(untested(&relay));
    let missing: Vec<&String> = needed.iter().filter(|r| !covered.contains(*r)).collect();
    assert!(missing.is_empty(), "no fixture in corpus/ expects {missing:?}");
    assert!(covered.len() >= 20, "{covered:?}");
}

#[test]
fn the_clean_corpus_is_clean_with_its_config() {
    let count = eml_count("corpus/clean");
    let result = run(&["check", "--config", CONFIG, "corpus/clean"]);
    assert_eq!(result.code, 0, "{}", result.stdout);
    assert!(
        result.stdout.contains(&format!("Checked {count} messages in {count} files: no problems found.")),
        "{}",
        result.stdout
    );
}

/// A template whose Reply-To is a placeholder sends replies wherever it renders to, not to
/// From: a non-delivery From is then no `no-reply-address`, while the same From with a
/// Reply-To of plain text (no placeholder, no address) still is.
#[test]
fn a_reply_to_placeholder_is_where_replies_go() {
    let head = "From: no-reply@nhs.net\nTo: {{ patient.email }}\nSubject: Appointment\n";
    let placeholder = format!("{head}Reply-To: {{{{ department.reply_to }}}}\n\nDear {{{{ name }}}}\n");
    let plain = format!("{head}Reply-To: Pathology Enquiries\n\nDear {{{{ name }}}}\n");
    let dir =
        crate::common::temp_files(&[("placeholder.eml", placeholder.as_bytes()), ("plain.eml", plain.as_bytes())]);
    let fired = |name: &str| {
        let result = crate::common::run_in(dir.path(), &["check", "--template", "--format", "json", name]);
        crate::common::rules_fired(&result.json())
    };
    assert!(!fired("placeholder.eml").iter().any(|r| r == "no-reply-address"), "{:?}", fired("placeholder.eml"));
    assert!(fired("plain.eml").iter().any(|r| r == "no-reply-address"), "{:?}", fired("plain.eml"));
}
