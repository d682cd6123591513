//! `nhsmail-lint test`: a trust's pack and its annotated fixtures, alone or beside the
//! built-in pack; strict both ways, with both line endings, every rule exercised, and a
//! broken pack or an empty folder refused (exit 2).

use crate::common::{run, run_in, temp_files};

const PACK: &[u8] = b"rules:
  - id: subject-prefix
    severity: error
    summary: Subject must start with [Pathology]
    message: the Subject does not start with [Pathology]
    require:
      - field: subject
        matches: '^\\[Pathology\\]'
  - id: no-exe
    severity: error
    summary: no .exe attachment
    message: an .exe attachment
    require:
      - field: attachments.name
        not_matches: '(?i)\\.exe$'
";

/// A fixture whose Subject is on line 4 (3 without a declaration).
fn fixture(expect: &str, subject: &str) -> Vec<u8> {
    let expect = if expect.is_empty() { String::new() } else { format!("X-Lint-Expect: {expect}\r\n") };
    format!("{expect}From: a@nhs.net\r\nTo: b@nhs.net\r\nSubject: {subject}\r\n\r\nbody\r\n").into_bytes()
}

/// `test` over `files` in a temp dir, with `args`.
fn test_in(files: &[(&str, &[u8])], args: &[&str]) -> crate::common::Run {
    let dir = temp_files(files);
    let mut all = vec!["test", "--no-default-rules"];
    all.extend(args);
    run_in(dir.path(), &all)
}

#[test]
fn the_example_pack_passes_its_own_fixtures_alone_and_beside_the_built_in_pack() {
    let base = ["test", "--rules", "rules/examples.yaml", "--config", "rules/examples/nhsmail-lint.yaml"];
    let alone = run(&[&base[..], &["--no-default-rules"]].concat());
    assert_eq!(alone.code, 0, "{}{}", alone.stdout, alone.stderr);
    assert!(alone.stdout.ends_with("11 fixtures: 11 passed, 0 failed; each of 5 rules has a fixture it fires on.\n"));
    // With the built-in pack too: its rules fire on none of them (they are compliant), and
    // only the example pack's rules must each have a fixture.
    let both = run(&base);
    assert_eq!(both.code, 0, "{}{}", both.stdout, both.stderr);
    assert!(both.stdout.contains("each of 5 rules"), "{}", both.stdout);
}

