//! The probes of the live service against real servers on loopback: mailin-embedded
//! (STARTTLS, AUTH PLAIN/LOGIN) with good, foreign, expired, soon-expiring and
//! wrongly-named certificates; Dovecot's submission service (XOAUTH2), IMAP and POP; a
//! scripted server for what those cannot show (silence, no STARTTLS, a small SIZE, a
//! relay refusing MAIL FROM or RCPT TO); and a closed port. Each gives its own
//! finding at its config line, and none hangs (every run is under `timeout`).

use serde_json::Value;

use crate::common::{Certificates, Leaf, Run, free_port, run_within_env, temp_files};
use crate::dns_server::{Rec, TestDns};
use crate::imap_server::{self, TestImap};
use crate::smtp_script::{Script, ScriptedSmtp};
use crate::smtp_server::{PASSWORD, TestSmtp};

const ACCOUNT: &str = "pathology.results@nhs.net";

/// The probes' rules: the findings these tests are about.
pub const PROBE_RULES: &[&str] = &[
    "smtp-connect",
    "smtp-greeting",
    "smtp-tls",
    "smtp-certificate-expiry",
    "smtp-auth-mechanism",
    "smtp-size",
    "smtp-login",
    "smtp-sender",
    "smtp-recipient",
    "mailbox-connect",
    "mailbox-tls",
    "mailbox-certificate-expiry",
    "mailbox-capabilities",
    "mailbox-login",
];

/// A submission transport to `localhost:port` with a 2 s timeout, the password from
/// TEST_SMTP_PASSWORD, trusting `ca_file`; `extra` adds settings.
fn submission(port: u16, ca_file: &std::path::Path, extra: &str) -> String {
    format!(
        "account: {ACCOUNT}\ntransport:\n  mode: submission\n  host: localhost\n  port: {port}\n  username: {ACCOUNT}\n  \
         password_env: TEST_SMTP_PASSWORD\n  ca_file: {}\n  timeout: 2s\n{extra}",
        ca_file.display()
    )
}

/// A relay transport to `localhost:port`, plain text (the scripted server has no TLS).
fn relay(port: u16) -> String {
    format!(
        "account: {ACCOUNT}\ntransport:\n  mode: relay\n  host: localhost\n  port: {port}\n  tls: none\n  timeout: 2s\n"
    )
}

/// Runs `preflight ARGS` with `config`, under a 30 s `timeout` so that a hang fails.
fn preflight(config: &str, args: &[&str], password: &str) -> Run {
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes())]);
    let mut all = vec!["preflight", "--format", "json"];
    all.extend_from_slice(args);
    let run = run_within_env(dir.path(), &all, &[("TEST_SMTP_PASSWORD", password), crate::common::NAMED_CONFIG], 30);
    assert_ne!(run.code, 124, "the probe hung:\n{}{}", run.stdout, run.stderr);
    assert!(run.code < 2, "{}{}", run.stdout, run.stderr);
    run
}

/// (rule, line, severity, message) of the probes' findings.
fn probe_findings(run: &Run) -> Vec<(String, u64, String, String)> {
    let report: Value = run.json();
    let files = report["files"].as_array().expect("files");
    let diagnostics = files.iter().flat_map(|f| f["diagnostics"].as_array().expect("list").clone());
    diagnostics
        .filter(|d| PROBE_RULES.contains(&d["rule"].as_str().expect("rule")))
        .map(|d| {
            let s = |k: &str| d[k].as_str().expect(k).to_owned();
            (s("rule"), d["line"].as_u64().expect("line"), s("severity"), s("message"))
        })
        .collect()
}

/// The one probe finding of `run`, which must be `rule`'s at `line`.
fn only(run: &Run, rule: &str, line: u64) -> (String, String) {
    let found = probe_findings(run);
    assert_eq!(found.len(), 1, "{found:#?}\n{}", run.stderr);
    let (r, l, severity, message) = found.into_iter().next().expect("one");
    assert_eq!((r.as_str(), l), (rule, line), "{message}");
    (severity, message)
}

