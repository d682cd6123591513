//! Living with findings: per-path ignores in the config, and baselines keyed by finding
//! (so moving, renaming or re-exporting files changes nothing, and a reused Message-ID
//! hides nothing new).

use crate::common::{rules_fired, run_in, temp_files};

const ACCOUNT: &str = "--account=pathology.results@nhs.net";

fn noreply(id: &str) -> Vec<u8> {
    format!(
        "From: \"Results, Pathology\" <pathology.results@nhs.net>\nTo: a@nhs.net\nReply-To: noreply@nhs.net\n\
         Subject: Results\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n{id}\nResults are ready.\n"
    )
    .into_bytes()
}

fn reported(result: &crate::common::Run) -> Vec<String> {
    let findings = crate::common::findings(&result.json());
    findings.iter().filter(|(_, d)| !d.is_empty()).map(|(p, _)| p.clone()).collect()
}

fn crlf(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes).replace('\n', "\r\n").into_bytes()
}

#[test]
fn a_baseline_hides_known_findings_wherever_the_files_go() {
    let dir =
        temp_files(&[("archive/a.eml", &noreply("Message-ID: <a@nhs.net>\n")), ("archive/b.eml", &noreply("\n"))]);
    let write =
        run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "--write-baseline", "baseline.json", "archive"]);
    assert_eq!(write.code, 1, "writing a baseline still reports");
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).expect("written"))
            .expect("JSON");
    assert_eq!(baseline["version"], 2);
    // Each finding's key is the one the JSON report gives it.
    let keys: Vec<&str> =
        baseline["findings"].as_array().expect("list").iter().filter_map(|f| f["key"].as_str()).collect();
    assert_eq!(keys, crate::common::finding_keys(&write.json()));
    assert_eq!(keys.len(), 3, "{baseline}");

    // Moved, renamed and re-exported with CRLF line endings: still known.
    std::fs::create_dir(dir.path().join("exported")).expect("mkdir");
    for (from, to) in [("a.eml", "renamed.eml"), ("b.eml", "b.eml")] {
        let bytes = std::fs::read(dir.path().join("archive").join(from)).expect("read");
        std::fs::write(dir.path().join("exported").join(to), crlf(&bytes)).expect("write");
    }
    std::fs::remove_dir_all(dir.path().join("archive")).expect("remove");
    let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "--baseline", "baseline.json", "exported"]);
    assert_eq!(result.code, 0, "{}", result.stdout);
    let report = result.json();
    assert!(rules_fired(&report).is_empty());
    // Both no-reply findings, and b.eml's missing Message-ID.
    assert!(report["notes"].to_string().contains("3 finding(s) already in the baseline"), "{}", report["notes"]);

    // A new finding is reported.
    std::fs::write(dir.path().join("exported/c.eml"), noreply("Message-ID: <c@nhs.net>\n")).expect("write");
    let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "--baseline", "baseline.json", "exported"]);
    assert_eq!(result.code, 1);
    assert_eq!(reported(&result), ["exported/c.eml"]);

    let broken = run_in(dir.path(), &["check", "--baseline", "missing.json", "exported"]);
    assert_eq!(broken.code, 2);
}

#[test]
fn a_message_reusing_a_message_id_does_not_inherit_its_exceptions() {
    let message = |subject: &str| {
        format!(
            "From: \"Results, Pathology\" <pathology.results@nhs.net>\nTo: a@nhs.net\nSubject: {subject}\n\
             Date: Mon, 23 Nov 2026 09:00:00 +0000\nMessage-ID: <fixed@template.nhs.uk>\n\nResults are ready.\n"
        )
        .into_bytes()
    };
    let dir = temp_files(&[("archive/a.eml", &message("Results for 943 476 5919"))]);
    let write = run_in(dir.path(), &["check", ACCOUNT, "--write-baseline", "baseline.json", "archive"]);
    assert_eq!(write.code, 1, "{}", write.stdout);
    // The template sent again, with the same fixed Message-ID and another patient's number.
    std::fs::write(dir.path().join("archive/b.eml"), message("Results for 401 023 2137")).expect("write");
    let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "--baseline", "baseline.json", "archive"]);
    assert_eq!(result.code, 1, "{}", result.stdout);
    let report = result.json();
    let b = &report["files"][1];
    assert_eq!(b["path"], "archive/b.eml");
    let rules: Vec<&str> =
        b["diagnostics"].as_array().expect("list").iter().filter_map(|d| d["rule"].as_str()).collect();
    assert_eq!(rules, ["nhs-number-in-subject", "message-id-reused"], "the new number is reported, and the reuse: {b}");
}

