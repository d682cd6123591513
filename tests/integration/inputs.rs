//! What a scan reads: mbox (messages reported as `file.mbox:#N` at the mbox's lines),
//! gzip, Maildir, standard input, include/exclude globs, hidden and VCS folders, shards.

use std::io::Write;

use crate::common::{findings, run_in, temp_files};

const ACCOUNT: &str = "--account=pathology.results@nhs.net";

fn message(reply_to: &str) -> String {
    format!(
        "From: \"Results, Pathology\" <pathology.results@nhs.net>\nTo: a@nhs.net\nReply-To: {reply_to}\n\
         Subject: Results\nDate: Mon, 23 Nov 2026 09:00:00 +0000\nMessage-ID: <{reply_to}>\n\nResults are ready.\n"
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn mbox() -> String {
    [message("ok1@nhs.net"), message("noreply@nhs.net"), message("ok2@nhs.net")]
        .iter()
        .map(|m| format!("From MAILER-DAEMON Mon Nov 23 09:00:00 2026\n{m}\n"))
        .collect()
}

fn paths_and_rules(dir: &std::path::Path, args: &[&str]) -> Vec<(String, Vec<(String, u64)>)> {
    let mut all = vec!["check", ACCOUNT, "--format", "json"];
    all.extend_from_slice(args);
    let result = run_in(dir, &all);
    assert!(result.code < 2, "{}", result.stderr);
    findings(&result.json())
}

#[test]
fn mbox_messages_are_reported_at_the_mbox_lines() {
    let dir = temp_files(&[("archive.mbox", mbox().as_bytes())]);
    let got = paths_and_rules(dir.path(), &["."]);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["./archive.mbox:#1", "./archive.mbox:#2", "./archive.mbox:#3"]);
    // Message 2 starts on line 12 of the mbox (after its `From ` line 11); Reply-To is its line 3.
    assert_eq!(got[1].1, [("no-reply-address".to_owned(), 14)]);
    let human = run_in(dir.path(), &["check", ACCOUNT, "archive.mbox"]).stdout;
    assert!(human.contains("[archive.mbox:#2:14:11]"), "{human}");
    assert!(human.contains("14 │ Reply-To: noreply@nhs.net"), "{human}");
}

#[test]
fn corpus_findings_in_an_mbox_are_shown_at_their_lines() {
    // Three sends to one list, five minutes apart: the later two break the 30-minute rule,
    // and are shown from the mbox, as the message rules' findings are.
    let to_list = |minute: u32| {
        format!(
            "From MAILER-DAEMON Mon Nov 23 09:00:00 2026\n\
             From: \"Results, Pathology\" <pathology.results@nhs.net>\nTo: results-team-dl@nhs.net\n\
             Subject: Results\nDate: Mon, 23 Nov 2026 09:{minute:02}:00 +0000\nMessage-ID: <{minute}@nhs.net>\n\n\
             Results are ready.\n\n"
        )
    };
    let archive: String = [0, 5, 10].map(to_list).concat();
    let config = "distribution_lists: [results-team-dl@nhs.net]\n";
    let dir = temp_files(&[("archive.mbox", archive.as_bytes()), ("nhsmail-lint.yaml", config.as_bytes())]);
    let human = run_in(dir.path(), &["check", ACCOUNT, "archive.mbox"]).stdout;
    // Message 2 starts on line 11 (after its `From ` line 10); To is its line 2.
    assert!(human.contains("[archive.mbox:#2:12:5]"), "{human}");
    assert!(human.contains("12 │ To: results-team-dl@nhs.net"), "{human}");
    assert!(human.contains("[archive.mbox:#3:21:5]"), "{human}");
    assert!(human.contains("21 │ To: results-team-dl@nhs.net"), "{human}");
}

#[test]
fn gzip_maildir_and_stdin() {
    let maildir_message = message("noreply@nhs.net");
    let dir = temp_files(&[
        ("a.eml.gz", &gzip(message("noreply@nhs.net").as_bytes())),
        ("b.mbox.gz", &gzip(mbox().as_bytes())),
        ("Maildir/cur/1700000000.M1P1.host:2,S", maildir_message.as_bytes()),
        ("Maildir/new/1700000001.M2P2.host", message("ok@nhs.net").as_bytes()),
        ("Maildir/tmp/partial", b"From: half"),
        ("notes/readme", b"not a message"),
    ]);
    let got = paths_and_rules(dir.path(), &["."]);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "./Maildir/cur/1700000000.M1P1.host:2,S",
            "./Maildir/new/1700000001.M2P2.host",
            "./a.eml.gz",
            "./b.mbox.gz:#1",
            "./b.mbox.gz:#2",
            "./b.mbox.gz:#3"
        ]
    );
    let fired: Vec<&str> = got.iter().filter(|(_, d)| !d.is_empty()).map(|(p, _)| p.as_str()).collect();
    assert_eq!(fired, ["./Maildir/cur/1700000000.M1P1.host:2,S", "./a.eml.gz", "./b.mbox.gz:#2"]);

    let mut child = crate::common::command(dir.path(), &["check", ACCOUNT, "--format", "json", "-"], &[])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(message("noreply@nhs.net").as_bytes()).expect("write");
    let output = child.wait_with_output().expect("run");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["files"][0]["path"], "-");
    assert_eq!(report["files"][0]["diagnostics"][0]["rule"], "no-reply-address");
}

