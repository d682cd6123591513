//! The command line through the real binary: exit codes, the JSON contract, `rules`,
//! `explain`, configuration and its errors, human output.

use crate::common::{rules_fired, run, run_in, temp_files};

const GOOD: &[u8] = b"From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nTo: a@nhs.net\r\n\
Reply-To: pathology.enquiries@nhs.net\r\nSubject: Results\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
Message-ID: <a@nhs.net>\r\n\r\nResults are ready.\r\n";

const NOREPLY: &[u8] = b"From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nTo: a@nhs.net\r\n\
Reply-To: noreply@nhs.net\r\nSubject: Results\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
Message-ID: <b@nhs.net>\r\n\r\nResults are ready.\r\n";

const ACCOUNT: &str = "--account=pathology.results@nhs.net";

#[test]
fn exit_codes() {
    let dir = temp_files(&[("good.eml", GOOD), ("bad.eml", NOREPLY), ("warn.eml", &GOOD[..GOOD.len() - 52])]);
    let code = |args: &[&str]| run_in(dir.path(), args).code;
    assert_eq!(code(&["check", ACCOUNT, "good.eml"]), 0);
    assert_eq!(code(&["check", ACCOUNT, "good.eml", "bad.eml"]), 1);
    assert_eq!(code(&["check", ACCOUNT, "missing.eml"]), 2, "a path that does not exist is a usage error");
    assert_eq!(code(&["check", ACCOUNT]), 1, "no path checks the current folder, bad.eml in it");
    assert_eq!(code(&["check", "--format", "xml", "good.eml"]), 2);
    assert_eq!(code(&["explain", "no-such-rule"]), 2);
    // warn.eml lacks Message-ID (and the body): a warning only.
    assert_eq!(code(&["check", ACCOUNT, "warn.eml"]), 0, "warnings pass by default");
    assert_eq!(code(&["check", ACCOUNT, "--fail-on", "warning", "warn.eml"]), 1);
    assert_eq!(code(&["check", ACCOUNT, "--fail-on", "never", "bad.eml"]), 0);
}

#[test]
fn json_contract() {
    let dir = temp_files(&[("b/good.eml", GOOD), ("a/bad.eml", NOREPLY), ("a/notes.txt", b"not mail")]);
    let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "b", "a"]);
    assert_eq!(result.code, 1);
    let report = result.json();
    let keys: Vec<&String> = report.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["files", "notes", "requirements", "run", "summary", "unread"]);
    // Each requirement the message rules checked: what `--compare` reads of an earlier run.
    let requirements = report["requirements"].as_array().expect("requirements");
    let m4 = requirements.iter().find(|r| r["id"] == "M4").expect("M4 was checked");
    assert_eq!((m4["checked"].as_u64(), m4["failing"].as_u64()), (Some(2), Some(1)));
    assert_eq!(report["unread"], serde_json::json!([]), "every path was read");
    // Provenance: the tool, each pack by SHA-256, no config file here, the inputs as
    // given, when (RFC 3339, UTC) and how much was read.
    let run = &report["run"];
    assert_eq!(
        (run["tool"].as_str(), run["version"].as_str()),
        (Some("nhsmail-lint"), Some(env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(run["command"], "check");
    let sha = run["packs"][0]["sha256"].as_str().expect("the built-in pack's hash");
    assert!(sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()), "{sha}");
    assert!(run["config"].is_null(), "no config file: {run}");
    assert_eq!(run["inputs"], serde_json::json!(["b", "a"]));
    let (started, finished) = (run["started"].as_str().expect("started"), run["finished"].as_str().expect("finished"));
    assert!(started.ends_with('Z') && started.len() == 20 && started <= finished, "{started} {finished}");
    assert_eq!((run["files"].as_u64(), run["messages"].as_u64()), (Some(2), Some(2)));
    assert_eq!(run["bytes"].as_u64(), Some((GOOD.len() + NOREPLY.len()) as u64));
    let files = report["files"].as_array().expect("files");
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().expect("path")).collect();
    assert_eq!(paths, ["a/bad.eml", "b/good.eml"], "sorted by path; only .eml from directories");
    assert_eq!(files[1]["diagnostics"].as_array().expect("list").len(), 0, "clean files appear with []");
    assert!(files.iter().all(|f| f["message"].is_string()), "each message is named: {files:?}");
    let d = &files[0]["diagnostics"][0];
    let keys: Vec<&String> = d.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["column", "help", "key", "line", "message", "requirement", "rule", "severity"]);
    let key = d["key"].as_str().expect("the finding key");
    assert!(key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    assert_eq!(d["rule"], "no-reply-address");
    assert_eq!(d["requirement"], serde_json::json!(["M4"]), "the requirement the rule checks");
    assert_eq!(d["severity"], "error");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(3), Some(11)));
    assert_eq!(report["summary"], serde_json::json!({"files": 2, "errors": 1, "warnings": 0, "infos": 0}));
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let mut files: Vec<(String, &[u8])> = Vec::new();
    for i in 0..60 {
        files.push((format!("m{i:02}.eml"), if i % 3 == 0 { NOREPLY } else { GOOD }));
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let dir = temp_files(&refs);
    let one = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "--jobs", "1", "."]);
    let many = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "--jobs", "8", "."]);
    // The same document but for when each run started and finished.
    let timeless = |run: &crate::common::Run| {
        let mut report = run.json();
        for key in ["started", "finished"] {
            report["run"].as_object_mut().expect("run").remove(key).expect("a time");
        }
        report
    };
    assert_eq!(timeless(&one), timeless(&many));
    let human_one = run_in(dir.path(), &["check", ACCOUNT, "--jobs", "1", "."]);
    let human_many = run_in(dir.path(), &["check", ACCOUNT, "--jobs", "8", "."]);
    assert_eq!(human_one.stdout, human_many.stdout);
}

