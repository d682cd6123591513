//! `version`: the version, the commit it was built from, its target and the built-in
//! pack's digest, as text and JSON; the same values as a report's provenance. `--version`
//! stays clap's one line.

use std::process::Command;

use crate::common::{root, run};

/// `git ARGS` in the project, when it is a git checkout and git is there.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).current_dir(root()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[test]
fn version_gives_what_reports_give_of_the_binary() {
    let json = run(&["version", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let version = json.json();
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
    assert!(version["target"].as_str().is_some_and(|t| t.contains("-linux")), "{version}");
    let report = run(&["check", "--format", "json", "corpus/clean"]).json();
    let provenance = &report["run"];
    for key in ["tool", "version", "commit", "target"] {
        assert_eq!(version[key], provenance[key], "{key}");
    }
    assert_eq!(version["packs"], provenance["packs"], "the built-in pack's digest");
    // The checkout's commit, and whether the sources differ from it.
    let top = git(&["rev-parse", "--show-toplevel"]).map(std::path::PathBuf::from);
    if top.and_then(|t| t.canonicalize().ok()) == root().canonicalize().ok() {
        let head = git(&["rev-parse", "HEAD"]).expect("HEAD");
        assert_eq!(version["commit"]["hash"], head.as_str(), "{version}");
        let sources = ["src", "rules", "build.rs", "Cargo.toml", "Cargo.lock", "askama.toml"];
        let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
        status.extend(sources);
        let dirty = !git(&status).expect("git status").is_empty();
        assert_eq!(version["commit"]["dirty"], dirty, "{version}");
    }
    // The same in words.
    let text = run(&["version"]).stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("nhsmail-lint {}", env!("CARGO_PKG_VERSION")));
    let hash = version["commit"]["hash"].as_str().unwrap_or("unknown");
    assert!(lines[1].starts_with("commit  ") && lines[1].contains(hash), "{text}");
    assert_eq!(lines[2], format!("target  {}", version["target"].as_str().expect("target")));
    let pack = &version["packs"][0];
    let sha = pack["sha256"].as_str().expect("sha256");
    assert_eq!(lines[3], format!("pack    {}, sha256 {sha}", pack["name"].as_str().expect("name")));
    // JUnit's properties carry them too.
    let junit = run(&["check", "--format", "junit", "corpus/clean"]).stdout;
    let target =
        format!(r#"<property name="nhsmail-lint.target" value="{}"/>"#, version["target"].as_str().expect("t"));
    assert!(junit.contains(&target), "{junit}");
}

#[test]
fn the_version_flag_stays_one_line() {
    let flag = run(&["--version"]);
    assert_eq!(
        (flag.code, flag.stdout.as_str()),
        (0, format!("nhsmail-lint {}\n", env!("CARGO_PKG_VERSION")).as_str())
    );
}
