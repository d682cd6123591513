//! A scan spread over shards and merged gives exactly the single-machine result,
//! corpus rules included (their messages split across shards).

use crate::common::{run, run_in, temp_files};

const CONFIG: &[&str] = &["--config", "corpus/nhsmail-lint.yaml"];
const PATHS: &[&str] = &["corpus/clean", "corpus/rules"];

#[test]
fn merged_shards_equal_a_single_machine_scan() {
    let mut args = vec!["check"];
    args.extend(CONFIG);
    args.extend(["--format", "json"]);
    args.extend(PATHS);
    let single = run(&args);

    let dir = temp_files(&[]);
    let parts: Vec<String> = (0..3).map(|k| dir.path().join(format!("part{k}.jsonl")).display().to_string()).collect();
    let mut shards_with_list_messages = 0;
    for (k, part) in (1..).zip(&parts) {
        let shard = format!("{k}/3");
        let mut args = vec!["check"];
        args.extend(CONFIG);
        args.extend(["--format", "jsonl", "--shard", shard.as_str(), "--output", part.as_str()]);
        args.extend(PATHS);
        let result = run(&args);
        assert!(result.code < 2, "{}", result.stderr);
        let text = std::fs::read_to_string(part).expect("part");
        assert!(!text.contains("\"corpus\":true"), "a shard does not judge the corpus alone");
        shards_with_list_messages += usize::from(text.contains("\"fact\""));
    }
    assert!(shards_with_list_messages >= 2, "the distribution-list messages are split across shards");

    let mut args = vec!["merge"];
    args.extend(CONFIG);
    args.extend(["--format", "json"]);
    args.extend(parts.iter().map(String::as_str));
    let merged = run(&args);
    assert_eq!(merged.code, single.code);
    let (mut merged, mut single) = (merged.json(), single.json());
    let (merged_run, single_run) = (merged["run"].take(), single["run"].take());
    assert_eq!(merged, single);
    // The merged report carries each shard's provenance, and what they read together.
    assert_eq!(merged_run["command"], "merge");
    let shards = merged_run["shards"].as_array().expect("the shards' runs");
    assert_eq!(shards.len(), 3);
    assert!(shards.iter().all(|s| s["command"] == "check" && s["packs"] == single_run["packs"]), "{shards:?}");
    for key in ["files", "messages", "bytes"] {
        assert_eq!(merged_run[key], single_run[key], "{key}");
    }
    // The page for people says the same, and names each shard's run.
    let mut args = vec!["merge"];
    args.extend(CONFIG);
    args.extend(["--format", "html"]);
    args.extend(parts.iter().map(String::as_str));
    let html = run(&args).stdout;
    let errors = single["summary"]["errors"].as_u64().expect("errors");
    assert!(html.contains(&format!("<b>{errors}</b><span>errors</span>")), "{html}");
    assert!(html.contains("<th>Shard 3</th><td>check on "), "each shard's run");
}

/// A send filed twice (in `Sent/` and `Archive/`), read by two shards: `merge` judges it as
/// one send, as one machine does, from the body digests the shards took; a different
/// message reusing its Message-ID is still reported.
#[test]
fn a_copy_in_another_shard_is_one_send() {
    let message = |subject: &str, date: &str| {
        format!(
            "From: \"Results, Pathology\" <pathology.results@nhs.net>\nTo: results-team-dl@nhs.net\n\
             Reply-To: pathology.enquiries@nhs.net\nSubject: {subject}\nDate: Mon, 23 Nov 2026 {date} +0000\n\
             Message-ID: <bulletin-1@pathology.example.nhs.uk>\n\
             List-Unsubscribe: <mailto:pathology.enquiries@nhs.net?subject=unsubscribe>\n\nBulletin.\n"
        )
    };
    let sent = message("Bulletin", "09:00:00");
    let filed = format!("Return-Path: <pathology.results@nhs.net>\nX-UID: 7\n{}", sent.replace('\n', "\r\n"));
    let reused = message("Another bulletin", "11:00:00");
    let dir = temp_files(&[
        ("nhsmail-lint.yaml", b"distribution_lists: [results-team-dl@nhs.net]\n"),
        ("archive/Sent/a.eml", sent.as_bytes()),
        ("archive/Archive/2026/a.eml", filed.as_bytes()),
        ("archive/Sent/b.eml", reused.as_bytes()),
    ]);
    // Shards split by the path as given: relative paths, so the split is the same every run.
    let mut parts = Vec::new();
    for k in 1..=2 {
        let (shard, part) = (format!("{k}/2"), format!("part{k}.jsonl"));
        let args = ["check", "--format", "jsonl", "--shard", &shard, "--output", &part, "archive"];
        assert!(run_in(dir.path(), &args).code < 2);
        parts.push(std::fs::read_to_string(dir.path().join(&part)).expect("part"));
    }
    let holds = |part: &str, path: &str| part.contains(&format!("\"path\":\"{path}\""));
    assert!(
        holds(&parts[0], "archive/Sent/a.eml") != holds(&parts[0], "archive/Archive/2026/a.eml"),
        "the send and its copy fall in different shards"
    );
    let merged = run_in(dir.path(), &["merge", "--format", "json", "part1.jsonl", "part2.jsonl"]).json();
    let single = run_in(dir.path(), &["check", "--format", "json", "archive"]).json();
    for report in [&merged, &single] {
        let fired: Vec<(String, String)> = crate::common::findings(report)
            .into_iter()
            .flat_map(|(path, d)| d.into_iter().map(move |(rule, _)| (path.clone(), rule)))
            .collect();
        assert_eq!(fired, [("archive/Sent/b.eml".to_owned(), "message-id-reused".to_owned())], "{report}");
        assert!(report["notes"].to_string().contains("1 message(s) were copies"), "{}", report["notes"]);
    }
}

