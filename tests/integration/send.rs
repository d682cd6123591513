//! `check --send` against a real SMTP server with STARTTLS and AUTH on loopback: what
//! the server receives (exactly), how failures are told apart and retried, the journal
//! that keeps a message from going twice (even across a SIGKILL), and distribution-list
//! spacing across runs.

use std::path::Path;

use serde_json::Value;

use crate::common::{Run, command, run_with_env, temp_files};
use crate::dns_server::{Rec, TestDns};
use crate::imap_server::{TestImap, token};
use crate::smtp_server::{PASSWORD, TestSmtp};

const ACCOUNT: &str = "pathology.results@nhs.net";
pub const ENV: &[(&str, &str)] = &[("TEST_SMTP_PASSWORD", PASSWORD), crate::common::NAMED_CONFIG];

/// A compliant message to the configured distribution list.
fn to_list(n: usize) -> Vec<u8> {
    String::from_utf8(message(n, "List-Unsubscribe: <mailto:u@nhs.net>\r\n"))
        .expect("text")
        .replace("\"Patel, Asha\" <asha.patel@nhs.net>", "results-team-dl@nhs.net")
        .into_bytes()
}

/// A compliant message; `n` makes each one distinct.
pub fn message(n: usize, extra_headers: &str) -> Vec<u8> {
    format!(
        "From: \"Results, Pathology\" <{ACCOUNT}>\r\nTo: \"Patel, Asha\" <asha.patel@nhs.net>\r\n{extra_headers}\
         Reply-To: pathology.enquiries@example.nhs.uk\r\nSubject: Appointment reminder {n}\r\n\
         Date: Mon, {:02} Nov 2026 09:00:00 +0000\r\nMessage-ID: <reminder-{n}@pathology.example.nhs.uk>\r\n\r\n\
         Your appointment is on Tuesday.\r\n",
        1 + n % 28
    )
    .into_bytes()
}

pub struct Setup {
    pub dir: tempfile::TempDir,
    _dns: TestDns,
}

/// A directory with nhsmail-lint.yaml pointing at `smtp` (submission unless `relay`),
/// DNS for the Reply-To domain, and `files`.
pub fn workspace(smtp: &TestSmtp, relay: bool, extra: &str, files: &[(&str, &[u8])]) -> Setup {
    let dns = TestDns::start(&[Rec::Mx("example.nhs.uk", "mx.example.nhs.uk")]);
    let transport = if relay {
        "  mode: relay\n".to_owned()
    } else {
        format!("  mode: submission\n  username: {ACCOUNT}\n  password_env: TEST_SMTP_PASSWORD\n")
    };
    let config = format!(
        "account: {ACCOUNT}\ndistribution_lists: [results-team-dl@nhs.net]\ntransport:\n{transport}  host: localhost\n  \
         port: {}\n  ca_file: {}\n  timeout: 5s\n  backoff: 0s\n  rate_per_minute: 6000\n{extra}dns:\n  \
         nameservers: [\"{}\"]\n  timeout: 1s\n",
        smtp.port,
        smtp.ca_file.display(),
        dns.addr
    );
    let mut all: Vec<(&str, &[u8])> = vec![("nhsmail-lint.yaml", config.as_bytes())];
    all.extend_from_slice(files);
    Setup { dir: temp_files(&all), _dns: dns }
}

fn send(dir: &Path, extra_args: &[&str]) -> Run {
    let mut args = vec!["check", "--send", "--format", "json"];
    args.extend_from_slice(extra_args);
    args.push("out");
    run_with_env(dir, &args, ENV)
}

/// The message of `rule`'s finding on the configuration (the probe's, before the batch).
fn config_finding(run: &Run, rule: &str) -> String {
    let report = run.json();
    let files = report["files"].as_array().expect("files");
    let diagnostics = files
        .iter()
        .filter(|f| f["path"] == "nhsmail-lint.yaml")
        .flat_map(|f| f["diagnostics"].as_array().expect("list"));
    let found =
        diagnostics.filter(|d| d["rule"] == rule).map(|d| d["message"].as_str().expect("text").to_owned()).next();
    found.unwrap_or_else(|| panic!("no {rule} finding: {}", run.stdout))
}

