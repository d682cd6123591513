//! `mailbox-quota` and `pop-configured` against a real Dovecot (IMAP over TLS with the
//! quota plugin) on loopback: under quota, nearly full, over quota, a wrong password, an
//! untrusted certificate, and `--send` refusing to send from a mailbox over quota; and
//! against Dovecot without the plugin (as Exchange Online offers no QUOTA): the usage
//! summed over its folders, read-only, against `mailbox.quota`, and a count that cannot
//! finish in time reported as such.

use serde_json::Value;

use crate::common::{Run, run_with_env, temp_files};
use crate::imap_server::{PASSWORD, TestImap, USER, token};
use crate::smtp_server::TestSmtp;

const MB: u64 = 1024 * 1024;
const ENV: &[(&str, &str)] = &[("TEST_IMAP_PASSWORD", PASSWORD)];

/// The test servers listen on a port of their own, not NHSmail's 993.
const TEST_PORT: &str = "rules:\n  disable: [imap-port]\n";

fn mailbox_config(imap: &TestImap, extra: &str) -> String {
    format!(
        "mailbox:\n  host: localhost\n  port: {}\n  username: {USER}\n  password_env: TEST_IMAP_PASSWORD\n  \
         timeout: 10s\n{extra}{TEST_PORT}",
        imap.port
    )
}

fn preflight(config: &str, env: &[(&str, &str)]) -> Run {
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes())]);
    let env: Vec<(&str, &str)> = env.iter().copied().chain([crate::common::NAMED_CONFIG]).collect();
    run_with_env(dir.path(), &["preflight", "--format", "json"], &env)
}

/// (rule, severity, line, message) of each diagnostic in the config file.
fn findings(run: &Run) -> Vec<(String, String, u64, String)> {
    assert!(run.code < 2, "{}{}", run.stdout, run.stderr);
    let report: Value = run.json();
    let files = report["files"].as_array().expect("files");
    files
        .iter()
        .flat_map(|f| f["diagnostics"].as_array().expect("diagnostics").clone())
        .filter(|d| crate::common::not_attestation(&d))
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            (s("rule"), s("severity"), d["line"].as_u64().expect("line"), s("message"))
        })
        .collect()
}

fn with_ca(imap: &TestImap) -> String {
    mailbox_config(imap, &format!("  ca_file: {}\n", imap.ca_file.display()))
}

#[test]
fn under_the_warning_share_passes() {
    let Some(imap) = TestImap::start(true) else { return };
    imap.set_usage(50 * MB, 100 * MB);
    let run = preflight(&with_ca(&imap), ENV);
    assert_eq!(findings(&run), []);
    assert_eq!(run.code, 0);
    // The server's quota decides; `mailbox.quota` is for servers that give none.
    let run = preflight(&with_ca(&imap).replace("  ca_file", "  quota: 1KB\n  ca_file"), ENV);
    assert_eq!(findings(&run), []);
    let numbers = mailbox_numbers(&run);
    assert_eq!((numbers["measured"].as_str(), numbers["limit_from"].as_str()), (Some("quota"), Some("server")));
    assert_eq!((numbers["used_bytes"].as_u64(), numbers["limit_bytes"].as_u64()), (Some(50 * MB), Some(100 * MB)));
    assert_eq!(numbers["percent"].as_f64(), Some(50.0));
}

#[test]
fn nearly_full_is_a_warning_with_the_sizes() {
    let Some(imap) = TestImap::start(true) else { return };
    imap.set_usage(95 * MB, 100 * MB);
    let run = preflight(&with_ca(&imap), ENV);
    let message = "the mailbox is 95% full: 95.0 MB used of 100.0 MB (the warning is above 90%)";
    assert_eq!(findings(&run), [("mailbox-quota".into(), "warning".into(), 4, message.into())], "at the username");
    assert_eq!(run.code, 0, "a warning does not fail the default --fail-on error");
    // The threshold is the config's.
    let run = preflight(&with_ca(&imap).replace("  ca_file", "  quota_warning_percent: 96\n  ca_file"), ENV);
    assert_eq!(findings(&run), []);
}