#[test]
fn a_good_submission_server_passes_every_step_including_the_login() {
    let smtp = TestSmtp::start(true);
    let config = submission(smtp.port, &smtp.ca_file, "");
    let run = preflight(&config, &["--login"], PASSWORD);
    assert_eq!(probe_findings(&run), [], "{}", run.stdout);
    assert!(smtp.received().is_empty(), "the probe sends nothing");
    assert_eq!(smtp.greetings(), 2, "EHLO before and after STARTTLS, one connection");
}

#[test]
fn a_refused_login_names_the_reply_and_never_the_password() {
    let smtp = TestSmtp::start(true);
    let config = submission(smtp.port, &smtp.ca_file, "");
    let without_login = preflight(&config, &[], "wrong-password-7c1e");
    assert_eq!(probe_findings(&without_login), [], "no --login: the password is not tried");
    let run = preflight(&config, &["--login"], "wrong-password-7c1e");
    assert_eq!(run.code, 1);
    let (severity, message) = only(&run, "smtp-login", 6);
    assert_eq!(severity, "error");
    assert!(
        message.starts_with("the SMTP login failed: localhost refused the login of pathology.results@nhs.net: `535"),
        "{message}"
    );
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains("wrong-password-7c1e"), "{output}");
    }
}

#[test]
fn rcpt_in_submission_logs_in_first_and_sends_nothing() {
    let smtp = TestSmtp::start(true);
    let config = submission(smtp.port, &smtp.ca_file, "");
    let run = preflight(&config, &["--rcpt", "asha.patel@nhs.net"], PASSWORD);
    assert_eq!(probe_findings(&run), []);
    smtp.reply_to_rcpt(&[550]);
    let run = preflight(&config, &["--rcpt", "nobody@nhs.net"], PASSWORD);
    let (_, message) = only(&run, "smtp-recipient", 4);
    assert!(
        message.ends_with("`RCPT TO:<nobody@nhs.net>`: `550 Requested action not taken: mailbox unavailable`"),
        "{message}"
    );
    // Without the password the login fails first, and RCPT is never asked.
    let run = preflight(&config, &["--rcpt", "nobody@nhs.net"], "wrong");
    only(&run, "smtp-login", 6);
    assert!(smtp.received().is_empty());
}

#[test]
fn rcpt_must_be_an_address() {
    let dir = temp_files(&[("nhsmail-lint.yaml", relay(free_port()).as_bytes())]);
    let run = run_within_env(dir.path(), &["preflight", "--rcpt", "not an address"], &[], 30);
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
    assert!(run.stderr.contains("--rcpt `not an address` is not a valid email address"), "{}", run.stderr);
}

#[test]
fn a_closed_port_is_a_connection_finding_naming_the_address() {
    let port = free_port();
    let run = preflight(&relay(port), &[], "");
    let (severity, message) = only(&run, "smtp-connect", 4);
    assert_eq!(severity, "error");
    assert!(message.contains(&format!("127.0.0.1:{port} refused the connection")), "{message}");
}

#[test]
fn a_server_that_never_speaks_could_not_be_checked_and_does_not_hang() {
    let silent = ScriptedSmtp::start(Script { banner: None, ..Script::default() });
    let run = preflight(&relay(silent.port), &[], "");
    let (severity, message) = only(&run, "smtp-greeting", 4);
    assert_eq!(severity, "error", "it blocks --send like the rule it could not check");
    assert_eq!(
        message,
        "could not check smtp-greeting: localhost stopped answering: no reply to the connection within 2s"
    );
}

#[test]
fn a_reply_that_never_ends_could_not_be_checked_and_does_not_hang() {
    // A line every 300 ms: each read is within the 2 s timeout, the reply never whole.
    let pause = std::time::Duration::from_millis(300);
    let endless = ScriptedSmtp::start(Script { endless_ehlo: Some(pause), ..Script::default() });
    let run = preflight(&relay(endless.port), &[], "");
    let (severity, message) = only(&run, "smtp-greeting", 4);
    assert_eq!(severity, "error");
    assert_eq!(message, "could not check smtp-greeting: localhost stopped answering: no reply to EHLO within 2s");
    // A flood of lines is cut short long before it could fill the memory.
    let flood = ScriptedSmtp::start(Script { endless_ehlo: Some(std::time::Duration::ZERO), ..Script::default() });
    let run = preflight(&relay(flood.port), &[], "");
    let (_, message) = only(&run, "smtp-greeting", 4);
    assert!(message.ends_with("localhost sent a reply to EHLO of over 1000 lines"), "{message}");
}