#[test]
fn rules_lists_every_rule_and_explain_documents_it() {
    let table = run(&["rules"]);
    assert_eq!(table.code, 0);
    let rules = run(&["rules", "--format", "json"]).json();
    let ids: Vec<&str> = rules.as_array().expect("list").iter().map(|r| r["id"].as_str().expect("id")).collect();
    for id in [
        "message-size",
        "recipient-limit",
        "from-account",
        "no-reply-address",
        "reply-to-invalid",
        "display-name-format",
        "display-name-unquoted-comma",
        "distribution-list-interval",
        "nhs-number-in-subject",
        "secure-marker-missing",
        "unrendered-placeholder",
        "line-too-long",
        "missing-date",
        "missing-message-id",
        "unparseable-message",
    ] {
        assert!(ids.contains(&id), "`{id}` is in the pack");
        assert!(table.stdout.contains(id), "`{id}` is in the table");
        let explained = run(&["explain", id]);
        assert_eq!(explained.code, 0);
        for section in ["What it does", "Why it matters", "Example", "How to fix", "Source"] {
            assert!(explained.stdout.contains(section), "explain {id} has `{section}`:\n{}", explained.stdout);
        }
    }
    let explained = run(&["explain", "no-reply-address"]).stdout;
    assert!(explained.contains("noreen.reply@"), "{explained}");
    assert!(run(&["explain", "unreadable-file"]).code == 0);
}

#[test]
fn account_from_config_flag_and_the_skip_note() {
    let other = String::from_utf8(GOOD.to_vec())
        .expect("utf-8")
        .replace("From: \"Results, Pathology\" <pathology.results@", "From: \"Results, Pathology\" <other@");
    let dir = temp_files(&[("m.eml", &crate::common::own_message_id(other.as_bytes())), ("n.eml", GOOD)]);
    // No account anywhere: from-account is skipped and the report says so once.
    let result = run_in(dir.path(), &["check", "--format", "json", "m.eml", "n.eml"]);
    let report = result.json();
    assert!(!rules_fired(&report).contains(&"from-account".to_string()));
    let notes: Vec<&str> = report["notes"].as_array().expect("notes").iter().filter_map(|n| n.as_str()).collect();
    assert_eq!(notes.iter().filter(|n| n.contains("from-account skipped")).count(), 1, "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("distribution-list-interval skipped")), "no lists: {notes:?}");
    let human = run_in(dir.path(), &["check", "m.eml", "n.eml"]).stdout;
    assert_eq!(human.matches("from-account skipped").count(), 1, "{human}");
    // ./nhsmail-lint.yaml is read when present.
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), "account: Pathology.Results@nhs.net\n").expect("write");
    let result = run_in(dir.path(), &["check", "--format", "json", "m.eml", "n.eml"]).json();
    assert_eq!(rules_fired(&result), ["from-account"]);
    assert!(!result["notes"].to_string().contains("from-account"), "{}", result["notes"]);
    // --account overrides the file.
    let result =
        run_in(dir.path(), &["check", "--format", "json", "--account", "other@nhs.net", "m.eml", "n.eml"]).json();
    let findings = crate::common::findings(&result);
    assert_eq!(findings[0].1.len(), 0, "m.eml is from other@: fine now");
    assert_eq!(findings[1].1.len(), 1, "n.eml is not");
}

