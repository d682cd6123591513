//! Hostile input: whatever an archive holds, every file gets an answer (a diagnostic or a
//! pass) and nothing crashes, hangs or blows memory. Time and memory are bounded by limits
//! on the process (`timeout`, `ulimit -v`), never by timing assertions.

use std::path::Path;

use crate::common::findings;

/// Deterministic junk.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write");
}

/// Runs the linter under a 120 s wall limit and a 3 GB address-space limit.
fn bounded(dir: &Path, args: &str) -> crate::common::Run {
    let bin = env!("CARGO_BIN_EXE_nhsmail-lint");
    let script = format!("ulimit -v 3000000; exec timeout 120 {bin} {args}");
    let output = std::process::Command::new("sh").args(["-c", &script]).current_dir(dir).output().expect("sh");
    crate::common::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn every_hostile_file_gets_an_answer() {
    let temp = tempfile::tempdir().expect("dir");
    let dir = temp.path();
    write(dir, "empty.eml", b"");
    write(dir, "random.eml", &noise(64 * 1024));
    write(dir, "nul-headers.eml", b"From: a\0b@nhs.net\nSub\0ject: \0\0\nTo: \0\n\nbody\0\n");
    write(
        dir,
        "latin1.eml",
        b"From: \"M\xfcller, J\xfcrgen\" <j@nhs.net>\nSubject: Gr\xfc\xdfe \xff\xfe\n\n\xe9t\xe9\n",
    );
    let mut long = b"From: a@nhs.net\nSubject: ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 5 * 1024 * 1024));
    long.extend_from_slice(b"\n\nbody\n");
    write(dir, "long-header.eml", &long);
    let mut many = b"From: a@nhs.net\n".to_vec();
    for i in 0..200_000 {
        many.extend_from_slice(format!("X-Header-{i}: value {i}\n").as_bytes());
    }
    many.extend_from_slice(b"\nbody\n");
    write(dir, "many-headers.eml", &many);
    let mut deep = b"From: a@nhs.net\n".to_vec();
    for i in 0..5000 {
        deep.extend_from_slice(format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n").as_bytes());
    }
    deep.extend_from_slice(b"Content-Type: text/plain\n\n{{ deep }}\n");
    write(dir, "deep-mime.eml", &deep);
    write(
        dir,
        "truncated.eml",
        b"From: a@nhs.net\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhello\n--x\nContent-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0x",
    );
    let mut big = b"From: a@nhs.net\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nsee attached\n--z\nContent-Type: application/octet-stream; name=\"big.bin\"\nContent-Transfer-Encoding: base64\n\n".to_vec();
    let line = [b'Q'; 76];
    for _ in 0..(50 * 1024 * 1024 / 77) {
        big.extend_from_slice(&line);
        big.push(b'\n');
    }
    big.extend_from_slice(b"--z--\n");
    write(dir, "big-attachment.eml", &big);
    let fifo = dir.join("fifo.eml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    std::os::unix::fs::symlink("gone.eml", dir.join("deleted.eml")).expect("symlink");
    std::fs::create_dir(dir.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink("..", dir.join("loop/back")).expect("symlink");

    let result = bounded(dir, "check --format json .");
    // The FIFO, the dangling link and the loop are not read: the run is incomplete.
    assert_eq!(result.code, 2, "exit {}: {}", result.code, result.stderr);
    assert!(!result.stderr.contains("panicked"), "{}", result.stderr);
    let report = findings(&result.json());
    let rules = |name: &str| -> Vec<String> {
        report
            .iter()
            .find(|(p, _)| p == &format!("./{name}"))
            .map(|(_, d)| d.iter().map(|(r, _)| r.clone()).collect())
            .unwrap_or_else(|| panic!("{name} not reported"))
    };
    assert_eq!(rules("empty.eml"), ["unparseable-message"]);
    assert_eq!(rules("random.eml"), ["unparseable-message"]);
    assert!(rules("fifo.eml").contains(&"unreadable-file".to_owned()));
    assert!(rules("deleted.eml").contains(&"unreadable-file".to_owned()));
    assert!(rules("long-header.eml").contains(&"line-too-long".to_owned()));
    assert!(rules("deep-mime.eml").iter().all(|r| r != "internal-error"));
    for name in ["nul-headers.eml", "latin1.eml", "many-headers.eml", "truncated.eml", "big-attachment.eml"] {
        assert!(rules(name).iter().all(|r| r != "internal-error"), "{name}: {:?}", rules(name));
    }
    assert!(
        report.iter().any(|(p, d)| p.starts_with("./loop") && d.iter().any(|(r, _)| r == "unreadable-file")),
        "the loop is reported"
    );

    // The human format copes too, and shows no control character from the input.
    let human = bounded(dir, "check --color never .");
    assert_eq!(human.code, 2, "{}", human.stderr);
    assert!(!human.stdout.bytes().any(|b| b == 0 || b == 0x1b), "no NUL or ESC reaches the terminal");
}

#[test]
fn a_crafted_subject_cannot_drive_the_terminal() {
    let temp = tempfile::tempdir().expect("dir");
    // ESC sequences that would clear the screen and print a fake all-clear.
    let subject = "Results 943 476 5919 \u{1b}[2J\u{1b}[HChecked 1 file: no problems found.\u{7}";
    let message = format!("From: \"Results, Pathology\" <p@nhs.net>\nTo: a@nhs.net\nSubject: {subject}\n\nbody\n");
    write(temp.path(), "evil.eml", message.as_bytes());
    let name = "evil\u{1b}[31m.eml";
    write(temp.path(), name, message.as_bytes());
    for format in ["human", "concise", "github"] {
        let result = bounded(temp.path(), &format!("check --color never --format {format} ."));
        assert!(!result.stdout.contains('\u{1b}') && !result.stdout.contains('\u{7}'), "{format}: {:?}", result.stdout);
        assert!(result.stdout.contains("nhs-number-in-subject"), "{format}");
    }
    // JSON stays exact: the text is escaped, not altered.
    let json = bounded(temp.path(), "check --format json evil.eml").json();
    let message = json["files"][0]["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["rule"] == "nhs-number-in-subject")
        .expect("found")["message"]
        .clone();
    assert_eq!(message, "the Subject contains the NHS number 943 476 5919");
}

/// Inputs at sizes where cost quadratic in them would take many minutes: a bulk send's
/// 50,000 recipients (bare, as bulk senders write them, and named), and 20,000 header
/// fields. Linear code takes well under a second each; the 60 s deadline (`timeout`, exit
/// 124) only stops a regression from hanging the suite. No timing is asserted.
#[test]
fn cost_stays_linear_in_recipients_and_header_fields() {
    let dir = tempfile::tempdir().expect("temp dir");
    let head = "From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nSubject: Bulletin\r\n\
                Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <bulk@nhs.net>\r\n";
    let bare: Vec<String> = (0..50_000).map(|i| format!("p{i}@nhs.net")).collect();
    let named: Vec<String> = (0..50_000).map(|i| format!("\"Patel, Asha {i}\" <q{i}@nhs.net>")).collect();
    write(dir.path(), "bare.eml", format!("{head}Bcc: {}\r\n\r\nBulletin.\r\n", bare.join(",\r\n ")).as_bytes());
    write(dir.path(), "named.eml", format!("{head}To: {}\r\n\r\nBulletin.\r\n", named.join(",\r\n ")).as_bytes());
    let fields: String = (0..20_000).map(|i| format!("X-Trace-{i}: value {i}\r\n")).collect();
    write(dir.path(), "fields.eml", format!("{head}To: a@nhs.net\r\n{fields}\r\nBulletin.\r\n").as_bytes());
    for (file, expected) in [("bare.eml", "recipient-limit"), ("named.eml", "recipient-limit"), ("fields.eml", "")] {
        let result = crate::common::run_within(dir.path(), &["check", "--format", "json", file], 60);
        assert_ne!(result.code, 124, "{file} took over 60 s: cost is not linear in it");
        let fired: Vec<String> = findings(&result.json()).into_iter().flat_map(|(_, d)| d).map(|(r, _)| r).collect();
        assert_eq!(fired.iter().any(|r| r == "recipient-limit"), !expected.is_empty(), "{file}: {fired:?}");
    }
}
