//! User rule packs: the rules a trust writes without touching Rust, and every way a
//! rule file can be wrong (a miette error pointing into the YAML, exit 2).

use crate::common::{root, rules_fired, run_in, temp_files};

const CONFIG: &[u8] = b"account: pathology.results@nhs.net\ndistribution_lists: [results-team-dl@nhs.net]\n";

fn message(headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nReply-To: pathology.enquiries@nhs.net\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <x@nhs.net>\r\n{headers}\r\n{body}"
    )
    .into_bytes()
}

fn attachment(name: &str, bytes: usize) -> String {
    // Base64 of `bytes` zero bytes, in 76-character lines.
    let encoded = "A".repeat(bytes.div_ceil(3) * 4);
    let lines: Vec<&str> = encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).expect("ascii")).collect();
    format!(
        "--b\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        lines.join("\r\n")
    )
}

fn run_examples(files: &[(&str, &[u8])]) -> Vec<String> {
    let mut all = vec![("nhsmail-lint.yaml", CONFIG)];
    all.extend_from_slice(files);
    let dir = temp_files(&all);
    let pack = root().join("rules/examples.yaml");
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    let mut args = vec!["check", "--no-default-rules", "--rules", pack.to_str().expect("utf-8"), "--format", "json"];
    args.extend(names);
    let result = run_in(dir.path(), &args);
    assert!(result.code < 2, "{}", result.stderr);
    rules_fired(&result.json())
}

#[test]
fn a_compliant_message_passes_the_example_pack() {
    let ok = message("To: a@nhs.net\r\nSubject: [Pathology] Results\r\nX-Trust-Id: RX123\r\n", "Results.\r\n");
    assert_eq!(run_examples(&[("ok.eml", &ok)]), Vec::<String>::new());
}

#[test]
fn each_example_rule_fires_on_its_case() {
    let subject = message("To: a@nhs.net\r\nSubject: Results\r\nX-Trust-Id: RX123\r\n", "x\r\n");
    assert_eq!(run_examples(&[("s.eml", &subject)]), ["subject-prefix"]);

    let bad_id = message("To: a@nhs.net\r\nSubject: [Pathology] x\r\nX-Trust-Id: RY12\r\n", "x\r\n");
    assert_eq!(run_examples(&[("t.eml", &bad_id)]), ["trust-id-header"]);
    let no_id = message("To: a@nhs.net\r\nSubject: [Pathology] x\r\n", "x\r\n");
    assert_eq!(run_examples(&[("t.eml", &no_id)]), ["trust-id-header"]);

    let list = message("To: results-team-dl@nhs.net\r\nSubject: [Pathology] x\r\nX-Trust-Id: RX123\r\n", "x\r\n");
    assert_eq!(run_examples(&[("l.eml", &list)]), ["list-unsubscribe-for-lists"]);
    let list_ok = message(
        "To: Results-Team-DL@nhs.net\r\nSubject: [Pathology] x\r\nX-Trust-Id: RX123\r\nList-Unsubscribe: <mailto:u@nhs.net>\r\n",
        "x\r\n",
    );
    assert_eq!(run_examples(&[("l.eml", &list_ok)]), Vec::<String>::new());
}

#[test]
fn attachment_rules_read_names_and_decoded_sizes() {
    let headers = "To: a@nhs.net\r\nSubject: [Pathology] x\r\nX-Trust-Id: RX123\r\n\
                   Content-Type: multipart/mixed; boundary=b\r\n";
    let body = |parts: &str| format!("--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n{parts}--b--\r\n");
    let small_exe = message(headers, &body(&attachment("setup.EXE", 100)));
    assert_eq!(run_examples(&[("a.eml", &small_exe)]), ["attachment-type"]);
    // Just under 100 kB is fine; just over is not (decoded size, not encoded).
    let at_limit = message(headers, &body(&attachment("scan.pdf", 99_999)));
    assert_eq!(run_examples(&[("b.eml", &at_limit)]), Vec::<String>::new());
    let over = message(headers, &body(&attachment("scan.pdf", 100_002)));
    assert_eq!(run_examples(&[("c.eml", &over)]), ["attachment-size"]);
    let docm = message(headers, &body(&attachment("letter.docm", 10)));
    assert_eq!(run_examples(&[("d.eml", &docm)]), ["attachment-type"]);
}

/// Loads `pack` as an extra rule file and returns stderr, asserting exit 2.
fn broken(pack: &str) -> String {
    let dir = temp_files(&[("pack.yaml", pack.as_bytes()), ("m.eml", b"Subject: x\n\nbody\n")]);
    let result = run_in(dir.path(), &["check", "--rules", "pack.yaml", "m.eml"]);
    assert_eq!(result.code, 2, "a broken pack exits 2\nstdout: {}\nstderr: {}", result.stdout, result.stderr);
    assert!(result.stdout.is_empty(), "nothing is checked: {}", result.stdout);
    result.stderr
}