#[test]
fn a_server_that_challenges_the_login_for_ever_is_refused_and_does_not_hang() {
    let dir = tempfile::tempdir().expect("dir");
    let certificates = Certificates::write(dir.path());
    let endless = ScriptedSmtp::start(Script {
        extensions: vec!["AUTH PLAIN LOGIN"],
        endless_auth: true,
        implicit_tls: Some(crate::smtp_script::tls_config(&certificates)),
        ..Script::default()
    });
    let config = submission(endless.port, &certificates.ca, "  tls: implicit\n  auth: login\n");
    let run = preflight(&config, &["--login"], "hunter2-secret");
    let (severity, message) = only(&run, "smtp-login", 6);
    assert_eq!(severity, "error");
    assert_eq!(message, "the SMTP login failed: localhost kept asking (`334`) after every answer of AUTH LOGIN");
    // AUTH LOGIN, the user, the password, one empty line: then the probe gives up.
    let auth: Vec<String> = endless.commands().into_iter().skip_while(|c| c != "AUTH LOGIN").collect();
    assert_eq!(auth.len(), 4, "{auth:?}");
    assert!(!run.stdout.contains("hunter2-secret"));
}

#[test]
fn implicit_tls_handshakes_first_and_a_silent_server_there_could_not_be_checked() {
    let dir = tempfile::tempdir().expect("dir");
    let certificates = Certificates::write(dir.path());
    let tls = Some(crate::smtp_script::tls_config(&certificates));
    let server = ScriptedSmtp::start(Script { implicit_tls: tls, ..Script::default() });
    let implicit = |port: u16| {
        relay(port).replace("  tls: none\n", &format!("  tls: implicit\n  ca_file: {}\n", certificates.ca.display()))
    };
    let run = preflight(&implicit(server.port), &[], "");
    assert_eq!(probe_findings(&run), [], "{}", run.stdout);
    assert!(server.commands().contains(&format!("MAIL FROM:<{ACCOUNT}>")), "spoken over TLS: {:?}", server.commands());
    let silent = ScriptedSmtp::start(Script { banner: None, ..Script::default() });
    let run = preflight(&implicit(silent.port), &[], "");
    let (_, message) = only(&run, "smtp-tls", 6);
    assert_eq!(message, "could not check smtp-tls: no answer from localhost during the TLS handshake within 2s");
}

#[test]
fn a_handshake_that_trickles_could_not_be_checked_and_does_not_hang() {
    let port = crate::smtp_script::trickling_handshake();
    let dir = tempfile::tempdir().expect("dir");
    let ca = Certificates::write(dir.path()).ca;
    let config = relay(port).replace("  tls: none\n", &format!("  tls: implicit\n  ca_file: {}\n", ca.display()));
    let run = preflight(&config, &[], "");
    let (_, message) = only(&run, "smtp-tls", 6);
    assert_eq!(message, "could not check smtp-tls: no answer from localhost during the TLS handshake within 2s");
}

#[test]
fn the_relay_without_starttls_is_a_warning_and_submission_without_it_an_error() {
    let plain = ScriptedSmtp::start(Script::default());
    let config = relay(plain.port).replace("  tls: none\n", "  tls: starttls\n");
    let run = preflight(&config, &[], "");
    let (severity, message) = only(&run, "smtp-tls", 6);
    assert_eq!(severity, "warning", "the relay's TLS is opportunistic, as --send uses it");
    assert!(message.contains("does not offer STARTTLS") && message.ends_with("the relay will be used without TLS"));
    let dir = tempfile::tempdir().expect("dir");
    let config = submission(plain.port, &Certificates::write(dir.path()).ca, "");
    let run = preflight(&config, &["--login"], PASSWORD);
    let (severity, message) = only(&run, "smtp-tls", 3);
    assert_eq!(severity, "error");
    assert!(message.contains("localhost does not offer STARTTLS"), "{message}");
    assert!(!plain.commands().iter().any(|c| c == "STARTTLS" || c.starts_with("AUTH")), "{:?}", plain.commands());
}

