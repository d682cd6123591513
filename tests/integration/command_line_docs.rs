//! The command line described for other programs: each shell's completion script, which
//! real bash loads and completes from, and the man pages, which groff renders without a
//! warning.

use std::process::{Command, Stdio};

use crate::common::{run, temp_files};

#[test]
fn every_shell_gets_a_script_naming_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = run(&["completions", shell]);
        assert_eq!(script.code, 0, "{shell}: {}", script.stderr);
        assert!(
            script.stdout.contains("preflight") && script.stdout.contains("completions"),
            "{shell}:\n{}",
            script.stdout
        );
    }
    assert_eq!(run(&["completions", "tcsh"]).code, 2, "a shell it has no script for is a usage error");
}

/// What bash offers after `words` (the last one being completed), from the script loaded
/// as a user's profile loads it, through the function it registers for nhsmail-lint.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = run(&["completions", "bash"]).stdout;
    let dir = temp_files(&[("nhsmail-lint.bash", script.as_bytes())]);
    let line = words.join(" ");
    // Quoted, so that an empty last word (completing after a space) stays a word.
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source nhsmail-lint.bash\n\
         function=$(complete -p nhsmail-lint | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n\
         COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n\
         \"$function\" nhsmail-lint '{}' '{}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &program])
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn bash_completes_commands_and_format_names() {
    assert_eq!(bash_completes(&["nhsmail-lint", "ch"]), ["check"]);
    assert_eq!(bash_completes(&["nhsmail-lint", "check", "--fo"]), ["--format"]);
    let formats = bash_completes(&["nhsmail-lint", "check", "--format", ""]);
    for format in ["human", "json", "sarif", "github", "gitlab", "azure"] {
        assert!(formats.iter().any(|f| f == format), "{format} in {formats:?}");
    }
}

/// `page` rendered by groff for a terminal, plain (no bold or underline): groff's
/// warnings fail the test.
fn rendered(groff: &str, page: &str) -> String {
    let mut child = Command::new(groff)
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), page.as_bytes()).expect("the page to groff");
    let output = child.wait_with_output().expect("groff ends");
    assert!(output.status.success() && output.stderr.is_empty(), "groff: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_man_pages_render_and_list_every_command() {
    let Some(groff) = crate::packages::groff() else { return };
    let page = run(&["man"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    let text = rendered(groff, &page.stdout);
    assert!(text.starts_with("nhsmail-lint(1)"), "{text}");
    for command in ["check", "preflight", "merge", "version", "completions", "man"] {
        assert!(text.contains(&format!("nhsmail-lint-{command}(1)")), "{command} in\n{text}");
    }
    // Each command's own page, with its options and their values.
    let check = rendered(groff, &run(&["man", "check"]).stdout);
    assert!(check.starts_with("nhsmail-lint-check(1)"), "{check}");
    for text in ["--fail-on", "--format", "gitlab", "azure"] {
        assert!(check.contains(text), "{text} in\n{check}");
    }
    let unknown = run(&["man", "chek"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("did you mean `check`?"), "{}", unknown.stderr);
}