#[test]
fn over_quota_is_an_error() {
    let Some(imap) = TestImap::start(true) else { return };
    imap.set_usage(100 * MB, 100 * MB);
    let run = preflight(&with_ca(&imap), ENV);
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.as_str()), ("mailbox-quota", "error"));
    assert!(found[0].3.starts_with("the mailbox is over quota: 100.0 MB used of 100.0 MB"), "{}", found[0].3);
    assert_eq!(run.code, 1);
}

/// A message of about `size` bytes with CRLF line ends, so that its IMAP size is its length.
fn message(n: usize, size: usize) -> Vec<u8> {
    let mut text = format!("From: {USER}\r\nSubject: message {n}\r\n\r\n").into_bytes();
    while text.len() < size {
        text.extend_from_slice(b"Results attached as agreed.\r\n");
    }
    text
}

/// INBOX with more messages than one FETCH asks for, Sent, and a nested folder whose
/// parents hold nothing (`Archive` and `Archive/2026`, which Dovecot lists as
/// `\Noselect`: opening them would fail and leave the count short); the bytes put there.
fn fill(imap: &TestImap) -> u64 {
    let inbox: Vec<Vec<u8>> = (0..1005).map(|n| message(n, 100 + n % 7)).collect();
    let sent: Vec<Vec<u8>> = (0..3).map(|n| message(n, 20_000 + 1000 * n)).collect();
    let results: Vec<Vec<u8>> = (0..4).map(|n| message(n, 5_000 * (n + 1))).collect();
    for (folder, messages) in [("INBOX", &inbox), ("Sent", &sent), ("Archive/2026/Results", &results)] {
        imap.put(folder, messages);
    }
    [inbox, sent, results].iter().flatten().map(|m| m.len() as u64).sum()
}

/// The report's `mailbox` object.
fn mailbox_numbers(run: &Run) -> Value {
    run.json()["mailbox"].clone()
}

#[test]
fn without_quota_the_folders_are_summed_read_only() {
    let Some(imap) = TestImap::start(false) else { return };
    let put = fill(&imap);
    let run = preflight(&with_ca(&imap), ENV);
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.as_str(), found[0].2), ("mailbox-quota", "info", 4));
    // Under a megabyte, shown in KB.
    let shown = format!("{:.1} KB", put as f64 / 1024.0);
    assert!(
        found[0].3.starts_with(&format!("the mailbox uses {shown} (summed over 3 of 3 folders (1012 messages)")),
        "{}",
        found[0].3
    );
    assert!(found[0].3.contains("set `mailbox.quota`"), "says how to set it: {}", found[0].3);
    assert_eq!(run.code, 0);
    let numbers = mailbox_numbers(&run);
    assert_eq!(numbers["used_bytes"], put, "{numbers}");
    assert_eq!(numbers["measured"], "summed");
    assert_eq!((numbers["folders"].as_u64(), numbers["folders_counted"].as_u64()), (Some(3), Some(3)));
    assert_eq!((numbers["messages"].as_u64(), numbers["complete"].as_bool()), (Some(1012), Some(true)));
    assert_eq!((&numbers["limit_bytes"], &numbers["percent"]), (&Value::Null, &Value::Null));
    // EXAMINE, never SELECT: the messages are still \Recent for whoever opens them next.
    assert_eq!([imap.recent("INBOX"), imap.recent("Sent"), imap.recent("Archive/2026/Results")], [1005, 3, 4]);
}

