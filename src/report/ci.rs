//! The CI services' own formats, one finding at a time, each escaped as that service reads
//! it so that text from a message (a Subject, an address, a file name) stays text:
//! - GitHub Actions workflow commands (`::error file=...::message`), annotating the line;
//! - GitLab Code Quality issues (the JSON objects of the array `lines.rs` writes);
//! - Azure Pipelines logging commands (`##vso[task.logissue ...]message`);
//!
//! and the lines of text (notes, the summary) the GitHub and Azure formats print among them.

use std::collections::HashMap;

use serde_json::json;
use xxhash_rust::xxh3::Xxh3;

use super::file_of;
use super::human::sanitise;
use crate::findings::diagnostic::{Located, Severity};

/// `::error file=...,line=...,col=...,title=...::message`, escaped as the runner expects;
/// the title names the rule and its requirements.
pub(crate) fn github(path: &str, d: &Located) -> String {
    let level = match d.diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    // The runner decodes %25, %0D, %0A (and %3A, %2C in properties); any other control
    // character is written as %XX too, which stays inert in the log.
    let data = |s: &str| {
        s.chars()
            .map(|c| match c {
                '%' => "%25".to_owned(),
                c if c.is_control() => format!("%{:02X}", c as u32),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    format!(
        "::{level} file={},line={},col={},title={}::{}",
        property(path),
        d.line,
        d.column,
        property(&format!("nhsmail-lint {}{}", d.diagnostic.rule, requirement_suffix(&d.diagnostic.requirement))),
        data(&d.diagnostic.message)
    )
}

/// The message and the requirements it breaks: the GitLab description, the Azure message.
fn described(d: &Located) -> String {
    format!("{}{}", d.diagnostic.message, requirement_suffix(&d.diagnostic.requirement))
}

/// A path as given, less any leading `./`, so that `check ./templates` and `check templates`
/// name a file alike.
fn relative(label: &str) -> &str {
    let mut path = label;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    path
}

/// One file's GitLab Code Quality issues, with the fields GitLab's docs list ("Code Quality
/// report format", https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format;
/// schemas/gitlab-code-quality.json holds them).
pub(crate) fn gitlab(label: &str, diagnostics: &[Located]) -> Vec<serde_json::Value> {
    // GitLab shows findings sharing a fingerprint as one: the same finding twice in a file
    // (one key, two diagnostics) is told apart by which of them it is.
    let mut seen: HashMap<u128, u64> = HashMap::new();
    let label = relative(label);
    diagnostics
        .iter()
        .map(|d| {
            let identity = identity(label, d);
            let occurrence = seen.entry(identity).or_insert(0);
            *occurrence += 1;
            let severity = match d.diagnostic.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
                Severity::Info => "info",
            };
            json!({
                "description": described(d),
                "check_name": &*d.diagnostic.rule,
                "fingerprint": fingerprint(identity, *occurrence),
                "severity": severity,
                // An mbox's message (`box.mbox:#3`) is located in the mbox, by its lines.
                "location": { "path": file_of(label), "lines": { "begin": d.line } },
            })
        })
        .collect()
}

/// Which finding in which file (by the message's label: `box.mbox:#3` apart from `#4`): the finding key (it ignores line numbers and line endings,
/// so a finding keeps it when lines are added above it) and the path (two copies of one
/// message in two files are two findings to GitLab). A finding outside a message (the
/// set-up's, an unreadable file's) has no key: its rule and message stand in.
fn identity(path: &str, d: &Located) -> u128 {
    let mut hasher = Xxh3::new();
    hasher.update(path.as_bytes());
    match d.key {
        Some(key) => {
            hasher.update(b"\0key\0");
            hasher.update(&key.0.to_le_bytes());
        }
        None => {
            hasher.update(b"\0rule\0");
            hasher.update(d.diagnostic.rule.as_bytes());
            hasher.update(b"\0");
            hasher.update(d.diagnostic.message.as_bytes());
        }
    }
    hasher.digest128()
}

/// 32 hex digits: the identity, and which occurrence of it in the file (so that a second
/// occurrence appearing never changes the first's).
fn fingerprint(identity: u128, occurrence: u64) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(&identity.to_le_bytes());
    hasher.update(&occurrence.to_le_bytes());
    format!("{:032x}", hasher.digest128())
}

/// `##vso[task.logissue type=...;sourcepath=...;linenumber=...;columnnumber=...;code=...]message`.
/// Azure's logissue has only `error` and `warning`: an info finding (a recommendation)
/// is a warning there.
pub(crate) fn azure(label: &str, d: &Located) -> String {
    let kind = match d.diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning | Severity::Info => "warning",
    };
    format!(
        "##vso[task.logissue type={kind};sourcepath={};linenumber={};columnnumber={};code={}]{}",
        azure_escaped(file_of(relative(label))),
        d.line,
        d.column,
        azure_escaped(&d.diagnostic.rule),
        azure_escaped(&described(d))
    )
}

