//! The JSON Schemas editors use (`schemas/rules.json`, `schemas/config.json`): they are
//! what `nhsmail-lint schema` generates from the loader's types; every pack and config in
//! the repository is valid against them; files the loader refuses for their shape are
//! refused by the schema too; and the checks no schema can express (docs/rules.md,
//! "Editor support") are the loader's alone.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{root, run, run_in, temp_files};

const PACKS: &[&str] = &["rules/nhsmail.yaml", "rules/examples.yaml"];
const CONFIGS: &[&str] = &[
    "corpus/nhsmail-lint.yaml",
    "corpus/relay/nhsmail-lint.yaml",
    "rules/examples/nhsmail-lint.yaml",
    "src/commands/init/starter.yaml",
    "tests/fixtures/bounces/nhsmail-lint.yaml",
];

fn committed(what: &str) -> Value {
    let path = root().join(format!("schemas/{what}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("committed schema")).expect("schema JSON")
}

fn validator(what: &str) -> jsonschema::Validator {
    jsonschema::validator_for(&committed(what)).expect("the schema compiles")
}

/// The document as JSON, read by the same YAML parser as the loader.
fn yaml(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).unwrap_or_else(|e| panic!("YAML: {e}\n{text}"))
}

fn errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    validator.iter_errors(&yaml(text)).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    for what in ["rules", "config"] {
        let generated = run(&["schema", what]);
        assert_eq!(generated.code, 0, "{}", generated.stderr);
        let on_disk = std::fs::read_to_string(root().join(format!("schemas/{what}.json"))).expect("committed schema");
        assert!(
            generated.stdout == on_disk,
            "schemas/{what}.json is not what the loader's types give (a key, type or doc comment changed): \
             regenerate it with `cargo run -- schema {what} > schemas/{what}.json` and commit it"
        );
        let schema: Value = serde_json::from_str(&generated.stdout).expect("JSON");
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    }
}