#[test]
fn a_size_below_35_mb_holds_back_only_the_messages_over_it() {
    // A relay on loopback with STARTTLS, advertising SIZE 32 MiB (a common default of test
    // servers): a warning of the set-up, which stops no send. --send sends the message
    // that fits and holds back, saying why, the one over the SIZE (under NHSmail's 35 MiB).
    const SIZE: usize = 32 * 1024 * 1024;
    let dir = tempfile::tempdir().expect("dir");
    let certificates = Certificates::write(dir.path());
    let server = ScriptedSmtp::start(Script {
        extensions: vec!["SIZE 33554432"],
        starttls: Some(crate::smtp_script::tls_config(&certificates)),
        ..Script::default()
    });
    let dns = TestDns::start(&[Rec::Mx("example.nhs.uk", "mx.example.nhs.uk")]);
    let config = format!(
        "{}  ca_file: {}\ndns:\n  nameservers: [\"{}\"]\n  timeout: 1s\n",
        relay(server.port).replace("  tls: none\n", "  tls: starttls\n"),
        certificates.ca.display(),
        dns.addr
    );
    let fits = crate::send::message(1, "");
    let mut over = String::from_utf8(crate::send::message(2, "")).expect("text");
    let line = format!("{}\r\n", "Q".repeat(76));
    while over.len() <= SIZE + 1024 * 1024 {
        over.push_str(&line);
    }
    let files = [("nhsmail-lint.yaml", config.as_bytes()), ("out/a.eml", &fits), ("out/b.eml", over.as_bytes())];
    let work = temp_files(&files);
    let run = run_within_env(work.path(), &["check", "--send", "--format", "json", "out"], &[], 120);
    assert_eq!(run.code, 1, "one message was not sent: {}", run.stderr);
    let report = run.json();
    let setup: Vec<(&str, &str, &str)> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["path"] == "nhsmail-lint.yaml")
        .flat_map(|f| f["diagnostics"].as_array().expect("list"))
        .map(|d| {
            let s = |k: &str| d[k].as_str().expect(k);
            (s("rule"), s("severity"), s("message"))
        })
        .collect();
    // Two warnings, and no error: the loopback port is not the relay's 25 (relay-port).
    let rules: Vec<(&str, &str)> = setup.iter().map(|(rule, severity, _)| (*rule, *severity)).collect();
    assert_eq!(rules, [("smtp-size", "warning"), ("relay-port", "warning")], "{setup:?}");
    assert!(setup[0].2.starts_with("the server takes messages of at most 33554432 bytes"), "{}", setup[0].2);
    let verdicts: Vec<(&str, &str)> = report["send"]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| (m["verdict"].as_str().expect("verdict"), m["detail"].as_str().expect("detail")))
        .collect();
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    assert_eq!(verdicts[0].0, "sent", "the small message is not held back by the SIZE: {verdicts:?}");
    assert_eq!(verdicts[1].0, "blocked", "{verdicts:?}");
    let detail = verdicts[1].1;
    let size: usize =
        detail.strip_prefix("the message is ").and_then(|d| d.split(' ').next()?.parse().ok()).expect(detail);
    assert!(
        size > SIZE && detail.ends_with(" bytes, over the 33554432 bytes the SMTP server takes (SIZE)"),
        "{detail}"
    );
    let commands = server.commands();
    assert!(commands.iter().any(|c| c == "STARTTLS"), "over TLS: {commands:?}");
    assert_eq!(commands.iter().filter(|c| *c == "DATA").count(), 1, "only the one that fits went");
}

#[test]
fn certificates_from_another_ca_expired_or_for_another_name_are_told_apart() {
    let other = tempfile::tempdir().expect("dir");
    let another_ca = Certificates::write_leaf(other.path(), &Leaf { ca: "another test CA", ..Leaf::default() }).ca;
    let smtp = TestSmtp::start(true);
    let run = preflight(&submission(smtp.port, &another_ca, ""), &[], PASSWORD);
    let (_, message) = only(&run, "smtp-tls", 3);
    assert!(message.contains("the certificate of localhost is not from a trusted CA (unknown issuer)"), "{message}");

    let expired = Leaf { valid: Some(((2024, 1, 31), (2023, 1, 1))), ..Leaf::default() };
    let smtp = TestSmtp::with_certificate(true, &expired);
    let run = preflight(&submission(smtp.port, &smtp.ca_file, ""), &[], PASSWORD);
    let (_, message) = only(&run, "smtp-tls", 3);
    assert!(message.contains("the certificate of localhost expired on 2024-01-31"), "{message}");

    let elsewhere = Leaf { names: &["mail.example.org"], ..Leaf::default() };
    let smtp = TestSmtp::with_certificate(true, &elsewhere);
    let run = preflight(&submission(smtp.port, &smtp.ca_file, ""), &[], PASSWORD);
    let (_, message) = only(&run, "smtp-tls", 3);
    assert!(
        message.contains("the certificate is not for localhost (wrong name): it names mail.example.org"),
        "{message}"
    );
}

