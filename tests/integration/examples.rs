//! Examples that are tests (issue 27): every `nhsmail-lint` command shown in README.md and
//! docs/*.md (a line of a ```sh block, or a `$ ` line of any block) runs here, in a scratch
//! project holding the folders the docs name (`out/`, `templates/`, `archive/`...), through
//! `sh` (globs, redirections), in the order a file shows them. A command must not fail as a
//! usage or configuration error (exit 2) or crash; where a `$ ` line is followed by its
//! output, the output must be what the run prints, times, digests and host names aside.
//! A block that needs the network, a live server, another machine or another tool starts
//! with a visible `# illustrative: why` line, and only those are skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{hermetic, root};

/// One command a doc shows, and the output it shows after it, if any.
#[derive(Debug)]
struct Example {
    /// `file:line`, for the failure message.
    at: String,
    command: String,
    shown: Vec<String>,
}

/// The commands of `text`'s runnable blocks, in order; and the blocks marked illustrative.
fn examples(file: &str, text: &str) -> (Vec<Example>, usize) {
    let (mut out, mut illustrative) = (Vec::new(), 0);
    let mut lines = text.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let block: Vec<(usize, &str)> = lines.by_ref().take_while(|(_, l)| !l.starts_with("```")).collect();
        // The marker opens the block (after a script's `#!` line).
        let opening = block.iter().find(|(_, l)| !l.starts_with("#!"));
        if opening.is_some_and(|(_, l)| l.starts_with("# illustrative:")) {
            illustrative += 1;
            continue;
        }
        let shell = info == "sh";
        let mut pending: Option<Example> = None;
        let mut continued = String::new();
        for (n, raw) in block {
            let at = format!("{file}:{}", n + 1);
            if let Some(command) = raw.strip_prefix("$ ") {
                out.extend(pending.take());
                // Another tool's transcript (pip, git) is in an illustrative block.
                if command.starts_with("nhsmail-lint ") {
                    pending = Some(Example { at, command: command.to_owned(), shown: Vec::new() });
                }
                continue;
            }
            if let Some(example) = pending.as_mut() {
                example.shown.push(raw.to_owned());
                continue;
            }
            if !shell {
                continue;
            }
            if let Some(head) = raw.strip_suffix('\\') {
                continued.push_str(head);
                continue;
            }
            let command = std::mem::take(&mut continued) + raw;
            let command =
                command.replace("cargo run --release --", "nhsmail-lint").replace("cargo run --", "nhsmail-lint");
            if command.trim_start().starts_with("nhsmail-lint ") {
                out.push(Example { at, command, shown: Vec::new() });
            }
        }
        out.extend(pending);
    }
    (out, illustrative)
}

/// A scratch project with what the docs' commands name, and no config file: the docs'
/// `nhsmail-lint init` writes one where they show it.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let at = |p: &str| dir.path().join(p);
    for link in ["corpus", "rules"] {
        std::os::unix::fs::symlink(root().join(link), at(link)).expect("link");
    }
    let copy = |from: &str, to: &str| {
        std::fs::create_dir_all(at(to)).expect("mkdir");
        for entry in std::fs::read_dir(root().join(from)).expect("read") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "eml") {
                std::fs::copy(&path, at(to).join(path.file_name().expect("name"))).expect("copy");
            }
        }
    };
    copy("corpus/clean", "out");
    copy("corpus/rules/no-reply-address", "out");
    copy("corpus/templates", "templates");
    copy("corpus/clean", "archive");
    copy("corpus/rules/nhs-number-in-subject", "archive/2026-11");
    copy("corpus/clean", "maildir/cur");
    copy("tests/fixtures/bounces", "bounces");
    std::fs::create_dir_all(at("maildir/new")).expect("new");
    std::fs::create_dir_all(at("schemas")).expect("schemas");
    let message = std::fs::read(root().join("corpus/clean/appointment-reminder.eml")).expect("message");
    let mut mbox = b"From pathology.results@nhs.net Mon Nov 23 09:00:00 2026\n".to_vec();
    mbox.extend_from_slice(&message);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &mbox).expect("gzip");
    std::fs::write(at("archive.mbox.gz"), gz.finish().expect("gzip")).expect("mbox");
    // A git repository, so that no config above the scratch folder is found.
    std::fs::create_dir(at(".git")).expect("git");
    dir
}

/// `$ nhsmail-lint` on PATH: the built binary's folder first.
fn path_with_binary() -> String {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_nhsmail-lint"));
    let folder = binary.parent().expect("folder").display().to_string();
    format!("{folder}:{}", std::env::var("PATH").unwrap_or_default())
}

/// Times, digests, host names and build stamps vary from run to run.
fn redact(text: &str) -> String {
    let varying =
        regex::Regex::new(r"[0-9a-f]{64}|\d{4}-\d\d-\d\dT[\d:]+Z|\d+(\.\d+)? ?ms\b|\d+(\.\d+)? ?s\b").expect("regex");
    varying.replace_all(text, "_").trim_end().to_owned()
}

fn run(dir: &Path, example: &Example) -> (i32, String, String) {
    let mut command = Command::new("sh");
    command.arg("-c").arg(&example.command).current_dir(dir).env("PATH", path_with_binary()).env("NO_COLOR", "1");
    let output = hermetic(&mut command).output().expect("sh");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
}

#[test]
fn every_command_in_the_docs_runs_as_shown() {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let (mut ran, mut skipped, mut failures) = (0, 0, Vec::new());
    for file in files {
        let name = file.strip_prefix(root()).expect("in the project").display().to_string();
        let (examples, illustrative) = examples(&name, &std::fs::read_to_string(&file).expect("read"));
        skipped += illustrative;
        let dir = project();
        for example in examples {
            ran += 1;
            let (code, stdout, stderr) = run(dir.path(), &example);
            if !(0..=1).contains(&code) || stderr.contains("panicked") {
                failures.push(format!("{}: `{}` exited {code}:\n{stderr}", example.at, example.command));
                continue;
            }
            if !example.shown.is_empty() {
                let shown = redact(&example.shown.join("\n"));
                if redact(&stdout) != shown {
                    failures.push(format!(
                        "{}: `{}` printed\n{stdout}\nnot what the doc shows:\n{shown}",
                        example.at, example.command
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} examples differ from the docs:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(ran >= 25, "the docs' commands were found ({ran} run, {skipped} blocks illustrative)");
}

#[test]
fn the_parser_reads_commands_outputs_and_markers() {
    let text = "```sh\nnhsmail-lint check out/   # a comment\ncargo run -- rules \\\n  --format json\n```\n\
                ```sh\n# illustrative: needs NHSmail\nnhsmail-lint check --send out/\n```\n\
                ```\n$ nhsmail-lint explain x\nline one\nline two\n```\n";
    let (found, illustrative) = examples("x.md", text);
    let commands: Vec<&str> = found.iter().map(|e| e.command.as_str()).collect();
    assert_eq!(
        commands,
        ["nhsmail-lint check out/   # a comment", "nhsmail-lint rules   --format json", "nhsmail-lint explain x"]
    );
    assert_eq!(found[2].shown, ["line one", "line two"]);
    assert_eq!(illustrative, 1);
}