#[test]
fn the_account_is_one_address_however_it_is_written() {
    // An A-label and its U-label are one domain, and quoting that is not needed changes
    // nothing (RFC 5322 3.4.1): From and the account compare in one form, both ways.
    let from = |address: &str| {
        let message = String::from_utf8(GOOD.to_vec()).expect("utf-8");
        crate::common::own_message_id(
            message.replace("<pathology.results@nhs.net>", &format!("<{address}>")).as_bytes(),
        )
    };
    let (u_label, a_label, quoted, other) = (
        from("results@пример.рф"),
        from("Results@xn--e1afmkfd.xn--p1ai"),
        from("\"results\"@пример.рф"),
        from("results@пример.рус"),
    );
    let dir = temp_files(&[("a.eml", &a_label), ("o.eml", &other), ("q.eml", &quoted), ("u.eml", &u_label)]);
    for account in ["results@пример.рф", "results@xn--e1afmkfd.xn--p1ai"] {
        let args = ["check", "--format", "json", "--account", account, "a.eml", "o.eml", "q.eml", "u.eml"];
        let report = run_in(dir.path(), &args).json();
        let fired: Vec<(String, Vec<String>)> = crate::common::findings(&report)
            .into_iter()
            .map(|(file, d)| (file, d.into_iter().map(|(rule, _)| rule).collect()))
            .collect();
        let expected = [("a.eml", vec![]), ("o.eml", vec!["from-account"]), ("q.eml", vec![]), ("u.eml", vec![])];
        let expected: Vec<(String, Vec<String>)> =
            expected.iter().map(|(f, r)| (f.to_string(), r.iter().map(|r| r.to_string()).collect())).collect();
        assert_eq!(fired, expected, "account {account}");
    }
}

#[test]
fn config_disables_and_regrades_rules() {
    let dir = temp_files(&[
        (
            "nhsmail-lint.yaml",
            b"account: pathology.results@nhs.net\nrules:\n  severity: { no-reply-address: warning }\n",
        ),
        ("bad.eml", NOREPLY),
    ]);
    let result = run_in(dir.path(), &["check", "--format", "json", "bad.eml"]);
    assert_eq!(result.code, 0, "a warning does not fail the run");
    assert_eq!(result.json()["files"][0]["diagnostics"][0]["severity"], "warning");
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), "rules:\n  disable: [no-reply-address]\n").expect("write");
    let result = run_in(dir.path(), &["check", "--format", "json", "bad.eml"]);
    assert_eq!(rules_fired(&result.json()), Vec::<String>::new());
    assert!(run_in(dir.path(), &["rules"]).stdout.contains("(disabled in config)"));
}