/// `days` from now, as (year, month, day) in UTC, and as `2026-12-05`.
fn in_days(days: i64) -> ((i32, u8, u8), String) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let t = mail_parser::DateTime::from_timestamp(now + days * 86_400);
    ((i32::from(t.year), t.month, t.day), format!("{:04}-{:02}-{:02}", t.year, t.month, t.day))
}

#[test]
fn a_certificate_ending_within_14_days_is_a_warning_with_its_date() {
    let (soon, date) = in_days(5);
    let smtp = TestSmtp::with_certificate(true, &Leaf { valid: Some((soon, in_days(-30).0)), ..Leaf::default() });
    let run = preflight(&submission(smtp.port, &smtp.ca_file, ""), &["--login"], PASSWORD);
    let (severity, message) = only(&run, "smtp-certificate-expiry", 4);
    assert_eq!(severity, "warning");
    assert!(message.starts_with(&format!("the certificate of localhost expires on {date} (in ")), "{message}");
    // Three weeks away is no finding.
    let (later, _) = in_days(21);
    let smtp = TestSmtp::with_certificate(true, &Leaf { valid: Some((later, in_days(-30).0)), ..Leaf::default() });
    let run = preflight(&submission(smtp.port, &smtp.ca_file, ""), &["--login"], PASSWORD);
    assert_eq!(probe_findings(&run), []);
}

#[test]
fn the_configured_auth_mechanism_must_be_offered_after_tls() {
    let smtp = TestSmtp::start(true);
    let dir = tempfile::tempdir().expect("dir");
    let token = dir.path().join("token");
    std::fs::write(&token, "a token").expect("token");
    let config = submission(smtp.port, &smtp.ca_file, "  auth: xoauth2\n")
        .replace("  password_env: TEST_SMTP_PASSWORD\n", &format!("  token_command: cat {}\n", token.display()));
    let run = preflight(&config, &["--login"], "");
    let (_, message) = only(&run, "smtp-auth-mechanism", 10);
    assert!(
        message.ends_with("localhost offers AUTH PLAIN LOGIN after TLS, not XOAUTH2 (`transport.auth`)"),
        "{message}"
    );
}

#[test]
fn xoauth2_against_dovecot_submission_logs_in_and_a_forged_token_is_refused() {
    let smtp = TestSmtp::start(false);
    let key = b"signing key for probe tokens";
    let Some(dovecot) = TestImap::with_submission(key, smtp.port) else { return };
    let dir = tempfile::tempdir().expect("dir");
    let token_file = dir.path().join("token");
    let config = submission(dovecot.submission_port.expect("submission"), &dovecot.ca_file, "  auth: xoauth2\n")
        .replace("  password_env: TEST_SMTP_PASSWORD\n", &format!("  token_command: cat {}\n", token_file.display()));
    std::fs::write(&token_file, imap_server::token(ACCOUNT, key)).expect("token");
    let run = preflight(&config, &["--login"], "");
    assert_eq!(probe_findings(&run), [], "{}", run.stdout);
    let forged = imap_server::token(ACCOUNT, b"not the signing key");
    std::fs::write(&token_file, &forged).expect("token");
    let run = preflight(&config, &["--login"], "");
    let (_, message) = only(&run, "smtp-login", 6);
    assert!(message.contains("refused the login of pathology.results@nhs.net: `535"), "{message}");
    assert!(!run.stdout.contains(&forged) && !run.stderr.contains(&forged));
    assert!(smtp.received().is_empty());
}

