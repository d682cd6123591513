//! The generated mail of `tests/generated-mail/`: automated NHS mail as real libraries
//! write it (Python's email package, nodemailer, MIME::Lite; the generators are in
//! `tests/generators/`), checked as committed, so no generator is needed here. A
//! compliant message must get no finding at all: a false error blocks sending. Each
//! breaching message is a compliant one with one leak added, and must get exactly the
//! rules `expected.tsv` names for it.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{root, run};

const DIR: &str = "tests/generated-mail";
const MANIFEST: &str = "tests/generated-mail/expected.tsv";
const REGENERATE: &str = "tests/generators/regenerate.sh";

/// The messages of every generator's `kind` folder (`compliant` or `breaching`), as
/// paths from `DIR`, sorted. An empty or missing folder fails: a test over no messages
/// would pass whatever the linter does.
fn messages(kind: &str) -> Vec<String> {
    let generators: BTreeSet<String> = std::fs::read_dir(root().join(DIR))
        .unwrap_or_else(|e| panic!("{DIR}: {e}; run {REGENERATE}"))
        .map(|e| e.expect("entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(generators.len() >= 2, "{DIR} holds messages of {generators:?}, not of two generators or more");
    let mut out = Vec::new();
    for generator in &generators {
        let folder = format!("{generator}/{kind}");
        let before = out.len();
        let entries = std::fs::read_dir(root().join(DIR).join(&folder))
            .unwrap_or_else(|e| panic!("{DIR}/{folder}: {e}; run {REGENERATE}"));
        for entry in entries {
            let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
            if name.ends_with(".eml") {
                out.push(format!("{folder}/{name}"));
            }
        }
        assert!(out.len() > before, "{DIR}/{folder} holds no .eml message; run {REGENERATE}");
    }
    out.sort();
    out
}

/// A finding as a failure shows it.
struct Finding {
    rule: String,
    shown: String,
}

/// `check --format json` over `files` (paths from `DIR`) in one run: the findings of each.
fn check(files: &[String]) -> BTreeMap<String, Vec<Finding>> {
    let paths: Vec<String> = files.iter().map(|f| format!("{DIR}/{f}")).collect();
    let mut args = vec!["check", "--format", "json", "--account", "pathology.results@nhs.net"];
    args.extend(paths.iter().map(String::as_str));
    let result = run(&args);
    assert!(result.code < 2, "check could not run (exit {}):\n{}", result.code, result.stderr);
    let report = result.json();
    let mut out = BTreeMap::new();
    for file in report["files"].as_array().expect("files") {
        let path = file["path"].as_str().expect("path");
        let path = path.strip_prefix(&format!("{DIR}/")).unwrap_or(path).to_owned();
        let findings = file["diagnostics"].as_array().expect("diagnostics").iter().map(|d| Finding {
            rule: d["rule"].as_str().expect("rule").to_owned(),
            shown: format!("{}@{}: {}", d["rule"].as_str().expect("rule"), d["line"], d["message"]),
        });
        out.insert(path, findings.collect());
    }
    let reported: BTreeSet<&String> = out.keys().collect();
    assert_eq!(reported, files.iter().collect(), "every message is reported, once");
    out
}

/// `expected.tsv`: the rule ids each breaching message must get, by path from `DIR`.
fn manifest() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join(MANIFEST)).expect("read the manifest");
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (path, rules) = line.split_once('\t').unwrap_or_else(|| panic!("{MANIFEST}:{}: no tab in {line:?}", n + 1));
        let rules: BTreeSet<String> = rules.split(',').map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect();
        assert!(!rules.is_empty(), "{MANIFEST}:{}: {path} names no rule", n + 1);
        assert!(out.insert(path.to_owned(), rules).is_none(), "{MANIFEST}:{}: {path} listed twice", n + 1);
    }
    out
}

#[test]
fn compliant_generated_mail_gets_no_finding() {
    let files = messages("compliant");
    let failures: Vec<String> = check(&files)
        .into_iter()
        .filter(|(_, findings)| !findings.is_empty())
        .map(|(path, findings)| {
            let shown: Vec<&str> = findings.iter().map(|f| f.shown.as_str()).collect();
            format!("{DIR}/{path}:\n    {}", shown.join("\n    "))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} compliant generated messages got findings:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn each_breaching_generated_message_gets_exactly_its_expected_rules() {
    let files = messages("breaching");
    let expected = manifest();
    let mut failures = Vec::new();
    for (path, findings) in check(&files) {
        let Some(want) = expected.get(&path) else { continue }; // the manifest test names it
        let got: BTreeSet<String> = findings.iter().map(|f| f.rule.clone()).collect();
        let missing: Vec<&String> = want.difference(&got).collect();
        let unexpected: Vec<&str> =
            findings.iter().filter(|f| !want.contains(&f.rule)).map(|f| f.shown.as_str()).collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            failures.push(format!("{DIR}/{path}: missing {missing:?}, unexpected {unexpected:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} breaching generated messages are not reported as {MANIFEST} says:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_manifest_lists_every_breaching_message_and_nothing_else() {
    let files: BTreeSet<String> = messages("breaching").into_iter().collect();
    let listed: BTreeSet<String> = manifest().into_keys().collect();
    let unlisted: Vec<&String> = files.difference(&listed).collect();
    let absent: Vec<&String> = listed.difference(&files).collect();
    assert!(
        unlisted.is_empty() && absent.is_empty(),
        "{MANIFEST} and {DIR}/*/breaching/ differ: not listed {unlisted:?}; listed but not there {absent:?}"
    );
}
