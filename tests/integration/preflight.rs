//! `preflight` and the config rules: each transport rule against a config that breaks
//! it, reported at the offending line of the config file; relay DNS registration and
//! reply-domain routing against real DNS servers on loopback.

use hickory_server::proto::rr::RecordType;
use serde_json::Value;

use crate::common::{Run, run_in, run_with_env, temp_files};
use crate::dns_server::{Rec, Silent, TestDns};

const GOOD: &[u8] = b"From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nTo: a@nhs.net\r\n\
Reply-To: pathology.enquiries@nhs.net\r\nSubject: Results\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
Message-ID: <a@nhs.net>\r\n\r\nResults are ready.\r\n";

const SUBMISSION: &str = "account: pathology.results@nhs.net\ntransport:\n  mode: submission\n  host: send.nhs.net\n  \
                          port: 587\n  tls: starttls\n  username: pathology.results@nhs.net\n  auth: xoauth2\n  \
                          token_command: get-nhsmail-token\n";

/// Runs `args` in a directory holding `config` as nhsmail-lint.yaml (and a good message).
fn with_config(config: &str, args: &[&str]) -> Run {
    let config = without_probes(config);
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes()), ("good.eml", GOOD)]);
    run_with_env(dir.path(), args, &[crate::common::NAMED_CONFIG])
}

/// `config` with the probes of the live servers disabled. These tests are about the
/// offline rules, DNS and attestations; the hosts they name (send.nhs.net, relay.nhs.uk)
/// cannot be reached from a test (tests/integration/probe.rs tests the probes against
/// real servers).
pub fn without_probes(config: &str) -> String {
    let probes = crate::probe::PROBE_RULES.join(", ");
    match (config.split_once("  disable: ["), config.split_once("\nrules:\n")) {
        (Some((before, after)), _) => format!("{before}  disable: [{probes}, {after}"),
        (None, Some((before, after))) => format!("{before}\nrules:\n  disable: [{probes}]\n{after}"),
        (None, None) => format!("{config}rules:\n  disable: [{probes}]\n"),
    }
}