#[test]
fn a_size_limit_below_35_mb_is_reported_and_35_mb_passes() {
    let small = ScriptedSmtp::start(Script { extensions: vec!["SIZE 10485760"], ..Script::default() });
    let run = preflight(&relay(small.port), &[], "");
    let (severity, message) = only(&run, "smtp-size", 4);
    assert_eq!(severity, "warning", "it concerns only the messages over the SIZE");
    assert!(
        message.starts_with("the server takes messages of at most 10485760 bytes (10.0 MB, its SIZE)"),
        "{message}"
    );
    let enough = ScriptedSmtp::start(Script { extensions: vec!["SIZE 36700160"], ..Script::default() });
    assert_eq!(probe_findings(&preflight(&relay(enough.port), &[], "")), []);
}

#[test]
fn the_relay_is_asked_mail_from_and_a_5xx_is_reported_with_its_reply() {
    let refusing = ScriptedSmtp::start(Script {
        mail_reply: "550 5.7.1 Client host rejected: not registered",
        ..Script::default()
    });
    let run = preflight(&relay(refusing.port), &[], "");
    let (_, message) = only(&run, "smtp-sender", 1);
    assert_eq!(
        message,
        "the SMTP server refuses the sender: localhost refused `MAIL FROM:<pathology.results@nhs.net>`: `550 5.7.1 \
         Client host rejected: not registered`"
    );
    let accepting = ScriptedSmtp::start(Script::default());
    assert_eq!(probe_findings(&preflight(&relay(accepting.port), &[], "")), []);
    let commands = accepting.commands();
    assert!(
        commands.contains(&format!("MAIL FROM:<{ACCOUNT}>")) && commands.contains(&"RSET".to_owned()),
        "{commands:?}"
    );
    assert!(!commands.iter().any(|c| c.starts_with("RCPT") || c == "DATA"), "nothing is sent: {commands:?}");
}

#[test]
fn the_relay_is_probed_from_source_ip_as_it_is_sent_to() {
    let relay_server = ScriptedSmtp::start(Script::default());
    let config = relay(relay_server.port).replace("  tls: none\n", "  tls: none\n  source_ip: 127.0.0.2\n")
        + "rules:\n  disable: [relay-dns-registration]\n";
    let run = preflight(&config, &[], "");
    assert_eq!(probe_findings(&run), [], "{}", run.stdout);
    assert_eq!(relay_server.peers(), ["127.0.0.2".parse::<std::net::IpAddr>().expect("ip")]);
}

#[test]
fn rcpt_asks_whether_a_recipient_is_taken_then_resets() {
    let refusing = ScriptedSmtp::start(Script { rcpt_reply: "550 5.1.1 User unknown", ..Script::default() });
    let run = preflight(&relay(refusing.port), &["--rcpt", "nobody@example.nhs.uk"], "");
    let (_, message) = only(&run, "smtp-recipient", 4);
    assert!(message.ends_with("refused `RCPT TO:<nobody@example.nhs.uk>`: `550 5.1.1 User unknown`"), "{message}");
    let accepting = ScriptedSmtp::start(Script::default());
    let run = preflight(&relay(accepting.port), &["--rcpt", "asha.patel@nhs.net"], "");
    assert_eq!(probe_findings(&run), []);
    let commands = accepting.commands();
    let tail: Vec<&str> = commands.iter().skip(1).map(String::as_str).collect();
    assert_eq!(tail, [&format!("MAIL FROM:<{ACCOUNT}>"), "RCPT TO:<asha.patel@nhs.net>", "RSET", "QUIT"]);
    // With no account there is no MAIL FROM to give: the question is said to be unasked,
    // never passed.
    let anonymous = relay(accepting.port).replace(&format!("account: {ACCOUNT}\n"), "");
    let run = preflight(&anonymous, &["--rcpt", "asha.patel@nhs.net"], "");
    let (severity, message) = only(&run, "smtp-recipient", 3);
    assert_eq!(severity, "error");
    assert!(message.ends_with("there is no `account` to give as MAIL FROM, so RCPT TO cannot be asked: set `account`"));
}