/// (path, verdict, detail) for each message `--send` handled.
fn verdicts(run: &Run) -> Vec<(String, String, String)> {
    let report = run.json();
    let messages = report["send"]["messages"].as_array().unwrap_or_else(|| panic!("no send section: {}", run.stdout));
    messages
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (s("path"), s("verdict"), s("detail"))
        })
        .collect()
}

#[test]
fn submission_sends_exactly_the_bytes_written_less_bcc() {
    let smtp = TestSmtp::start(true);
    let lf =
        String::from_utf8(message(1, "Bcc: audit@nhs.net,\r\n  archive@nhs.net\r\n")).unwrap().replace("\r\n", "\n");
    let setup = workspace(&smtp, false, "", &[("out/a.eml", lf.as_bytes())]);
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert_eq!(verdicts(&result)[0].1, "sent");
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].from, ACCOUNT);
    assert_eq!(received[0].to, ["asha.patel@nhs.net", "audit@nhs.net", "archive@nhs.net"], "Bcc in the envelope");
    let expected = String::from_utf8(message(1, "")).unwrap();
    assert_eq!(String::from_utf8_lossy(&received[0].data), expected, "CRLF, no Bcc header, no extra blank line");
}

#[test]
fn auth_login_works_and_a_wrong_password_fails_without_leaking_it() {
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "  auth: login\n", &[("out/a.eml", &message(2, ""))]);
    assert_eq!(send(setup.dir.path(), &[]).code, 0);
    assert_eq!(smtp.received().len(), 1);

    let setup = workspace(&smtp, false, "", &[("out/b.eml", &message(3, ""))]);
    let result = run_with_env(
        setup.dir.path(),
        &["check", "--send", "--format", "json", "out"],
        &[("TEST_SMTP_PASSWORD", "wrong-password-9f3b")],
    );
    assert_eq!(result.code, 1);
    // The probe's login, before the batch, is refused: the set-up has an error, so the
    // batch is held back before anything is journalled.
    let login = config_finding(&result, "smtp-login");
    assert!(login.contains("refused the login of pathology.results@nhs.net: `535"), "{login}");
    let (_, verdict, detail) = &verdicts(&result)[0];
    assert_eq!(verdict, "blocked");
    assert!(detail.contains("the sending set-up has errors that stop every send (smtp-login;"), "{detail}");
    assert!(!result.stdout.contains("wrong-password-9f3b") && !result.stderr.contains("wrong-password-9f3b"));
    let journal = std::fs::read(setup.dir.path().join(".nhsmail-lint/journal.sqlite")).expect("journal");
    assert!(!String::from_utf8_lossy(&journal).contains("wrong-password-9f3b"), "the journal holds no secret");
    let entries = run_with_env(setup.dir.path(), &["journal", "--format", "json"], &[]);
    assert_eq!(entries.stdout.trim(), "[]", "nothing journalled as attempted");
    assert_eq!(smtp.received().len(), 1, "nothing more arrived");
}