#[test]
fn config_errors_point_at_the_line_and_exit_2() {
    let cases: &[(&str, &str, &str)] = &[
        ("account: pathology.results@nhs.net\ncolour: blue\n", "colour", "unknown key"),
        ("account: [a, b]\n", "nhsmail-lint.yaml", "wrong type"),
        ("account: pathology.results\n", "nhsmail-lint.yaml:1:10", "bad address"),
        ("distribution_lists:\n  - ok-dl@nhs.net\n  - not an address\n", "nhsmail-lint.yaml:3:5", "bad list address"),
        ("rules:\n  disable: [no-such-rule]\n", "no rule has the id `no-such-rule`", "unknown rule id"),
        ("rules:\n  severity: { no-reply-address: fatal }\n", "fatal", "bad severity"),
        ("account: a@nhs.net\naccount: b@nhs.net\n", "nhsmail-lint.yaml", "duplicate key"),
        (
            "non_delivery:\n  - '^robot-'\n  - 'alerts(@'\n",
            "nhsmail-lint.yaml:3:5",
            "a non_delivery pattern that is not a regex",
        ),
    ];
    for (config, needle, what) in cases {
        let dir = temp_files(&[("nhsmail-lint.yaml", config.as_bytes()), ("m.eml", GOOD)]);
        let result = run_in(dir.path(), &["check", "m.eml"]);
        assert_eq!(result.code, 2, "{what}: exit 2\n{}", result.stderr);
        assert!(result.stderr.contains(needle), "{what}: stderr lacks `{needle}`:\n{}", result.stderr);
        assert!(result.stdout.is_empty(), "{what}: nothing checked");
    }
    let result = run(&["check", "--config", "no/such/config.yaml", "corpus/clean"]);
    assert_eq!(result.code, 2);
    assert!(result.stderr.contains("no/such/config.yaml"), "{}", result.stderr);
}

#[test]
fn human_output_underlines_the_offending_bytes() {
    let dir = temp_files(&[("bad.eml", NOREPLY)]);
    let out = run_in(dir.path(), &["check", ACCOUNT, "--color", "never", "bad.eml"]).stdout;
    let lines: Vec<&str> = out.lines().collect();
    let source = lines.iter().position(|l| l.contains("3 │ Reply-To: noreply@nhs.net")).expect(&out);
    let underline = lines[source + 1];
    let start = underline.find('─').expect("underline");
    let col_of_address = lines[source].find("noreply@").expect("address");
    assert_eq!(
        underline[..start].chars().count(),
        lines[source][..col_of_address].chars().count(),
        "the underline starts under the address:\n{out}"
    );
    assert!(out.contains("no-reply-address"));
    assert!(out.contains("help: Use a monitored mailbox"));
    assert!(out.contains("Checked 1 message in 1 file: 1 error, 0 warnings, 0 infos in 1 message."), "{out}");
    assert!(!out.contains('\u{1b}'), "no colour codes when not asked");
}

#[test]
fn eight_bit_headers_do_not_shift_spans() {
    // A Latin-1 byte (0xE9) before the NHS number: columns count it as one character.
    let mut message = b"Subject: R\xe9sultats 943 476 5919\r\n".to_vec();
    message.extend_from_slice(&GOOD[..GOOD.len()]);
    let dir = temp_files(&[("latin1.eml", &message)]);
    let report = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "latin1.eml"]).json();
    let d = report["files"][0]["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["rule"] == "nhs-number-in-subject")
        .expect("nhs number found")
        .clone();
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(1), Some(20)));
    let human = run_in(dir.path(), &["check", ACCOUNT, "--color", "never", "latin1.eml"]).stdout;
    let source = human.lines().find(|l| l.contains("1 │ Subject:")).expect(&human);
    let underline = human.lines().skip_while(|l| !l.contains("1 │ Subject:")).nth(1).expect("underline");
    let digits_at = source[..source.find("943").expect("digits")].chars().count();
    let underline_at = underline[..underline.find('─').expect("underline")].chars().count();
    assert_eq!(underline_at, digits_at, "{human}");
}

#[test]
fn findings_on_enormous_lines_are_located_in_words() {
    let mut message = GOOD[..GOOD.len() - 20].to_vec();
    message.extend_from_slice(&vec![b'y'; 70_000]);
    message.extend_from_slice(b" {{ name }}\r\n");
    let dir = temp_files(&[("long.eml", &message)]);
    let result = run_in(dir.path(), &["check", ACCOUNT, "long.eml"]);
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stdout.contains("at long.eml:8:70002"), "{}", result.stdout);
    assert!(result.stdout.contains("unrendered-placeholder"));
    assert!(result.stdout.contains("line-too-long"));
    assert!(!result.stdout.contains(&"y".repeat(5000)), "the line itself is not printed");
}