#[test]
fn the_schemas_give_enums_and_descriptions() {
    let rules = committed("rules");
    let defs = &rules["$defs"];
    assert_eq!(defs["Severity"]["enum"], serde_json::json!(["info", "warning", "error"]));
    let condition = &defs["ConditionSpec"];
    for operator in ["equals", "not_matches", "max", "one_of", "contains", "not_contains"] {
        assert!(condition["properties"][operator]["description"].is_string(), "{operator} is described");
    }
    assert_eq!(condition["oneOf"].as_array().map(Vec::len), Some(12), "exactly one operator");
    let fields = condition["properties"]["field"]["anyOf"].as_array().expect("field choices");
    let consts: Vec<&str> = fields.iter().filter_map(|f| f["const"].as_str()).collect();
    for name in ["subject", "attachments.size", "cc.address", "transport.mode"] {
        assert!(consts.contains(&name), "{name} in {consts:?}");
    }
    assert!(fields.iter().all(|f| f["description"].is_string()), "every field described");
    let functions = defs["FunctionCall"]["oneOf"][0]["anyOf"].as_array().expect("function names");
    assert!(functions.iter().any(|f| f["const"] == "nhs_number" && f["description"].is_string()));
    let config = committed("config");
    // Documented variants come as `oneOf` constants, each with its description.
    let modes = config["$defs"]["Mode"]["oneOf"].as_array().expect("modes");
    let modes: Vec<(&str, bool)> =
        modes.iter().map(|m| (m["const"].as_str().unwrap_or(""), m["description"].is_string())).collect();
    assert_eq!(modes, [("submission", true), ("relay", true)]);
    assert_eq!(config["$defs"]["Tls"]["enum"], serde_json::json!(["starttls", "implicit", "none"]));
    assert!(config["properties"]["account"]["description"].is_string());
    assert!(config["$defs"]["TransportSpec"]["properties"]["password_env"]["description"].is_string());
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            yaml_files(&path, out);
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_pack_and_config_in_the_repository_is_valid() {
    let mut found = Vec::new();
    yaml_files(&root(), &mut found);
    let listed: Vec<PathBuf> = PACKS.iter().chain(CONFIGS).map(|p| root().join(p)).collect();
    for file in &found {
        assert!(listed.contains(file), "{} is neither in PACKS nor in CONFIGS", file.display());
    }
    for (what, files) in [("rules", PACKS), ("config", CONFIGS)] {
        let validator = validator(what);
        for file in files {
            let text = std::fs::read_to_string(root().join(file)).expect("read");
            let problems = errors(&validator, &text);
            assert!(problems.is_empty(), "{file} against schemas/{what}.json: {problems:#?}");
        }
    }
}

const RULE: &str = "rules:\n  - id: trust-rule\n    severity: error\n    summary: s\n    message: m\n";

/// Whether the loader refuses `text` as a pack (`rules`) or config (`config`): exit 2.
fn loader_refuses(what: &str, text: &str) -> bool {
    let dir = temp_files(&[("f.yaml", text.as_bytes())]);
    let flag = if what == "rules" { "--rules" } else { "--config" };
    let result = run_in(dir.path(), &["rules", flag, "f.yaml"]);
    assert!(result.code == 0 || result.code == 2, "{}", result.stderr);
    result.code == 2
}

#[test]
fn files_the_loader_refuses_for_their_shape_the_schema_refuses_too() {
    let require = |condition: &str| format!("{RULE}    require:\n      - {condition}\n");
    let cases: Vec<(&str, String)> = vec![
        ("rules", format!("{RULE}    colour: red\n    require: [{{field: subject, present: true}}]\n")),
        ("rules", RULE.replace("error", "fatal") + "    require: [{field: subject, present: true}]\n"),
        ("rules", "rules:\n  - id: r\n    severity: error\n    message: m\n".to_owned()),
        ("rules", require("{field: subjct, matches: x}")),
        ("rules", require("{field: subject, matchs: x}")),
        ("rules", require("{field: subject}")),
        ("rules", require("{field: subject, matches: x, equals: y}")),
        ("rules", require("{field: subject, contains: nhs_numbr}")),
        ("rules", require("{field: subject, contains: {function: nhs_number, option: {}}}")),
        ("rules", require("{field: subject, present: maybe}")),
        ("rules", format!("{RULE}    scope: everything\n    require: [{{field: subject, present: true}}]\n")),
        ("rules", "requirements:\n  - {id: T1, verb: shall, sentence: s, coverage: offline, source: s}\n".to_owned()),
        ("config", "acount: a@nhs.net\n".to_owned()),
        ("config", "transport: {mode: smtp, host: send.nhs.net}\n".to_owned()),
        ("config", "transport: {mode: submission, host: send.nhs.net, port: submission}\n".to_owned()),
        ("config", "transport: {mode: submission}\n".to_owned()),
        ("config", "rules: {severity: {line-too-long: loud}}\n".to_owned()),
        ("config", "mailbox: {host: imap.nhs.net, username: a@nhs.net, protocol: pop3}\n".to_owned()),
        ("config", "distribution_lists: results-team-dl@nhs.net\n".to_owned()),
    ];
    for (what, text) in &cases {
        assert!(loader_refuses(what, text), "the loader takes this {what} file:\n{text}");
        assert!(
            !errors(&validator(what), text).is_empty(),
            "schemas/{what}.json takes what the loader refuses:\n{text}"
        );
    }
}

/// The checks docs/rules.md lists as the loader's alone: what a schema cannot express.
#[test]
fn what_no_schema_can_express_is_the_loader_s_alone() {
    let require = |condition: &str| format!("{RULE}    require:\n      - {condition}\n");
    let cases: Vec<(&str, String)> = vec![
        // A regular expression that does not compile.
        ("rules", require("{field: subject, matches: '([a-z'}")),
        // An operator on the wrong kind of field.
        ("rules", require("{field: subject, max: 10}")),
        // Duplicate rule ids, across the file (or across packs).
        (
            "rules",
            format!("{RULE}    require: [{{field: subject, present: true}}]\n{}", &RULE[7..])
                + "    require: [{field: subject, present: true}]\n",
        ),
        // A requirement id no loaded pack defines.
        ("rules", format!("{RULE}    requirement: [Z9]\n    require: [{{field: subject, present: true}}]\n")),
        // An unknown `${config.*}` key or `{{placeholder}}`.
        ("rules", require("{field: subject, equals: '${config.acount}'}")),
        (
            "rules",
            RULE.replace("message: m", "message: '{{valu}}'") + "    require: [{field: subject, present: true}]\n",
        ),
        // An online function in a rule not marked `online`; an option of the wrong type.
        ("rules", require("{field: reply_to.domain, contains: unroutable_domain}")),
        ("rules", require("{field: subject, contains: {function: nhs_number, options: {within: [x]}}}")),
        // A rule id the config names that no pack defines; an address that is not one.
        ("config", "rules: {disable: [no-such-rule]}\n".to_owned()),
        ("config", "account: not-an-address\n".to_owned()),
    ];
    for (what, text) in &cases {
        assert!(loader_refuses(what, text), "the loader takes this {what} file:\n{text}");
        let problems = errors(&validator(what), text);
        assert!(problems.is_empty(), "the schema can check this after all ({problems:?}): move it up\n{text}");
    }
}

/// The configuration examples of the pages about the configuration, as a user copies them.
#[test]
fn the_documented_configs_are_valid() {
    let validator = validator("config");
    let mut blocks = 0;
    for page in ["README.md", "docs/configuration.md", "docs/preflight.md", "docs/sending.md"] {
        let text = std::fs::read_to_string(root().join(page)).expect("page");
        for block in text.split("```yaml\n").skip(1).filter_map(|rest| rest.split("```").next()) {
            blocks += 1;
            let problems = errors(&validator, block);
            assert!(problems.is_empty(), "{page}: {problems:#?}\n{block}");
        }
    }
    assert!(blocks >= 6, "{blocks} examples");
}
