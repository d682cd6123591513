//! Running the built binary from the project root and reading its JSON report.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

/// Runs `nhsmail-lint ARGS` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_with_env(dir, args, &[])
}

/// The command, ready to run in `dir` with `env` added.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nhsmail-lint"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1").envs(env.iter().copied());
    command
}

/// Runs `nhsmail-lint ARGS` in `dir` with `env` added.
pub fn run_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = command(dir, args, env).output().expect("run nhsmail-lint");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `nhsmail-lint ARGS` in the project root.
pub fn run(args: &[&str]) -> Run {
    run_in(&root(), args)
}

/// (rule, line) of every diagnostic of every file, keyed by path as reported.
pub fn findings(report: &Value) -> Vec<(String, Vec<(String, u64)>)> {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let diagnostics = f["diagnostics"]
                .as_array()
                .expect("diagnostics")
                .iter()
                .map(|d| (d["rule"].as_str().expect("rule").to_owned(), d["line"].as_u64().expect("line")))
                .collect();
            (f["path"].as_str().expect("path").to_owned(), diagnostics)
        })
        .collect()
}

/// The rules that fired in a report, in order.
pub fn rules_fired(report: &Value) -> Vec<String> {
    findings(report).into_iter().flat_map(|(_, d)| d.into_iter().map(|(r, _)| r)).collect()
}

/// Writes `files` (name, contents) into a fresh temporary directory.
pub fn temp_files(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
    dir
}