#[test]
fn globs_hidden_folders_and_vcs() {
    let bad = message("noreply@nhs.net");
    let dir = temp_files(&[
        ("out/a.eml", bad.as_bytes()),
        ("out/legacy/b.eml", bad.as_bytes()),
        ("out/.drafts/c.eml", bad.as_bytes()),
        ("out/.git/d.eml", bad.as_bytes()),
        ("out/CVS/e.eml", bad.as_bytes()),
    ]);
    let paths =
        |args: &[&str]| -> Vec<String> { paths_and_rules(dir.path(), args).into_iter().map(|(p, _)| p).collect() };
    assert_eq!(paths(&["out"]), ["out/a.eml", "out/legacy/b.eml"], "hidden and VCS folders are skipped");
    assert_eq!(paths(&["--hidden", "out"]).len(), 5);
    assert_eq!(paths(&["--exclude", "legacy/**", "out"]), ["out/a.eml"]);
    assert_eq!(paths(&["--include", "legacy/*.eml", "out"]), ["out/legacy/b.eml"]);
    let result = run_in(dir.path(), &["check", "--include", "[", "out"]);
    assert_eq!(result.code, 2, "a bad glob is a usage error");
}

#[test]
fn shards_partition_the_inputs() {
    let files: Vec<(String, String)> =
        (0..40).map(|i| (format!("out/m{i:02}.eml"), message(&format!("r{i}@nhs.net")))).collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, m)| (p.as_str(), m.as_bytes())).collect();
    let dir = temp_files(&refs);
    let mut seen = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "jsonl", "--shard", &shard, "out"]);
        let part: Vec<String> = result
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["path"].as_str().map(str::to_owned))
            .collect();
        assert!(!part.is_empty() && part.len() < 40, "shard {shard} has a share: {}", part.len());
        seen.extend(part);
    }
    seen.sort();
    let all: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(seen, all, "every file in exactly one shard");
    assert_eq!(run_in(dir.path(), &["check", "--format", "jsonl", "--shard", "4/3", "out"]).code, 2);
    assert_eq!(run_in(dir.path(), &["check", "--shard", "1/3", "out"]).code, 2, "shards write jsonl");
    // Shards count from 1, as test runners' --shard and --partition do.
    let zero = run_in(dir.path(), &["check", "--format", "jsonl", "--shard", "0/3", "out"]);
    assert_eq!(zero.code, 2, "{}", zero.stderr);
    assert!(zero.stderr.contains("counts from 1") && zero.stderr.contains("1/3"), "{}", zero.stderr);
}