#[test]
fn xoauth2_submission_authenticates_with_a_token() {
    // Dovecot's submission server checks the token and relays to the SMTP test server.
    let smtp = TestSmtp::start(false);
    let key = b"signing key for submission tokens";
    let Some(dovecot) = TestImap::with_submission(key, smtp.port) else { return };
    let dns = TestDns::start(&[Rec::Mx("example.nhs.uk", "mx.example.nhs.uk")]);
    let dir = tempfile::tempdir().expect("dir");
    let token_file = dir.path().join("token");
    let config = format!(
        "account: {ACCOUNT}\ntransport:\n  mode: submission\n  host: localhost\n  port: {}\n  username: {ACCOUNT}\n  \
         auth: xoauth2\n  token_command: cat {}\n  ca_file: {}\n  timeout: 10s\n  backoff: 0s\n\
         dns:\n  nameservers: [\"{}\"]\n  timeout: 1s\n",
        dovecot.submission_port.expect("submission"),
        token_file.display(),
        dovecot.ca_file.display(),
        dns.addr
    );
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), config).expect("config");
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    std::fs::write(dir.path().join("out/a.eml"), message(12, "")).expect("message");
    std::fs::write(&token_file, token(ACCOUNT, key)).expect("token");
    let result = send(dir.path(), &[]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        (received[0].from.as_str(), received[0].to.as_slice()),
        (ACCOUNT, ["asha.patel@nhs.net".to_owned()].as_slice())
    );
    // A forged token is refused as an authentication failure, and never shown.
    std::fs::write(dir.path().join("out/b.eml"), message(13, "")).expect("message");
    let forged = token(ACCOUNT, b"not the signing key");
    std::fs::write(&token_file, &forged).expect("token");
    let result = send(dir.path(), &[]);
    assert_eq!(result.code, 1);
    let login = config_finding(&result, "smtp-login");
    assert!(login.contains("refused the login of pathology.results@nhs.net"), "{login}");
    assert!(verdicts(&result).iter().all(|v| v.1 == "blocked"), "{}", result.stdout);
    assert!(!result.stdout.contains(&forged) && !result.stderr.contains(&forged));
    assert_eq!(smtp.received().len(), 1, "nothing more arrived");
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &message(4, ""))]);
    let config_path = setup.dir.path().join("nhsmail-lint.yaml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let without_ca: String = config.lines().filter(|l| !l.contains("ca_file")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&config_path, without_ca).unwrap();
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 1);
    let tls = config_finding(&result, "smtp-tls");
    assert!(tls.contains("the certificate of localhost is not from a trusted CA"), "{tls}");
    let (_, verdict, detail) = &verdicts(&result)[0];
    assert_eq!(verdict, "blocked", "{detail}");
    assert!(smtp.received().is_empty());
}

#[test]
fn relay_mode_sends_without_auth() {
    let smtp = TestSmtp::start(false);
    let setup = workspace(&smtp, true, "", &[("out/a.eml", &message(5, ""))]);
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert_eq!(smtp.received().len(), 1);
}

#[test]
fn a_set_up_error_that_concerns_no_send_stops_nothing() {
    // Credentials in a relay transport are an error (the relay is anonymous), but
    // nhsmail-lint never logs in to the relay: each message still goes, as the relay takes it.
    let smtp = TestSmtp::start(false);
    let extra = "  username: pathology.results@nhs.net\n";
    let setup = workspace(&smtp, true, extra, &[("out/a.eml", &message(14, ""))]);
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 1, "the set-up's error still fails the run: {}", result.stderr);
    let credentials = config_finding(&result, "relay-credentials");
    assert!(credentials.starts_with("`username` has no place in relay mode"), "{credentials}");
    assert_eq!(verdicts(&result)[0].1, "sent", "{}", result.stdout);
    assert_eq!(smtp.received().len(), 1);
}

#[test]
fn a_relay_ptr_that_does_not_resolve_back_warns_and_still_sends() {
    let Some(own) = crate::common::own_address() else { return };
    let own: &'static str = Box::leak(own.into_boxed_str());
    let smtp = TestSmtp::start(false);
    let dns = TestDns::start(&[
        Rec::Ptr(own, "mismatch.example.nhs.uk"),
        Rec::A("mismatch.example.nhs.uk", "192.0.2.99"),
        Rec::Mx("example.nhs.uk", "mx.example.nhs.uk"),
    ]);
    let config = format!(
        "account: {ACCOUNT}\ntransport:\n  mode: relay\n  host: localhost\n  port: {}\n  source_ip: {own}\n  \
         ca_file: {}\n  timeout: 5s\n  backoff: 0s\ndns:\n  nameservers: [\"{}\"]\n  timeout: 1s\n",
        smtp.port,
        smtp.ca_file.display(),
        dns.addr
    );
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes()), ("out/a.eml", &message(5, ""))]);
    let result = send(dir.path(), &[]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert!(result.stdout.contains("does not resolve back to"), "the warning is reported: {}", result.stdout);
    assert_eq!(smtp.received().len(), 1, "a warning does not block --send: {}", result.stdout);
}