#[test]
fn unreadable_entries_are_reported_and_the_scan_goes_on() {
    let dir = temp_files(&[("good.eml", GOOD)]);
    std::os::unix::fs::symlink("nowhere.eml", dir.path().join("dangling.eml")).expect("symlink");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::os::unix::fs::symlink("..", dir.path().join("sub/loop")).expect("symlink");
    let result = run_in(dir.path(), &["check", ACCOUNT, "--format", "json", "."]);
    assert_eq!(result.code, 2, "a path not read makes the run incomplete: {}", result.stderr);
    assert!(result.stderr.contains("the run is incomplete: 2 path(s) could not be read"), "{}", result.stderr);
    let findings = crate::common::findings(&result.json());
    let unreadable: Vec<&str> = findings
        .iter()
        .filter(|(_, d)| d.iter().any(|(r, _)| r == "unreadable-file"))
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(unreadable, ["./dangling.eml", "./sub/loop"]);
    assert!(findings.iter().any(|(p, d)| p == "./good.eml" && d.is_empty()), "{findings:?}");
}

#[test]
fn explain_names_the_requirement_and_why_a_severity_departs() {
    let text = run(&["explain", "no-reply-address"]).stdout;
    assert!(text.contains("Requirement\n    M4 (must): The reply-to address must be valid, and must not be"), "{text}");
    assert!(!text.contains("Severity\n"), "error is what `must` gives: {text}");
    let text = run(&["explain", "smtp-port"]).stdout;
    assert!(text.contains("C9 (must): Sending by SMTP must use port 587 with TLS, and must authenticate."), "{text}");
    assert!(text.contains("Severity\n    warning, where the requirement's verb gives error: smtp-tls-mode"), "{text}");
    let listed = run(&["rules", "--format", "json"]).json();
    let row = listed.as_array().expect("rules").iter().find(|r| r["id"] == "smtp-tls-mode").expect("row").clone();
    assert_eq!(row["requirement"], serde_json::json!(["C1", "C9"]));
    let text = run(&["explain", "attestation-open"]).stdout;
    assert!(text.contains("attestation-open (info)"), "{text}");
}

