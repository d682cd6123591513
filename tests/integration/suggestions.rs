//! A mistyped name gets "did you mean `...`?" in the error's help: fields, operators,
//! functions, severities, rule ids (explain, rules.disable, rules.severity, ignore:),
//! config keys and interpolations; a name close to nothing gets no guess.

use crate::common::{run_in, temp_files};

/// The help line of a failed run's error, which must exit 2.
fn help_of(files: &[(&str, &[u8])], args: &[&str]) -> String {
    let dir = temp_files(files);
    let result = run_in(dir.path(), args);
    assert_eq!(result.code, 2, "{}{}", result.stdout, result.stderr);
    result.stderr.lines().find(|l| l.trim_start().starts_with("help:")).unwrap_or_default().trim().to_owned()
}

fn pack(condition: &str) -> Vec<u8> {
    format!(
        "rules:\n  - id: trust-rule\n    severity: error\n    summary: s\n    message: m\n    require:\n      - {condition}\n"
    )
    .into_bytes()
}

fn pack_help(condition: &str) -> String {
    let pack = pack(condition);
    help_of(&[("p.yaml", &pack)], &["rules", "--no-default-rules", "--rules", "p.yaml"])
}

#[test]
fn rule_pack_names_get_the_closest_known_one() {
    assert!(pack_help("{field: subjct, matches: x}").starts_with("help: did you mean `subject`?"));
    assert!(pack_help("{field: from.adress, equals: x}").starts_with("help: did you mean `from.address`?"));
    assert_eq!(pack_help("{field: subject, matchs: x}"), "help: did you mean `matches`?");
    assert_eq!(pack_help("{field: subject, not_one_off: [x]}"), "help: did you mean `not_one_of`?");
    assert!(pack_help("{field: body.text, not_contains: nhs_numbr}").starts_with("help: did you mean `nhs_number`?"));
    assert!(
        pack_help("{field: subject, equals: '${config.acount}'}")
            .starts_with("help: did you mean `${config.account}`?")
    );
    assert!(
        pack_help("{field: body.text, contains: {function: nhs_numbr}}")
            .starts_with("help: did you mean `nhs_number`?")
    );
    assert!(
        pack_help("{field: body.text, contains: {function: nhs_number, options: {withn: 3}}}")
            .starts_with("help: did you mean `within`?")
    );
    let severity = b"rules:\n  - id: r\n    severity: eror\n    summary: s\n    message: m\n";
    assert_eq!(help_of(&[("p.yaml", severity)], &["rules", "--rules", "p.yaml"]), "help: did you mean `error`?");
}

#[test]
fn a_name_close_to_nothing_gets_no_guess() {
    assert!(!pack_help("{field: qqqqqq, matches: x}").contains("did you mean"));
    assert_eq!(pack_help("{field: subject, zzzzzz: x}"), "");
}

#[test]
fn rule_ids_in_the_config_and_explain_get_the_closest_rule() {
    let run = |config: &str| help_of(&[("c.yaml", config.as_bytes())], &["rules", "--config", "c.yaml"]);
    assert_eq!(run("rules:\n  disable: [missng-date]\n"), "help: did you mean `missing-date`?");
    assert_eq!(run("rules:\n  severity: {line-to-long: info}\n"), "help: did you mean `line-too-long`?");
    assert_eq!(run("ignore:\n  'legacy/**': [display-name-formt]\n"), "help: did you mean `display-name-format`?");
    assert_eq!(run("acount: a@nhs.net\n"), "help: did you mean `account`?");
    assert_eq!(run("transport: {mode: relay, hots: relay.nhs.uk}\n"), "help: did you mean `host`?");
    // An attestation's requirement id: the error itself says it.
    let dir = temp_files(&[("c.yaml", b"attestations: {A11: \"done\"}\n")]);
    let attest = run_in(dir.path(), &["rules", "--config", "c.yaml"]);
    assert_eq!(attest.code, 2);
    assert!(attest.stderr.contains("did you mean `A1`?"), "{}", attest.stderr);
    let explain = help_of(&[], &["explain", "missing-dat"]);
    assert!(explain.starts_with("help: did you mean `missing-date`?"), "{explain}");
}