/// A property value or message as the agent reads it back: the escapes of
/// azure-pipelines-task-lib (`%` first as `%AZP25`, then CR, LF, `]`, `;`), which the agent
/// undoes in both (its CommandStringConvertor). A line is one command whatever follows
/// (the agent takes the first `##vso[` of a line and the first `]` after it), so with `]`
/// and the line breaks escaped, a message cannot end the properties or start a command. Any
/// other control character is written as `%XX`, which the agent leaves as it is.
fn azure_escaped(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '%' => "%AZP25".to_owned(),
            '\r' => "%0D".to_owned(),
            '\n' => "%0A".to_owned(),
            ']' => "%5D".to_owned(),
            ';' => "%3B".to_owned(),
            c if c.is_control() => format!("%{:02X}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// A line of text (a note, the summary) among the GitHub commands: kept to one line
/// (control characters escaped), so that a path in it cannot start a line with `::`.
pub(crate) fn github_line(text: &str) -> String {
    format!("{}\n", sanitise(text))
}

/// A line of text (a note, the summary, a send's verdict) among the Azure commands: the
/// agent looks for `##vso[` anywhere in a line, comparing as .NET's culture-aware `IndexOf`
/// does, which skips characters such as the soft hyphen; with every `#` followed by a
/// space, no two can meet, so no line of text holds a command.
pub(crate) fn azure_line(text: &str) -> String {
    format!("{}\n", sanitise(text).replace('#', "# "))
}

/// ` (requirement M4)`, or nothing for a diagnostic no requirement is traced to: what
/// the GitHub and JUnit texts add to the rule's id.
pub(crate) fn requirement_suffix(ids: &[std::sync::Arc<str>]) -> String {
    match ids {
        [] => String::new(),
        [one] => format!(" (requirement {one})"),
        many => format!(" (requirements {})", many.join(", ")),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::findings::diagnostic::Diagnostic;
    use crate::findings::identity::FindingKey;

    /// An error of no-reply-address (requirement M4) at 3:11 saying `message`.
    pub(in crate::report) fn located(message: &str) -> Located {
        let diagnostic = Diagnostic {
            rule: "no-reply-address".into(),
            requirement: vec!["M4".into()].into(),
            severity: Severity::Error,
            message: message.into(),
            help: None,
            label: None,
            span: 0..0,
            fix: None,
        };
        Located { diagnostic, line: 3, column: 11, key: None }
    }

    #[test]
    fn github_commands_escape_what_the_runner_reads() {
        let line = github("out/a,b.eml", &located("50% of\nit: bad"));
        assert_eq!(
            line,
            "::error file=out/a%2Cb.eml,line=3,col=11,title=nhsmail-lint no-reply-address (requirement M4)::50%25 of%0Ait: bad"
        );
    }

    #[test]
    fn azure_commands_escape_properties_and_message() {
        let line = azure("./out/a;b].eml", &located("100% ]x;y\r\n##vso[task.complete]\u{1b}"));
        assert_eq!(
            line,
            "##vso[task.logissue type=error;sourcepath=out/a%3Bb%5D.eml;linenumber=3;columnnumber=11;\
             code=no-reply-address]100%AZP25 %5Dx%3By%0D%0A##vso[task.complete%5D%1B (requirement M4)"
        );
    }

    #[test]
    fn lines_of_text_hold_no_command() {
        let text = "note: a#\u{ad}#vso[task.setvariable variable=x]y\n##[error]z\u{7}";
        assert_eq!(azure_line(text), "note: a# \u{ad}# vso[task.setvariable variable=x]y\\n# # [error]z\\u{7}\n");
        assert_eq!(github_line("note: .x\n::error::y"), "note: .x\\n::error::y\n");
    }

    #[test]
    fn gitlab_names_the_mbox_file_and_tells_repeated_findings_apart() {
        let one = Located { key: Some(FindingKey(7)), ..located("m") };
        let issues = gitlab("./box.mbox:#3", &[one.clone(), one.clone()]);
        assert_eq!(issues[0]["location"]["path"], "box.mbox");
        assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
        // The first keeps its fingerprint whether or not a second follows, and another
        // message of the mbox is another finding.
        assert_eq!(gitlab("box.mbox:#3", std::slice::from_ref(&one))[0]["fingerprint"], issues[0]["fingerprint"]);
        assert_ne!(gitlab("box.mbox:#4", &[one])[0]["fingerprint"], issues[0]["fingerprint"]);
    }
}
