//! A run never says "no problems found" about what it did not read: a folder it may not
//! read (tried as a user without the permission: the tests drop to `nobody` when they run
//! as root, whom permissions do not stop), an empty input, files that are not mail, an
//! `--include` that matches nothing. Each is exit 2, with why, and the report still written.

use std::path::Path;
use std::process::Command;

use crate::common::{Run, temp_files};

const GOOD: &[u8] = b"From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nTo: a@nhs.net\r\n\
Reply-To: pathology.enquiries@nhs.net\r\nSubject: Results\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
Message-ID: <a@nhs.net>\r\n\r\nResults are ready.\r\n";

/// A message that breaks a rule, hidden where the user cannot read.
const NOREPLY: &[u8] = b"From: \"Results, Pathology\" <noreply@nhs.net>\r\nTo: a@nhs.net\r\n\
Subject: Results\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <b@nhs.net>\r\n\r\nResults.\r\n";

/// Runs `nhsmail-lint ARGS` in `dir` as a user whom file permissions stop: this one, or
/// `nobody` when this one is root.
fn run_unprivileged(dir: &Path, args: &[&str]) -> Run {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let mut command = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", env!("CARGO_BIN_EXE_nhsmail-lint")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_nhsmail-lint"))
    };
    let output = command.args(args).current_dir(dir).env("NO_COLOR", "1").output().expect("run nhsmail-lint");
    Run::from(output)
}

fn mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_folder_that_cannot_be_read_is_named_and_the_run_is_incomplete() {
    let dir = temp_files(&[("archive/good.eml", GOOD), ("archive/locked/noreply.eml", NOREPLY)]);
    for folder in ["", "archive"] {
        mode(&dir.path().join(folder), 0o755);
    }
    mode(&dir.path().join("archive/good.eml"), 0o644);
    mode(&dir.path().join("archive/locked"), 0o000);
    let report = dir.path().join("report.json");
    std::fs::File::create(&report).expect("report file");
    mode(&report, 0o666);
    let args = ["check", "--account", "pathology.results@nhs.net", "--fail-on", "never", "--format", "json"];
    let json = run_unprivileged(dir.path(), &[&args[..], &["-o", "report.json", "archive"]].concat());
    let human = run_unprivileged(dir.path(), &["check", "--account", "pathology.results@nhs.net", "archive"]);
    // Exit 2 whatever --fail-on says: what was not read was not judged.
    assert_eq!(json.code, 2, "{}", json.stderr);
    assert!(json.stderr.contains("the run is incomplete: 1 path(s) could not be read"), "{}", json.stderr);
    // The report is written, and names the folder with the system's reason.
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    let found = crate::common::findings(&written);
    assert!(found.iter().any(|(p, d)| p == "archive/good.eml" && d.is_empty()), "the rest is checked: {found:?}");
    let locked = written["files"].as_array().expect("files").iter().find(|f| f["path"] == "archive/locked");
    let locked = locked.expect("the folder has an entry");
    let message = locked["diagnostics"][0]["message"].as_str().expect("message");
    assert_eq!(message, "cannot read this folder: Permission denied (os error 13)");
    // The same answer in every format: a JSON list, a SARIF notification, a JUnit error.
    assert_eq!(written["unread"][0]["path"], "archive/locked", "{written}");
    assert_eq!(written["unread"][0]["reason"], "Permission denied (os error 13)");
    let sarif = run_unprivileged(dir.path(), &["check", "--format", "sarif", "archive"]);
    assert_eq!(sarif.code, 2);
    let sarif: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("sarif");
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], "error");
    assert_eq!(notification["message"]["text"], "cannot read archive/locked: Permission denied (os error 13)");
    let junit = run_unprivileged(dir.path(), &["check", "--format", "junit", "archive"]);
    assert!(junit.stdout.contains("errors=\"1\""), "{}", junit.stdout);
    assert!(
        junit
            .stdout
            .contains("<error message=\"cannot read: Permission denied (os error 13)\" type=\"unreadable-file\">"),
        "{}",
        junit.stdout
    );
    assert_eq!(human.code, 2);
    assert!(!human.stdout.contains("no problems found"), "{}", human.stdout);
    // A shard's part records it, and the merged verdict is incomplete too.
    let part = dir.path().join("part.jsonl");
    std::fs::File::create(&part).expect("part file");
    mode(&part, 0o666);
    let shard =
        run_unprivileged(dir.path(), &["check", "--shard", "1/1", "--format", "jsonl", "-o", "part.jsonl", "archive"]);
    assert_eq!(shard.code, 2, "{}", shard.stderr);
    mode(&dir.path().join("archive/locked"), 0o755);
    let merged = crate::common::run_in(dir.path(), &["merge", "--format", "json", "part.jsonl"]);
    assert_eq!(merged.code, 2, "{}", merged.stderr);
    assert!(merged.stderr.contains("the scan is incomplete: 1 path(s) or shard(s) were not read"), "{}", merged.stderr);
    assert_eq!(merged.json()["unread"][0]["path"], "archive/locked");
    assert!(
        human.stdout.contains(
            "Checked 1 message in 1 file (1 path could not be read): 0 errors, 0 warnings, 0 infos in 0 messages; \
             the run is incomplete."
        ),
        "{}",
        human.stdout
    );
}

