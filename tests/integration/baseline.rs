//! Living with findings: per-path ignores in the config, and baselines keyed by message
//! fingerprint (so moving or renaming files changes nothing).

use crate::common::{rules_fired, run_in, temp_files};

const ACCOUNT: &str = "--account=pathology.results@nhs.net";

fn noreply(id: &str) -> Vec<u8> {
    format!(
        "From: \"Results, Pathology\" <pathology.results@nhs.net>\nTo: a@nhs.net\nReply-To: noreply@nhs.net\n\
         Subject: Results\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n{id}\nResults are ready.\n"
    )
    .into_bytes()
}

#[test]
fn a_baseline_hides_known_findings_wherever_the_files_go() {
    let dir =
        temp_files(&[("archive/a.eml", &noreply("Message-ID: <a@nhs.net>\n")), ("archive/b.eml", &noreply("\n"))]);
    let write =
        run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "--write-baseline", "baseline.json", "archive"]);
    assert_eq!(write.code, 1, "writing a baseline still reports");
    let baseline = std::fs::read_to_string(dir.path().join("baseline.json")).expect("written");
    assert!(baseline.contains("message-id:<a@nhs.net>") && baseline.contains("sha256:"), "{baseline}");

    // Moved and renamed: still known.
    std::fs::rename(dir.path().join("archive"), dir.path().join("exported")).expect("move");
    std::fs::rename(dir.path().join("exported/a.eml"), dir.path().join("exported/renamed.eml")).expect("rename");
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
    let findings = crate::common::findings(&result.json());
    let reported: Vec<&str> = findings.iter().filter(|(_, d)| !d.is_empty()).map(|(p, _)| p.as_str()).collect();
    assert_eq!(reported, ["exported/c.eml"]);

    let broken = run_in(dir.path(), &["check", "--baseline", "missing.json", "exported"]);
    assert_eq!(broken.code, 2);
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
        markdown.stdout.contains("Not counted as failing: 3 finding\\(s\\) the baseline knew"),
        "the matrix's counts say what they leave out: {}",
        markdown.stdout
    );
}
