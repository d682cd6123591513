//! The linter answers for every one of the 728 third-party messages in
//! `../shared/corpus-public` (malformed ones included): no crash, no internal error,
//! every file reported once; and online, each of their addresses asked of a real
//! directory once. Skipped where the corpus is not beside the project (a clone alone),
//! unless NHSMAIL_LINT_REQUIRE_ALL is set (`common::requirement`).

use std::path::{Path, PathBuf};

use crate::common::run;

fn messages(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "_licenses" {
                messages(&path, out);
            }
        } else if name != "SOURCES.md" {
            out.push(path);
        }
    }
}

/// The corpus's messages, or `None` where it is not there (the test is skipped).
pub fn public_messages() -> Option<Vec<PathBuf>> {
    let corpus = crate::common::public_corpus()?;
    let mut files = Vec::new();
    messages(&corpus, &mut files);
    assert!(files.len() >= 728, "expected the 728 public messages, found {}", files.len());
    Some(files)
}

#[test]
fn every_public_message_gets_an_answer() {
    let Some(files) = public_messages() else { return };
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["check", "--format", "json"];
    args.extend(paths.iter().map(String::as_str));
    let result = run(&args);
    assert!(result.code == 0 || result.code == 1, "exit {}: {}", result.code, result.stderr);
    assert!(!result.stderr.contains("panicked"), "{}", result.stderr);
    let report = result.json();
    let reported: Vec<&str> =
        report["files"].as_array().expect("files").iter().map(|f| f["path"].as_str().expect("path")).collect();
    // A file reports as itself, or (an mbox) as its messages `file:#1`, `file:#2`, ...
    let missing: Vec<&String> = paths
        .iter()
        .filter(|p| !reported.iter().any(|r| r == p || r.strip_prefix(p.as_str()).is_some_and(|n| n.starts_with(":#"))))
        .collect();
    assert!(missing.is_empty(), "not reported: {missing:?}");
    let mut unique = reported.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), reported.len(), "each reported once");
    // In path order of the files; an mbox's messages in their order within it.
    let file_of = |r: &str| r.rsplit_once(":#").map_or(r, |(file, _)| file).to_owned();
    let sorted = reported.windows(2).all(|w| Path::new(&file_of(w[0])) <= Path::new(&file_of(w[1])));
    assert!(sorted, "in path order");
    assert_eq!(report["summary"]["files"], reported.len());
    let mboxes = reported.iter().filter(|r| r.contains(":#")).count();
    assert!(mboxes > 10, "the mbox files are split into their messages ({mboxes})");
    let internal = crate::common::rules_fired(&report).into_iter().filter(|r| r == "internal-error").count();
    assert_eq!(internal, 0, "no rule failed internally");
}

#[test]
fn every_public_message_gets_an_answer_online() {
    // Their addresses are at many domains: every one of those is asked, as if the
    // directory held them all, so odd addresses reach a real LDAP server.
    let Some(messages) = public_messages() else { return };
    let Some(ldap) = crate::ldap_server::TestLdap::start() else { return };
    let config = format!(
        "directory:\n  host: localhost\n  port: {}\n  base_dn: o=nhs\n  ca_file: {}\n  \
         domains: [nhs.net, example.com, example.org, gmail.com, aol.com, yahoo.com]\n\
         rules:\n  disable: [reply-domain-unroutable]\n",
        ldap.port,
        ldap.ca_file.display()
    );
    let dir = crate::common::temp_files(&[("nhsmail-lint.yaml", config.as_bytes())]);
    let paths: Vec<String> = messages.iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["check", "--online", "--format", "json"];
    args.extend(paths.iter().map(String::as_str));
    let result = crate::common::run_within(dir.path(), &args, 300);
    assert!(result.code == 0 || result.code == 1, "exit {}: {}", result.code, result.stderr);
    let fired = crate::common::rules_fired(&result.json());
    assert!(fired.iter().any(|r| r == "recipient-unknown"), "some addresses are asked and unknown");
    assert!(!fired.iter().any(|r| r == "internal-error"), "no rule failed internally");
    let report = result.json();
    let could_not: Vec<&str> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .flat_map(|f| f["diagnostics"].as_array().expect("diagnostics"))
        .filter_map(|d| d["message"].as_str())
        .filter(|m| m.starts_with("could not check"))
        .collect();
    assert!(could_not.is_empty(), "every address got an answer: {could_not:?}");
}

/// Every finding on the public corpus, by message, rule and place, as a snapshot: a
/// change to how messages are read (the MIME walk, text decoding, the line scan, made
/// faster) must leave every finding as it was, and a rule change shows here as a diff
/// to review (`INSTA_UPDATE=always cargo test snapshots`).
#[test]
fn public_findings_match_their_snapshots() {
    let Some(files) = public_messages() else { return };
    let corpus = crate::common::public_corpus().expect("the corpus is there");
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["check", "--format", "json"];
    args.extend(paths.iter().map(String::as_str));
    let result = run(&args);
    let report = result.json();
    let prefix = format!("{}/", corpus.display());
    let mut listed = String::new();
    let mut with_findings = 0;
    for file in report["files"].as_array().expect("files") {
        let diagnostics = file["diagnostics"].as_array().expect("diagnostics");
        if diagnostics.is_empty() {
            continue;
        }
        with_findings += 1;
        let path = file["path"].as_str().expect("path");
        let found: Vec<String> = diagnostics
            .iter()
            .map(|d| format!("{}@{}:{}", d["rule"].as_str().expect("rule"), d["line"], d["column"]))
            .collect();
        listed.push_str(&format!("{}: {}\n", path.strip_prefix(&prefix).unwrap_or(path), found.join(" ")));
    }
    let shown = format!("{} messages, {with_findings} with findings\n{listed}", report["summary"]["files"]);
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description("nhsmail-lint check --format json (each public message): rule@line:column");
    settings.bind(|| insta::assert_snapshot!("public-corpus-findings", shown));
}

/// The fast reading of every public message (the top header block parsed once) finds
/// the parts of the slow one: content types, names and ranges.
#[test]
fn public_messages_read_the_same_fast_and_slow() {
    let Some(files) = public_messages() else { return };
    for path in files {
        let (buffer, size) = nhsmail_lint::mail::parse_buffer(std::fs::read(&path).expect("read"));
        let view = nhsmail_lint::mail::MessageView::new(&buffer, size);
        assert_eq!(view.leaf_parts(), view.reference_parts().as_slice(), "{}", path.display());
    }
}