#[test]
fn transient_failures_are_retried_and_permanent_ones_reported() {
    let smtp = TestSmtp::start(true);
    smtp.reply_to_data(&[451]);
    smtp.reply_to_rcpt(&[421]);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &message(6, ""))]);
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert_eq!(verdicts(&result)[0].1, "sent", "a dropped connection (421) and a 451 were retried");
    assert_eq!(smtp.received().len(), 1, "and it arrived once");

    smtp.reply_to_data(&[550]);
    let setup = workspace(&smtp, false, "", &[("out/b.eml", &message(7, ""))]);
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 1);
    let (_, verdict, detail) = &verdicts(&result)[0];
    assert_eq!(verdict, "failed");
    assert!(detail.contains("550"), "the server's reply is reported: {detail}");
    assert_eq!(smtp.received().len(), 1);
    // Through retries and failures, the password appears nowhere.
    let journal = std::fs::read(setup.dir.path().join(".nhsmail-lint/journal.sqlite")).expect("journal");
    for text in [result.stdout.as_str(), result.stderr.as_str(), &String::from_utf8_lossy(&journal)] {
        assert!(!text.contains(PASSWORD), "the password leaked");
    }
    let human = run_with_env(setup.dir.path(), &["check", "--send", "--resend-unknown", "out"], ENV);
    assert!(!human.stdout.contains(PASSWORD) && !human.stderr.contains(PASSWORD));
}

#[test]
fn blocked_messages_are_not_sent_and_from_must_be_the_account() {
    let smtp = TestSmtp::start(true);
    let other = String::from_utf8(message(8, "")).unwrap().replace(&format!("<{ACCOUNT}>"), "<other@nhs.net>");
    let noreply =
        String::from_utf8(message(9, "")).unwrap().replace("pathology.enquiries@example.nhs.uk", "noreply@nhs.net");
    // The rules read the first From; a second one names another address.
    let second_from = message(10, "From: other@nhs.net\r\n");
    let files = [("out/a.eml", other.as_bytes()), ("out/b.eml", noreply.as_bytes()), ("out/c.eml", &second_from)];
    let setup = workspace(&smtp, false, "", &files);
    // from-account is disabled: nhsmail-lint still refuses a From that is not the account.
    let config_path = setup.dir.path().join("nhsmail-lint.yaml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(&config_path, format!("{config}rules:\n  disable: [from-account, duplicate-header-field]\n"))
        .unwrap();
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 1);
    let v = verdicts(&result);
    assert_eq!(v[0].1, "blocked");
    assert!(v[0].2.contains("not the sending account"), "{}", v[0].2);
    assert_eq!(v[1].1, "blocked");
    assert!(v[1].2.contains("no-reply-address"), "{}", v[1].2);
    assert_eq!(v[2].1, "blocked");
    assert!(v[2].2.contains("other@nhs.net, not the sending account"), "{}", v[2].2);
    assert!(smtp.received().is_empty());
}