#[test]
fn a_version_1_baseline_is_still_read_with_a_note_to_rewrite_it() {
    let dir = temp_files(&[
        ("archive/a.eml", &noreply("Message-ID: <a@nhs.net>\n")),
        (
            "baseline.json",
            br#"{"version": 1, "findings": [{"fingerprint": "message-id:<a@nhs.net>", "rule": "no-reply-address", "count": 1}]}"#,
        ),
    ]);
    let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "--baseline", "baseline.json", "archive"]);
    assert_eq!(result.code, 0, "{}", result.stdout);
    let notes = result.json()["notes"].to_string();
    assert!(notes.contains("version 1 format") && notes.contains("--write-baseline"), "{notes}");
    assert!(notes.contains("1 finding(s) already in the baseline"), "{notes}");
    std::fs::write(dir.path().join("bad.json"), br#"{"version": 2, "findings": [{"rule": "x", "count": 1}]}"#)
        .expect("write");
    let bad = run_in(dir.path(), &["check", "--baseline", "bad.json", "archive"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no valid `key`"), "{}", bad.stderr);
}

#[test]
fn per_path_ignores_in_the_config() {
    let dir = temp_files(&[
        ("nhsmail-lint.yaml", b"ignore:\n  \"templates/legacy/**\": [no-reply-address]\n"),
        ("templates/legacy/old.eml", &noreply("Message-ID: <o@nhs.net>\n")),
        ("templates/new.eml", &noreply("Message-ID: <n@nhs.net>\n")),
    ]);
    let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "templates"]);
    let findings = crate::common::findings(&result.json());
    let reported: Vec<&str> = findings.iter().filter(|(_, d)| !d.is_empty()).map(|(p, _)| p.as_str()).collect();
    assert_eq!(reported, ["templates/new.eml"]);
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), "ignore:\n  \"templates/**\": [no-such-rule]\n")
        .expect("write");
    let result = run_in(dir.path(), &["check", "templates"]);
    assert_eq!(result.code, 2);
    assert!(result.stderr.contains("no rule has the id `no-such-rule`"), "{}", result.stderr);
}

#[test]
fn a_merged_report_shows_what_the_shards_baselines_hid_and_the_matrix_says_it() {
    let dir =
        temp_files(&[("archive/a.eml", &noreply("Message-ID: <a@nhs.net>\n")), ("archive/b.eml", &noreply("\n"))]);
    let write = run_in(dir.path(), &["check", ACCOUNT, "--write-baseline", "baseline.json", "archive"]);
    assert_eq!(write.code, 1, "{}", write.stderr);
    for k in 1..=2 {
        let (shard, part) = (format!("{k}/2"), format!("part{k}.jsonl"));
        let args = ["check", ACCOUNT, "--baseline", "baseline.json", "--format", "jsonl", "--shard", &shard];
        let result = run_in(dir.path(), &[&args[..], &["--output", &part, "archive"]].concat());
        assert_eq!(result.code, 0, "{}", result.stderr);
    }
    let merge = ["merge", ACCOUNT, "part1.jsonl", "part2.jsonl"];
    let html = run_in(dir.path(), &[&merge[..], &["--format", "html"]].concat());
    assert_eq!(html.code, 0, "{}", html.stderr);
    // Both no-reply findings, and b.eml's missing Message-ID: hidden, yet said.
    assert!(html.stdout.contains("the shards' baselines: 3 known finding(s) not reported"), "{}", html.stdout);
    let markdown = run_in(dir.path(), &[&merge[..], &["--format", "markdown"]].concat());
    assert!(
        markdown.stdout.contains("Not counted as failing: 3 finding(s) the baseline knew"),
        "the matrix's counts say what they leave out: {}",
        markdown.stdout
    );
}

#[test]
fn merge_applies_a_baseline_to_the_corpus_findings_it_judges() {
    let to_list = |n: u32, minute: u32| {
        format!(
            "From: \"Results, Pathology\" <pathology.results@nhs.net>\nTo: results-team-dl@nhs.net\n\
             Reply-To: pathology.enquiries@nhs.net\nSubject: Bulletin {n}\nDate: Mon, 23 Nov 2026 09:{minute:02}:00 +0000\n\
             Message-ID: <bulletin-{n}@nhs.net>\nList-Unsubscribe: <mailto:pathology.enquiries@nhs.net>\n\nBulletin.\n"
        )
        .into_bytes()
    };
    let dir = temp_files(&[
        ("nhsmail-lint.yaml", b"distribution_lists: [results-team-dl@nhs.net]\n"),
        ("archive/a.eml", &to_list(1, 0)),
        ("archive/b.eml", &to_list(2, 10)),
    ]);
    for k in 1..=2 {
        let (shard, part) = (format!("{k}/2"), format!("part{k}.jsonl"));
        let args = ["check", ACCOUNT, "--format", "jsonl", "--shard", &shard, "--allow-empty", "-o", &part, "archive"];
        assert!(run_in(dir.path(), &args).code < 2);
    }
    let merge = ["merge", ACCOUNT, "--format", "json", "part1.jsonl", "part2.jsonl"];
    let write = run_in(dir.path(), &[&merge[..], &["--write-baseline", "baseline.json"]].concat());
    assert_eq!(write.code, 1, "the interval finding: {}", write.stdout);
    assert!(rules_fired(&write.json()).iter().any(|r| r == "distribution-list-interval"));
    let known = run_in(dir.path(), &[&merge[..], &["--baseline", "baseline.json"]].concat());
    assert_eq!(known.code, 0, "{}", known.stdout);
    assert!(known.json()["notes"].to_string().contains("1 finding(s) already in the baseline"), "{}", known.stdout);
}
