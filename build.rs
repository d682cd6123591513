//! At build time, two things the binary carries:
//! - The built-in rule pack, converted from YAML (rules/nhsmail.yaml, which people edit) to
//!   JSON (which the binary reads): parsing 115 KB of YAML was most of a one-template run,
//!   the pre-commit user's whole wait. The YAML stays in the binary as the pack's source
//!   (its digest in reports, its text in errors); a pack that does not parse here is left
//!   to the binary's own YAML reading, which reports where it is wrong.
//! - What it was built from, for `version` and every report's provenance: the target, and,
//!   in a git checkout of this crate, the commit and whether the sources differed from it.
//!   Built from a source archive (a crate, an sdist), the commit is unknown.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the binary is compiled from: a change here makes a checkout's build differ from its
/// commit; one to the docs or the tests does not.
const SOURCES: &[&str] = &["src", "rules", "build.rs", "Cargo.toml", "Cargo.lock", "askama.toml"];

fn main() {
    convert_pack();
    identify_build();
}

fn convert_pack() {
    println!("cargo::rerun-if-changed=rules/nhsmail.yaml");
    let yaml = std::fs::read_to_string("rules/nhsmail.yaml").expect("rules/nhsmail.yaml is readable");
    let json = match serde_saphyr::from_str::<serde_json::Value>(&yaml) {
        Ok(value) => serde_json::to_string(&value).expect("a JSON value serialises"),
        Err(error) => {
            println!("cargo::warning=rules/nhsmail.yaml does not parse ({error}); the binary will report it");
            String::new()
        }
    };
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("nhsmail.json"), json).expect("OUT_DIR is writable");
}

/// `NHSMAIL_LINT_TARGET`, `NHSMAIL_LINT_COMMIT` (empty when unknown) and
/// `NHSMAIL_LINT_DIRTY` (`true` when the sources differ from the commit).
fn identify_build() {
    println!("cargo::rustc-env=NHSMAIL_LINT_TARGET={}", std::env::var("TARGET").expect("cargo sets TARGET"));
    let (commit, dirty) = match checkout() {
        Some(paths) => {
            // Rerun when HEAD moves (a commit, a checkout) or the sources change, and only
            // then: not on every `git status`, which may rewrite the index.
            for path in paths.iter().map(|p| p.as_path()).chain(SOURCES.iter().map(Path::new)) {
                println!("cargo::rerun-if-changed={}", path.display());
            }
            let commit = git(&["rev-parse", "--verify", "HEAD"]).unwrap_or_default();
            let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
            status.extend(SOURCES);
            let dirty = git(&status).is_some_and(|changes| !changes.is_empty());
            (commit, dirty)
        }
        None => (String::new(), false),
    };
    println!("cargo::rustc-env=NHSMAIL_LINT_COMMIT={commit}");
    println!("cargo::rustc-env=NHSMAIL_LINT_DIRTY={dirty}");
}

/// When this crate is the top of a git checkout (not an unpacked archive that happens to
/// sit inside someone's repository), the files that say where HEAD points: HEAD itself,
/// the branch's ref and the packed refs, those that exist (cargo reruns a build script
/// on every build while a file it watches is missing).
fn checkout() -> Option<Vec<PathBuf>> {
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?).canonicalize().ok()?;
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").ok()?).canonicalize().ok()?;
    if top != manifest {
        return None;
    }
    let mut names = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    names.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    let paths = names.iter().filter_map(|name| git(&["rev-parse", "--git-path", name])).map(PathBuf::from);
    Some(paths.filter(|path| path.exists()).collect())
}

/// `git ARGS` in the crate's folder, its output trimmed; `None` when git is missing or fails.
/// The variables a git hook sets would point it at another repository or index.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