#[test]
fn a_message_over_the_limit_on_the_wire_is_never_sent() {
    // LF endings, under 35 MiB in the file, over it once sent as CR LF; even with
    // message-size disabled, --send refuses it.
    let smtp = TestSmtp::start(true);
    let mut big = String::from_utf8(message(19, "")).unwrap().replace("\r\n", "\n");
    let line = format!("{}\n", "Q".repeat(76));
    while big.len() + line.len() < 35 * 1024 * 1024 - 100 {
        big.push_str(&line);
    }
    let setup = workspace(&smtp, false, "", &[("out/a.eml", big.as_bytes())]);
    let config_path = setup.dir.path().join("nhsmail-lint.yaml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(&config_path, format!("{config}rules:\n  disable: [message-size]\n")).unwrap();
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    let v = verdicts(&result);
    assert_eq!(v[0].1, "blocked", "{v:?}");
    assert!(v[0].2.contains("on the wire, over NHSmail's limit of 36700160 bytes"), "{}", v[0].2);
    assert!(smtp.received().is_empty());
}

#[test]
fn dry_run_sends_nothing() {
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &message(10, ""))]);
    let result = send(setup.dir.path(), &["--dry-run"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let (_, verdict, detail) = &verdicts(&result)[0];
    assert_eq!(verdict, "would-send");
    assert!(detail.contains("to asha.patel@nhs.net via submission localhost"), "{detail}");
    assert!(smtp.received().is_empty());
    // A dry run needs no secret: the probe does not log in.
    let args = ["check", "--send", "--dry-run", "--format", "json", "out"];
    let result = run_with_env(setup.dir.path(), &args, &[("TEST_SMTP_PASSWORD", "not the password")]);
    assert_eq!(verdicts(&result)[0].1, "would-send", "{}", result.stdout);
}

#[test]
fn the_html_report_counts_every_verdict_and_lists_the_first_thousand() {
    let smtp = TestSmtp::start(true);
    let messages: Vec<(String, Vec<u8>)> = (0..1001).map(|n| (format!("out/{n:04}.eml"), message(n, ""))).collect();
    let files: Vec<(&str, &[u8])> = messages.iter().map(|(p, m)| (p.as_str(), m.as_slice())).collect();
    let setup = workspace(&smtp, false, "", &files);
    let args = ["check", "--send", "--dry-run", "--format", "html", "out"];
    let result = run_with_env(setup.dir.path(), &args, ENV);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stdout.contains(">1001 would-send</span>"), "the counts cover every message");
    assert_eq!(result.stdout.matches("<td>would-send</td>").count(), 1000, "a row for each of the first 1,000");
    assert!(result.stdout.contains("and 1 more, not listed"), "the rest are counted");
}

#[test]
fn a_rerun_sends_nothing_twice() {
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &message(11, "")), ("out/b.eml", &message(12, ""))]);
    assert_eq!(send(setup.dir.path(), &[]).code, 0);
    // EHLO before and after STARTTLS twice: the probe's connection (it logs in, then QUITs),
    // then one connection for both messages.
    assert_eq!(smtp.greetings(), 4);
    let again = send(setup.dir.path(), &[]);
    assert_eq!(again.code, 0);
    assert!(verdicts(&again).iter().all(|(_, v, _)| v == "already-sent"), "{:?}", verdicts(&again));
    assert_eq!(smtp.received().len(), 2);
    let journal = run_with_env(setup.dir.path(), &["journal", "--format", "json"], &[]);
    let entries: Value = serde_json::from_str(&journal.stdout).expect("json");
    let states: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["sent", "sent"]);
    assert!(run_with_env(setup.dir.path(), &["journal"], &[]).stdout.contains("reminder-11@"));
}

#[test]
fn distribution_list_sends_are_spaced_across_runs() {
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &to_list(13))]);
    assert_eq!(send(setup.dir.path(), &[]).code, 0);
    // A second run, with a new message to the same list: deferred, with its time.
    std::fs::write(setup.dir.path().join("out/b.eml"), to_list(14)).unwrap();
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 1, "a deferred message did not go");
    let v = verdicts(&result);
    assert_eq!((v[0].1.as_str(), v[1].1.as_str()), ("already-sent", "deferred"));
    assert!(v[1].2.contains("may go at"), "{}", v[1].2);
    assert_eq!(smtp.received().len(), 1);
    let journal = run_with_env(setup.dir.path(), &["journal", "--format", "json"], &[]);
    assert!(journal.stdout.contains("\"deferred\""), "{}", journal.stdout);

    // Within one run, too.
    let setup = workspace(&smtp, false, "", &[("out/c.eml", &to_list(15)), ("out/d.eml", &to_list(16))]);
    let v = verdicts(&send(setup.dir.path(), &["--journal", "other-journal.sqlite"]));
    assert_eq!((v[0].1.as_str(), v[1].1.as_str()), ("sent", "deferred"));
}

