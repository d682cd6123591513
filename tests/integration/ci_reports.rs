//! The reports for GitLab and Azure Pipelines: GitLab Code Quality is valid against
//! schemas/gitlab-code-quality.json (written from GitLab's field table), one issue a
//! finding with a fingerprint no other finding shares and that follows a finding when lines
//! move; Azure's logging commands are one a finding, and text from a message or a file
//! name stays text (the agent reads no command from it). Both come out of `merge` as out of
//! `check`.

use serde_json::Value;

use crate::common::{root, run, run_in, temp_files};
use crate::formats::{ARGS, PATHS, report};

/// A diagnostic of the JSON report, as the other formats must say it.
struct Finding {
    path: String,
    line: u64,
    severity: String,
    rule: String,
    message: String,
    requirements: Vec<String>,
}

impl Finding {
    /// The description the GitLab and Azure reports give: the message and its requirements.
    fn described(&self) -> String {
        match &self.requirements[..] {
            [] => self.message.clone(),
            [one] => format!("{} (requirement {one})", self.message),
            many => format!("{} (requirements {})", self.message, many.join(", ")),
        }
    }
}

/// Every diagnostic of a JSON report.
fn diagnostics(json: &Value) -> Vec<Finding> {
    let mut found = Vec::new();
    for file in json["files"].as_array().expect("files") {
        for d in file["diagnostics"].as_array().expect("list") {
            found.push(Finding {
                path: text_of(&file["path"]),
                line: d["line"].as_u64().expect("line"),
                severity: text_of(&d["severity"]),
                rule: text_of(&d["rule"]),
                message: text_of(&d["message"]),
                requirements: d["requirement"].as_array().expect("ids").iter().map(text_of).collect(),
            });
        }
    }
    found
}

fn text_of(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

fn schema_errors(report: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("schemas/gitlab-code-quality.json")).expect("the schema");
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator.iter_errors(report).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[test]
fn gitlab_is_valid_against_its_schema_and_says_what_json_says() {
    let gitlab = report("gitlab");
    assert_eq!(gitlab.code, 1, "{}", gitlab.stderr);
    assert!(!gitlab.stdout.starts_with('\u{feff}'), "GitLab's parser refuses a byte-order mark");
    let issues = gitlab.json();
    let errors = schema_errors(&issues);
    assert!(errors.is_empty(), "schemas/gitlab-code-quality.json: {errors:#?}");
    let issues = issues.as_array().expect("an array");
    let expected = diagnostics(&report("json").json());
    assert_eq!(issues.len(), expected.len());
    let mut got: Vec<(String, u64, String, String, String)> = issues
        .iter()
        .map(|i| {
            let location = &i["location"];
            (
                text_of(&location["path"]),
                location["lines"]["begin"].as_u64().expect("line"),
                text_of(&i["severity"]),
                text_of(&i["check_name"]),
                text_of(&i["description"]),
            )
        })
        .collect();
    let mut want: Vec<(String, u64, String, String, String)> = expected
        .iter()
        .map(|f| {
            let severity = match f.severity.as_str() {
                "error" => "major",
                "warning" => "minor",
                _ => "info",
            };
            (f.path.clone(), f.line, severity.to_owned(), f.rule.clone(), f.described())
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    // GitLab shows findings that share a fingerprint as one.
    let mut fingerprints: Vec<&str> = issues.iter().map(|i| i["fingerprint"].as_str().expect("fingerprint")).collect();
    fingerprints.sort();
    let all = fingerprints.len();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), all, "every fingerprint is unique on the sample corpus");
    // An empty run is an empty array, which GitLab reads as no finding.
    let clean = run(&["check", "--config", "corpus/nhsmail-lint.yaml", "--format", "gitlab", "corpus/clean"]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, "[]\n"), "{}", clean.stderr);
}

const NOREPLY: &str = "From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nTo: a.patient@nhs.net\r\n\
Reply-To: no-reply@nhs.net\r\nSubject: Results\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
Message-ID: <nr-1@pathology.example.nhs.uk>\r\n\r\nResults are ready.\r\n";

/// The GitLab issues of `check --format gitlab PATHS` in `dir`, by path, with the JSON
/// report's finding keys.
fn fingerprints(dir: &std::path::Path, paths: &[&str]) -> (Vec<(String, u64, String)>, Vec<String>) {
    let report = |format: &'static str| {
        let mut args = vec!["check", "--account", "pathology.results@nhs.net", "--format", format];
        args.extend(paths);
        run_in(dir, &args).json()
    };
    let issues = report("gitlab");
    let issues = issues.as_array().expect("issues").iter().filter(|i| i["check_name"] == "no-reply-address");
    let found = issues
        .map(|i| {
            let location = &i["location"];
            (text_of(&location["path"]), location["lines"]["begin"].as_u64().expect("line"), text_of(&i["fingerprint"]))
        })
        .collect();
    (found, crate::common::finding_keys(&report("json")))
}

#[test]
fn a_fingerprint_follows_its_finding_and_copies_in_two_files_are_two_findings() {
    let moved = format!("Received: from a by b; Mon, 23 Nov 2026 09:00:01 +0000\n{}", NOREPLY.replace("\r\n", "\n"));
    let dir =
        temp_files(&[("a.eml", NOREPLY.as_bytes()), ("b.eml", NOREPLY.as_bytes()), ("later/a.eml", moved.as_bytes())]);
    let (found, keys) = fingerprints(dir.path(), &["a.eml", "b.eml"]);
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1], "one message filed twice: one finding key");
    let [(a_path, a_line, a), (b_path, _, b)] = &found[..] else { panic!("{found:?}") };
    assert_eq!((a_path.as_str(), b_path.as_str(), *a_line), ("a.eml", "b.eml", 3));
    assert_ne!(a, b, "two files, two findings for GitLab");
    // The same file a run later, with a line added above the finding and its line endings
    // changed: GitLab matches the finding, now on line 4. `./` names the same file.
    std::fs::rename(dir.path().join("later/a.eml"), dir.path().join("a.eml")).expect("rename");
    let (later, _) = fingerprints(dir.path(), &["./a.eml"]);
    assert_eq!(later, [("a.eml".to_owned(), 4, a.clone())]);
}