/// (rule, line, message) of the config file's diagnostics in a JSON report.
fn config_findings(report: &Value) -> Vec<(String, u64, String)> {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["path"] == "nhsmail-lint.yaml")
        .flat_map(|f| f["diagnostics"].as_array().expect("list").clone())
        .filter(|d| crate::common::not_attestation(&d))
        .map(|d| {
            (
                d["rule"].as_str().expect("rule").to_owned(),
                d["line"].as_u64().expect("line"),
                d["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect()
}

fn findings_at(config: &str) -> Vec<(String, u64, String)> {
    let result = with_config(config, &["preflight", "--format", "json"]);
    assert!(result.code < 2, "{}", result.stderr);
    config_findings(&result.json())
}

fn rules_at(config: &str) -> Vec<(String, u64)> {
    findings_at(config).into_iter().map(|(rule, line, _)| (rule, line)).collect()
}

#[test]
fn a_correct_submission_set_up_passes() {
    let attested = format!("{SUBMISSION}{ATTESTED}");
    let result = with_config(&attested, &["preflight"]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert!(
        result.stdout.contains("Checked the sending set-up in nhsmail-lint.yaml: no problems found."),
        "{}",
        result.stdout
    );
    let result = with_config(&attested, &["preflight", "good.eml"]);
    assert_eq!(result.code, 0, "{}", result.stdout);
}

/// Attestations of every `attest` requirement that applies to a submission set-up.
const ATTESTED: &str = "attestations:\n  C10: reads replies over IMAP 993 with TLS, CHG0001\n  \
                        C11: \"not used: no POP client\"\n  C12: no LDAP client\n  C14: host on HSCN, CMDB ref 42\n  \
                        A1: \"application account created, ticket INC0123456, 2026-10-02\"\n  \
                        A4: quota dashboard checked weekly\n";

#[test]
fn preflight_lists_the_open_attestations_as_info_findings() {
    let attested = format!("{SUBMISSION}{ATTESTED}");
    let one_open = attested.replace("  A1: \"application account created, ticket INC0123456, 2026-10-02\"\n", "");
    let report = with_config(&one_open, &["preflight", "--format", "json"]);
    assert_eq!(report.code, 0, "info findings do not fail the run: {}", report.stderr);
    let report = report.json();
    let open: Vec<&Value> = report["files"][0]["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["rule"] == "attestation-open")
        .collect();
    assert_eq!(open.len(), 1, "only A1 is open: {open:?}");
    assert_eq!((&open[0]["severity"], &open[0]["requirement"]), (&"info".into(), &serde_json::json!(["A1"])));
    assert_eq!(open[0]["line"], 10, "at `attestations:`");
    assert!(open[0]["message"].as_str().expect("text").contains("separate, application, email account"));
    // With no attestations at all, each open one applying to submission is listed (the
    // relay's DNS registration, firewall and anonymity are not: this is no relay).
    let all = with_config(SUBMISSION, &["preflight", "--format", "json"]).json();
    let mut ids: Vec<String> = all["files"][0]["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["rule"] == "attestation-open")
        .map(|d| d["requirement"][0].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["A1", "A4", "C10", "C11", "C12", "C14"]);
    // `check` is about messages: it runs the offline set-up rules, not the attestations.
    let check = with_config(SUBMISSION, &["check", "--format", "json", "good.eml"]);
    assert!(!check.stdout.contains("attestation-open"), "{}", check.stdout);
}

#[test]
fn an_attestation_must_name_an_attest_requirement() {
    for (entry, said) in [
        ("  Z9: done\n", "no requirement has the id `Z9`"),
        ("  M4: checked by hand\n", "requirement `M4` is checked by rules, not attested"),
        ("  A1: \"\"\n", "the attestation for `A1` is empty"),
    ] {
        let config = format!("{SUBMISSION}attestations:\n{entry}");
        let result = with_config(&config, &["preflight"]);
        assert_eq!(result.code, 2, "{entry}: {}", result.stdout);
        assert!(result.stderr.contains(said), "{entry}: {}", result.stderr);
        assert!(result.stderr.contains("nhsmail-lint.yaml:11:"), "points at the line: {}", result.stderr);
    }
}

#[test]
fn each_submission_rule_points_at_its_line() {
    let implicit = SUBMISSION.replace("port: 587", "port: 465").replace("tls: starttls", "tls: implicit");
    assert_eq!(
        rules_at(&implicit),
        [("smtp-port".into(), 5), ("smtp-tls-mode".into(), 5), ("smtp-tls-mode".into(), 6)],
        "port 465 and implicit TLS"
    );
    let plain = SUBMISSION.replace("tls: starttls", "tls: none");
    assert_eq!(rules_at(&plain), [("smtp-tls-mode".into(), 6)]);
    let other_port = SUBMISSION.replace("port: 587", "port: 2525");
    assert_eq!(rules_at(&other_port), [("smtp-port".into(), 5)]);
    let short_user = SUBMISSION.replace("username: pathology.results@nhs.net", "username: pathology.results");
    let found = findings_at(&short_user);
    assert_eq!(found.len(), 1, "one mistake, one finding: {found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("smtp-username", 7));
    assert!(found[0].2.contains("not a full email address"), "{found:?}");
    let other_user = SUBMISSION.replace("username: pathology.results@nhs.net", "username: other@nhs.net");
    let found = findings_at(&other_user);
    assert_eq!(found.len(), 1, "one mistake, one finding: {found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("username-not-account", 7));
    assert_eq!(
        found[0].2,
        "the SMTP username other@nhs.net is not the sending account pathology.results@nhs.net: Exchange refuses \
         to send as another address (550 5.7.60)"
    );
    let case = SUBMISSION.replace("username: pathology.results@nhs.net", "username: Pathology.Results@NHS.net");
    assert_eq!(rules_at(&case), [], "addresses compare case-insensitively");
    let old_host = SUBMISSION.replace("host: send.nhs.net", "host: smtp.nhs.net");
    assert_eq!(rules_at(&old_host), [("deprecated-host".into(), 4)]);
}

#[test]
fn inline_secrets_are_reported_and_never_printed() {
    let secret = "Summer2026!xyz";
    let config = SUBMISSION.replace("token_command: get-nhsmail-token", &format!("password: {secret}"));
    for format in ["human", "json"] {
        let result = with_config(&config, &["preflight", "--format", format, "good.eml"]);
        assert_eq!(result.code, 1);
        assert!(
            !result.stdout.contains(secret) && !result.stderr.contains(secret),
            "{}{}",
            result.stdout,
            result.stderr
        );
        assert!(result.stdout.contains("smtp-inline-secret"));
    }
    // A config with a syntax error near the secret shows the line, masked.
    let broken = format!("{}  port: [\n", config);
    let result = with_config(&broken, &["preflight"]);
    assert_eq!(result.code, 2);
    assert!(!result.stderr.contains(secret), "{}", result.stderr);
    let token = "transport: {mode: submission, host: send.nhs.net, auth: xoauth2, token: eyJhbGciOi.abc}\n";
    let result = with_config(token, &["check", "--format", "json", "good.eml"]);
    assert!(!result.stdout.contains("eyJhbGciOi"), "{}", result.stdout);
    assert!(result.stdout.contains("smtp-inline-secret"));
    // The reports' provenance names the config by the SHA-256 of its text with the secret
    // masked: a hash of the file itself would let anyone holding the rest of the file
    // test guesses of the password offline.
    let sha = |secret: &str| {
        let config = SUBMISSION.replace("token_command: get-nhsmail-token", &format!("password: {secret}"));
        let report = with_config(&config, &["check", "--format", "json", "good.eml"]).json();
        report["run"]["config"]["sha256"].as_str().expect("the config's hash").to_owned()
    };
    assert_eq!(sha("Summer2026!xyz"), sha("Winter2026!abc"), "the hash does not depend on the secret");
    let other = with_config(SUBMISSION, &["check", "--format", "json", "good.eml"]).json();
    assert_ne!(other["run"]["config"]["sha256"].as_str(), Some(sha("Summer2026!xyz").as_str()));
}

#[test]
fn check_runs_the_offline_config_rules_too() {
    let old_host = SUBMISSION.replace("host: send.nhs.net", "host: smtp.nhs.net");
    let result = with_config(&old_host, &["check", "--format", "json", "good.eml"]);
    let report = result.json();
    assert_eq!(config_findings(&report).len(), 1);
    let paths: Vec<&str> =
        report["files"].as_array().expect("files").iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, ["nhsmail-lint.yaml", "good.eml"], "config diagnostics belong to the config file");
    let human = with_config(&old_host, &["check", "good.eml"]).stdout;
    assert!(human.contains("nhsmail-lint.yaml:4:9"), "{human}");
    assert!(human.contains("smtp.nhs.net is being retired"), "{human}");
    // A run whose only findings are the set-up's lists them in the Markdown summary too.
    let markdown = with_config(&old_host, &["check", "--format", "markdown", "good.eml"]).stdout;
    assert!(markdown.contains("### First findings"), "{markdown}");
    assert!(markdown.contains("- nhsmail-lint.yaml:4 "), "{markdown}");
}

#[test]
fn preflight_needs_a_set_up() {
    let result = with_config("account: pathology.results@nhs.net\n", &["preflight"]);
    assert_eq!(result.code, 2);
    assert!(result.stderr.contains("preflight needs a sending set-up"), "{}", result.stderr);
}

#[test]
fn set_up_config_errors_point_at_the_line() {
    for (config, needle) in [
        ("transport:\n  mode: carrier-pigeon\n  host: h\n", "carrier-pigeon"),
        ("transport:\n  mode: relay\n  host: relay.nhs.uk\n  source_ip: 10.1.2\n", "nhsmail-lint.yaml:4:14"),
        ("transport:\n  mode: submission\n  host: h\n  password_env: A\n  password_file: /p\n", "give one of"),
        ("transport:\n  mode: submission\n  host: h\n  colour: blue\n", "colour"),
        ("transport:\n  mode: relay\n  host: h\ndns:\n  nameservers: [dns.example]\n", "not an IP address"),
        ("mailbox:\n  host: h\n  username: a@nhs.net\n  quota_warning_percent: 120\n", "nhsmail-lint.yaml:4:26"),
        ("mailbox:\n  host: h\n  username: a@nhs.net\n  password: hunter2\n", "unknown field `password`"),
        ("mailbox:\n  host: h\n  username: a@nhs.net\n  quota: premium\n", "nhsmail-lint.yaml:4:10"),
        ("mailbox:\n  host: h\n  username: a@nhs.net\n  quota: 0GB\n", "a quota of nothing"),
        ("directory:\n  host: h\n  base_dn: o=nhs\n  concurrency: 0\n", "nhsmail-lint.yaml:4:16"),
        ("directory:\n  host: h\n", "missing field `base_dn`"),
    ] {
        let result = with_config(config, &["check", "good.eml"]);
        assert_eq!(result.code, 2, "{config}");
        assert!(result.stderr.contains(needle), "{config}: lacks `{needle}`:\n{}", result.stderr);
        assert!(!result.stderr.contains("hunter2"), "a secret is masked:\n{}", result.stderr);
    }
}

#[test]
fn submission_needs_a_secret_source() {
    let none = SUBMISSION.replace("  token_command: get-nhsmail-token\n", "").replace("  auth: xoauth2\n", "");
    let found = rules_at(&none);
    assert!(found.contains(&("smtp-secret-missing".into(), 3)), "at the mode line: {found:?}");
    for source in ["password_env: NHSMAIL_PASSWORD", "password_file: /run/secrets/nhsmail"] {
        let given = none.replace("  username:", &format!("  {source}\n  username:"));
        assert!(!rules_at(&given).iter().any(|(rule, _)| rule == "smtp-secret-missing"), "{source}");
    }
    // An inline password is a secret in the wrong place: smtp-inline-secret's finding alone.
    let inline = none.replace("  username:", "  password: hunter2\n  username:");
    let found = rules_at(&inline);
    assert!(found.iter().any(|(rule, _)| rule == "smtp-inline-secret"), "{found:?}");
    assert!(!found.iter().any(|(rule, _)| rule == "smtp-secret-missing"), "{found:?}");
}

#[test]
fn basic_authentication_is_a_warning_naming_the_notice() {
    let basic = SUBMISSION
        .replace("auth: xoauth2", "auth: login")
        .replace("token_command: get-nhsmail-token", "password_env: P");
    let found = findings_at(&basic);
    assert_eq!(found.len(), 1, "{found:?}");
    let (rule, line, message) = &found[0];
    assert_eq!((rule.as_str(), *line), ("smtp-basic-auth", 8));
    assert!(
        message.contains("MC786329") && message.contains("December 2026") && message.contains("5.7.30"),
        "{message}"
    );
    // Left out, auth is plain: reported at the mode line.
    let default = basic.replace("  auth: login\n", "");
    assert_eq!(rules_at(&default), [("smtp-basic-auth".into(), 3)]);
    let result = with_config(&default, &["preflight"]);
    assert_eq!(result.code, 0, "a warning: {}", result.stdout);
    // xoauth2 passes (SUBMISSION), and the relay has no authentication to judge.
    assert_eq!(rules_at(SUBMISSION), []);
}

#[test]
fn the_relay_is_anonymous() {
    let relay = "account: pathology.results@nhs.net\ntransport:\n  mode: relay\n  host: relay.nhs.uk\n  \
                 username: pathology.results@nhs.net\n  auth: login\n  password_env: NHSMAIL_PASSWORD\n\
                 rules:\n  disable: [relay-dns-registration]\n";
    let found = findings_at(relay);
    let at: Vec<(&str, u64)> = found.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
    assert_eq!(at, [("relay-credentials", 5), ("relay-credentials", 6), ("relay-credentials", 7)]);
    assert!(found[0].2.starts_with("`username` has no place in relay mode"), "{found:?}");
    let anonymous = "account: pathology.results@nhs.net\ntransport:\n  mode: relay\n  host: relay.nhs.uk\n  \
                     source_ip: 10.1.2.3\nrules:\n  disable: [relay-dns-registration]\n";
    assert_eq!(rules_at(anonymous), []);
}

#[test]
fn the_relay_takes_starttls_on_port_25() {
    let relay = "account: pathology.results@nhs.net\ntransport:\n  mode: relay\n  host: relay.nhs.uk\n  port: 25\n  \
                 tls: starttls\n";
    assert_eq!(offline_rules_at(relay), [], "the relay as published");
    let ssl = relay.replace("port: 25", "port: 465").replace("tls: starttls", "tls: implicit");
    assert_eq!(
        offline_rules_at(&ssl),
        [("relay-port".into(), 5), ("relay-tls-mode".into(), 5), ("relay-tls-mode".into(), 6)],
        "port 465 and implicit TLS, as in submission"
    );
    let plain = relay.replace("tls: starttls", "tls: none");
    assert_eq!(offline_rules_at(&plain), [("relay-tls-mode".into(), 6)], "no TLS at all");
    let ssl_port_only = relay.replace("port: 25", "port: 465");
    assert_eq!(
        offline_rules_at(&ssl_port_only),
        [("relay-port".into(), 5), ("relay-tls-mode".into(), 5)],
        "465 is implicit TLS"
    );
}

#[test]
fn a_relay_off_port_25_is_a_warning_as_submission_off_587_is() {
    let relay = "account: pathology.results@nhs.net\ntransport:\n  mode: relay\n  host: relay.nhs.uk\n  port: 2525\n";
    let found = with_config(relay, &["check", "--format", "json", "good.eml"]).json();
    let diagnostics = found["files"][0]["diagnostics"].as_array().expect("list");
    let said: Vec<(&str, u64, &str, &str)> = diagnostics
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().expect(k);
            (s("rule"), d["line"].as_u64().expect("line"), s("severity"), s("message"))
        })
        .collect();
    assert_eq!(
        said,
        [("relay-port", 5, "warning", "the relay on port 2525; the NHSmail relay listens on port 25")],
        "at the port's line"
    );
    assert_eq!(diagnostics[0]["requirement"], serde_json::json!(["C15"]));
    // The close calls: port 25 written, and left out (25 is the relay's default).
    assert_eq!(offline_rules_at(&relay.replace("port: 2525", "port: 25")), []);
    assert_eq!(offline_rules_at(&relay.replace("  port: 2525\n", "")), []);
}

const MAILBOX: &str = "account: pathology.results@nhs.net\nmailbox:\n  host: imap.example.nhs.uk\n  port: 993\n  \
                       username: pathology.results@nhs.net\n  auth: xoauth2\n  token_command: get-token\n\
                       directory:\n  host: ldap.example.nhs.uk\n  port: 636\n  base_dn: o=nhs\n";

/// The offline rules only: `check` does not log in or look anything up.
fn offline_rules_at(config: &str) -> Vec<(String, u64)> {
    let result = with_config(config, &["check", "--format", "json", "good.eml"]);
    assert!(result.code < 2, "{}", result.stderr);
    config_findings(&result.json()).into_iter().map(|(rule, line, _)| (rule, line)).collect()
}

#[test]
fn imap_pop_and_ldap_ports_are_the_published_ones() {
    assert_eq!(offline_rules_at(MAILBOX), []);
    let defaults = MAILBOX.replace("  port: 993\n", "").replace("  port: 636\n", "");
    assert_eq!(offline_rules_at(&defaults), []);
    assert_eq!(offline_rules_at(&MAILBOX.replace("port: 993", "port: 143")), [("imap-port".into(), 4)]);
    assert_eq!(offline_rules_at(&MAILBOX.replace("port: 636", "port: 389")), [("ldap-port".into(), 10)]);
    let pop = MAILBOX.replace("  port: 993\n", "  protocol: pop\n  port: 995\n");
    assert_eq!(offline_rules_at(&pop), [("pop-configured".into(), 4)]);
    let pop_on_imap_port = pop.replace("port: 995", "port: 993");
    assert_eq!(offline_rules_at(&pop_on_imap_port), [("pop-configured".into(), 4), ("pop-port".into(), 5)]);
    // A default that does not fit the protocol (none does): IMAP's default port is 993.
    let imap_on_pop_port = MAILBOX.replace("port: 993", "port: 995");
    assert_eq!(offline_rules_at(&imap_on_pop_port), [("imap-port".into(), 4)]);
}

#[test]
fn a_retiring_mailbox_host_is_reported_like_a_retiring_smtp_host() {
    assert_eq!(
        offline_rules_at(&MAILBOX.replace("imap.example.nhs.uk", "imap.nhs.net")),
        [("deprecated-host".into(), 3)]
    );
    let pop = MAILBOX.replace("imap.example.nhs.uk", "pop.nhs.net").replace("  port: 993\n", "  protocol: pop\n");
    assert_eq!(offline_rules_at(&pop), [("deprecated-host".into(), 3), ("pop-configured".into(), 4)]);
    // A DNS name in any case, and with the root's trailing dot, is the same host.
    for host in ["IMAP.NHS.NET", "imap.nhs.net.", "Pop.Nhs.Net"] {
        let config = MAILBOX.replace("imap.example.nhs.uk", host);
        assert_eq!(offline_rules_at(&config), [("deprecated-host".into(), 3)], "{host}");
    }
    let upper = SUBMISSION.replace("host: send.nhs.net", "host: SMTP.NHS.NET.");
    assert_eq!(offline_rules_at(&upper), [("deprecated-host".into(), 4)]);
    // A close call: a trust's own host whose name starts the same way.
    assert_eq!(offline_rules_at(&MAILBOX.replace("imap.example.nhs.uk", "imap.nhs.net.example.nhs.uk")), []);
}

#[test]
fn the_mailbox_needs_a_secret_source() {
    let none = MAILBOX.replace("  auth: xoauth2\n  token_command: get-token\n", "");
    assert_eq!(offline_rules_at(&none), [("mailbox-secret-missing".into(), 3)], "at the host line");
    let password = none.replace("  port: 993\n", "  port: 993\n  password_file: /run/secrets/nhsmail\n");
    assert_eq!(offline_rules_at(&password), []);
}

#[test]
fn the_mailbox_username_is_the_full_account_address() {
    let short = MAILBOX.replace("  username: pathology.results@nhs.net", "  username: pathology.results");
    let result = with_config(&short, &["check", "--format", "json", "good.eml"]);
    let found = config_findings(&result.json());
    assert_eq!(found.len(), 1, "one mistake, one finding: {found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("mailbox-username", 5));
    assert!(found[0].2.contains("not a full email address"), "{found:?}");
    let other = MAILBOX.replace("  username: pathology.results@nhs.net", "  username: other.account@nhs.net");
    assert_eq!(offline_rules_at(&other), [("mailbox-username".into(), 5)]);
    let case = MAILBOX.replace("  username: pathology.results@nhs.net", "  username: Pathology.Results@NHS.net");
    assert_eq!(offline_rules_at(&case), [], "addresses compare case-insensitively");
}

/// (rule, path) of every finding of a JSON report, and its notes.
fn rules_and_notes(run: &Run) -> (Vec<(String, String)>, Vec<String>) {
    let report = run.json();
    let found = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .flat_map(|f| {
            let path = f["path"].as_str().expect("path").to_owned();
            let rules = f["diagnostics"].as_array().expect("list").iter().filter(crate::common::not_attestation);
            rules.map(move |d| (d["rule"].as_str().expect("rule").to_owned(), path.clone())).collect::<Vec<_>>()
        })
        .collect();
    let notes = report["notes"].as_array().expect("notes").iter().map(|n| n.as_str().expect("note").to_owned());
    (found, notes.collect())
}

#[test]
fn without_account_the_username_that_sends_is_the_account() {
    let other = String::from_utf8_lossy(GOOD).replace("<pathology.results@nhs.net>", "<someone.else@gmail.com>");
    let other = crate::common::own_message_id(other.as_bytes());
    let check = |config: &str| {
        let config = without_probes(config);
        let files = [("nhsmail-lint.yaml", config.as_bytes()), ("good.eml", GOOD), ("other.eml", other.as_slice())];
        let dir = temp_files(&files);
        rules_and_notes(&run_in(dir.path(), &["check", "--format", "json", "good.eml", "other.eml"]))
    };
    let judged = |via: &str| {
        (
            vec![("from-account".to_owned(), "other.eml".to_owned())],
            format!("the sending account is pathology.results@nhs.net, read from `{via}`: no `account` is configured"),
        )
    };
    // The submission username, in any case: From is judged against it, and a note says so.
    let submission = SUBMISSION.replace("account: pathology.results@nhs.net\n", "");
    let upper = submission.replace("username: pathology.results@nhs.net", "username: Pathology.Results@nhs.net");
    for config in [&submission, &upper] {
        let (found, notes) = check(config);
        let (expected, note) = judged("transport.username");
        assert_eq!(found, expected, "{config}");
        assert!(notes.contains(&note), "{notes:?}");
    }
    // Else the mailbox's username.
    let mailbox = MAILBOX.replace("account: pathology.results@nhs.net\n", "");
    let (found, notes) = check(&mailbox);
    let (expected, note) = judged("mailbox.username");
    assert_eq!(found, expected);
    assert!(notes.contains(&note), "{notes:?}");
    // Not a relay's username, which logs in nowhere (relay-credentials), nor a username that
    // is not a full address: from-account is skipped, and says so.
    let relay = "transport:\n  mode: relay\n  host: relay.nhs.uk\n  username: pathology.results@nhs.net\n";
    let short = submission.replace("username: pathology.results@nhs.net", "username: pathology.results");
    for (config, setup_rule) in [(relay, "relay-credentials"), (&short, "smtp-username")] {
        let (found, notes) = check(config);
        assert_eq!(found, [(setup_rule.to_owned(), "nhsmail-lint.yaml".to_owned())], "{config}");
        assert!(notes.iter().any(|n| n.starts_with("from-account skipped: `account` is not configured")), "{notes:?}");
        assert!(!notes.iter().any(|n| n.starts_with("the sending account is")), "{notes:?}");
    }
    // `account` and the username both given and different: the account is used (the good
    // message passes), and the set-up says they differ.
    let both = SUBMISSION.replace("username: pathology.results@nhs.net", "username: pathology.team@nhs.net");
    let (found, notes) = check(&both);
    let expected = [("username-not-account", "nhsmail-lint.yaml"), ("from-account", "other.eml")];
    assert_eq!(found, expected.map(|(r, p)| (r.to_owned(), p.to_owned())));
    assert!(!notes.iter().any(|n| n.starts_with("the sending account is")), "{notes:?}");
}

fn relay(source_ip: Option<&str>, nameserver: std::net::SocketAddr) -> String {
    let mut config = format!(
        "account: pathology.results@nhs.net\ntransport:\n  mode: relay\n  host: relay.example.nhs.uk\n  port: 25\ndns:\n  \
         nameservers: [\"{nameserver}\"]\n  timeout: 1s\n"
    );
    if let Some(ip) = source_ip {
        config = config.replace("  port: 25\n", &format!("  port: 25\n  source_ip: {ip}\n"));
    }
    config
}

const RELAY_RECORDS: &[Rec] = &[
    Rec::Ptr("192.0.2.10", "sender.example.nhs.uk"),
    Rec::A("sender.example.nhs.uk", "192.0.2.10"),
    Rec::Ptr("192.0.2.30", "mismatch.example.nhs.uk"),
    Rec::A("mismatch.example.nhs.uk", "192.0.2.99"),
    Rec::A("relay.example.nhs.uk", "192.0.2.1"),
];

fn relay_findings(config: &str) -> (i32, Vec<(String, u64, String)>) {
    let result = with_config(config, &["preflight", "--format", "json"]);
    assert!(result.code < 2, "{}", result.stderr);
    (result.code, config_findings(&result.json()))
}

#[test]
fn a_registered_relay_sender_passes() {
    let dns = TestDns::start(RELAY_RECORDS);
    let (code, findings) = relay_findings(&relay(Some("192.0.2.10"), dns.addr));
    assert_eq!((code, findings), (0, vec![]));
    assert_eq!(dns.times_asked("192.0.2.10", RecordType::PTR), 1, "the PTR was really asked");
    assert!(dns.times_asked("sender.example.nhs.uk", RecordType::A) >= 1, "and the name resolved forward");
}

#[test]
fn an_unregistered_relay_sender_fails() {
    let dns = TestDns::start(RELAY_RECORDS);
    let (code, findings) = relay_findings(&relay(Some("192.0.2.20"), dns.addr));
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let (rule, line, message) = &findings[0];
    assert_eq!((rule.as_str(), *line), ("relay-dns-registration", 6));
    assert!(message.contains("192.0.2.20 has no PTR"), "{message}");
}

#[test]
fn a_ptr_name_that_does_not_resolve_back_is_a_warning() {
    let dns = TestDns::start(RELAY_RECORDS);
    let config = relay(Some("192.0.2.30"), dns.addr);
    let (code, findings) = relay_findings(&config);
    assert_eq!(code, 0, "a warning does not fail the run (nor block --send)");
    let (rule, line, message) = &findings[0];
    assert_eq!((rule.as_str(), *line), ("relay-dns-registration", 6));
    assert!(message.contains("mismatch.example.nhs.uk, which does not resolve back to 192.0.2.30"), "{message}");
    assert!(!message.contains("own address"), "the address was configured: {message}");
    let result = with_config(&config, &["preflight", "--format", "json"]);
    let report = result.json();
    let relay = report["files"][0]["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["rule"] == "relay-dns-registration");
    assert_eq!(relay.map(|d| &d["severity"]), Some(&"warning".into()), "{}", result.stdout);
}

#[test]
fn an_address_inferred_from_the_route_is_said_to_be_so() {
    // No source_ip: the sending address is this machine's own on its route to the relay.
    // The relay here is this machine's own (non-loopback: the resolver answers loopback
    // PTR questions itself), so the route's address is that one, which has no PTR record.
    let Some(own) = crate::common::own_address() else { return };
    let relay_ip: &'static str = Box::leak(own.clone().into_boxed_str());
    let dns = TestDns::start(&[Rec::A("relay.example.nhs.uk", relay_ip)]);
    let (code, findings) = relay_findings(&relay(None, dns.addr));
    assert_eq!(code, 1, "{findings:?}");
    let (rule, line, message) = &findings[0];
    assert_eq!((rule.as_str(), *line), ("relay-dns-registration", 4), "at the relay host");
    assert!(message.contains(&format!("{own} has no PTR")), "{message}");
    assert!(message.contains("this machine's own address on its route to relay.example.nhs.uk"), "{message}");
    assert!(message.contains("set `transport.source_ip`"), "{message}");
}

#[test]
fn a_relay_host_written_as_an_ip_is_the_relay_not_the_sender() {
    // The relay's own address has a registered PTR; this machine's, the sender's, has none.
    let Some(own) = crate::common::own_address() else { return };
    let dns =
        TestDns::start(&[Rec::Ptr("192.0.2.1", "relay.example.nhs.uk"), Rec::A("relay.example.nhs.uk", "192.0.2.1")]);
    for host in ["192.0.2.1", "'[192.0.2.1]'", "192.0.2.1."] {
        let config = relay(None, dns.addr).replace("relay.example.nhs.uk", host);
        let (_, findings) = relay_findings(&config);
        let found: Vec<&(String, u64, String)> = findings.iter().filter(|f| f.0 == "relay-dns-registration").collect();
        assert_eq!(found.len(), 1, "{host}: {findings:?}");
        assert!(found[0].2.contains(&format!("{own} has no PTR")), "{host}: {found:?}");
    }
}

#[test]
fn servfail_and_timeouts_say_the_check_could_not_be_made() {
    let servfail = TestDns::servfail();
    let (_, findings) = relay_findings(&relay(Some("192.0.2.10"), servfail.addr));
    let (rule, _, message) = &findings[0];
    assert_eq!(rule, "relay-dns-registration");
    assert!(message.starts_with("could not check relay-dns-registration"), "{message}");
    assert!(!message.contains("no PTR"), "not registered is a different finding: {message}");
    assert!(servfail.times_asked("192.0.2.10", RecordType::PTR) >= 1);

    let silent = Silent::start();
    let (_, findings) = relay_findings(&relay(Some("192.0.2.10"), silent.addr));
    let (_, _, message) = &findings[0];
    assert!(message.starts_with("could not check relay-dns-registration"), "{message}");
    assert!(message.contains("timed out"), "{message}");
}

#[test]
fn relay_rules_offline() {
    let literal = "transport:\n  mode: relay\n  host: 10.1.2.3\n";
    assert_eq!(
        with_config(literal, &["check", "--format", "json", "good.eml"]).json()["files"][0]["diagnostics"][0]["rule"],
        "host-ip-literal"
    );
    // The online check does not run in `check`.
    let dns = TestDns::start(RELAY_RECORDS);
    let result = with_config(&relay(Some("192.0.2.20"), dns.addr), &["check", "--format", "json", "good.eml"]);
    assert_eq!(result.code, 0, "{}", result.stdout);
    assert_eq!(dns.times_asked("192.0.2.20", RecordType::PTR), 0);
}

#[test]
fn an_ip_address_as_host_is_reported_in_any_mode_and_form() {
    for host in ["10.1.2.3", "'[10.1.2.3]'", "10.1.2.3.", "'[IPv6:2001:db8::25]'", "'2001:db8::25'", "167837955"] {
        for mode in ["relay", "submission"] {
            let config = SUBMISSION.replace("mode: submission", &format!("mode: {mode}")).replace("send.nhs.net", host);
            let found = offline_rules_at(&config);
            assert!(found.contains(&("host-ip-literal".into(), 4)), "{mode} {host}: {found:?}");
        }
    }
    let hosts = MAILBOX.replace("imap.example.nhs.uk", "192.0.2.143").replace("ldap.example.nhs.uk", "'[192.0.2.89]'");
    assert_eq!(offline_rules_at(&hosts), [("host-ip-literal".into(), 3), ("host-ip-literal".into(), 9)]);
    // Names that look like addresses are names.
    for host in ["10.1.2.3.nip.io", "host-10-1-2-3.example.nhs.uk", "relay.nhs.uk."] {
        let config = SUBMISSION.replace("send.nhs.net", host);
        assert!(!offline_rules_at(&config).iter().any(|(rule, _)| rule == "host-ip-literal"), "{host}");
    }
}

#[test]
fn the_former_id_relay_ip_literal_still_names_the_rule() {
    let literal = "transport:\n  mode: relay\n  host: 10.1.2.3\n";
    let graded = format!("{literal}rules:\n  severity:\n    relay-ip-literal: error\n");
    let result = with_config(&graded, &["check", "--format", "json", "good.eml"]);
    let diagnostic = &result.json()["files"][0]["diagnostics"][0];
    assert_eq!((&diagnostic["rule"], &diagnostic["severity"]), (&"host-ip-literal".into(), &"error".into()));
    let disabled = format!("{literal}rules:\n  disable: [relay-ip-literal]\n");
    assert_eq!(offline_rules_at(&disabled), []);
    let ignored = format!("{literal}ignore:\n  \"good.eml\": [relay-ip-literal]\n");
    let result = with_config(&ignored, &["check", "--format", "json", "good.eml"]);
    assert!(result.code < 2, "the former id is known in ignore: {}", result.stderr);
    let explained = with_config(literal, &["explain", "relay-ip-literal"]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    assert!(explained.stdout.starts_with("host-ip-literal (warning)"), "{}", explained.stdout);
    assert!(explained.stdout.contains("Formerly relay-ip-literal"), "{}", explained.stdout);
    // An unknown id is still an error.
    let unknown = format!("{literal}rules:\n  disable: [relay-ip-literals]\n");
    assert_eq!(with_config(&unknown, &["check", "good.eml"]).code, 2);
}

fn reply_to(domain: &str) -> Vec<u8> {
    let message = String::from_utf8(GOOD.to_vec()).expect("utf-8");
    crate::common::own_message_id(
        message.replace("pathology.enquiries@nhs.net", &format!("enquiries@{domain}")).as_bytes(),
    )
}

#[test]
fn reply_domains_without_mail_routing_are_reported_once_each() {
    let dns = TestDns::start(&[
        Rec::Mx("mx.example.nhs.uk", "mail.example.nhs.uk"),
        Rec::A("mail.example.nhs.uk", "192.0.2.25"),
        Rec::A("a-only.example.nhs.uk", "192.0.2.26"),
        Rec::Mx("nullmx.example.nhs.uk", "."),
    ]);
    let config = without_probes(&format!("{SUBMISSION}dns:\n  nameservers: [\"{}\"]\n  timeout: 1s\n", dns.addr));
    let dir = temp_files(&[
        ("nhsmail-lint.yaml", config.as_bytes()),
        ("a.eml", &reply_to("mx.example.nhs.uk")),
        ("b.eml", &reply_to("a-only.example.nhs.uk")),
        ("c.eml", &reply_to("dead.example.nhs.uk")),
        ("d.eml", &reply_to("dead.example.nhs.uk")),
        ("e.eml", &reply_to("nullmx.example.nhs.uk")),
    ]);
    let result = run_with_env(dir.path(), &["preflight", "--format", "json", "."], &[crate::common::NAMED_CONFIG]);
    assert_eq!(result.code, 0, "warnings only: {}", result.stderr);
    let findings = crate::common::findings(&result.json());
    let fired: Vec<(&str, &str)> =
        findings.iter().flat_map(|(path, d)| d.iter().map(move |(rule, _)| (path.as_str(), rule.as_str()))).collect();
    assert_eq!(
        fired,
        [
            ("./c.eml", "reply-domain-unroutable"),
            ("./d.eml", "reply-domain-unroutable"),
            ("./e.eml", "reply-domain-unroutable")
        ]
    );
    assert_eq!(dns.times_asked("dead.example.nhs.uk", RecordType::MX), 1, "each domain is asked once a run");
    // `check` does not ask DNS.
    let result = run_in(dir.path(), &["check", "--format", "json", "."]);
    assert!(!result.stdout.contains("reply-domain-unroutable"));
}

#[test]
fn the_starter_reports_its_placeholder_account_once_not_on_every_message() {
    let dir = temp_files(&[("good.eml", GOOD)]);
    assert_eq!(run_in(dir.path(), &["init"]).code, 0);
    let result = run_in(dir.path(), &["check", "--format", "json", "good.eml"]);
    let report = result.json();
    let fired = crate::common::findings(&report);
    let all: Vec<(String, u64)> = fired.iter().flat_map(|(_, d)| d.iter().cloned()).collect();
    assert!(all.contains(&("account-placeholder".to_owned(), 8)), "at the starter's account line: {all:?}");
    assert!(!all.iter().any(|(rule, _)| rule == "from-account"), "the clean message passes: {all:?}");
    assert!(report["notes"].to_string().contains("from-account skipped: `account` is still the starter's placeholder"));
    // The close call: an account written in its place passes, and from-account runs again.
    let starter = std::fs::read_to_string(dir.path().join("nhsmail-lint.yaml")).expect("starter");
    std::fs::write(
        dir.path().join("nhsmail-lint.yaml"),
        starter.replace("application.name@nhs.net", "pathology.results@nhs.net"),
    )
    .expect("write");
    let report = run_in(dir.path(), &["check", "--format", "json", "good.eml"]).json();
    let rules: Vec<String> =
        crate::common::findings(&report).into_iter().flat_map(|(_, d)| d).map(|(r, _)| r).collect();
    assert!(
        !rules.contains(&"account-placeholder".to_owned()) && !rules.contains(&"from-account".to_owned()),
        "{rules:?}"
    );
    assert!(!report["notes"].to_string().contains("from-account skipped"));
}