const RULE_HEAD: &str = "rules:\n  - id: my-rule\n    severity: error\n    summary: s\n    message: m\n";

#[test]
fn rule_file_errors_point_at_the_spot() {
    let cases: &[(&str, &str, &str)] = &[
        ("rules: [\n", "unclosed", "syntax"),
        (
            "rules:\n  - id: r\n    severity: error\n    summary: s\n    message: m\n    colour: red\n",
            "colour",
            "unknown key",
        ),
        ("rules:\n  - id: r\n    severity: fatal\n    summary: s\n    message: m\n", "fatal", "bad severity"),
        ("require:\n      - field: subjct\n        present: true\n", "unknown field `subjct`", "unknown field"),
        ("require:\n      - field: subject\n        matches: '(['\n", "invalid regular expression", "bad regex"),
        (
            "require:\n      - field: subject\n        matches: 'a{1000}{1000}'\n",
            "invalid regular expression",
            "regex too big",
        ),
        (
            "require:\n      - field: subject\n        not_contains: nhs_numbr\n",
            "unknown function `nhs_numbr`",
            "unknown function",
        ),
        (
            "require:\n      - field: subject\n        equals: ${config.acount}\n",
            "unknown interpolation",
            "unknown config key",
        ),
        ("require:\n      - field: subject\n        max: 5\n", "`max` does not apply", "operator on wrong kind"),
        (
            "require:\n      - field: subject\n        present: true\n        absent: false\n",
            "one operator per condition",
            "two operators",
        ),
        ("require:\n      - field: subject\n", "needs one operator", "no operator"),
        (
            "require:\n      - field: recipients\n        not_contains: unknown_recipient\n",
            "mark the rule `online: true`",
            "online function in an offline rule",
        ),
        ("require:\n      - field: message.size\n        max: 5 parsecs\n", "unknown size unit", "bad size"),
        (
            "online: true\n    require:\n      - field: recipients\n        not_contains:\n          function: \
             unlisted_distribution_list\n          options:\n            list: [a@nhs.net]\n",
            "unknown option `list` of `unlisted_distribution_list`",
            "unknown option",
        ),
        (
            "online: true\n    require:\n      - field: recipients\n        not_contains:\n          function: \
             unlisted_distribution_list\n          options:\n            lists: 3\n",
            "the options of `unlisted_distribution_list` do not fit",
            "mistyped option",
        ),
        (
            "online: true\n    require:\n      - field: recipients\n        not_contains:\n          function: \
             unlisted_distribution_list\n",
            "missing field",
            "a required option left out",
        ),
        (
            "require:\n      - field: subject\n        not_contains:\n          function: placeholder\n          \
             options:\n            strict: true\n",
            "`placeholder` takes no options",
            "options for a function that takes none",
        ),
        (
            "require:\n      - field: subject\n        not_contains:\n          funktion: nhs_number\n",
            "unknown field `funktion`",
            "a mistyped key of a call",
        ),
        (
            "blocks_send: false\n    require:\n      - field: subject\n        present: true\n",
            "`blocks_send` is for config rules",
            "blocks_send on a message rule",
        ),
    ];
    for (body, needle, what) in cases {
        let pack = if body.starts_with("rules") { body.to_string() } else { format!("{RULE_HEAD}    {body}") };
        let stderr = broken(&pack);
        assert!(stderr.contains(needle), "{what}: stderr lacks `{needle}`:\n{stderr}");
        assert!(stderr.contains("pack.yaml"), "{what}: the error names the file:\n{stderr}");
    }
}

#[test]
fn an_unknown_option_is_an_error_at_its_line() {
    let stderr = broken(&format!(
        "{RULE_HEAD}    online: true\n    require:\n      - field: recipients\n        not_contains:\n          \
         function: unlisted_distribution_list\n          options:\n            list: [a@nhs.net]\n"
    ));
    assert!(stderr.contains("pack.yaml:12:19"), "points at line 12, where `list` is:\n{stderr}");
    assert!(stderr.contains("takes: lists"), "{stderr}");
}

#[test]
fn semantic_errors_underline_the_offending_value() {
    let stderr = broken(&format!("{RULE_HEAD}    require:\n      - field: subjct\n        present: true\n"));
    assert!(stderr.contains("pack.yaml:7:16"), "points at line 7, column 16:\n{stderr}");
    assert!(stderr.contains("subjct"), "{stderr}");
}

