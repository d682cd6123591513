//! `recipient-unknown` and `distribution-list-unlisted` against a real OpenLDAP slapd
//! (LDAPS, anonymous read) on loopback: a known person, an unknown one, a group that is
//! not listed and one that is, each address asked once a run, an untrusted certificate,
//! a directory that is down or silent, and `--send` holding back what would bounce.

use crate::common::{Run, run_in, run_with_env, run_within, temp_files};
use crate::ldap_server::{ACCOUNT, GROUP, OTHER_PERSON, PERSON, TestLdap};
use crate::smtp_server::TestSmtp;

fn message(to: &str, cc: &str, reply_to: &str) -> Vec<u8> {
    let message = format!(
        "From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nTo: {to}\r\nCc: {cc}\r\n\
         Reply-To: {reply_to}\r\nSubject: Results\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
         Message-ID: <results@nhs.net>\r\n\r\nResults are ready.\r\n"
    );
    crate::common::own_message_id(message.as_bytes())
}

/// The directory on `port`; the Reply-To domain check (DNS, tested in preflight.rs)
/// is left out.
fn directory_config(port: u16, ca_file: Option<&std::path::Path>, extra: &str) -> String {
    let ca = ca_file.map(|p| format!("  ca_file: {}\n", p.display())).unwrap_or_default();
    format!(
        "directory:\n  host: localhost\n  port: {port}\n  base_dn: o=nhs\n  timeout: 2s\n{ca}\
         rules:\n  disable: [reply-domain-unroutable, ldap-port]\n{extra}"
    )
}

/// (rule, line, message) of each diagnostic of a JSON report.
fn findings(run: &Run) -> Vec<(String, u64, String)> {
    assert!(run.code < 2, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .flat_map(|f| f["diagnostics"].as_array().expect("diagnostics").clone())
        .filter(|d| crate::common::not_attestation(&d))
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            (s("rule"), d["line"].as_u64().expect("line"), s("message"))
        })
        .collect()
}

#[test]
fn unknown_recipients_and_unlisted_lists_are_found_at_their_lines() {
    let Some(ldap) = TestLdap::start() else { return };
    let config = directory_config(ldap.port, Some(&ldap.ca_file), "");
    let mail = message(PERSON, &format!("nobody@nhs.net, {GROUP}, someone@example.org"), "nobody.either@nhs.net");
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes()), ("a.eml", &mail)]);
    let run = run_in(dir.path(), &["check", "--online", "--format", "json", "a.eml"]);
    let found = findings(&run);
    let rules: Vec<(&str, u64)> = found.iter().map(|(r, l, _)| (r.as_str(), *l)).collect();
    assert_eq!(
        rules,
        [("recipient-unknown", 3), ("distribution-list-unlisted", 3), ("recipient-unknown", 4)],
        "{found:?}"
    );
    assert_eq!(
        found[0].2,
        "nobody@nhs.net is not in the NHSmail directory: no entry under o=nhs has mail=nobody@nhs.net"
    );
    assert!(found[1].2.starts_with(&format!("{GROUP} is a distribution list")), "{}", found[1].2);
    assert!(found[2].2.starts_with("the Reply-To address nobody.either@nhs.net is not in"), "{}", found[2].2);
    assert_eq!(run.code, 1);
    // Listed, the group is protected by the interval rule and not reported.
    let listed = directory_config(ldap.port, Some(&ldap.ca_file), &format!("distribution_lists: [{GROUP}]\n"));
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), listed).expect("write");
    let run = run_in(dir.path(), &["preflight", "--format", "json", "a.eml"]);
    let rules: Vec<String> = findings(&run).into_iter().map(|(r, _, _)| r).collect();
    assert_eq!(rules, ["recipient-unknown", "recipient-unknown"]);
    // Without --online, `check` asks nobody.
    let run = run_in(dir.path(), &["check", "--format", "json", "a.eml"]);
    assert_eq!(findings(&run), []);
    assert_eq!(ldap.searches_for("nobody@nhs.net"), 2, "one search for each of the two online runs");
}

#[test]
fn preflight_checks_the_account_and_the_lists_in_the_directory() {
    let Some(ldap) = TestLdap::start() else { return };
    let lists =
        format!("account: {ACCOUNT}\ndistribution_lists:\n  - {GROUP}\n  - {PERSON}\n  - pathology.taem@nhs.net\n");
    let dir = temp_files(&[("nhsmail-lint.yaml", directory_config(ldap.port, Some(&ldap.ca_file), &lists).as_bytes())]);
    let run = run_in(dir.path(), &["preflight", "--format", "json"]);
    let found = findings(&run);
    assert_eq!(
        found,
        [
            (
                "distribution-list-not-in-directory".to_owned(),
                12,
                format!(
                    "{PERSON} is listed in `distribution_lists`, but the directory holds it as a person, not a distribution list"
                )
            ),
            (
                "distribution-list-not-in-directory".to_owned(),
                13,
                "pathology.taem@nhs.net is listed in `distribution_lists`, but the directory has no entry for it"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(run.code, 0, "warnings");
    // An account the directory does not hold; and a directory that is down says so even
    // with no messages to check.
    let config = directory_config(ldap.port, Some(&ldap.ca_file), "account: pathology.reslts@nhs.net\n");
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), config).expect("write");
    let found = findings(&run_in(dir.path(), &["preflight", "--format", "json"]));
    assert_eq!(found.iter().map(|f| (f.0.as_str(), f.1)).collect::<Vec<_>>(), [("account-not-in-directory", 9)]);
    let config = directory_config(crate::common::free_port(), None, &format!("account: {ACCOUNT}\n"));
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), config).expect("write");
    let found = findings(&run_in(dir.path(), &["preflight", "--format", "json"]));
    assert!(
        found[0].2.starts_with("could not check account-not-in-directory: cannot reach the directory"),
        "{found:?}"
    );
}