#[test]
fn nothing_to_check_is_not_a_pass() {
    let dir = temp_files(&[
        ("empty/.keep", b""),
        ("papers/letter.pdf", b"%PDF-1.4"),
        ("papers/notes.txt", b"notes"),
        ("papers/more.txt", b"notes"),
        ("mail/a.eml", GOOD),
    ]);
    let check = |args: &[&str]| crate::common::run_in(dir.path(), &[&["check"], args].concat());
    let empty = check(&["empty"]);
    assert_eq!(empty.code, 2, "{}", empty.stdout);
    assert!(empty.stderr.contains("nothing was checked: no .eml, .mbox or Maildir message"), "{}", empty.stderr);
    assert!(empty.stdout.contains("Checked 0 messages in 0 files: nothing was checked."), "{}", empty.stdout);
    assert!(!empty.stdout.contains("no problems found"));
    let papers = check(&["-v", "papers"]);
    assert_eq!(papers.code, 2);
    assert!(papers.stderr.contains("nothing was checked: 3 file(s) skipped as not mail"), "{}", papers.stderr);
    assert!(papers.stdout.contains("note: skipped as not mail: 1 .pdf, 2 .txt"), "{}", papers.stdout);
    let unmatched = check(&["--include", "*.nothing", "mail"]);
    assert_eq!(unmatched.code, 2);
    assert!(unmatched.stderr.contains("--include / --exclude left out all 1 mail file(s)"), "{}", unmatched.stderr);
    // Where empty is fine, say so.
    let allowed = check(&["--allow-empty", "empty"]);
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    // A folder with mail and other files checks the mail and counts the rest.
    let mixed = check(&["--account", "pathology.results@nhs.net", "mail", "papers"]);
    assert_eq!(mixed.code, 0, "{}", mixed.stderr);
    assert!(
        mixed.stdout.contains("Checked 1 message in 1 file (3 files skipped as not mail): no problems found."),
        "{}",
        mixed.stdout
    );
}

#[test]
fn counts_say_messages_and_the_files_that_hold_them() {
    let mbox =
        [b"From a@nhs.net Mon Nov 23 09:00:00 2026\n", GOOD, b"\nFrom a@nhs.net Mon Nov 23 09:00:00 2026\n", GOOD]
            .concat();
    let dir = temp_files(&[("box.mbox", &mbox), ("Mail/cur/1", GOOD), ("Mail/new/2", GOOD), ("Mail/tmp/.keep", b"")]);
    let run = crate::common::run_in(dir.path(), &["check", "--account", "pathology.results@nhs.net", "."]);
    assert!(run.stdout.contains("Checked 4 messages in 3 files"), "{}", run.stdout);
}
