//! `--compare PREVIOUS.json`: an archive checked, then changed (a finding fixed, one
//! added, a message removed) and checked again, compared in JSON, HTML and Markdown; a
//! merged report as the earlier one; the reports `--compare` refuses.

use std::path::Path;

use serde_json::Value;

use crate::common::{root, run_in, temp_files};

/// Corpus messages copied into `mail/`: `a` has an NHS number in its Subject, `b` and `d`
/// a badly formatted display name, `c` is clean.
fn archive() -> tempfile::TempDir {
    let read = |path: &str| std::fs::read(root().join("corpus").join(path)).expect("corpus file");
    let files = [
        ("mail/a.eml", read("relay/patient-data-in-subject.eml")),
        ("mail/b.eml", read("rules/display-name-format/missing.eml")),
        ("mail/c.eml", read("clean/appointment-reminder.eml")),
        ("mail/d.eml", read("rules/display-name-format/no-space.eml")),
    ];
    let files: Vec<(&str, &[u8])> = files.iter().map(|(name, bytes)| (*name, bytes.as_slice())).collect();
    temp_files(&files)
}

/// `a`'s NHS number taken out of its Subject, `b` removed, a second To field added to `c`.
fn change(dir: &Path) {
    let a = dir.join("mail/a.eml");
    let text = std::fs::read_to_string(&a).expect("a.eml");
    assert!(text.contains("Subject: Results 9434765919"), "the corpus message changed: fix this test");
    std::fs::write(&a, text.replace("Subject: Results 9434765919", "Subject: Results ready")).expect("write a.eml");
    std::fs::remove_file(dir.join("mail/b.eml")).expect("remove b.eml");
    let c = dir.join("mail/c.eml");
    let text = std::fs::read_to_string(&c).expect("c.eml");
    std::fs::write(&c, text.replacen("To: ", "To: second.reader@nhs.net\nTo: ", 1)).expect("write c.eml");
}

/// The findings of `file` in a JSON report.
fn findings_of(report: &Value, file: &str) -> Vec<Value> {
    let files = report["files"].as_array().expect("files");
    let entry = files.iter().find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(file)));
    entry.map(|f| f["diagnostics"].as_array().expect("list").clone()).unwrap_or_default()
}

fn check(dir: &Path, args: &[&str]) -> crate::common::Run {
    let mut all = vec!["check", "mail"];
    all.extend(args);
    run_in(dir, &all)
}

#[test]
fn compare_counts_new_fixed_and_no_longer_in_the_archive() {
    let dir = archive();
    let before = check(dir.path(), &["--format", "json", "--output", "old.json"]);
    assert_eq!(before.code, 1, "{}", before.stderr);
    let old: Value = serde_json::from_slice(&std::fs::read(dir.path().join("old.json")).expect("old.json")).unwrap();
    let a_before = findings_of(&old, "a.eml");
    assert!(a_before.iter().any(|d| d["rule"] == "nhs-number-in-subject"), "{a_before:?}");
    let b_before = findings_of(&old, "b.eml").len();
    assert!(b_before > 0 && findings_of(&old, "c.eml").is_empty());
    assert!(old["files"].as_array().unwrap().iter().all(|f| f["message"].is_string()), "each message is named");
    change(dir.path());

    let after = check(dir.path(), &["--format", "json", "--compare", "old.json"]);
    assert_eq!(after.code, 1, "{}", after.stderr);
    let report = after.json();
    let compare = &report["compare"];
    let count = |key: &str| compare[key].as_u64().unwrap_or_else(|| panic!("no {key} in {compare}"));
    // The second To field of `c` is new; `a`'s NHS number is fixed; `b`'s findings left
    // with `b`, which is not "fixed".
    assert_eq!(count("new"), 1, "{compare}");
    assert_eq!(compare["new_findings"][0]["rule"], "duplicate-header-field", "{compare}");
    assert!(compare["new_findings"][0]["path"].as_str().unwrap().ends_with("c.eml"));
    let fixed = a_before.len() - findings_of(&report, "a.eml").len();
    assert!(fixed >= 1);
    assert_eq!(count("fixed"), fixed as u64, "{compare}");
    assert!(compare["fixed_findings"].as_array().unwrap().iter().any(|f| f["rule"] == "nhs-number-in-subject"));
    assert_eq!(count("no_longer_in_archive"), b_before as u64, "{compare}");
    assert_eq!(compare["trend"].as_array().map(Vec::len), Some(2), "the earlier report, then this run");
    assert_eq!(compare["trend"][1]["messages"], 3);
    assert!(!compare["requirements"].as_array().unwrap().is_empty(), "a requirement's share moved: {compare}");

    for (format, heading, column) in [
        ("html", "<h2 id=\"since\">Since the last audit</h2>", "<th class=\"num\">Since the last audit</th>"),
        ("markdown", "### Since the last audit", " pts |"),
    ] {
        let shown = check(dir.path(), &["--format", format, "--compare", "old.json"]);
        assert_eq!(shown.code, 1, "{}", shown.stderr);
        assert!(shown.stdout.contains(heading), "{format}: {}", shown.stdout);
        assert!(shown.stdout.contains(column), "{format}: the change in share compliant");
        assert!(shown.stdout.contains("1 new finding(s)"), "{format}");
        assert!(shown.stdout.contains(&format!("{b_before} no longer in the archive")), "{format}");
    }

    // Against two reports, oldest first: the trend has three points, and what is new or
    // fixed is counted since the newest.
    check(dir.path(), &["--format", "json", "--output", "mid.json"]);
    let again = check(dir.path(), &["--format", "json", "--compare", "old.json", "--compare", "mid.json"]).json();
    let compare = &again["compare"];
    assert_eq!((compare["new"].as_u64(), compare["fixed"].as_u64()), (Some(0), Some(0)), "{compare}");
    assert_eq!(compare["against"]["report"], "mid.json");
    let trend: Vec<u64> =
        compare["trend"].as_array().unwrap().iter().map(|p| p["messages"].as_u64().unwrap()).collect();
    assert_eq!(trend, [4, 3, 3]);
}

