//! Snapshots of what a user reads: the human and concise reports of every fixture
//! folder of `corpus/rules/`, and of `corpus/relay` and `corpus/templates`, so a label
//! on the wrong bytes, a wrong column or a broken message template fails a test, and a
//! reviewer sees a change as the user will (as ruff does). The human format is laid
//! out at a fixed width (`report/human.rs`), so the text is the same on every machine.
//!
//! After a deliberate change of output, `INSTA_UPDATE=always cargo test snapshots`
//! rewrites the files under `snapshots/`: read the diff before committing it. Under CI
//! (`CI` set, or `INSTA_UPDATE=no` as `.ci/run` sets) a missing or different snapshot
//! fails and nothing is written.

use crate::common::run;
use crate::corpus::{CONFIG, RELAY_CONFIG, RELAY_FOLDER};

/// Each format a user reads, by the name its snapshots carry.
const FORMATS: &[(&str, &[&str])] =
    &[("human", &["--format", "human", "--color", "never"]), ("concise", &["--format", "concise"])];

/// Snapshots `nhsmail-lint check ARGS` (run in the project root, paths relative) in
/// each format, as `<format>@<name>.snap`.
fn assert_reports(name: &str, args: &[&str]) {
    for (format, format_args) in FORMATS {
        let mut all = vec!["check"];
        all.extend(args);
        all.extend(*format_args);
        let result = run(&all);
        let mut shown = format!("exit {}\n{}", result.code, result.stdout);
        if !result.stderr.is_empty() {
            shown.push_str(&format!("----- stderr -----\n{}", result.stderr));
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_snapshot_suffix(name);
        settings.set_description(format!("nhsmail-lint {}", all.join(" ")));
        settings.bind(|| insta::assert_snapshot!(*format, shown));
    }
}

#[test]
fn every_rule_fixture_folder_as_the_user_reads_it() {
    // Every folder gets its own snapshots, and the failures of all of them are listed.
    // `?*`, not `*`: that would match the base folder itself, as the empty path.
    insta::glob!("../../corpus/rules", "?*", |folder| {
        let name = folder.file_name().and_then(|n| n.to_str()).expect("a folder name in UTF-8");
        let relative = format!("corpus/rules/{name}");
        assert_reports(name, &["--config", CONFIG, &relative]);
    });
}

#[test]
fn relay_fixtures_as_the_user_reads_them() {
    assert_reports("relay", &["--config", RELAY_CONFIG, RELAY_FOLDER]);
}

#[test]
fn templates_as_the_user_reads_them() {
    assert_reports("templates", &["--template", "--config", CONFIG, "corpus/templates"]);
}