#[test]
fn the_sum_is_held_against_mailbox_quota() {
    let Some(imap) = TestImap::start(false) else { return };
    let put = fill(&imap);
    let config = |quota: &str| with_ca(&imap).replace("  ca_file", &format!("  quota: {quota}\n  ca_file"));
    // The standard service level: 4 GiB, far from full.
    let run = preflight(&config("standard"), ENV);
    assert_eq!(findings(&run), []);
    assert_eq!(run.code, 0);
    let numbers = mailbox_numbers(&run);
    assert_eq!((numbers["used_bytes"].as_u64(), numbers["limit_bytes"].as_u64()), (Some(put), Some(4 << 30)));
    assert_eq!(numbers["limit_from"], "standard");
    let percent = (put * 1000 / (4 << 30)) as f64 / 10.0;
    assert_eq!(numbers["percent"].as_f64(), Some(percent));
    // A limit below what is there: the rule's error, with both sizes.
    let run = preflight(&config("1KB"), ENV);
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.as_str()), ("mailbox-quota", "error"));
    assert!(
        found[0].3.starts_with("the mailbox is over quota:") && found[0].3.contains("`mailbox.quota: 1KB`"),
        "{}",
        found[0].3
    );
    assert_eq!(run.code, 1);
    assert_eq!(mailbox_numbers(&run)["limit_bytes"], 1000);
    // jsonl carries the numbers on a line of their own.
    let dir = temp_files(&[("nhsmail-lint.yaml", config("1KB").as_bytes())]);
    let lines = run_with_env(dir.path(), &["preflight", "--format", "jsonl"], ENV);
    let mailbox: Vec<Value> = lines
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .filter_map(|l| l.get("mailbox").cloned())
        .collect();
    assert_eq!(mailbox.len(), 1, "{}", lines.stdout);
    assert_eq!(mailbox[0]["used_bytes"], put);
}

#[test]
fn a_slow_count_shows_progress_on_a_terminal_and_says_what_it_counted() {
    let Some(imap) = TestImap::start(false) else { return };
    let inbox: Vec<Vec<u8>> = (0..5).map(|n| message(n, 3_000 + n)).collect();
    imap.put("INBOX", &inbox);
    imap.put("Sent", &[message(0, 50_000)]);
    // Sent is being written to (its lock held): opening it waits past the timeout.
    imap.lock("Sent");
    let config = with_ca(&imap).replace("timeout: 10s", "timeout: 2s");
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes())]);
    let run = crate::common::run_within_env(dir.path(), &["preflight", "--format", "json"], ENV, 60);
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.as_str()), ("mailbox-quota", "warning"), "never a pass: {found:?}");
    let counted: u64 = inbox.iter().map(|m| m.len() as u64).sum();
    let at_least = format!(
        "the mailbox could not be counted to the end: at least {:.1} KB (summed over 1 of 2 folders (5 messages)",
        counted as f64 / 1024.0
    );
    assert!(found[0].3.starts_with(&at_least), "{}", found[0].3);
    assert!(found[0].3.contains("could not finish within 2s"), "{}", found[0].3);
    let numbers = mailbox_numbers(&run);
    assert_eq!((numbers["used_bytes"].as_u64(), numbers["complete"].as_bool()), (Some(counted), Some(false)));
    assert_eq!((numbers["folders_counted"].as_u64(), numbers["folders"].as_u64()), (Some(1), Some(2)));
    assert!(run.stderr.is_empty(), "no progress bar when stderr is not a terminal: {}", run.stderr);
    // Under a pseudo-terminal (util-linux `script`), the wait on Sent shows the bar.
    let transcript = dir.path().join("transcript");
    let inner = format!("{} preflight --format json --output report.json", env!("CARGO_BIN_EXE_nhsmail-lint"));
    let status = std::process::Command::new("timeout")
        .args(["60", "script", "-qec", &inner, &transcript.display().to_string()])
        .current_dir(dir.path())
        .envs(ENV.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("script (util-linux) runs");
    assert_eq!(status.code(), Some(0), "a warning: exit 0");
    let seen = String::from_utf8_lossy(&std::fs::read(&transcript).expect("transcript")).into_owned();
    assert!(seen.contains("counting the mailbox: 5/5 messages, 2 of 2 folders: Sent"), "the bar: {seen:?}");
}

