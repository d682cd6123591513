//! A linter's habits (issue 27): the config found from the current folder as ruff and
//! ESLint find theirs, named by NHSMAIL_LINT_CONFIG or --config, or none (--isolated);
//! a found config never runs a program; `nhsmail-lint config`; and the flags users of
//! ruff type (--output-format, --exit-zero, -q, --stdin-filename, no path meaning `.`
//! with .gitignore honoured, --statistics aligned).

use std::path::Path;

use crate::common::{root, run_in, run_with_env};

/// A repository (a folder holding `.git`) with `config` at its root and a clean and a
/// failing message under `templates/`.
fn repository(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join(".git")).expect("git");
    std::fs::create_dir_all(dir.path().join("templates/legacy")).expect("mkdir");
    std::fs::write(dir.path().join("nhsmail-lint.yaml"), config).expect("config");
    let clean = root().join("corpus/clean/appointment-reminder.eml");
    std::fs::copy(&clean, dir.path().join("templates/reminder.eml")).expect("copy");
    let noreply = std::fs::read_dir(root().join("corpus/rules/no-reply-address"))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .find(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().contains("pass")))
        .expect("a no-reply fixture");
    std::fs::copy(noreply, dir.path().join("templates/legacy/noreply.eml")).expect("copy");
    dir
}

fn config_of(report: &serde_json::Value) -> (String, String) {
    let config = &report["run"]["config"];
    (config["name"].as_str().unwrap_or("none").to_owned(), config["found"].as_str().unwrap_or("none").to_owned())
}

fn rules_of(report: &serde_json::Value) -> Vec<String> {
    let mut rules: Vec<String> =
        crate::common::findings(report).into_iter().flat_map(|(_, f)| f).map(|(r, _)| r).collect();
    rules.sort();
    rules.dedup();
    rules
}

#[test]
fn the_config_is_found_from_a_subfolder_and_its_paths_are_its_own() {
    let repo = repository("account: results@nhs.net\nignore:\n  \"templates/legacy/**\": [no-reply-address]\n");
    let templates = repo.path().join("templates");
    let run = run_in(&templates, &["check", "--format", "json", "."]);
    let report = run.json();
    let (name, found) = config_of(&report);
    assert_eq!(found, "discovered", "{}", run.stdout);
    assert!(Path::new(&name).ends_with("nhsmail-lint.yaml") && Path::new(&name).is_absolute(), "{name}");
    // The account is read (from-account runs), and the glob, written relative to the
    // config file's folder, matches `legacy/noreply.eml` checked from `templates/`.
    assert!(!report["notes"].to_string().contains("from-account skipped"), "{}", report["notes"]);
    assert!(!rules_of(&report).contains(&"no-reply-address".to_owned()), "{:?}", rules_of(&report));
    // The human summary says which file.
    let human = run_in(&templates, &["check", "."]);
    assert!(
        human.stdout.contains("note: the configuration is ") && human.stdout.contains("found from the current folder")
    );
}

#[test]
fn the_repository_root_is_the_last_folder_looked_in() {
    let outer = tempfile::tempdir().expect("dir");
    std::fs::write(outer.path().join("nhsmail-lint.yaml"), "account: results@nhs.net\n").expect("config");
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("git");
    let report = run_in(&repo, &["check", "--format", "json", "--allow-empty", "."]).json();
    assert_eq!(config_of(&report), ("none".to_owned(), "none".to_owned()), "a file above the repository is not read");
}

#[test]
fn the_environment_names_one_the_flag_wins_and_isolated_reads_none() {
    let repo = repository("account: results@nhs.net\n");
    let other = repo.path().join("other.yaml");
    std::fs::write(&other, "account: other@nhs.net\n").expect("other");
    let other = other.to_str().expect("utf-8");
    let env = [("NHSMAIL_LINT_CONFIG", other)];
    let named = run_with_env(repo.path(), &["check", "--format", "json", "templates"], &env).json();
    assert_eq!(config_of(&named), (other.to_owned(), "environment".to_owned()));
    let flag =
        run_with_env(repo.path(), &["check", "--format", "json", "--config", "nhsmail-lint.yaml", "templates"], &env);
    assert_eq!(config_of(&flag.json()), ("nhsmail-lint.yaml".to_owned(), "flag".to_owned()));
    let isolated = run_in(repo.path(), &["check", "--format", "json", "--isolated", "templates"]).json();
    assert_eq!(config_of(&isolated), ("none".to_owned(), "none".to_owned()));
    assert!(isolated["notes"].to_string().contains("from-account skipped"), "no account without a config");
}