#[test]
fn duplicate_ids_and_bad_placeholders_are_errors() {
    let stderr = broken(
        "rules:\n  - id: no-reply-address\n    severity: error\n    summary: s\n    message: m\n    require:\n      - field: subject\n        present: true\n",
    );
    assert!(stderr.contains("duplicate rule id `no-reply-address`"), "{stderr}");
    // A former id (an alias) of a built-in rule is taken too, and so is one of a pack's own.
    let stderr = broken(
        "rules:\n  - id: my-ip-rule\n    aliases: [relay-ip-literal]\n    severity: error\n    summary: s\n    \
         message: m\n    require:\n      - field: subject\n        present: true\n",
    );
    assert!(stderr.contains("duplicate rule id `relay-ip-literal`"), "{stderr}");
    assert!(stderr.contains("pack.yaml:3:"), "at the alias:\n{stderr}");
    let stderr = broken(
        "rules:\n  - id: my-rule\n    aliases: [Old_Name]\n    severity: error\n    summary: s\n    \
         message: m\n    require:\n      - field: subject\n        present: true\n",
    );
    assert!(stderr.contains("rule ids are lowercase words"), "{stderr}");
    let stderr = broken(&format!(
        "{}    help: use {{{{fixx}}}}\n    require:\n      - field: subject\n        present: true\n",
        RULE_HEAD
    ));
    assert!(stderr.contains("unknown placeholder"), "{stderr}");
}

#[test]
fn alias_floods_are_refused() {
    // 60,000 aliases of one condition: the parser's budget stops it, with the file named.
    let aliases = ", *c".repeat(60_000);
    let pack = format!("{RULE_HEAD}    when: [&c {{field: subject, present: true}}{aliases}]\n    require: [*c]\n");
    let stderr = broken(&pack);
    assert!(stderr.contains("pack.yaml:6:"), "{stderr}");
    assert!(stderr.contains("budget"), "{stderr}");
}

#[test]
fn requirement_ids_are_checked_when_the_pack_compiles() {
    let require = "    require:\n      - field: subject\n        present: true\n";
    // A rule naming a requirement no loaded pack defines: an error at that id.
    let stderr = broken(&format!("{RULE_HEAD}    requirement: [M4, Q99]\n{require}"));
    assert!(stderr.contains("unknown requirement `Q99`"), "{stderr}");
    assert!(stderr.contains("pack.yaml:6:"), "points at the line: {stderr}");
    // A requirement id the built-in pack already has.
    let stderr =
        broken("requirements:\n  - id: M4\n    verb: must\n    sentence: s\n    coverage: attest\n    source: x\n");
    assert!(stderr.contains("duplicate requirement id `M4`"), "{stderr}");
    assert!(stderr.contains("pack.yaml:2:"), "{stderr}");
    // Said to be checked offline, and no rule names it: the matrix would claim a check.
    let stderr =
        broken("requirements:\n  - id: T1\n    verb: must\n    sentence: s\n    coverage: offline\n    source: x\n");
    assert!(stderr.contains("requirement `T1` is said to be checked offline, but no such rule names it"), "{stderr}");
    let stderr =
        broken("requirements:\n  - id: T1\n    verb: must\n    sentence: s\n    coverage: []\n    source: x\n");
    assert!(stderr.contains("needs a coverage"), "{stderr}");
}

#[test]
fn a_trust_pack_adds_its_own_requirements_and_rules_that_trace_to_them() {
    let pack = "requirements:\n  - id: T1\n    verb: must\n    sentence: Every Subject starts with [Pathology].\n    \
                coverage: offline\n    source: Trust email policy 4.2\n  - id: T2\n    verb: should\n    \
                sentence: Results go out before 5pm.\n    coverage: attest\n    source: Trust email policy 4.3\n\
                rules:\n  - id: subject-prefix\n    severity: error\n    requirement: [T1, M5]\n    summary: s\n    \
                message: no prefix\n    require:\n      - field: subject\n        matches: '^\\[Pathology\\]'\n";
    let dir =
        temp_files(&[("pack.yaml", pack.as_bytes()), ("m.eml", &message("To: a@nhs.net\r\nSubject: x\r\n", "b\r\n"))]);
    let result = run_in(dir.path(), &["check", "--rules", "pack.yaml", "--format", "json", "m.eml"]);
    let report = result.json();
    let found = report["files"][0]["diagnostics"].as_array().expect("list");
    let ours = found.iter().find(|d| d["rule"] == "subject-prefix").expect("the trust rule fired");
    assert_eq!(ours["requirement"], serde_json::json!(["T1", "M5"]));
    let matrix = run_in(dir.path(), &["requirements", "--rules", "pack.yaml", "--format", "json"]).json();
    let rows = matrix.as_array().expect("rows");
    let t1 = rows.iter().find(|r| r["id"] == "T1").expect("T1 in the matrix");
    assert_eq!((&t1["pack"], &t1["rules"][0]["id"]), (&"pack.yaml".into(), &"subject-prefix".into()));
    let m5 = rows.iter().find(|r| r["id"] == "M5").expect("M5");
    assert!(m5["rules"].as_array().expect("rules").iter().any(|r| r["id"] == "subject-prefix"), "{m5}");
    let t2 = rows.iter().find(|r| r["id"] == "T2").expect("T2");
    assert_eq!(t2["coverage"], serde_json::json!(["attest"]));
}
