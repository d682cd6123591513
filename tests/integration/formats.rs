//! The report formats: each says the same thing as the JSON contract, and the standard
//! ones pass their standard's checks (SARIF against its schema, JUnit through a JUnit
//! parser).

use serde_json::Value;

use crate::common::{root, run, temp_files};

pub const ARGS: &[&str] = &["check", "--config", "corpus/nhsmail-lint.yaml"];
pub const PATHS: &[&str] = &["corpus/clean", "corpus/rules"];

/// `check` of the sample corpus (its config, `corpus/clean` and `corpus/rules`) in `format`.
pub fn report(format: &str) -> crate::common::Run {
    let mut args = ARGS.to_vec();
    args.extend(["--format", format]);
    args.extend(PATHS);
    run(&args)
}

/// How many diagnostics the JSON contract reports, and for how many files.
fn json_counts() -> (usize, usize) {
    let json = report("json").json();
    let files = json["files"].as_array().expect("files");
    (files.iter().map(|f| f["diagnostics"].as_array().expect("list").len()).sum(), files.len())
}

#[test]
fn concise_and_github_give_one_line_a_diagnostic() {
    let (diagnostics, _) = json_counts();
    let concise = report("concise");
    assert_eq!(concise.code, 1);
    let lines: Vec<&str> =
        concise.stdout.lines().filter(|l| l.contains(": error[") || l.contains(": warning[")).collect();
    assert_eq!(lines.len(), diagnostics);
    assert!(lines.contains(&"corpus/rules/no-reply-address/reply-to-noreply.eml:4:11: error[no-reply-address] replies would go to the non-delivery address no-reply@nhs.net"));
    let github = report("github");
    let commands: Vec<&str> = github.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), diagnostics);
    assert!(commands.contains(&"::error file=corpus/rules/no-reply-address/reply-to-noreply.eml,line=4,col=11,title=nhsmail-lint no-reply-address (requirement M4)::replies would go to the non-delivery address no-reply@nhs.net"));
}

#[test]
fn jsonl_streams_one_object_a_file_then_the_summary() {
    let (diagnostics, files) = json_counts();
    let jsonl = report("jsonl");
    let objects: Vec<Value> =
        jsonl.stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    let last = objects.last().expect("lines");
    assert!(last["summary"]["files"].as_u64() == Some(files as u64), "{last}");
    // The closing object carries the run's provenance, as the JSON document does.
    let run = &last["run"];
    assert_eq!(run["messages"].as_u64(), Some(files as u64), "{run}");
    assert_eq!(run["config"]["name"], "corpus/nhsmail-lint.yaml");
    let json = report("json").json();
    assert_eq!(run["config"]["sha256"], json["run"]["config"]["sha256"], "the same config, the same hash");
    assert_eq!(run["packs"], json["run"]["packs"]);
    let per_file: Vec<&Value> = objects.iter().filter(|o| o.get("path").is_some()).collect();
    let scanned = per_file.iter().filter(|o| o.get("corpus").is_none()).count();
    assert_eq!(scanned, files, "one object a file");
    let found: usize = per_file.iter().map(|o| o["diagnostics"].as_array().expect("list").len()).sum();
    assert_eq!(found, diagnostics, "corpus findings come as extra objects marked corpus");
}

#[test]
fn sarif_is_valid_against_the_schema_and_carries_rule_help() {
    let (diagnostics, _) = json_counts();
    let sarif = report("sarif").json();
    // The published text's `language` patterns have a stray `]`, which a strict check of
    // the schema itself refuses: use the pattern they mean.
    let text = std::fs::read_to_string(root().join("tests/fixtures/sarif-2.1.0-rtm.5.json")).expect("schema");
    let text = text.replace("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$", "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().expect("results").len(), diagnostics);
    // Provenance: the tool's version, and one invocation with its times and exit code.
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["exitCode"], 1, "findings at --fail-on: exit 1");
    assert_eq!(invocation["executionSuccessful"], true, "findings are no failure of the run");
    let (start, end) =
        (invocation["startTimeUtc"].as_str().expect("start"), invocation["endTimeUtc"].as_str().expect("end"));
    assert!(start.ends_with('Z') && start <= end, "{start} {end}");
    let packs = invocation["properties"]["run"]["packs"].as_array().expect("packs");
    assert!(packs.iter().all(|p| p["sha256"].as_str().is_some_and(|h| h.len() == 64)), "{packs:?}");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let no_reply = rules.iter().find(|r| r["id"] == "no-reply-address").expect("rule metadata");
    assert!(no_reply["help"]["text"].as_str().expect("help").contains("How to fix"), "{no_reply}");
    let result = &run["results"][0];
    assert_eq!(rules[result["ruleIndex"].as_u64().expect("index") as usize]["id"], result["ruleId"]);
    // Each result in a message carries its finding key, the JSON report's `key`.
    let keys = crate::common::finding_keys(&report("json").json());
    let mut fingerprints: Vec<&str> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["partialFingerprints"]["nhsmailLintFinding/v1"].as_str())
        .collect();
    fingerprints.sort();
    assert!(!keys.is_empty());
    assert_eq!(fingerprints, keys);
    // The requirements are a taxonomy, and each rule relates to the ones it checks.
    let taxonomy = &run["taxonomies"][0];
    assert_eq!(run["tool"]["driver"]["supportedTaxonomies"][0]["name"], taxonomy["name"]);
    let taxa = taxonomy["taxa"].as_array().expect("taxa");
    let related = no_reply["relationships"].as_array().expect("relationships");
    assert_eq!(related.len(), 1, "{related:?}");
    let target = &related[0]["target"];
    assert_eq!(target["id"], "M4");
    assert_eq!(target["toolComponent"]["name"], taxonomy["name"]);
    let taxon = &taxa[target["index"].as_u64().expect("index") as usize];
    assert_eq!(taxon["id"], "M4");
    assert!(
        taxon["shortDescription"]["text"]
            .as_str()
            .expect("text")
            .starts_with("The reply-to address must be valid, and must not be a non-delivery address")
    );
    // The source's own words are kept beside the readable sentence.
    let full = taxon["fullDescription"]["text"].as_str().expect("text");
    assert!(full.contains("Word for word: The reply to email address must be valid. Non-delivery"), "{full}");
    let smtp_tls = rules.iter().find(|r| r["id"] == "smtp-tls-mode").expect("rule");
    let ids: Vec<&Value> =
        smtp_tls["relationships"].as_array().expect("two").iter().map(|r| &r["target"]["id"]).collect();
    assert_eq!(ids, ["C1", "C9"]);
}