/// A mailbox whose token comes from a program that leaves a file behind when it runs.
/// The quota check fetches the token before it connects, so the program runs (or not)
/// whatever the closed port does next.
const RUNS_A_PROGRAM: &str = "account: results@nhs.net\nmailbox:\n  host: 127.0.0.1\n  port: 1\n  timeout: 2s\n  \
                              username: results@nhs.net\n  auth: xoauth2\n  token_command: touch ran-the-program\n";

#[test]
fn a_config_found_from_the_current_folder_runs_no_program() {
    let repo = repository(RUNS_A_PROGRAM);
    let marker = repo.path().join("ran-the-program");
    let found = run_in(repo.path(), &["preflight"]);
    assert_eq!(found.code, 2, "{}", found.stderr);
    assert!(found.stderr.contains("token_command is not run from a config file found from the current folder"));
    assert!(found.stderr.contains("NHSMAIL_LINT_CONFIG="), "says how to name it: {}", found.stderr);
    assert!(!marker.exists(), "the program ran");
    // An offline check reads the same file without complaint: it runs no program.
    assert!(run_in(repo.path(), &["check", "templates/reminder.eml"]).code < 2);
    // Named, it is trusted: the program runs (the connection then fails, as it must).
    let config = repo.path().join("nhsmail-lint.yaml");
    let named = run_with_env(repo.path(), &["preflight"], &[("NHSMAIL_LINT_CONFIG", config.to_str().expect("utf-8"))]);
    assert!(marker.exists(), "named by NHSMAIL_LINT_CONFIG, the program runs: {}{}", named.stdout, named.stderr);
    std::fs::remove_file(&marker).expect("remove");
    run_in(repo.path(), &["preflight", "--config", "nhsmail-lint.yaml"]);
    assert!(marker.exists(), "named by --config, the program runs");
}

