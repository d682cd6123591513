//! `nhsmail-lint bounces` over the delivery-report fixtures in tests/fixtures/bounces
//! (Exchange Online, Postfix and plain-text forms): what each refusal means, the exit
//! code, the JSON a program reads, the "would have caught" count, a user pack's own
//! rows, and the status-code table in docs/bounces.md against the built-in pack.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{root, run, run_in, temp_files};

const FIXTURES: &str = "tests/fixtures/bounces";
const CONFIG: &str = "tests/fixtures/bounces/nhsmail-lint.yaml";

fn bounces_json(args: &[&str]) -> (Value, i32) {
    let mut all = vec!["bounces", "--config", CONFIG, "--format", "json"];
    all.extend(args);
    let result = run(&all);
    (result.json(), result.code)
}

/// Each report's file name, and for each recipient: status, action, side, failure and
/// requirement (`-` for none).
fn classes(report: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for r in report["reports"].as_array().expect("reports") {
        let name = r["path"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let rows = r["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let c = &p["class"];
                format!(
                    "{} {} {} {} {} {}",
                    p["recipient"].as_str().unwrap(),
                    p["status"].as_str().unwrap(),
                    p["action"].as_str().unwrap(),
                    c["side"].as_str().unwrap(),
                    c["failure"].as_str().unwrap(),
                    c["requirement"].as_str().unwrap_or("-"),
                )
            })
            .collect();
        out.insert(name, rows);
    }
    out
}