/// A mailbox block for `protocol` on `port` of Dovecot, trusting `ca_file`.
fn mailbox(protocol: &str, port: u16, ca_file: &std::path::Path) -> String {
    format!(
        "account: {ACCOUNT}\nmailbox:\n  host: localhost\n  port: {port}\n  protocol: {protocol}\n  username: {}\n  \
         password_env: TEST_SMTP_PASSWORD\n  ca_file: {}\n  timeout: 12s\n",
        imap_server::USER,
        ca_file.display()
    )
}

#[test]
fn the_mailbox_probe_logs_in_over_imap_and_pop_and_names_what_fails() {
    let Some(dovecot) = TestImap::start(true) else { return };
    let protocols = [("imap", dovecot.port), ("pop", dovecot.pop_port)];
    let other = tempfile::tempdir().expect("dir");
    let another_ca = Certificates::write_leaf(other.path(), &Leaf { ca: "another test CA", ..Leaf::default() }).ca;
    for (protocol, port) in protocols {
        let run = preflight(&mailbox(protocol, port, &dovecot.ca_file), &[], imap_server::PASSWORD);
        assert_eq!(probe_findings(&run), [], "{protocol}: {}", run.stdout);
        let run = preflight(&mailbox(protocol, port, &another_ca), &[], imap_server::PASSWORD);
        let (_, message) = only(&run, "mailbox-tls", 3);
        assert!(message.contains("is not from a trusted CA"), "{protocol}: {message}");
    }
    let run = preflight(&mailbox("imap", free_port(), &dovecot.ca_file), &[], imap_server::PASSWORD);
    let (_, message) = only(&run, "mailbox-connect", 3);
    assert!(message.contains("refused the connection"), "{message}");
    // Last: after a refused login Dovecot answers the next ones from this address late
    // (its auth penalty), which the 12 s timeout allows for.
    for (protocol, port) in protocols {
        let run = preflight(&mailbox(protocol, port, &dovecot.ca_file), &[], "not the imap password");
        let (severity, message) = only(&run, "mailbox-login", 6);
        assert_eq!(severity, "error");
        assert!(
            message.starts_with("the mailbox login failed: localhost refused the login of"),
            "{protocol}: {message}"
        );
        assert!(!run.stdout.contains("not the imap password"));
    }
}

/// An IMAP server on implicit TLS that greets, answers CAPABILITY with `capabilities`
/// and says goodbye: for what Dovecot will not show (a server refusing password logins,
/// a certificate about to end).
fn scripted_imap(certificates: &Certificates, capabilities: &'static str) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let config = crate::smtp_script::tls_config(certificates);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let connection = rustls::ServerConnection::new(config.clone()).expect("tls");
            let mut stream = BufReader::new(rustls::StreamOwned::new(connection, tcp));
            let say = |stream: &mut BufReader<_>, text: String| {
                let writer: &mut rustls::StreamOwned<_, _> = stream.get_mut();
                writer.write_all(text.as_bytes()).and_then(|()| writer.flush()).is_ok()
            };
            if !say(&mut stream, "* OK IMAP ready\r\n".into()) {
                continue;
            }
            let mut line = String::new();
            while stream.read_line(&mut line).is_ok_and(|n| n > 0) {
                let tag = line.split(' ').next().unwrap_or("*").to_owned();
                let reply = match line.to_ascii_uppercase().contains("CAPABILITY") {
                    true => format!("* CAPABILITY {capabilities}\r\n{tag} OK done\r\n"),
                    false => format!("* BYE\r\n{tag} OK bye\r\n"),
                };
                line.clear();
                if !say(&mut stream, reply) {
                    break;
                }
            }
        }
    });
    port
}

#[test]
fn a_mailbox_that_takes_no_password_and_a_certificate_near_its_end_are_both_said() {
    let dir = tempfile::tempdir().expect("dir");
    let (soon, date) = in_days(3);
    let certificates =
        Certificates::write_leaf(dir.path(), &Leaf { valid: Some((soon, in_days(-30).0)), ..Leaf::default() });
    let port = scripted_imap(&certificates, "IMAP4rev1 AUTH=XOAUTH2 LOGINDISABLED");
    let run = preflight(&mailbox("imap", port, &certificates.ca), &[], "a password");
    let found = probe_findings(&run);
    let rules: Vec<(&str, &str)> = found.iter().map(|(r, _, s, _)| (r.as_str(), s.as_str())).collect();
    assert_eq!(rules, [("mailbox-capabilities", "error"), ("mailbox-certificate-expiry", "warning")], "{found:#?}");
    assert!(found[1].3.starts_with(&format!("the certificate of localhost expires on {date} (in ")), "{}", found[1].3);
    assert!(
        found[0]
            .3
            .ends_with("localhost says LOGINDISABLED: it takes no password login (IMAP LOGIN); use `auth: xoauth2`"),
        "{}",
        found[0].3
    );
}