/// Parts of `corpus/clean` scanned in three shards under `--run-id`, in a fresh folder.
fn three_parts(run_id: &str) -> tempfile::TempDir {
    let dir = temp_files(&[]);
    for k in 1..=3 {
        let (shard, part) = (format!("{k}/3"), dir.path().join(format!("part{k}.jsonl")).display().to_string());
        let mut args = vec!["check"];
        args.extend(CONFIG);
        args.extend(["--format", "jsonl", "--shard", &shard, "--run-id", run_id, "--allow-empty"]);
        args.extend(["--output", &part, "corpus/clean"]);
        assert!(run(&args).code < 2);
    }
    dir
}

fn merge(dir: &std::path::Path, parts: &[&str], extra: &[&str]) -> crate::common::Run {
    let mut args = vec!["merge"];
    args.extend(extra);
    let paths: Vec<String> = parts.iter().map(|p| dir.join(p).display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    run(&args)
}

/// Whether miette's wrapped message says `needle` (white space and the frame left out).
fn said(stderr: &str, needle: &str) -> bool {
    let flat = |t: &str| t.chars().filter(|c| !c.is_whitespace() && *c != '│').collect::<String>();
    flat(stderr).contains(&flat(needle))
}

#[test]
fn merge_refuses_parts_that_are_not_one_whole_scan() {
    let dir = three_parts("job-7");
    let d = dir.path();
    let all = ["part1.jsonl", "part2.jsonl", "part3.jsonl"];
    assert!(merge(d, &all, CONFIG).code < 2, "the whole scan merges");
    let missing = merge(d, &all[..2], CONFIG);
    assert_eq!(missing.code, 2);
    assert!(said(&missing.stderr, "shard(s) 3/3 of 3 are missing"), "{}", missing.stderr);
    let repeated = merge(d, &["part1.jsonl", "part2.jsonl", "part3.jsonl", "part2.jsonl"], CONFIG);
    assert_eq!(repeated.code, 2);
    assert!(said(&repeated.stderr, "shard 2/3 is given twice"), "{}", repeated.stderr);
    // Another scan's part, under its own run id.
    let other = three_parts("job-8");
    std::fs::copy(other.path().join("part3.jsonl"), d.join("other3.jsonl")).expect("copy");
    let mixed = merge(d, &["part1.jsonl", "part2.jsonl", "other3.jsonl"], CONFIG);
    assert_eq!(mixed.code, 2);
    assert!(said(&mixed.stderr, "run id job-7") && said(&mixed.stderr, "job-8"), "{}", mixed.stderr);
    // Judged with another configuration than the shards': refused, not mixed.
    let elsewhere = merge(d, &all, &[]);
    assert_eq!(elsewhere.code, 2);
    assert!(said(&elsewhere.stderr, "the parts were scanned with config"), "{}", elsewhere.stderr);
    // A JSON report is not a part; nor is a part cut short.
    let mut args = vec!["check", "--format", "json", "--output"];
    let report = d.join("report.json").display().to_string();
    args.extend([report.as_str(), "corpus/clean"]);
    run(&args);
    let not_a_part = merge(d, &["report.json"], CONFIG);
    assert_eq!(not_a_part.code, 2);
    let text = std::fs::read_to_string(d.join("part3.jsonl")).expect("part");
    let cut: Vec<&str> = text.lines().filter(|l| !l.contains("\"summary\"")).collect();
    std::fs::write(d.join("cut3.jsonl"), cut.join("\n")).expect("write");
    let unfinished = merge(d, &["part1.jsonl", "part2.jsonl", "cut3.jsonl"], CONFIG);
    assert_eq!(unfinished.code, 2);
    assert!(said(&unfinished.stderr, "cut3.jsonl is not a finished shard's part"), "{}", unfinished.stderr);
}

#[test]
fn allow_partial_merges_what_is_there_and_says_what_is_missing_in_every_format() {
    let dir = three_parts("job-9");
    let d = dir.path();
    let partial = |format: &str| {
        let extra = [CONFIG, &["--allow-partial", "--format", format]].concat();
        merge(d, &["part1.jsonl", "part3.jsonl"], &extra)
    };
    let json = partial("json");
    assert_eq!(json.code, 2, "incomplete: {}", json.stderr);
    let report = json.json();
    assert_eq!(report["unread"][0]["path"], "shard 2/3", "{}", report["unread"]);
    let sarif = partial("sarif").json();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(invocation["toolExecutionNotifications"].to_string().contains("shard 2/3"));
    let junit = partial("junit").stdout;
    assert!(junit.contains("name=\"shard 2/3\"") && junit.contains("<error"), "{junit}");
    let html = partial("html").stdout;
    assert!(html.contains("shard 2/3 is missing"), "the page names the missing shard");
    let human = partial("human");
    assert!(human.stdout.contains("shard 2/3 is missing"), "{}", human.stdout);
}
