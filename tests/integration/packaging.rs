//! What the packages are made of, checked cheaply on every run (building the wheel is
//! `scripts/package.sh test`'s, a full release build): the pre-commit mirror and the docs pin
//! this crate's version, and the published crate (and so the sdist, which maturin makes from
//! the same list) carries every file the build reads.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::root;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// Each `prefix` in `text`, with the version that follows it (digits, dots and the like).
fn pins<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let end =
                rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))).unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn the_pre_commit_mirror_and_the_docs_pin_this_version() {
    let mirror = read("pre-commit-mirror/pyproject.toml");
    assert!(
        mirror.lines().any(|l| l == format!("version = \"{VERSION}\"")),
        "pre-commit-mirror/pyproject.toml's version must be Cargo.toml's {VERSION}"
    );
    assert!(
        mirror.contains(&format!("dependencies = [\"nhsmail-lint=={VERSION}\"]")),
        "pre-commit-mirror/pyproject.toml must depend on nhsmail-lint=={VERSION}, and on nothing else"
    );
    let mut pages: Vec<String> = [
        "pre-commit-mirror/pyproject.toml",
        "pre-commit-mirror/README.md",
        "pre-commit-mirror/.pre-commit-hooks.yaml",
        "README.md",
    ]
    .map(str::to_owned)
    .into();
    for entry in std::fs::read_dir(root().join("docs")).expect("read docs/") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            pages.push(format!("docs/{name}"));
        }
    }
    for page in &pages {
        let text = read(page);
        // A version starts with a digit; prose naming the pattern itself (`nhsmail-lint==`) is not a pin.
        let versions = pins(&text, "nhsmail-lint==").into_iter().chain(pins(&text, "rev: v"));
        for pin in versions.filter(|p| p.starts_with(|c: char| c.is_ascii_digit())) {
            assert_eq!(pin, VERSION, "{page} pins nhsmail-lint {pin}; Cargo.toml's version is {VERSION}");
        }
    }
    assert!(read("docs/install.md").contains(&format!("nhsmail-lint=={VERSION}")), "docs/install.md shows the pin");
    let pyproject = read("pyproject.toml");
    assert!(
        pyproject.contains("dynamic = [\"version\"]") && !pyproject.lines().any(|l| l.starts_with("version")),
        "pyproject.toml takes its version from Cargo.toml (dynamic), never its own"
    );
}

/// The files `cargo package` would publish.
fn packaged() -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(root())
        .output()
        .expect("run cargo package --list");
    assert!(output.status.success(), "cargo package --list: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 paths").lines().map(str::to_owned).collect()
}

/// The files under `dir` (relative to the root), recursively.
fn files_under(dir: &Path, into: &mut Vec<String>) {
    for entry in std::fs::read_dir(root().join(dir)).expect("read a source folder") {
        let entry = entry.expect("entry");
        let path = dir.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            files_under(&path, into);
        } else {
            into.push(path.to_string_lossy().into_owned());
        }
    }
}

/// The files `include_str!`/`include_bytes!` name in `source` (the file at `path`), from the root.
fn included(path: &str, source: &str) -> Vec<String> {
    let dir = Path::new(path).parent().expect("a folder");
    ["include_str!(\"", "include_bytes!(\""]
        .iter()
        .flat_map(|open| source.match_indices(open).map(move |(at, _)| &source[at + open.len()..]))
        .map(|rest| {
            let named = &rest[..rest.find('"').expect("a closing quote")];
            let mut parts: Vec<&str> = dir.iter().map(|p| p.to_str().expect("UTF-8")).collect();
            for part in named.split('/') {
                match part {
                    ".." => drop(parts.pop()),
                    "." => {}
                    part => parts.push(part),
                }
            }
            parts.join("/")
        })
        .collect()
}

#[test]
fn the_published_crate_carries_what_the_build_and_the_unit_tests_read() {
    let packaged = packaged();
    let mut needed = vec!["Cargo.toml", "Cargo.lock", "build.rs", "askama.toml", "README.md"]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    // build.rs reads the pack; askama reads the templates under src/ (askama.toml).
    let build = read("build.rs");
    assert!(
        build.matches("read_to_string(").count() == 1 && build.contains("read_to_string(\"rules/nhsmail.yaml\")"),
        "build.rs reads rules/nhsmail.yaml and nothing else (this test assumes it)"
    );
    needed.push("rules/nhsmail.yaml".to_owned());
    assert!(read("askama.toml").contains("dirs = [\"src/report/templates\"]"), "askama's templates are under src/");
    let mut sources = Vec::new();
    files_under(Path::new("src"), &mut sources);
    for source in &sources {
        if source.ends_with(".rs") {
            needed.extend(included(source, &read(source)));
        }
    }
    needed.extend(sources);
    let missing: Vec<&String> = needed.iter().filter(|p| !packaged.contains(*p)).collect();
    assert!(
        missing.is_empty(),
        "Cargo.toml's `include` leaves out what the build reads: {missing:?} (add it there and to docs/install.md)"
    );
}

#[test]
fn the_install_docs_list_the_published_crate_s_include() {
    let manifest = read("Cargo.toml");
    let list = manifest.split("include = [").nth(1).and_then(|rest| rest.split(']').next()).expect("an include list");
    let docs = read("docs/install.md");
    for entry in list.split(',').map(|e| e.trim().trim_matches('"')).filter(|e| !e.is_empty()) {
        assert!(
            docs.contains(&format!("`{entry}`")),
            "docs/install.md does not list `{entry}` of Cargo.toml's include"
        );
    }
}
