//! `check --fix`, `--diff` and `--unsafe-fixes` (issue 27): ruff's applicability levels
//! on the sample fixtures, fixes in the JSON and SARIF reports, and the inputs that are
//! never edited.

use std::path::Path;

use crate::common::{root, run_in};

/// A folder holding copies of fixtures with safe fixes (an unquoted comma, a long header
/// line), unsafe ones (a `Firstname Lastname` name, a Subject without [secure]) and none.
fn fixable() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    for (rule, file) in [
        ("display-name-unquoted-comma", "unquoted.eml"),
        ("line-too-long", "header-line.eml"),
        ("display-name-format", "first-last.eml"),
        ("secure-marker-missing", "external-no-marker.eml"),
        ("line-too-long", "999-octets.eml"),
    ] {
        std::fs::copy(root().join("corpus/rules").join(rule).join(file), dir.path().join(file)).expect("copy");
    }
    dir
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).expect("read")
}

fn rules(dir: &Path, file: &str) -> Vec<String> {
    let report = run_in(dir, &["check", "--isolated", "--format", "json", file]).json();
    crate::common::findings(&report).into_iter().flat_map(|(_, d)| d).map(|(r, _)| r).collect()
}

#[test]
fn diff_shows_the_safe_fixes_and_changes_nothing() {
    let dir = fixable();
    let before = read(dir.path(), "unquoted.eml");
    let diff = run_in(dir.path(), &["check", "--isolated", "--diff"]);
    assert_eq!(diff.code, 1, "there are fixes to make: {}", diff.stderr);
    assert!(diff.stdout.contains("--- a/unquoted.eml\n+++ b/unquoted.eml\n"), "{}", diff.stdout);
    assert!(diff.stdout.contains("\n-From: Results, Pathology <pathology.results@nhs.net>"), "{}", diff.stdout);
    assert!(diff.stdout.contains("\n+From: \"Results, Pathology\" <pathology.results@nhs.net>"), "{}", diff.stdout);
    assert!(diff.stdout.contains("+++ b/header-line.eml"), "{}", diff.stdout);
    assert!(!diff.stdout.contains("first-last.eml"), "unsafe fixes only with --unsafe-fixes");
    assert!(diff.stderr.contains("would fix 2 findings in 2 files (2 more with --unsafe-fixes)"), "{}", diff.stderr);
    assert_eq!(read(dir.path(), "unquoted.eml"), before, "--diff writes nothing");
    let clean = tempfile::tempdir().expect("dir");
    std::fs::copy(root().join("corpus/clean/appointment-reminder.eml"), clean.path().join("a.eml")).expect("copy");
    assert_eq!(run_in(clean.path(), &["check", "--isolated", "--diff"]).code, 0, "nothing to fix");
}

#[test]
fn fix_applies_the_safe_fixes_then_reports_what_is_left() {
    let dir = fixable();
    let run = run_in(dir.path(), &["check", "--isolated", "--fix", "--format", "json"]);
    assert!(run.stderr.contains("fixed 2 findings in 2 files (2 more with --unsafe-fixes)"), "{}", run.stderr);
    assert!(read(dir.path(), "unquoted.eml").contains("From: \"Results, Pathology\" <pathology.results@nhs.net>"));
    let folded = read(dir.path(), "header-line.eml");
    assert!(folded.lines().all(|l| l.trim_end_matches('\r').len() <= 998), "the References line is folded");
    assert_eq!(rules(dir.path(), "header-line.eml"), Vec::<String>::new());
    // What no safe fix mends is reported by the check that follows, and fails the run.
    let left: Vec<String> =
        crate::common::findings(&run.json()).into_iter().flat_map(|(_, d)| d).map(|(r, _)| r).collect();
    assert!(left.contains(&"display-name-format".to_owned()) && left.contains(&"secure-marker-missing".to_owned()));
    assert!(left.contains(&"line-too-long".to_owned()), "a body line has no fix: {left:?}");
    assert!(!left.contains(&"display-name-unquoted-comma".to_owned()), "{left:?}");
    assert_eq!(run.code, 1);
    // The unsafe ones too, when asked.
    let all = run_in(
        dir.path(),
        &["check", "--isolated", "--fix", "--unsafe-fixes", "first-last.eml", "external-no-marker.eml"],
    );
    assert_eq!(all.code, 0, "{}{}", all.stdout, all.stderr);
    assert!(read(dir.path(), "first-last.eml").contains("From: \"Results, Pathology\" <"));
    assert!(read(dir.path(), "external-no-marker.eml").contains("Subject: [secure] "));
}

#[test]
fn an_mbox_and_a_gzipped_file_are_never_edited() {
    let dir = fixable();
    let message = read(dir.path(), "unquoted.eml");
    let mbox = format!("From a@nhs.net Mon Nov 23 09:00:00 2026\n{message}\n");
    std::fs::write(dir.path().join("archive.mbox"), &mbox).expect("mbox");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, message.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    std::fs::write(dir.path().join("one.eml.gz"), &gz).expect("gz");
    let run = run_in(dir.path(), &["check", "--isolated", "--fix", "archive.mbox", "one.eml.gz"]);
    assert!(run.stderr.contains("fixed 0 findings in 0 files"), "{}", run.stderr);
    assert_eq!(read(dir.path(), "archive.mbox"), mbox);
    assert_eq!(std::fs::read(dir.path().join("one.eml.gz")).expect("gz"), gz);
    assert!(run.stdout.contains("display-name-unquoted-comma"), "still reported: {}", run.stdout);
}

#[test]
fn json_and_sarif_carry_the_fix() {
    let dir = fixable();
    let json =
        run_in(dir.path(), &["check", "--isolated", "--format", "json", "unquoted.eml", "first-last.eml"]).json();
    let diagnostics: Vec<&serde_json::Value> =
        json["files"].as_array().expect("files").iter().flat_map(|f| f["diagnostics"].as_array().expect("d")).collect();
    let comma = diagnostics.iter().find(|d| d["rule"] == "display-name-unquoted-comma").expect("comma");
    assert_eq!(comma["fix"]["applicability"], "safe");
    assert_eq!(comma["fix"]["replacement"], "\"Results, Pathology\" <pathology.results@nhs.net>");
    let text = read(dir.path(), "unquoted.eml");
    let (start, end) =
        (comma["fix"]["start"].as_u64().expect("start") as usize, comma["fix"]["end"].as_u64().expect("end") as usize);
    assert_eq!(&text[start..end], "Results, Pathology <pathology.results@nhs.net>", "the bytes it replaces");
    let name = diagnostics.iter().find(|d| d["rule"] == "display-name-format").expect("name");
    assert_eq!(name["fix"]["applicability"], "unsafe");
    let sarif = run_in(dir.path(), &["check", "--isolated", "--format", "sarif", "unquoted.eml"]).json();
    let result = &sarif["runs"][0]["results"][0];
    let replacement = &result["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(replacement["deletedRegion"]["byteOffset"].as_u64(), Some(start as u64));
    assert_eq!(replacement["insertedContent"]["text"], "\"Results, Pathology\" <pathology.results@nhs.net>");
}
