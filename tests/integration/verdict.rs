//! The reports for people open with a verdict worked out from the matrix, fold what the
//! run did not check, write counts one way (`5,000`), and render as Markdown without
//! escaping artefacts (rendered here by comrak, a GitHub-flavoured Markdown renderer).

use crate::common::{root, run, run_in};

/// `check ARGS --format FORMAT` in the project root, with no config file.
fn report(format: &str, paths: &[&str]) -> crate::common::Run {
    let mut args = vec!["check", "--isolated", "--format", format];
    args.extend(paths);
    run(&args)
}

/// The text a reader sees of `markdown` rendered as GitHub renders it, tags left out.
fn rendered_text(markdown: &str) -> (String, String) {
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    let html = comrak::markdown_to_html(markdown, &options);
    let tags = regex::Regex::new(r"<[^>]*>").expect("regex");
    let text = htmlize::unescape(tags.replace_all(&html, "")).into_owned();
    (html, text)
}

#[test]
fn the_markdown_report_renders_code_as_code_and_no_escapes_show() {
    let run = report("markdown", &["corpus/"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (html, text) = rendered_text(&run.stdout);
    assert!(!text.contains('`'), "a literal backquote shows:\n{}", lines_with(&text, "`"));
    for escape in ["\\(", "\\_", "\\[", "\\{", "&quot;", "&lt;", "&#"] {
        assert!(!text.contains(escape), "`{escape}` shows:\n{}", lines_with(&text, escape));
    }
    assert!(html.contains("<code>attestations:</code>"), "the notes' config keys are code:\n{html}");
    assert!(html.contains("<table>"), "the matrix is a table:\n{html}");
}

fn lines_with(text: &str, what: &str) -> String {
    text.lines().filter(|l| l.contains(what)).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_reports_open_with_the_verdict_then_the_counts_then_what_fails() {
    let html = report("html", &["corpus/"]).stdout;
    let at = |what: &str| html.find(what).unwrap_or_else(|| panic!("{what} is not in the page"));
    let order = [
        "<strong id=\"verdict-status\">Not compliant</strong>",
        "id=\"overview\"",
        "id=\"failing\"",
        "id=\"matrix\"",
        "id=\"rules\"",
        "id=\"provenance\"",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{} comes before {}", pair[0], pair[1]);
    }
    let sentence = html[at("<strong id=\"verdict-status\">")..].lines().nth(1).expect("the sentence");
    assert!(sentence.starts_with("<p>9 requirements failing ("), "the status is not said twice: {sentence}");
    assert!(sentence.contains(" of 217 messages"), "{sentence}");
    assert!(sentence.contains("requirements not checked in this run") && sentence.contains("to attest"), "{sentence}");
    // Each failing requirement comes with an example finding of its rules.
    let failing = &html[at("id=\"failing\"")..at("id=\"matrix\"")];
    assert!(failing.contains("<b>P1</b>") && failing.contains("nhs-number-in-subject"), "{failing}");

    let markdown = report("markdown", &["corpus/"]).stdout;
    let mut lines = markdown.lines().filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("## nhsmail-lint: Not compliant"));
    assert!(lines.next().is_some_and(|l| l.starts_with("Not compliant: ")), "{markdown}");
    assert!(markdown.find("### Failing requirements") < markdown.find("### Compliance matrix"), "{markdown}");
}

#[test]
fn what_the_run_did_not_check_is_folded_but_a_rule_skipped_stays_beside_its_row() {
    let html = report("html", &["corpus/"]).stdout;
    let folded = html
        .lines()
        .find(|l| l.starts_with("<details><summary>") && l.contains("set-up requirements not checked"))
        .expect("the set-up requirements folded into one line");
    assert!(folded.contains("no sending set-up") && folded.contains("C1, "), "{folded}");
    assert!(html.contains("requirements to attest: nothing recorded under <code>attestations:</code> (C10"), "{html}");
    // A2 is not checked because `from-account` needs `account:`: shown, with the reason.
    let matrix = &html[html.find("id=\"matrix\"").expect("matrix")..html.find("<div class=\"folds\">").expect("folds")];
    let a2 = matrix.split("<tr").find(|row| row.contains("<b>A2</b>")).expect("A2 is a row of its own");
    assert!(a2.contains("from-account") && a2.contains("<code>account</code> is not configured"), "{a2}");
    assert!(!a2.contains("username-not-account"), "no set-up rule's reason in a run with no set-up: {a2}");
}

#[test]
fn a_clean_run_is_compliant_only_where_checked() {
    let markdown = report("markdown", &["corpus/clean"]).stdout;
    let sentence = markdown.lines().find(|l| l.starts_with("Compliant where checked: ")).expect(&markdown);
    assert!(sentence.contains("every requirement checked is met"), "{sentence}");
    assert!(sentence.contains(" requirements not checked in this run; "), "never a bare all-clear: {sentence}");
}

#[test]
fn a_path_not_read_makes_the_verdict_incomplete() {
    let message = std::fs::read(root().join("corpus/clean/appointment-reminder.eml")).expect("a clean message");
    let dir = crate::common::temp_files(&[("good.eml", &message), ("broken.eml.gz", b"not gzip")]);
    let markdown = run_in(dir.path(), &["check", "--isolated", "--format", "markdown", "."]).stdout;
    assert!(markdown.starts_with("## nhsmail-lint: Incomplete\n"), "{markdown}");
    assert!(markdown.contains("Incomplete: 1 path could not be read, so what they hold was not checked"), "{markdown}");
}

#[test]
fn counts_are_written_with_thousands_separated_in_every_report_for_people() {
    let dir = tempfile::tempdir().expect("temp dir");
    let message = std::fs::read(root().join("corpus/clean/appointment-reminder.eml")).expect("a clean message");
    for n in 0..1000 {
        std::fs::write(dir.path().join(format!("m{n:04}.eml")), &message).expect("write");
    }
    let human = run_in(dir.path(), &["check", "--isolated", "."]);
    assert!(human.stdout.contains("1,000 messages in 1,000 files"), "{}", human.stdout);
    let markdown = run_in(dir.path(), &["check", "--isolated", "--format", "markdown", "."]).stdout;
    assert!(markdown.contains("| 1,000 | 0 |"), "{markdown}");
    assert!(markdown.contains("Checked 1,000 messages in 1,000 files"), "{markdown}");
    let html = run_in(dir.path(), &["check", "--isolated", "--format", "html", "."]).stdout;
    assert!(html.contains("<b>1,000</b><span>messages checked</span>"), "the cards");
    assert!(html.contains("Checked 1,000 messages"), "the headline");
}