#[test]
fn a_list_in_bcc_or_in_a_group_is_spaced_too() {
    // The list in Bcc, then as a member of a group in Cc: both count for the interval.
    let bcc = String::from_utf8(message(17, "Bcc: results-team-dl@nhs.net\r\n")).expect("text");
    let group = String::from_utf8(message(18, "Cc: Lists: results-team-dl@nhs.net;\r\n")).expect("text");
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", bcc.as_bytes()), ("out/b.eml", group.as_bytes())]);
    let v = verdicts(&send(setup.dir.path(), &[]));
    assert_eq!((v[0].1.as_str(), v[1].1.as_str()), ("sent", "deferred"), "{v:?}");
}

#[test]
fn wait_sends_a_deferred_message_when_its_list_interval_is_over() {
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &to_list(17))]);
    assert_eq!(send(setup.dir.path(), &[]).code, 0);
    // The journal now says the list had a send 29 min 58 s ago: the next may go in 2 s.
    let journal = rusqlite::Connection::open(setup.dir.path().join(".nhsmail-lint/journal.sqlite")).expect("journal");
    journal.execute("UPDATE sends SET sent_at = sent_at - 1798", []).expect("backdate");
    drop(journal);
    std::fs::write(setup.dir.path().join("out/b.eml"), to_list(18)).unwrap();
    let result = send(setup.dir.path(), &["--wait"]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert!(result.stderr.contains("waiting until"), "{}", result.stderr);
    let v = verdicts(&result);
    assert_eq!((v[0].1.as_str(), v[1].1.as_str()), ("already-sent", "sent"));
    assert_eq!(smtp.received().len(), 2);
}

#[test]
fn a_killed_run_never_sends_twice_and_loses_nothing() {
    let smtp = TestSmtp::start(true);
    let messages: Vec<(String, Vec<u8>)> = (20..28).map(|n| (format!("out/m{n}.eml"), message(n, ""))).collect();
    let files: Vec<(&str, &[u8])> = messages.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    // Slow enough (0.3 s between sends) to be killed part-way.
    let setup = workspace(&smtp, false, "", &files);
    let config_path = setup.dir.path().join("nhsmail-lint.yaml");
    let config =
        std::fs::read_to_string(&config_path).unwrap().replace("rate_per_minute: 6000", "rate_per_minute: 200");
    std::fs::write(&config_path, config).unwrap();
    let mut child = command(setup.dir.path(), &["check", "--send", "--format", "json", "out"], ENV)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it (SIGKILL) once the server has taken two messages: no timing guesses.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while smtp.received().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let before = smtp.received().len();
    assert!(before >= 2 && before < messages.len(), "killed part-way: {before}");

    let rerun = send(setup.dir.path(), &[]);
    let v = verdicts(&rerun);
    let received = smtp.received();
    for (path, _) in &messages {
        let id = format!("<reminder-{}@", &path[5..7]);
        let copies = received.iter().filter(|r| String::from_utf8_lossy(&r.data).contains(&id)).count();
        let verdict = &v.iter().find(|(p, _, _)| p == path).expect("reported").1;
        assert!(copies <= 1, "{path} arrived {copies} times");
        assert!(copies == 1 || verdict == "unknown", "{path}: neither received nor reported unknown ({verdict})");
    }
    // An unknown outcome is not resent unless asked.
    if v.iter().any(|(_, verdict, _)| verdict == "unknown") {
        assert_eq!(rerun.code, 1);
    }
}