#[test]
fn a_passing_pack_exits_0_and_names_each_fixture() {
    let files: &[(&str, &[u8])] = &[
        ("p.yaml", PACK),
        ("p/untagged.eml", &fixture("subject-prefix@4", "Results")),
        ("p/tagged-pass.eml", &fixture("", "[Pathology] Results")),
        // A sidecar for a fixture that declares nothing in its header.
        ("p/exe.eml", b"From: a@nhs.net\r\nSubject: [Pathology] x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/octet-stream; name=\"setup.exe\"\r\n\r\nMZ\r\n--b--\r\n"),
        ("p/exe.eml.expect", b"no-exe@6\n"),
    ];
    // No folder given: the one named after the pack, beside it.
    let result = test_in(files, &["--rules", "p.yaml"]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    for line in
        ["ok   p/exe.eml (no-exe@6)", "ok   p/tagged-pass.eml (passes)", "ok   p/untagged.eml (subject-prefix@4)"]
    {
        assert!(result.stdout.contains(line), "{line}\n{}", result.stdout);
    }
    assert!(result.stdout.ends_with("3 fixtures: 3 passed, 0 failed; each of 2 rules has a fixture it fires on.\n"));
}

#[test]
fn a_missing_an_unexpected_and_an_unknown_diagnostic_each_fail_the_fixture() {
    let files: &[(&str, &[u8])] = &[
        ("p.yaml", PACK),
        ("f/declared-not-reported.eml", &fixture("subject-prefix@4", "[Pathology] fine")),
        ("f/reported-not-declared.eml", &fixture("", "untagged")),
        ("f/wrong-line.eml", &fixture("subject-prefix@3", "untagged")),
        ("f/unknown-rule.eml", &fixture("subject-prefx@4", "untagged")),
        ("f/bad-declaration.eml", &fixture("subject-prefix", "untagged")),
    ];
    let result = test_in(files, &["--rules", "p.yaml", "f"]);
    assert_eq!(result.code, 1, "{}{}", result.stdout, result.stderr);
    let out = &result.stdout;
    for expected in [
        "FAIL f/declared-not-reported.eml (subject-prefix@4)\n       expected subject-prefix@4, not reported\n",
        "FAIL f/reported-not-declared.eml (passes)\n       unexpected subject-prefix@3\n",
        "FAIL f/wrong-line.eml (subject-prefix@3)\n       expected subject-prefix@3, not reported\n       unexpected subject-prefix@4\n",
        "expects `subject-prefx`, which no loaded rule defines (did you mean `subject-prefix`?)",
        "FAIL f/bad-declaration.eml (declaration unreadable)\n       `subject-prefix` is not rule@line\n",
        "UNTESTED no-exe: no fixture expects it to fire",
        "5 fixtures: 0 passed, 5 failed; 1 of 2 rules have no fixture they fire on: no-exe.",
    ] {
        assert!(out.contains(expected), "{expected}\n---\n{out}");
    }
}

#[test]
fn each_fixture_is_also_checked_with_the_other_line_ending() {
    // body.text keeps a CRLF file's CRs: a rule against them tells the two copies apart.
    let pack = b"rules:\n  - id: no-cr\n    severity: error\n    summary: s\n    message: m\n    require:\n      - field: body.text\n        not_matches: '\\r'\n";
    let lf = b"X-Lint-Expect: \nFrom: a@nhs.net\nSubject: x\n\nline one\nline two\n";
    let result = test_in(&[("p.yaml", pack), ("f/lf.eml", lf)], &["--rules", "p.yaml", "f"]);
    assert_eq!(result.code, 1, "{}{}", result.stdout, result.stderr);
    assert!(
        result.stdout.contains("FAIL f/lf.eml (passes)\n       with CRLF line endings: unexpected no-cr@5\n"),
        "{}",
        result.stdout
    );
    let crlf = b"X-Lint-Expect: no-cr@5\r\nFrom: a@nhs.net\r\nSubject: x\r\n\r\nline one\r\nline two\r\n";
    let result = test_in(&[("p.yaml", pack), ("f/crlf.eml", crlf)], &["--rules", "p.yaml", "f"]);
    assert!(result.stdout.contains("with LF line endings: expected no-cr@5, not reported"), "{}", result.stdout);
}

#[test]
fn the_json_outcome_lists_verdicts_and_rules() {
    let files: &[(&str, &[u8])] = &[("p.yaml", PACK), ("f/a.eml", &fixture("subject-prefix@4", "x"))];
    let result = test_in(files, &["--rules", "p.yaml", "--format", "json", "f"]);
    assert_eq!(result.code, 1, "no-exe has no fixture");
    let json = result.json();
    assert_eq!(json["fixtures"][0]["path"], "f/a.eml");
    assert_eq!(json["fixtures"][0]["expected"][0], "subject-prefix@4");
    assert_eq!(json["fixtures"][0]["problems"].as_array().map(Vec::len), Some(0));
    let rules = json["rules"].as_array().expect("rules");
    let counts: Vec<(&str, u64)> =
        rules.iter().map(|r| (r["id"].as_str().unwrap_or(""), r["failing_fixtures"].as_u64().unwrap_or(99))).collect();
    assert_eq!(counts, [("subject-prefix", 1), ("no-exe", 0)]);
}

#[test]
fn a_link_loop_among_the_fixtures_is_not_followed() {
    let dir = temp_files(&[("p.yaml", PACK), ("p/a.eml", &fixture("subject-prefix@4", "x"))]);
    std::os::unix::fs::symlink("..", dir.path().join("p/loop")).expect("symlink");
    let result = run_in(dir.path(), &["test", "--no-default-rules", "--rules", "p.yaml"]);
    assert_eq!(result.code, 1, "no-exe has no fixture: {}{}", result.stdout, result.stderr);
    assert!(result.stdout.starts_with("ok   p/a.eml (subject-prefix@4)\nUNTESTED no-exe"), "{}", result.stdout);
}

#[test]
fn a_broken_pack_an_empty_folder_or_no_folder_exits_2() {
    let broken =
        test_in(&[("p.yaml", b"rules:\n  - id: x\n    severity: fatal\n"), ("p/a.eml", b"x")], &["--rules", "p.yaml"]);
    assert_eq!(broken.code, 2, "{}", broken.stderr);
    assert!(broken.stderr.contains("p.yaml"), "{}", broken.stderr);
    let empty = test_in(&[("p.yaml", PACK), ("f/readme.txt", b"x")], &["--rules", "p.yaml", "f"]);
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("no .eml fixture under f"), "{}", empty.stderr);
    let none = test_in(&[("p.yaml", PACK)], &["--rules", "p.yaml"]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("looked for"), "{}", none.stderr);
}