#[test]
fn a_wrong_password_is_reported_without_leaking_it() {
    let Some(imap) = TestImap::start(true) else { return };
    let wrong = "not the password 17";
    let dir = temp_files(&[("nhsmail-lint.yaml", with_ca(&imap).as_bytes())]);
    let run = run_with_env(dir.path(), &["preflight"], &[("TEST_IMAP_PASSWORD", wrong)]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("mailbox-login") && run.stdout.contains("the mailbox login failed"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("refused the login of {USER}")), "{}", run.stdout);
    assert!(run.stdout.contains("AUTHENTICATIONFAILED"), "{}", run.stdout);
    assert!(!run.stdout.contains(wrong) && !run.stderr.contains(wrong));
    // No password at all is named as such.
    let run = preflight(&with_ca(&imap), &[]);
    assert!(findings(&run)[0].3.contains("TEST_IMAP_PASSWORD is not set"), "{}", run.stdout);
    // The report's numbers say that nothing was measured, and why.
    let numbers = mailbox_numbers(&run);
    assert_eq!(
        (&numbers["measured"], &numbers["used_bytes"], &numbers["complete"]),
        (&Value::Null, &Value::Null, &Value::Bool(false))
    );
    assert!(numbers["error"].as_str().is_some_and(|e| e.contains("TEST_IMAP_PASSWORD is not set")), "{numbers}");
}

#[test]
fn xoauth2_signs_in_with_a_token_from_token_command() {
    let key = b"test signing key for the mailbox";
    let Some(imap) = TestImap::with_oauth(key) else { return };
    imap.set_usage(95 * MB, 100 * MB);
    let dir = tempfile::tempdir().expect("dir");
    let config = |token: &str| {
        std::fs::write(dir.path().join("token"), token).expect("token");
        format!(
            "mailbox:\n  host: localhost\n  port: {}\n  username: {USER}\n  auth: xoauth2\n  \
             token_command: cat {}\n  ca_file: {}\n{TEST_PORT}",
            imap.port,
            dir.path().join("token").display(),
            imap.ca_file.display()
        )
    };
    let run = preflight(&config(&token(USER, key)), &[]);
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].3.starts_with("the mailbox is 95% full"), "{}", found[0].3);
    // A token signed with another key is refused, and never shown.
    let forged = token(USER, b"some other key");
    let run = preflight(&config(&forged), &[]);
    let found = findings(&run);
    // The probe's login step says what is wrong; the quota could not be read.
    let rules: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(rules, ["mailbox-login", "mailbox-quota"], "{found:?}");
    assert!(found[0].3.contains(&format!("refused the login of {USER}")), "{}", found[0].3);
    assert!(found[1].3.starts_with("could not check mailbox-quota:"), "{}", found[1].3);
    assert!(!run.stdout.contains(&forged) && !run.stderr.contains(&forged));
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let Some(imap) = TestImap::start(true) else { return };
    imap.set_usage(100 * MB, 100 * MB);
    let run = preflight(&mailbox_config(&imap, ""), ENV);
    let found = findings(&run);
    let rules: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(rules, ["mailbox-tls", "mailbox-quota"], "{found:?}");
    assert!(found[0].3.contains("not from a trusted CA"), "{}", found[0].3);
    assert!(found[1].3.starts_with("could not check mailbox-quota:"), "{}", found[1].3);
    assert!(found[1].3.contains("certificate"), "{}", found[1].3);
    assert_eq!(run.code, 1);
}

#[test]
fn a_silent_server_is_reported_without_hanging() {
    // It accepts the connection and never says a word: no TLS handshake, no greeting.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let config = format!(
        "mailbox:\n  host: localhost\n  port: {}\n  username: {USER}\n  password_env: TEST_IMAP_PASSWORD\n  \
         timeout: 2s\n{TEST_PORT}",
        silent.local_addr().expect("addr").port()
    );
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes())]);
    let run = crate::common::run_within_env(dir.path(), &["preflight", "--format", "json"], ENV, 60);
    let found = findings(&run);
    let messages: Vec<&str> = found.iter().map(|f| f.3.as_str()).collect();
    assert_eq!(messages.len(), 2, "{found:?}");
    assert_eq!(messages[0], "could not check mailbox-tls: no answer from localhost during the TLS handshake within 2s");
    assert_eq!(
        messages[1],
        "could not check mailbox-quota: no answer from localhost during the TLS handshake within 2s"
    );
    assert_eq!(run.code, 1);
}