#[test]
fn an_unknown_outcome_is_reported_and_resent_only_when_asked() {
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &message(30, ""))]);
    assert_eq!(send(setup.dir.path(), &[]).code, 0);
    // As a crash between the server's reply and the journal's update would leave it.
    let journal = rusqlite::Connection::open(setup.dir.path().join(".nhsmail-lint/journal.sqlite")).expect("journal");
    journal.execute("UPDATE sends SET state = 'sending'", []).expect("update");
    drop(journal);
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 1, "an unknown outcome is not success");
    let (_, verdict, detail) = &verdicts(&result)[0];
    assert_eq!(verdict, "unknown");
    assert!(detail.contains("--resend-unknown"), "{detail}");
    assert_eq!(smtp.received().len(), 1, "not resent on its own");
    let result = send(setup.dir.path(), &["--resend-unknown"]);
    assert_eq!((result.code, verdicts(&result)[0].1.as_str()), (0, "sent"));
    assert_eq!(smtp.received().len(), 2, "resent when asked");
}

#[test]
fn a_journal_that_fails_half_way_stops_the_run_and_the_report_says_what_went() {
    let smtp = TestSmtp::start(true);
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &message(21, "")), ("out/b.eml", &message(22, ""))]);
    // Once the first message is in, another process takes the journal's database for
    // itself: the send cannot be recorded.
    let journal_path = setup.dir.path().join(".nhsmail-lint/journal.sqlite");
    let held: std::sync::Arc<std::sync::Mutex<Option<rusqlite::Connection>>> = Default::default();
    let holder = held.clone();
    smtp.on_next_delivery(move || {
        let lock = rusqlite::Connection::open(&journal_path).expect("journal");
        lock.execute_batch("BEGIN EXCLUSIVE").expect("lock the journal");
        *holder.lock().expect("lock") = Some(lock);
    });
    let result = send(setup.dir.path(), &[]);
    assert_eq!(result.code, 2, "a failed journal fails the run\n{}{}", result.stdout, result.stderr);
    assert!(result.stderr.contains("sending stopped"), "{}", result.stderr);
    // The report is whole, and says what went and what did not.
    let v = verdicts(&result);
    assert_eq!(v.len(), 2, "every message has a verdict: {v:?}");
    assert_eq!((v[0].0.as_str(), v[0].1.as_str()), ("out/a.eml", "sent"));
    assert!(v[0].2.contains("journal could not record it"), "{}", v[0].2);
    assert_eq!((v[1].0.as_str(), v[1].1.as_str()), ("out/b.eml", "blocked"));
    assert!(v[1].2.contains("not attempted"), "{}", v[1].2);
    assert!(result.json()["notes"].to_string().contains("sending stopped"), "{}", result.stdout);
    assert_eq!(smtp.received().len(), 1);

    // With the journal back, a re-run sends the rest, and the first is not sent again: the
    // journal never heard it went, so its outcome is unknown.
    drop(held.lock().expect("lock").take());
    let v = verdicts(&send(setup.dir.path(), &[]));
    assert_eq!((v[0].1.as_str(), v[1].1.as_str()), ("unknown", "sent"), "{v:?}");
    assert_eq!(smtp.received().len(), 2, "nothing twice");
}