#[test]
fn the_requirements_matrix_says_what_a_set_up_leaves_unchecked() {
    let plain = run(&["requirements"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    // A sentence that does not read as one (the page lost its example) is shown readable,
    // with the words of the source beside it.
    assert!(
        plain.stdout.contains(
            "M4  must  [offline, online]\n    The reply-to address must be valid, and must not be a non-delivery \
             address (a no-reply address, for example).\n    word for word: The reply to email address must be valid. \
             Non-delivery addresses, such as, must not be used.\n"
        ),
        "{}",
        plain.stdout
    );
    assert!(
        plain.stdout.contains("rules: smtp-tls-mode (error), smtp-port (warning; verb: error)"),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains("this set-up"), "no config, no set-up column");
    let config = b"transport:\n  mode: submission\n  host: send.nhs.net\n  username: a\n  password_env: P\n\
rules:\n  disable: [display-name-format]\nattestations:\n  A1: \"application account created, ticket INC0123456, 2026-10-02\"\n";
    let dir = temp_files(&[("nhsmail-lint.yaml", config)]);
    let matrix = run_in(dir.path(), &["requirements", "--format", "json"]).json();
    let row = |id: &str| matrix.as_array().expect("rows").iter().find(|r| r["id"] == id).expect("row").clone();
    // The only rule of M5 that still runs keeps it checked; the disabled one says so.
    let m5 = row("M5");
    assert_eq!(m5["setup"]["status"], "checked");
    assert_eq!(m5["rules"][0]["not_run"], "disabled in the config (`rules.disable`)");
    // No account, and a username that is no full address to read it from: neither rule of
    // A2 can run.
    let a2 = row("A2");
    assert_eq!(a2["setup"]["status"], "unchecked", "{a2}");
    assert!(a2["rules"][0]["not_run"].as_str().expect("why").contains("`account` is not configured"), "{a2}");
    // The mailbox is not configured: the quota is not checked.
    assert_eq!(row("A3")["setup"]["status"], "unchecked");
    // Attested, open, and not applying to a submission set-up.
    let a1 = row("A1");
    assert_eq!(a1["setup"]["attestation"], "application account created, ticket INC0123456, 2026-10-02");
    assert_eq!(row("C14")["setup"]["status"], "open");
    assert_eq!(row("C15")["setup"]["status"], "not applicable");
    assert_eq!(row("C15")["only_when"], serde_json::json!(["transport.mode is relay"]));
    assert!(row("C14").get("only_when").is_none(), "every set-up");
    let human = run_in(dir.path(), &["requirements"]).stdout;
    assert!(human.contains("this set-up: unchecked (from-account not run: `account` is not configured"), "{human}");
    assert!(human.contains("attested: application account created, ticket INC0123456"), "{human}");
    let markdown = run_in(dir.path(), &["requirements", "--format", "markdown"]).stdout;
    assert!(
        markdown.starts_with("| id | verb | sentence | coverage | rules (severity) | this set-up |\n"),
        "{markdown}"
    );
    // Only `transport:`: the mailbox's and the directory's rules have nothing to check, so
    // their requirements are not called checked (the pre-flight lists them to attest).
    let nothing = |row: &serde_json::Value, rule: &str| {
        let cell = row["rules"].as_array().expect("rules").iter().find(|c| c["id"] == rule).expect("rule").clone();
        cell["not_run"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(row("C3")["setup"]["status"], "unchecked");
    assert_eq!(nothing(&row("C3"), "pop-configured"), "nothing in this set-up for it to check (no `mailbox:`)");
    for id in ["C10", "C11"] {
        assert_eq!(row(id)["setup"]["status"], "open", "{id}");
        assert_eq!(nothing(&row(id), "mailbox-connect"), "nothing in this set-up for it to check (no `mailbox:`)");
    }
    assert_eq!(row("C12")["setup"]["status"], "open");
    assert_eq!(nothing(&row("C12"), "ldap-port"), "nothing in this set-up for it to check (no `directory:`)");
    assert_eq!(row("C9")["setup"]["status"], "checked", "the transport's own rules run");
    assert_eq!(row("C9")["readable"], "Sending by SMTP must use port 587 with TLS, and must authenticate.");
    assert_eq!(row("C9")["sentence"], "SMTP  Sending  587  TLS  Yes", "the source's words are kept");
    // With a POP mailbox, C3's rule has something to check.
    let pop = temp_files(&[(
        "nhsmail-lint.yaml",
        b"mailbox:\n  host: pop.example.nhs.uk\n  protocol: pop\n  username: a@nhs.net\n  password_env: P\n",
    )]);
    let matrix = run_in(pop.path(), &["requirements", "--format", "json"]).json();
    let c3 = matrix.as_array().expect("rows").iter().find(|r| r["id"] == "C3").expect("C3").clone();
    assert_eq!(c3["setup"]["status"], "checked", "{c3}");
    // A relay's port is checked, its firewall is a person's to attest: partly checked
    // until the attestation is recorded.
    let relay = b"transport:\n  mode: relay\n  host: relay.nhs.uk\n";
    let status = |config: &[u8]| {
        let dir = temp_files(&[("nhsmail-lint.yaml", config)]);
        let matrix = run_in(dir.path(), &["requirements", "--format", "json"]).json();
        let c15 = matrix.as_array().expect("rows").iter().find(|r| r["id"] == "C15").expect("C15").clone();
        c15["setup"]["status"].as_str().expect("status").to_owned()
    };
    assert_eq!(status(relay), "partly checked");
    let attested = [&relay[..], b"attestations:\n  C15: \"firewall opened to relay.nhs.uk:25, CHG0042\"\n"].concat();
    assert_eq!(status(&attested), "checked");
}

#[test]
fn rules_as_json_give_tooling_everything_the_pack_says() {
    let dir = temp_files(&[("c.yaml", b"rules: {disable: [line-too-long]}\n")]);
    let listed = run_in(dir.path(), &["rules", "--config", "c.yaml", "--format", "json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let rules = listed.json();
    let rules = rules.as_array().expect("rules");
    let keys = [
        "id",
        "aliases",
        "severity",
        "requirement",
        "summary",
        "message",
        "help",
        "label",
        "pack",
        "scope",
        "online",
        "skip_in_templates",
        "enabled",
        "unavailable",
        "docs",
    ];
    for rule in rules {
        for key in keys {
            assert!(rule.get(key).is_some(), "{} lacks `{key}`", rule["id"]);
        }
    }
    let row = |id: &str| rules.iter().find(|r| r["id"] == id).expect("row").clone();
    assert_eq!(row("host-ip-literal")["aliases"], serde_json::json!(["relay-ip-literal"]));
    assert_eq!(row("line-too-long")["enabled"], false);
    assert_eq!(row("missing-date")["skip_in_templates"], true);
    assert!(row("no-reply-address")["docs"]["why"].is_string());
    assert!(row("from-account")["unavailable"].as_str().is_some_and(|w| w.contains("account")));
    assert_eq!(row("no-reply-address")["scope"], "message");
}

#[test]
fn init_writes_a_starter_that_loads_and_never_overwrites() {
    let dir = temp_files(&[]);
    let written = run_in(dir.path(), &["init"]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let path = dir.path().join("nhsmail-lint.yaml");
    let text = std::fs::read_to_string(&path).expect("written");
    assert_eq!(text, include_str!("../../src/commands/init/starter.yaml"), "the starter schemas.rs validates");
    for key in ["account:", "distribution_lists:", "mode: submission", "password_env:", "attestations:", "# "] {
        assert!(text.contains(key), "{key}");
    }
    // It loads as the default config, and its set-up's one error in the pre-flight is its
    // placeholder account (warnings and open attestations are reported besides). Its host,
    // send.nhs.net, is reached from HSCN only: the probes of the live service are left out
    // (probe.rs tests them).
    let rules = run_in(dir.path(), &["rules"]);
    assert_eq!(rules.code, 0, "{}", rules.stderr);
    std::fs::write(&path, crate::preflight::without_probes(&text)).expect("probes left out");
    let preflight = run_in(dir.path(), &["preflight", "--format", "json"]);
    assert_eq!(preflight.code, 1, "{}{}", preflight.stdout, preflight.stderr);
    let fired = rules_fired(&preflight.json());
    let expected = ["account-placeholder", "smtp-basic-auth", "attestation-open"];
    assert!(fired.iter().all(|r| expected.contains(&r.as_str())), "{fired:?}");
    assert!(fired.iter().any(|r| r == "account-placeholder"), "{fired:?}");
    // With the account written, no error is left.
    std::fs::write(&path, crate::preflight::without_probes(&text).replace("application.name@", "pathology.results@"))
        .expect("account written");
    let written = run_in(dir.path(), &["preflight", "--format", "json"]);
    assert_eq!(written.code, 0, "{}{}", written.stdout, written.stderr);

    std::fs::write(&path, "account: mine@nhs.net\n").expect("edit");
    let again = run_in(dir.path(), &["init"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), "account: mine@nhs.net\n", "never overwritten");
    let elsewhere = run_in(dir.path(), &["init", "--output", "other.yaml"]);
    assert_eq!(elsewhere.code, 0, "{}", elsewhere.stderr);
    assert!(dir.path().join("other.yaml").is_file());
}

/// On a terminal the progress bar waits until a run has gone on a while: a pre-commit run
/// over one template never flashes one. (`script` gives the run a pseudo-terminal.)
#[test]
fn the_progress_bar_never_flashes_for_one_template() {
    let dir = temp_files(&[("template.eml", GOOD)]);
    let command =
        format!("{} check --account pathology.results@nhs.net template.eml", env!("CARGO_BIN_EXE_nhsmail-lint"));
    let output = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .current_dir(dir.path())
        .output()
        .expect("script gives the run a terminal");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("Checked 1 message in 1 file: no problems found."), "{shown}");
    assert!(!shown.contains("ETA") && !shown.contains("\u{1b}[2K"), "no bar drawn and cleared: {shown:?}");
}