#[test]
fn a_large_mbox_is_checked_on_every_worker_and_reported_in_order() {
    // 300 messages (every seventh with a non-delivery Reply-To) come in chunks from
    // several workers, between files before and after it: the report is in path order,
    // an mbox's messages in their own order, whatever the number of workers.
    let messages: String = (1..=300)
        .map(|n| {
            let reply_to = if n % 7 == 0 { format!("noreply{n}@nhs.net") } else { format!("ok{n}@nhs.net") };
            format!("From MAILER-DAEMON Mon Nov 23 09:00:00 2026\n{}\n", message(&reply_to))
        })
        .collect();
    let mut files: Vec<(String, Vec<u8>)> = vec![("b-big.mbox".into(), messages.into_bytes())];
    for n in 0..20 {
        let name = if n < 10 { format!("a-{n:02}.eml") } else { format!("c-{n:02}.eml") };
        files.push((name, message(&format!("ok-file{n}@nhs.net")).into_bytes()));
    }
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let dir = temp_files(&borrowed);
    let serial = paths_and_rules(dir.path(), &["-j", "1", "."]);
    let parallel = paths_and_rules(dir.path(), &["-j", "4", "."]);
    assert_eq!(parallel, serial, "the same report on 1 and 4 workers");
    let paths: Vec<&str> = parallel.iter().map(|(p, _)| p.as_str()).collect();
    let mut expected: Vec<String> = (0..10).map(|n| format!("./a-{n:02}.eml")).collect();
    expected.extend((1..=300).map(|n| format!("./b-big.mbox:#{n}")));
    expected.extend((10..20).map(|n| format!("./c-{n:02}.eml")));
    assert_eq!(paths, expected);
    let flagged: Vec<&str> = parallel.iter().filter(|(_, d)| !d.is_empty()).map(|(p, _)| p.as_str()).collect();
    let sevenths: Vec<String> = (1..=300).filter(|n| n % 7 == 0).map(|n| format!("./b-big.mbox:#{n}")).collect();
    assert_eq!(flagged, sevenths, "each finding on its own message");
}

/// Where Python's `mailbox.mbox` (which takes every line starting `From ` as a separator, and
/// ignores what comes before the first) reads a public file differently, and why we do not:
/// (file, Python's count, ours, why).
const NOT_AS_PYTHON: [(&str, usize, usize, &str); 3] = [
    (
        "mikel-mail/emails/error_emails/cant_parse_from.eml",
        2,
        1,
        "Python splits a single message at two body lines `From one solid piece of aluminum ...` (no date)",
    ),
    (
        "mimekit/mbox/unmunged.mbox.txt",
        3,
        2,
        "Python loses the first message behind the byte-order mark and splits at the body lines \
         `From Russia with love` (unquoted, no date), which the file is there to test",
    ),
    ("spamassassin/spam/008", 2, 1, "Python splits at the header field `From  :<tst1@example.com>`"),
];