/// The status cell of requirement `id` in a Markdown report's compliance matrix.
fn matrix_status(markdown: &str, id: &str) -> String {
    let row =
        markdown.lines().find(|l| l.starts_with(&format!("| {id} |"))).unwrap_or_else(|| panic!("{id}: {markdown}"));
    row.rsplit('|').nth(1).expect("status").trim().to_owned()
}

#[test]
fn a_step_the_probe_did_not_make_is_never_compliant_in_the_matrix() {
    let smtp = TestSmtp::start(true);
    let config = submission(smtp.port, &smtp.ca_file, "");
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes())]);
    let report = |args: &[&str], password: &str| {
        let mut all = vec!["preflight", "--format", "markdown"];
        all.extend_from_slice(args);
        let run =
            run_within_env(dir.path(), &all, &[("TEST_SMTP_PASSWORD", password), crate::common::NAMED_CONFIG], 30);
        assert!(run.code < 2, "{}{}", run.stdout, run.stderr);
        run.stdout
    };
    // No --rcpt: RCPT TO was not asked, so L3 (refused recipients found first) is not
    // checked, although no rule said anything about it.
    let plain = report(&[], PASSWORD);
    let l3 = matrix_status(&plain, "L3");
    assert!(l3.starts_with("not checked in this run") && l3.contains("smtp-recipient"), "{l3}");
    // Asked and accepted: compliant.
    let asked = report(&["--rcpt", "asha.patel@nhs.net"], PASSWORD);
    assert!(matrix_status(&asked, "L3").starts_with("compliant"), "{}", matrix_status(&asked, "L3"));
    // A failed login stops the probe before RCPT: not checked again, never compliant.
    let refused = report(&["--rcpt", "asha.patel@nhs.net"], "wrong");
    assert!(matrix_status(&refused, "L3").starts_with("not checked in this run"), "{refused}");
    assert!(matrix_status(&refused, "C2").starts_with("failing"), "the login's own requirement fails");
}

#[test]
fn the_login_is_never_tried_over_an_unencrypted_connection() {
    let server = ScriptedSmtp::start(Script { extensions: vec!["AUTH PLAIN LOGIN"], ..Script::default() });
    let dir = tempfile::tempdir().expect("dir");
    let config = submission(server.port, &Certificates::write(dir.path()).ca, "  tls: none\n");
    let run = preflight(&config, &["--login"], "hunter2-secret");
    let found = probe_findings(&run);
    let login = found.iter().find(|f| f.0 == "smtp-login").expect("the login's finding");
    assert!(login.3.contains("would send the password in clear"), "{}", login.3);
    assert!(!server.commands().iter().any(|c| c.starts_with("AUTH")), "{:?}", server.commands());
}

#[test]
fn the_older_auth_equals_advertisement_counts_as_offered() {
    let dir = tempfile::tempdir().expect("dir");
    let certificates = Certificates::write(dir.path());
    let tls = Some(crate::smtp_script::tls_config(&certificates));
    let config = |port: u16| submission(port, &certificates.ca, "  tls: implicit\n");
    let old_style = ScriptedSmtp::start(Script {
        extensions: vec!["AUTH=LOGIN PLAIN"],
        implicit_tls: tls.clone(),
        ..Script::default()
    });
    assert_eq!(probe_findings(&preflight(&config(old_style.port), &[], PASSWORD)), []);
    let other = ScriptedSmtp::start(Script { extensions: vec!["AUTH=LOGIN"], implicit_tls: tls, ..Script::default() });
    let (_, message) = only(&preflight(&config(other.port), &[], PASSWORD), "smtp-auth-mechanism", 3);
    assert!(message.contains("offers AUTH LOGIN after TLS, not PLAIN"), "{message}");
}