#[test]
fn each_fixture_is_classified_by_the_table() {
    let (report, code) = bounces_json(&[FIXTURES]);
    assert_eq!(code, 1, "refusals exit 1");
    let expected: BTreeMap<String, Vec<String>> = [
        ("exchange-missing-from.eml", vec!["patient.letters@example-trust.nhs.uk 5.7.512 failed sender hard R3"]),
        ("exchange-send-as-denied.eml", vec!["gp.reception@nhs.net 5.7.60 failed sender hard A2"]),
        ("exchange-send-as-missed.eml", vec!["clinic.bookings@nhs.net 5.7.60 failed sender hard A2"]),
        ("exchange-too-large-headers.eml", vec!["referrals@example-trust.nhs.uk 5.3.4 failed sender hard M1"]),
        ("plain-undeliverable.eml", vec!["discharge.team@nhs.net 5.7.60 failed sender hard A2"]),
        (
            "postfix-recipient-unknown.eml",
            vec![
                "old.practice@nhs.net 5.1.1 failed recipient hard L3",
                "ward7@example-trust.nhs.uk 4.4.7 delayed recipient soft -",
            ],
        ),
    ]
    .into_iter()
    .map(|(name, rows)| (name.to_owned(), rows.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(classes(&report), expected);
    let summary = &report["summary"];
    assert_eq!((summary["reports"].as_u64(), summary["not_reports"].as_u64()), (Some(6), Some(1)));
    assert_eq!((summary["failed"].as_u64(), summary["delayed"].as_u64()), (Some(6), Some(1)));
    assert_eq!((summary["hard"].as_u64(), summary["soft"].as_u64()), (Some(6), Some(1)));
    let by: BTreeMap<String, u64> =
        summary["by_requirement"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect();
    let want: BTreeMap<String, u64> =
        [("A2", 3), ("L3", 1), ("M1", 1), ("R3", 1), ("none", 1)].map(|(k, n)| (k.to_owned(), n)).into_iter().collect();
    assert_eq!(by, want);
}

#[test]
fn reports_name_their_mta_date_and_the_original_message() {
    let (report, _) = bounces_json(&[&format!("{FIXTURES}/postfix-recipient-unknown.eml")]);
    let r = &report["reports"][0];
    assert_eq!(r["form"], "delivery-status");
    assert_eq!(r["reporting_mta"], "relay.pathology.example.nhs.uk");
    assert_eq!(r["arrival_date"], "Thu, 10 Dec 2026 11:20:03 +0000 (GMT)");
    assert_eq!(r["date"], "2026-12-10T11:20:05Z");
    assert_eq!(r["original_message_id"], "20261210112002.41@pathology.example.nhs.uk");
    assert_eq!(r["returned"], "message");
    let first = &r["recipients"][0];
    assert_eq!(first["remote_mta"], "mx.nhs.net");
    assert_eq!(first["diagnostic"], "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found");
    assert!(first["class"]["source"].as_str().unwrap().starts_with("https://learn.microsoft.com/"));

    let (plain, _) = bounces_json(&[&format!("{FIXTURES}/plain-undeliverable.eml")]);
    let r = &plain["reports"][0];
    assert_eq!(r["form"], "plain-text");
    assert_eq!(r["reporting_mta"], "LO2P265MB0123.GBRP265.PROD.OUTLOOK.COM");
    assert_eq!(r["returned"], "headers");
    assert_eq!(r["original_message_id"], "20261212104115.12@discharge.example.nhs.uk");
    assert_eq!(
        r["recipients"][0]["diagnostic"],
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender"
    );
}

#[test]
fn the_linter_would_have_caught_three_of_four() {
    let (report, _) = bounces_json(&[FIXTURES]);
    let summary = &report["summary"];
    assert_eq!((summary["caught"].as_u64(), summary["judged"].as_u64()), (Some(3), Some(4)));
    assert_eq!(summary["judged_on_headers_only"].as_u64(), Some(1), "the plain-text report returned headers only");
    let missed = summary["missed"].as_array().unwrap();
    assert_eq!(missed.len(), 1);
    assert!(missed[0]["path"].as_str().unwrap().ends_with("exchange-send-as-missed.eml"));
    assert_eq!(missed[0]["requirement"], "A2");
    // What was and was not judged, per recipient.
    let verdict = |name: &str| {
        let r = report["reports"].as_array().unwrap().iter().find(|r| r["path"].as_str().unwrap().ends_with(name));
        r.expect(name)["recipients"][0]["caught"].clone()
    };
    assert_eq!(verdict("exchange-send-as-denied.eml")["rules"], serde_json::json!(["from-account"]));
    assert_eq!(verdict("exchange-missing-from.eml")["rules"], serde_json::json!(["missing-from"]));
    let size = verdict("exchange-too-large-headers.eml");
    assert_eq!(size["judged"], false);
    assert!(size["reason"].as_str().unwrap().contains("returned header block"), "{size}");

    let human = run(&["bounces", "--config", CONFIG, FIXTURES]);
    assert!(
        human.stdout.contains("the linter would have caught 3 of 4 refusal(s) it could judge (1 on a returned header block, by the header rules only)"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("missed: tests/fixtures/bounces/exchange-send-as-missed.eml"), "{}", human.stdout);
}

#[test]
fn exit_codes_say_refusal_delay_or_unreadable() {
    let delayed = b"From: MAILER-DAEMON@relay.example.nhs.uk\nSubject: Delayed Mail (still being retried)\n\
        MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
        --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.nhs.uk\n\n\
        Final-Recipient: rfc822; ward7@example-trust.nhs.uk\nAction: delayed\nStatus: 4.4.7\n\n--b--\n";
    let broken = b"From: MAILER-DAEMON@relay.example.nhs.uk\nSubject: Undelivered Mail Returned to Sender\n\
        MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
        --b\nContent-Type: text/plain\n\nIt bounced.\n--b--\n";
    let ordinary = b"From: gp@nhs.net\nSubject: Thanks\n\nReceived.\n";
    let dir = temp_files(&[("delayed.eml", delayed), ("ordinary.eml", ordinary), ("broken/report.eml", broken)]);
    let clean = run_in(dir.path(), &["bounces", "--isolated", "ordinary.eml"]);
    assert_eq!(clean.code, 0, "no report, no refusal: {}", clean.stdout);
    let delay = run_in(dir.path(), &["bounces", "--isolated", "delayed.eml"]);
    assert_eq!(delay.code, 0, "a delay alone is a warning: {}", delay.stdout);
    assert!(delay.stdout.contains("1 delayed"), "{}", delay.stdout);
    let unread = run_in(dir.path(), &["bounces", "--isolated", "--format", "json"]);
    assert_eq!(unread.code, 2, "a report that cannot be read: {}", unread.stdout);
    let report = unread.json();
    assert_eq!(report["unread"][0]["path"], "broken/report.eml");
    assert!(report["unread"][0]["reason"].as_str().unwrap().contains("no `message/delivery-status` part"));
}

/// Every file of ../shared/corpus-public goes through `bounces` without a crash, and its
/// delivery-status samples are read as reports with the codes they carry.
#[test]
fn the_public_corpus_goes_through_without_a_crash() {
    let Some(corpus) = crate::common::public_corpus() else { return };
    let corpus = corpus.display().to_string();
    let result = run(&["bounces", "--isolated", "--format", "json", &corpus]);
    assert!(!result.stderr.contains("panicked"), "{}", result.stderr);
    assert!((0..=2).contains(&result.code), "{}", result.stderr);
    let report = result.json();
    let read = |name: &str| -> Vec<String> {
        let found = report["reports"].as_array().unwrap().iter().find(|r| r["path"].as_str().unwrap().ends_with(name));
        let found = found.unwrap_or_else(|| panic!("{name} is read as a report"));
        found["recipients"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap_or("-").to_owned()).collect()
    };
    assert_eq!(read("nodemailer-mailparser/delivery-status.eml"), ["5.1.1"]);
    assert_eq!(read("flanker/bounce/office365.eml"), ["5.1.10"]);
    assert_eq!(read("flanker/bounce/mailbox-full.eml"), ["5.2.2"]);
    assert_eq!(read("multipart_report_emails/multi_address_bounce1.eml"), ["5.1.1"; 5]);
    assert_eq!(read("multipart_report_emails/multipart_report_multiple_status.eml"), ["5.3.0"]);
    assert_eq!(read("flanker/bounce/gmail-no-dns.eml"), ["-"], "X-Failed-Recipients names it");
    let summary = &report["summary"];
    assert!(summary["reports"].as_u64().unwrap() >= 14, "{summary}");
    assert!(summary["not_reports"].as_u64().unwrap() >= 250, "{summary}");
}

#[test]
fn formats_not_written_for_bounces_are_refused() {
    let result = run(&["bounces", "--format", "sarif", FIXTURES]);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("`bounces --format sarif` is not written yet: use human, json or jsonl"),
        "{}",
        result.stderr
    );
    assert!(result.stdout.is_empty());
}

#[test]
fn json_lines_hold_the_json_document_a_line_at_a_time() {
    let (document, _) = bounces_json(&[FIXTURES]);
    let lines = run(&["bounces", "--config", CONFIG, "--format", "jsonl", FIXTURES]);
    assert_eq!(lines.code, 1);
    let parsed: Vec<Value> =
        lines.stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    let (summary, reports) = parsed.split_last().expect("a summary line");
    assert_eq!(reports, document["reports"].as_array().unwrap().as_slice());
    assert_eq!(summary["summary"], document["summary"]);
}

#[test]
fn a_user_pack_adds_and_restates_rows_and_its_errors_point_at_the_line() {
    let pack = "status_codes:\n  - code: 5.7.60\n    side: sender\n    failure: hard\n    meaning: Our own words.\n    \
                requirement: none\n    source: https://trust.example.nhs.uk/runbook\n";
    let bounce = std::fs::read(root().join(FIXTURES).join("exchange-send-as-denied.eml")).unwrap();
    let dir = temp_files(&[("pack.yaml", pack.as_bytes()), ("ndr.eml", &bounce)]);
    let restated =
        run_in(dir.path(), &["bounces", "--isolated", "--rules", "pack.yaml", "--format", "json", "ndr.eml"]);
    let class = &restated.json()["reports"][0]["recipients"][0]["class"];
    assert_eq!(class["meaning"], "Our own words.", "the last pack loaded restates the row");
    assert_eq!(class["source"], "https://trust.example.nhs.uk/runbook");

    for (bad, needle, at) in [
        ("code: 5.7", "an enhanced status code is class.subject.detail", "pack.yaml:2:"),
        ("code: 5.7.60\n    diagnostic: '(unclosed'", "invalid regular expression", "pack.yaml:3:"),
    ] {
        let pack = format!(
            "status_codes:\n  - {bad}\n    side: sender\n    failure: hard\n    meaning: m\n    requirement: none\n    source: s\n"
        );
        let dir = temp_files(&[("pack.yaml", pack.as_bytes())]);
        let result = run_in(dir.path(), &["bounces", "--isolated", "--rules", "pack.yaml"]);
        assert_eq!(result.code, 2, "{bad}: {}", result.stderr);
        assert!(result.stderr.contains(needle) && result.stderr.contains(at), "{bad}: {}", result.stderr);
    }
    let unknown = "status_codes:\n  - code: 5.7.60\n    side: sender\n    failure: hard\n    meaning: m\n    requirement: A22\n    source: s\n";
    let dir = temp_files(&[("pack.yaml", unknown.as_bytes())]);
    let result = run_in(dir.path(), &["bounces", "--isolated", "--rules", "pack.yaml"]);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("unknown requirement `A22`") && result.stderr.contains("pack.yaml:6:"),
        "{}",
        result.stderr
    );
    let twice =
        format!("{}{}", unknown.replace("A22", "none"), &unknown.replace("A22", "none")["status_codes:\n".len()..]);
    let dir = temp_files(&[("pack.yaml", twice.as_bytes())]);
    let result = run_in(dir.path(), &["bounces", "--isolated", "--rules", "pack.yaml"]);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("already in this pack") && result.stderr.contains("pack.yaml:8:"),
        "{}",
        result.stderr
    );
}

/// The table in docs/bounces.md is the built-in pack's: each row's code, diagnostic
/// pattern, side, failure, requirement and source, in order.
#[test]
fn the_documented_table_is_the_built_in_pack_s() {
    let yaml = std::fs::read_to_string(root().join("rules/nhsmail.yaml")).unwrap();
    let pack: Value = serde_saphyr::from_str(&yaml).unwrap();
    let rows: Vec<String> = pack["status_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let diagnostic = r["diagnostic"].as_str().map_or(String::new(), |d| format!("`{d}`"));
            format!(
                "| {} | {diagnostic} | {} | {} | {} | {} |",
                r["code"].as_str().unwrap(),
                r["side"].as_str().unwrap(),
                r["failure"].as_str().unwrap(),
                r["requirement"].as_str().unwrap(),
                r["source"].as_str().unwrap(),
            )
        })
        .collect();
    let docs = std::fs::read_to_string(root().join("docs/bounces.md")).unwrap();
    let documented: Vec<String> = docs
        .lines()
        .filter(|l| l.starts_with("| ") && l.chars().nth(2).is_some_and(|c| c.is_ascii_digit()))
        .map(|l| {
            // The meaning column is the reader's; the rest must match the pack.
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            format!("| {} | {} | {} | {} | {} | {} |", cells[0], cells[1], cells[2], cells[3], cells[4], cells[6])
        })
        .collect();
    assert_eq!(documented, rows, "docs/bounces.md's table against rules/nhsmail.yaml");
}