#[test]
fn merge_writes_the_ci_formats_as_check_does() {
    let dir = temp_files(&[]);
    let parts: Vec<String> = (1..=2).map(|k| dir.path().join(format!("part{k}.jsonl")).display().to_string()).collect();
    for (k, part) in (1..).zip(&parts) {
        let shard = format!("{k}/2");
        let mut args = ARGS.to_vec();
        args.extend(["--format", "jsonl", "--shard", shard.as_str(), "--output", part.as_str()]);
        args.extend(PATHS);
        assert!(run(&args).code < 2);
    }
    // Azure's closing summary differs (`merge` never saw the files skipped as not mail):
    // its commands are compared.
    for (format, compared) in [("gitlab", ""), ("azure", "##vso[")] {
        let mut args = vec!["merge", "--config", "corpus/nhsmail-lint.yaml", "--format", format];
        args.extend(parts.iter().map(String::as_str));
        let merged = run(&args);
        let single = report(format);
        assert_eq!(merged.code, single.code, "{}", merged.stderr);
        let lines =
            |text: &str| text.lines().filter(|l| l.starts_with(compared)).map(str::to_owned).collect::<Vec<_>>();
        let merged_lines = lines(&merged.stdout);
        assert!(merged_lines.len() > 100, "{format}: {}", merged.stdout);
        assert!(
            merged_lines == lines(&single.stdout),
            "{format}: merged\n{}\nsingle\n{}",
            merged.stdout,
            single.stdout
        );
    }
}

/// A logging command as the agent reads it: `area.event`, the properties, the message.
struct Read {
    name: String,
    properties: Vec<(String, String)>,
    data: String,
}

/// A command line as the Azure agent reads it (its Command.TryParse): the first `##vso[`,
/// the first `]` after it, `area.event`, then `;`-separated properties, each value and the
/// message unescaped (CommandStringConvertor.Unescape, with percents decoded).
fn agent_reads(line: &str) -> Option<Read> {
    let unescape = |s: &str| {
        s.replace("%3B", ";").replace("%0D", "\r").replace("%0A", "\n").replace("%5D", "]").replace("%AZP25", "%")
    };
    let start = line.find("##vso[")?;
    let end = start + line[start..].find(']')?;
    let info = &line[start + 6..end];
    let (name, properties) = info.split_once(' ').unwrap_or((info, ""));
    let properties = properties
        .split(';')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), unescape(v)))
        .collect();
    Some(Read { name: name.to_owned(), properties, data: unescape(&line[end + 1..]) })
}

#[test]
fn azure_gives_one_command_a_finding_and_hostile_text_stays_text() {
    // A Subject with `]`, `;`, `%`, a line break (a fold) and a command, in placeholders
    // the report quotes; a file name with the same, and a line break of its own; a file
    // that is not mail, whose extension a note quotes.
    let subject = "Subject: {{ x ]; 100% ##vso[task.setvariable variable=leak]pwned }}\r\n \
                   {{ y;%]##vso[task.complete result=Failed] }}\r\n";
    let message = NOREPLY.replace("Subject: Results\r\n", subject);
    let hostile = "in\r\n##vso[task.setvariable variable=path]x;y]%.eml";
    let dir = temp_files(&[
        ("a.eml", message.as_bytes()),
        (hostile, message.as_bytes()),
        ("n.x##vso[task.setvariable variable=note]z", b"not mail"),
    ]);
    let args = |format: &'static str| vec!["check", "-v", "--format", format, "."];
    let json = run_in(dir.path(), &args("json"));
    let expected = diagnostics(&json.json());
    assert!(expected.iter().any(|f| f.message.contains("##vso[task.setvariable")), "the report quotes the Subject");
    let azure = run_in(dir.path(), &args("azure"));
    assert_eq!(azure.code, json.code, "{}", azure.stderr);
    let (commands, text): (Vec<&str>, Vec<&str>) = azure.stdout.lines().partition(|l| l.starts_with("##vso["));
    assert_eq!(commands.len(), expected.len(), "one command a finding:\n{}", azure.stdout);
    // No other line holds a command, nor a formatting command.
    assert!(text.iter().all(|l| !l.contains("##vso[") && !l.contains("##[")), "{text:#?}");
    assert!(text.iter().any(|l| l.starts_with("note: skipped as not mail")), "notes are still shown: {text:#?}");
    let mut read: Vec<(String, String, String, String)> = commands
        .iter()
        .map(|line| {
            let Read { name, properties, data } = agent_reads(line).expect("a command");
            assert_eq!(name, "task.logissue", "{line}");
            let keys: Vec<&str> = properties.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ["type", "sourcepath", "linenumber", "columnnumber", "code"], "{line}");
            let value = |key: &str| properties.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).expect("a value");
            (value("sourcepath"), value("code"), value("type"), data)
        })
        .collect();
    let mut want: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|f| {
            let kind = if f.severity == "error" { "error" } else { "warning" };
            let path = f.path.strip_prefix("./").unwrap_or(&f.path).to_owned();
            (path, f.rule.clone(), kind.to_owned(), f.described())
        })
        .collect();
    read.sort();
    want.sort();
    assert_eq!(read, want, "the agent reads back each path, rule, type and message");
    assert!(read.iter().any(|r| r.0 == hostile), "the file name is read back whole");
}