#[test]
fn public_mbox_files_hold_the_messages_python_finds() {
    let Some(files) = crate::public_corpus::public_messages() else { return };
    let python = std::process::Command::new("python3").arg("--version").output();
    let missing = (!python.is_ok_and(|o| o.status.success())).then(|| "python3 does not run".to_owned());
    if !crate::common::requirement("python3 (its mailbox module is the independent reader)", missing) {
        return;
    }
    let script = "import mailbox, sys\nfor p in sys.argv[1:]:\n    print(len(mailbox.mbox(p, create=False)))\n";
    let out = std::process::Command::new("python3").arg("-c").arg(script).args(&files).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<usize> =
        String::from_utf8(out.stdout).expect("utf-8").lines().map(|l| l.parse().expect("a count")).collect();
    assert_eq!(theirs.len(), files.len());
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["check", "--format", "json"];
    args.extend(paths.iter().map(String::as_str));
    let report = crate::common::run(&args).json();
    let reported: Vec<String> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path").to_owned())
        .collect();
    let mut mboxes = 0;
    for (path, python) in paths.iter().zip(theirs) {
        // A file reported as itself is one message; one with no `From ` line is none to Python.
        let split =
            reported.iter().filter(|r| r.strip_prefix(path.as_str()).is_some_and(|n| n.starts_with(":#"))).count();
        let ours = split.max(1);
        mboxes += usize::from(split > 0);
        let python = python.max(1);
        match NOT_AS_PYTHON.iter().find(|(file, ..)| path.ends_with(file)) {
            Some((file, p, o, why)) => assert_eq!((python, ours), (*p, *o), "{file}: expected to differ as {why}"),
            None => assert_eq!(ours, python, "{path}: our messages against Python's mailbox.mbox"),
        }
    }
    assert!(mboxes >= 6, "the public mbox files are read as mboxes ({mboxes})");
}

/// A large message, plain or gzipped, gets the same findings, at the same places, to its
/// last byte.
#[test]
fn a_large_message_is_checked_to_its_last_byte_plain_or_gzipped() {
    let base64_line = "QUJD".repeat(19);
    let attachment: String = std::iter::repeat_n(format!("{base64_line}\n"), 6_000).collect();
    let large = format!(
        "{}--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n{attachment}--b--\n{}\n",
        message("noreply@nhs.net")
            .replace("Subject:", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\nSubject:")
            .replace("Results are ready.\n", "--b\nContent-Type: text/plain\n\nResults are ready.\n"),
        "x".repeat(1_200),
    );
    assert!(large.len() > 400_000, "larger than what is read rather than mapped");
    let dir = temp_files(&[("large.eml", large.as_bytes()), ("large.eml.gz", &gzip(large.as_bytes()))]);
    let diagnostics = |path: &str| {
        let report = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", path]).json();
        let found: Vec<(String, u64, u64, String)> = report["files"][0]["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| {
                let text = |k: &str| d[k].as_str().expect(k).to_owned();
                (
                    text("rule"),
                    d["line"].as_u64().expect("line"),
                    d["column"].as_u64().expect("column"),
                    text("message"),
                )
            })
            .collect();
        found
    };
    let plain = diagnostics("large.eml");
    let rules: Vec<&str> = plain.iter().map(|(rule, ..)| rule.as_str()).collect();
    assert!(rules.contains(&"no-reply-address") && rules.contains(&"line-too-long"), "{plain:?}");
    let last = plain.iter().find(|(rule, ..)| rule == "line-too-long").expect("the long last line");
    assert_eq!(last.1, large.lines().count() as u64, "found on the message's last line");
    assert_eq!(diagnostics("large.eml.gz"), plain);
}

/// Files truncated and rewritten by another process while they are scanned (an archive
/// still being written): the run is never killed (a mapped file would raise SIGBUS), it
/// writes its report, and every file gets an answer.
#[test]
fn files_rewritten_during_a_scan_never_crash_it() {
    let body: String = std::iter::repeat_n(format!("{}\n", "QUJD".repeat(19)), 4_000).collect();
    let large = format!("{}{body}", message("results@nhs.net"));
    let names: Vec<String> = (0..16).map(|n| format!("archive/{n:02}.eml")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), large.as_bytes())).collect();
    let dir = temp_files(&files);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, root) = (stop.clone(), dir.path().to_path_buf());
        let (names, large) = (names.clone(), large.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for name in &names {
                    let path = root.join(name);
                    let file = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
                    file.set_len(100).expect("truncate");
                    std::fs::write(&path, &large).expect("rewrite");
                }
            }
        })
    };
    for _ in 0..3 {
        let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "archive"]);
        assert!(matches!(result.code, 0..=2), "ended by a signal? {}", result.stderr);
        let report = result.json();
        assert_eq!(report["files"].as_array().expect("files").len(), names.len(), "every file answered");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
}