#[test]
fn junit_reads_back_through_a_junit_parser() {
    let (_, files) = json_counts();
    let json = report("json").json();
    let failing = json["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["diagnostics"].as_array().expect("list").iter().any(|d| d["severity"] == "error"))
        .count();
    let junit = report("junit");
    let suites = junit_parser::from_reader(std::io::Cursor::new(junit.stdout.as_bytes())).expect("valid JUnit");
    assert_eq!(suites.tests as usize, files);
    assert_eq!(suites.failures as usize, failing);
    // Provenance as the suite's properties (and its timestamp and host name).
    let suite = &suites.suites[0];
    let property = |name: &str| suite.properties.hashmap.get(name).cloned();
    assert_eq!(property("nhsmail-lint.version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(property("nhsmail-lint.messages"), Some(files.to_string()));
    let config = property("nhsmail-lint.config.corpus/nhsmail-lint.yaml").expect("the config's hash");
    assert_eq!(config.len(), 64);
    assert!(suite.timestamp.is_some() && suite.hostname.is_some(), "{suite:?}");
    let cases = &suites.suites[0].cases;
    let bad =
        cases.iter().find(|c| c.original_name == "corpus/rules/no-reply-address/reply-to-noreply.eml").expect("case");
    assert!(bad.status.is_failure(), "{bad:?}");
    assert!(
        junit.stdout.contains(
            "error[no-reply-address] replies would go to the non-delivery address no-reply@nhs.net (requirement M4)"
        ),
        "the requirement in the failure text"
    );
}

#[test]
fn output_file_and_statistics() {
    let dir = temp_files(&[]);
    let out = dir.path().join("report.sarif");
    let mut args = ARGS.to_vec();
    let out_arg = out.display().to_string();
    args.extend(["--format", "sarif", "--output", out_arg.as_str()]);
    args.extend(PATHS);
    let result = run(&args);
    assert_eq!(result.code, 1);
    assert!(result.stdout.is_empty(), "the report went to the file");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("sarif");
    assert_eq!(written["version"], "2.1.0");

    let mut args = ARGS.to_vec();
    args.push("--statistics");
    args.extend(PATHS);
    let stats = run(&args).stdout;
    let no_reply = stats.lines().find(|l| l.contains("no-reply-address")).expect(&stats);
    let count: usize = no_reply.split_whitespace().next().expect("count").parse().expect("number");
    let json = report("json").json();
    let expected = crate::common::rules_fired(&json).iter().filter(|r| *r == "no-reply-address").count();
    assert_eq!(count, expected);
    assert!(!stats.contains("-->") && !stats.contains("╭"), "no individual diagnostics");
    let mut args = ARGS.to_vec();
    args.extend(["--statistics", "--format", "json", "corpus/clean"]);
    assert_eq!(run(&args).code, 2);
}

#[test]
fn progress_only_on_a_terminal() {
    let piped = report("json");
    assert!(piped.stderr.is_empty(), "no progress when stderr is not a terminal: {}", piped.stderr);
    // Under a pseudo-terminal (util-linux `script`), with the report sent to a file; the
    // public corpus gives the bar enough files to be drawn.
    let Some(public) = crate::common::public_corpus() else { return };
    let dir = temp_files(&[]);
    let transcript = dir.path().join("transcript");
    let bin = env!("CARGO_BIN_EXE_nhsmail-lint");
    let inner = format!(
        "{bin} check --format json --output {} corpus {}",
        dir.path().join("r.json").display(),
        public.display()
    );
    let status = std::process::Command::new("script")
        .args(["-qec", &inner, &transcript.display().to_string()])
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("script (util-linux) runs");
    assert!(status.code().is_some());
    let seen = String::from_utf8_lossy(&std::fs::read(&transcript).expect("transcript")).into_owned();
    assert!(seen.contains(" files ") && seen.contains("ETA"), "a progress bar was drawn: {seen:?}");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).expect("report")).expect("json");
    assert!(written["files"].as_array().is_some_and(|f| !f.is_empty()), "and the report is clean JSON");
}