#[test]
fn a_handshake_that_trickles_is_reported_without_hanging() {
    // A byte every 300 ms: every read is within the 2 s timeout, the handshake never done.
    let port = crate::smtp_script::trickling_handshake();
    let config = format!(
        "mailbox:\n  host: localhost\n  port: {port}\n  username: {USER}\n  password_env: TEST_IMAP_PASSWORD\n  \
         timeout: 2s\n{TEST_PORT}"
    );
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes())]);
    let run = crate::common::run_within_env(dir.path(), &["preflight", "--format", "json"], ENV, 60);
    let found = findings(&run);
    let said: Vec<(&str, &str)> = found.iter().map(|f| (f.0.as_str(), f.3.as_str())).collect();
    let no_answer = "no answer from localhost during the TLS handshake within 2s";
    assert_eq!(
        said,
        [
            ("mailbox-tls", format!("could not check mailbox-tls: {no_answer}").as_str()),
            ("mailbox-quota", format!("could not check mailbox-quota: {no_answer}").as_str())
        ],
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 1);
}

#[test]
fn pop_is_an_info_finding_and_skips_the_quota() {
    let config =
        format!("mailbox:\n  host: localhost\n  port: 1\n  protocol: pop\n  username: {USER}\n  password_env: P\n");
    let run = preflight(&config, &[]);
    let found = findings(&run);
    let message = "the mailbox is configured for POP; IMAP over TLS (port 993) is recommended";
    let port = "POP on port 1; NHSmail serves POP over SSL (implicit TLS) on port 995";
    // Nothing listens on port 1: the probe says so.
    let refused = "cannot connect to the mailbox: 127.0.0.1:1 refused the connection (nothing listens on port 1)";
    assert_eq!(
        found,
        [
            ("mailbox-connect".into(), "error".into(), 2, refused.into()),
            ("pop-port".into(), "error".into(), 3, port.into()),
            ("pop-configured".into(), "info".into(), 4, message.into())
        ]
    );
    // An offline config rule: `check` reports it too.
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes()), ("a.eml", b"Subject: x\r\n\r\nx\r\n")]);
    let run = run_with_env(dir.path(), &["check", "--format", "json", "a.eml"], &[]);
    assert!(findings(&run).iter().any(|f| f.0 == "pop-configured"));
}

#[test]
fn send_refuses_to_send_from_a_mailbox_over_quota() {
    let Some(imap) = TestImap::start(true) else { return };
    imap.set_usage(101 * MB, 100 * MB);
    let smtp = TestSmtp::start(true);
    let setup = crate::send::workspace(&smtp, false, &with_ca(&imap), &[("out/a.eml", &crate::send::message(1, ""))]);
    let mut env = crate::send::ENV.to_vec();
    env.extend_from_slice(ENV);
    let run = run_with_env(setup.dir.path(), &["check", "--send", "--format", "json", "out"], &env);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("the mailbox is over quota"), "{}", run.stdout);
    assert!(smtp.received().is_empty(), "nothing is sent from a mailbox over quota");
}

#[test]
fn a_folder_that_will_not_open_is_named_and_the_rest_counted() {
    let Some(imap) = TestImap::start(false) else { return };
    let inbox: Vec<Vec<u8>> = (0..3).map(|n| message(n, 2_000 * (n + 1))).collect();
    let drafts = [message(0, 9_000)];
    imap.put("INBOX", &inbox);
    imap.put("Broken", &[message(0, 70_000)]);
    imap.put("Drafts", &drafts);
    imap.break_folder("Broken");
    let run = preflight(&with_ca(&imap).replace("  ca_file", "  quota: 1MiB\n  ca_file"), ENV);
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.as_str()), ("mailbox-quota", "warning"), "never a pass: {found:?}");
    assert!(found[0].3.contains("summed over 2 of 3 folders (4 messages)"), "{}", found[0].3);
    assert!(found[0].3.contains("could not count `Broken`: NO"), "{}", found[0].3);
    let counted: u64 = inbox.iter().chain(&drafts).map(|m| m.len() as u64).sum();
    let numbers = mailbox_numbers(&run);
    assert_eq!((numbers["used_bytes"].as_u64(), numbers["complete"].as_bool()), (Some(counted), Some(false)));
}