#[test]
fn config_prints_each_setting_with_where_it_came_from() {
    let repo = repository("# the team's settings\naccount: results@nhs.net\nrules:\n  disable: [line-too-long]\n");
    let templates = repo.path().join("templates");
    let run = run_in(&templates, &["config"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = |key: &str| run.stdout.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_owned();
    assert!(run.stdout.starts_with("the configuration is ") && run.stdout.contains("found from the current folder"));
    assert!(
        line("account").contains("results@nhs.net") && line("account").ends_with("nhsmail-lint.yaml:2"),
        "{}",
        run.stdout
    );
    assert!(line("rules.disable").ends_with(":4"), "{}", run.stdout);
    assert!(line("secure_domains").contains("nhs.net") && line("secure_domains").ends_with("default"));
    let json = run_in(&templates, &["config", "--format", "json"]).json();
    assert_eq!(json["config"]["found"], "discovered");
    let journal = json["settings"].as_array().expect("rows").iter().find(|r| r["key"] == "journal").expect("journal");
    let expected = repo.path().join(".nhsmail-lint/journal.sqlite");
    assert_eq!(journal["value"].as_str().map(Path::new), Some(expected.as_path()), "one journal for the project");
}

#[test]
fn output_format_exit_zero_and_quiet() {
    let repo = repository("");
    let failing = "templates/legacy/noreply.eml";
    let aliased = run_in(repo.path(), &["check", "--output-format", "json", failing]);
    assert_eq!((aliased.code, aliased.json()["run"]["command"].as_str()), (1, Some("check")));
    assert_eq!(run_in(repo.path(), &["check", "--exit-zero", failing]).code, 0);
    // --exit-zero masks findings, never a path that could not be read.
    assert_eq!(run_in(repo.path(), &["check", "--exit-zero", failing, "templates/missing.eml"]).code, 2);
    let quiet = run_in(repo.path(), &["check", "-q", failing]);
    assert_eq!(quiet.code, 1);
    assert!(quiet.stdout.contains("no-reply-address"), "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("Checked "), "no summary: {}", quiet.stdout);
    assert!(!quiet.stdout.contains("the configuration is"), "no notes: {}", quiet.stdout);
    // The config names no distribution list: M3 goes unchecked, and -q still says so.
    let unchecked: Vec<&str> = quiet.stdout.lines().filter(|l| l.starts_with("note: ")).collect();
    assert!(unchecked.iter().all(|l| l.starts_with("note: requirement ")), "{unchecked:?}");
    assert!(
        unchecked.iter().any(|l| l.contains("M3 not checked: distribution-list-interval skipped")),
        "{unchecked:?}"
    );
}

#[test]
fn standard_input_takes_the_name_given() {
    let repo = repository("ignore:\n  \"templates/legacy/**\": [no-reply-address]\n");
    let message = std::fs::read(repo.path().join("templates/legacy/noreply.eml")).expect("read");
    let check = |name: &str| {
        let mut child =
            crate::common::command(repo.path(), &["check", "--format", "concise", "--stdin-filename", name, "-"], &[])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &message).expect("write");
        crate::common::Run::from(child.wait_with_output().expect("wait"))
    };
    let named = check("templates/new.eml");
    assert!(
        named.stdout.contains("templates/new.eml:") && named.stdout.contains("no-reply-address"),
        "{}",
        named.stdout
    );
    // Under a name the config's `ignore:` covers, the rule is ignored there.
    assert!(!check("templates/legacy/new.eml").stdout.contains("no-reply-address"));
}

#[test]
fn no_path_checks_the_current_folder_without_what_gitignore_leaves_out() {
    let repo = repository("");
    std::fs::create_dir_all(repo.path().join("target")).expect("mkdir");
    std::fs::copy(repo.path().join("templates/legacy/noreply.eml"), repo.path().join("target/built.eml"))
        .expect("copy");
    std::fs::write(repo.path().join(".gitignore"), "/target\n").expect("gitignore");
    let files = |args: &[&str]| -> Vec<String> {
        let report = run_in(repo.path(), args).json();
        let mut paths: Vec<String> = report["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f["path"].as_str().unwrap_or("").to_owned())
            .collect();
        paths.sort();
        paths
    };
    assert_eq!(files(&["check", "--format", "json"]), ["templates/legacy/noreply.eml", "templates/reminder.eml"]);
    assert_eq!(
        files(&["check", "--format", "json", "--no-ignore"]),
        ["target/built.eml", "templates/legacy/noreply.eml", "templates/reminder.eml"]
    );
    // What .gitignore left out is counted, never silently dropped.
    let human = run_in(repo.path(), &["check"]);
    assert!(
        human.stdout.contains("in 2 files (1 file skipped as not mail, 1 path left out by .gitignore)"),
        "{}",
        human.stdout
    );
}

#[test]
fn statistics_columns_align_for_the_longest_rule_id() {
    let run = crate::common::run(&["check", "--statistics", "corpus/rules"]);
    let rows: Vec<&str> = run.stdout.lines().take_while(|l| !l.starts_with("note:")).collect();
    assert!(rows.len() > 10, "{}", run.stdout);
    let severity_at: Vec<usize> = rows
        .iter()
        .map(|r| [" error ", " warning ", " info "].iter().filter_map(|s| r.find(s)).min().expect("severity"))
        .collect();
    assert!(severity_at.windows(2).all(|w| w[0] == w[1]), "{}", rows.join("\n"));
    // The longest id is followed by the two spaces every column gap has, and no more.
    let longest = rows.iter().max_by_key(|r| r.split_whitespace().nth(1).expect("id").len()).expect("rows");
    let mut words = longest.split_whitespace().skip(1);
    let (id, severity) = (words.next().expect("id"), words.next().expect("severity"));
    assert!(longest.contains(&format!("{id}  {severity}")), "{longest}");
}