#[test]
fn spacing_follows_the_corpus_rules_own_interval() {
    // A trust's own pack spaces sends to the list by two hours, not the NHSmail 30 minutes.
    let pack = "rules:\n  - id: list-every-two-hours\n    severity: error\n    summary: s\n    message: too soon\n    \
                scope: corpus\n    corpus:\n      group_by: to_cc.address\n      only: ${config.distribution_lists}\n      \
                min_interval: 2h\n";
    let smtp = TestSmtp::start(true);
    let files: &[(&str, &[u8])] = &[("out/a.eml", &to_list(23)), ("two-hours.yaml", pack.as_bytes())];
    let setup = workspace(&smtp, false, "", files);
    let send_with = |pack: bool| {
        let extra: &[&str] = if pack { &["--rules", "two-hours.yaml"] } else { &[] };
        verdicts(&send(setup.dir.path(), extra))
    };
    assert_eq!(send_with(true)[0].1, "sent");
    // The list's send is now 31 minutes old: past the NHSmail pack's interval, not the pack's.
    let journal = rusqlite::Connection::open(setup.dir.path().join(".nhsmail-lint/journal.sqlite")).expect("journal");
    journal.execute("UPDATE sends SET sent_at = sent_at - 1860", []).expect("backdate");
    drop(journal);
    std::fs::write(setup.dir.path().join("out/b.eml"), to_list(24)).expect("write");
    let v = send_with(true);
    assert_eq!(v[1].1, "deferred", "{v:?}");
    assert!(v[1].2.contains("less than 120 min"), "{}", v[1].2);
    assert_eq!(send_with(false)[1].1, "sent", "the NHSmail pack alone lets it go");
}

#[test]
fn a_copy_of_a_sent_message_is_never_sent_again() {
    let smtp = TestSmtp::start(true);
    let sent = message(21, "");
    // The same send as the store filed it again: trace fields added, line endings LF.
    let filed = [b"Return-Path: <pathology.results@nhs.net>\r\nX-UID: 4\r\n".as_slice(), &sent].concat();
    let filed = String::from_utf8(filed).expect("text").replace("\r\n", "\n");
    let setup = workspace(&smtp, false, "", &[("out/Archive/a.eml", filed.as_bytes()), ("out/Sent/a.eml", &sent)]);
    let run = send(setup.dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let v = verdicts(&run);
    assert_eq!((v[0].1.as_str(), v[1].1.as_str()), ("sent", "already-sent"), "{v:?}");
    assert!(v[1].2.contains("as out/Archive/a.eml"), "{v:?}");
    assert_eq!(smtp.received().len(), 1, "one send");
    // Re-exported with CRLF line endings under another name: still sent.
    std::fs::remove_dir_all(setup.dir.path().join("out")).expect("remove");
    std::fs::create_dir(setup.dir.path().join("out")).expect("mkdir");
    std::fs::write(setup.dir.path().join("out/exported.eml"), filed.replace('\n', "\r\n")).expect("write");
    let again = send(setup.dir.path(), &[]);
    assert_eq!(verdicts(&again)[0].1, "already-sent", "{:?}", verdicts(&again));
    assert_eq!(smtp.received().len(), 1);
}

#[test]
fn a_message_an_older_journal_recorded_by_its_bytes_is_still_known_as_sent() {
    use nhsmail_lint::send::journal::{Journal, Planned};
    let smtp = TestSmtp::start(true);
    let sent = message(22, "");
    let setup = workspace(&smtp, false, "", &[("out/a.eml", &sent)]);
    // What an earlier version wrote: the SHA-256 of the file's bytes as the key.
    let sha =
        std::process::Command::new("sha256sum").arg(setup.dir.path().join("out/a.eml")).output().expect("sha256sum");
    let sha = String::from_utf8(sha.stdout).expect("text");
    let digest = sha.split_whitespace().next().expect("digest");
    std::fs::create_dir(setup.dir.path().join(".nhsmail-lint")).expect("mkdir");
    let journal = Journal::open(&setup.dir.path().join(".nhsmail-lint/journal.sqlite")).expect("journal");
    let planned = Planned { digest, path: "out/a.eml", message_id: None, recipients: &[], lists: &[] };
    journal.sending(&planned).expect("sending");
    journal.sent(digest, "250 2.0.0 OK").expect("sent");
    drop(journal);
    let run = send(setup.dir.path(), &[]);
    assert_eq!(verdicts(&run)[0].1, "already-sent", "{:?}", verdicts(&run));
    assert!(smtp.received().is_empty());
}