#[test]
fn compare_takes_a_merged_report() {
    let dir = archive();
    let shard = check(dir.path(), &["--shard", "1/1", "--format", "jsonl", "--output", "part.jsonl"]);
    assert_eq!(shard.code, 1, "{}", shard.stderr);
    let merged = run_in(dir.path(), &["merge", "part.jsonl", "--format", "json", "--output", "merged.json"]);
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    let report = check(dir.path(), &["--format", "json", "--compare", "merged.json"]).json();
    let compare = &report["compare"];
    assert_eq!((compare["new"].as_u64(), compare["fixed"].as_u64()), (Some(0), Some(0)), "{compare}");
    assert_eq!(compare["requirements"], serde_json::json!([]), "the same archive: no share moved");
}

#[test]
fn compare_refuses_reports_it_cannot_match_and_formats_that_cannot_show_it() {
    let dir = archive();
    check(dir.path(), &["--format", "json", "--output", "old.json"]);
    let old: Value = serde_json::from_slice(&std::fs::read(dir.path().join("old.json")).unwrap()).unwrap();
    let strip = |field: &str| {
        let mut report = old.clone();
        for file in report["files"].as_array_mut().unwrap() {
            file.as_object_mut().unwrap().remove(field);
            for d in file["diagnostics"].as_array_mut().unwrap() {
                d.as_object_mut().unwrap().remove(field);
            }
        }
        report
    };
    let mut unnamed = strip("message");
    unnamed.as_object_mut().unwrap().remove("requirements");
    for (name, report, says) in
        [("nokeys.json", strip("key"), "without a finding key"), ("unnamed.json", unnamed, "does not name its")]
    {
        std::fs::write(dir.path().join(name), report.to_string()).unwrap();
        let refused = check(dir.path(), &["--format", "json", "--compare", name]);
        assert_eq!(refused.code, 2, "{name}: {}", refused.stdout);
        assert!(refused.stderr.contains(says), "{name}: {}", refused.stderr);
        assert!(refused.stdout.is_empty(), "{name}: refused before any report");
    }
    for format in ["sarif", "human", "jsonl"] {
        let refused = check(dir.path(), &["--format", format, "--compare", "old.json"]);
        assert_eq!(refused.code, 2, "{format}");
        // miette wraps the line: read it as words.
        let words: Vec<&str> = refused.stderr.split_whitespace().filter(|w| *w != "│").collect();
        assert!(words.join(" ").contains(&format!("--format {format} cannot carry it")), "{}", refused.stderr);
    }
}

/// A finding whose rule this run switched off is not "fixed": the run did not look again.
#[test]
fn a_finding_whose_rule_is_disabled_now_is_not_counted_fixed() {
    let dir = archive();
    let before = check(dir.path(), &["--format", "json", "--output", "old.json"]);
    assert_eq!(before.code, 1, "{}", before.stderr);
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), "rules:\n  disable: [nhs-number-in-subject]\n")
        .expect("config");
    let after = check(dir.path(), &["--format", "json", "--compare", "old.json"]);
    let report: Value = serde_json::from_str(&after.stdout).expect(&after.stderr);
    let compare = &report["compare"];
    assert_eq!(compare["fixed"], 0, "{compare}");
    assert!(compare["not_checked_again"].as_u64().is_some_and(|n| n >= 1), "{compare}");
    let html = check(dir.path(), &["--format", "html", "--compare", "old.json"]).stdout;
    assert!(html.contains("not checked again (their rule did not run"), "said on the page");
}