#[test]
fn each_address_is_asked_once_a_run() {
    let Some(ldap) = TestLdap::start() else { return };
    let config = directory_config(ldap.port, Some(&ldap.ca_file), "");
    let files: Vec<(String, Vec<u8>)> = (0..12)
        .map(|n| (format!("out/{n}.eml"), message(PERSON, &format!("x{}@nhs.net, {OTHER_PERSON}", n % 3), PERSON)))
        .collect();
    let mut all: Vec<(&str, &[u8])> = vec![("nhsmail-lint.yaml", config.as_bytes())];
    all.extend(files.iter().map(|(n, m)| (n.as_str(), m.as_slice())));
    let dir = temp_files(&all);
    let run = run_in(dir.path(), &["check", "--online", "--jobs", "4", "--format", "json", "out"]);
    assert_eq!(findings(&run).len(), 12, "x0, x1 and x2 are unknown, once in each message");
    assert_eq!(ldap.searches_for(PERSON), 1);
    assert_eq!(ldap.searches_for(OTHER_PERSON), 1);
    assert_eq!(ldap.searches_for("x0@nhs.net"), 1);
    assert_eq!(ldap.searches_for("someone@example.org"), 0);
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let Some(ldap) = TestLdap::start() else { return };
    let config = directory_config(ldap.port, None, "");
    let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes()), ("a.eml", &message(PERSON, PERSON, PERSON))]);
    let run = run_in(dir.path(), &["check", "--online", "--format", "json", "a.eml"]);
    let found = findings(&run);
    assert!(!found.is_empty() && found.iter().all(|(r, _, _)| r == "recipient-unknown"), "{found:?}");
    assert!(found[0].2.starts_with("could not check recipient-unknown: cannot reach the directory"), "{}", found[0].2);
    assert!(found[0].2.contains("certificate"), "{}", found[0].2);
    assert_eq!(ldap.searches_for(PERSON), 0);
}

#[test]
fn a_directory_that_is_down_or_silent_is_reported_without_hanging() {
    // Nothing listens on a port that was free a moment ago; the silent one accepts
    // connections and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    for port in [crate::common::free_port(), silent.local_addr().expect("addr").port()] {
        let config = directory_config(port, None, "");
        let mail = message(PERSON, "b@nhs.net", "c@nhs.net");
        let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes()), ("a.eml", &mail)]);
        let run = run_within(dir.path(), &["check", "--online", "--format", "json", "a.eml"], 60);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let found = findings(&run);
        assert_eq!(found.len(), 3, "each recipient says it could not be checked: {found:?}");
        assert!(found.iter().all(|(_, _, m)| m.contains("cannot reach the directory")), "{found:?}");
    }
}

#[test]
fn send_holds_back_a_message_to_an_unknown_recipient() {
    let Some(ldap) = TestLdap::start() else { return };
    let smtp = TestSmtp::start(true);
    let directory = format!(
        "directory:\n  host: localhost\n  port: {}\n  base_dn: o=nhs\n  ca_file: {}\nrules:\n  disable: [ldap-port]\n",
        ldap.port,
        ldap.ca_file.display()
    );
    let known = String::from_utf8(crate::send::message(1, "")).unwrap().replace("asha.patel@nhs.net", PERSON);
    let unknown =
        String::from_utf8(crate::send::message(2, "")).unwrap().replace("asha.patel@nhs.net", "left.last.year@nhs.net");
    let setup = crate::send::workspace(
        &smtp,
        false,
        &directory,
        &[("out/a.eml", known.as_bytes()), ("out/b.eml", unknown.as_bytes())],
    );
    let run = run_with_env(setup.dir.path(), &["check", "--send", "--format", "json", "out"], crate::send::ENV);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let received = smtp.received();
    assert_eq!(received.len(), 1, "{}", run.stdout);
    assert_eq!(received[0].to, [PERSON]);
    assert!(run.stdout.contains("left.last.year@nhs.net is not in the NHSmail directory"), "{}", run.stdout);
}

#[test]
fn a_connection_the_server_dropped_is_opened_again() {
    use nhsmail_lint::config::Config;
    use nhsmail_lint::online::ldap::{Directory, DirectoryEntry};
    use nhsmail_lint::util::yaml::YamlSource;
    let Some(mut ldap) = TestLdap::start() else { return };
    let config =
        Config::load(YamlSource::new("c.yaml", directory_config(ldap.port, Some(&ldap.ca_file), ""))).expect("config");
    let directory = Directory::new(config.directory.expect("directory")).expect("directory");
    assert_eq!(directory.lookup(PERSON), Ok(DirectoryEntry::Person));
    ldap.restart();
    assert_eq!(directory.lookup(GROUP), Ok(DirectoryEntry::List), "asked over a new connection");
    assert_eq!(directory.lookup(PERSON), Ok(DirectoryEntry::Person), "remembered, not asked again");
    assert_eq!((ldap.searches_for(PERSON), ldap.searches_for(GROUP)), (1, 1));
}
