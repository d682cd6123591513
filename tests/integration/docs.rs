//! The documentation cannot drift from the code: the rule table is the binary's own
//! `rules --format markdown`, every rule has a "fires when" row, the README opens with the
//! commands that work, and links between the pages resolve.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{root, run};

const BEGIN: &str = "<!-- rules:begin -->\n";
const END: &str = "<!-- rules:end -->";

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// README.md and every page of docs/, as paths relative to the project root.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_owned()];
    for entry in std::fs::read_dir(root().join("docs")).expect("read docs/") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            pages.push(format!("docs/{name}"));
        }
    }
    pages.sort();
    pages
}

/// The text of each `<!-- rules:begin -->` ... `<!-- rules:end -->` block of `text`.
fn generated_blocks(text: &str) -> Vec<&str> {
    text.split(BEGIN)
        .skip(1)
        .map(|rest| &rest[..rest.find(END).expect("<!-- rules:end --> after <!-- rules:begin -->")])
        .collect()
}

#[test]
fn the_rule_tables_are_the_output_of_rules_format_markdown() {
    let generated = run(&["rules", "--format", "markdown"]);
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    assert!(generated.stdout.starts_with("| id | severity | scope | summary |\n"), "{}", generated.stdout);
    assert!(
        generated_blocks(&read("docs/rules.md")).len() == 1,
        "docs/rules.md must hold the rule table between {BEGIN:?} and {END:?}"
    );
    for page in pages() {
        for block in generated_blocks(&read(&page)) {
            let (mut ours, mut theirs) = (block.lines(), generated.stdout.lines());
            let first_difference = std::iter::from_fn(|| match (ours.next(), theirs.next()) {
                (None, None) => None,
                pair => Some(pair),
            })
            .find(|(a, b)| a != b);
            assert!(
                block == generated.stdout,
                "the rule table in {page} is not what the pack says; regenerate it with \
                 `cargo run -- rules --format markdown` and paste it between the markers.\n\
                 first difference (in {page}, generated): {first_difference:?}"
            );
        }
    }
}

/// The names in the first cell of each row of the tables whose header starts `header`
/// (a cell may list several: `` `to.address`, `cc.address` ``).
fn first_cells(text: &str, header: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with(header) {
            in_table = true;
        } else if !line.starts_with('|') {
            in_table = false;
        } else if in_table && !line.starts_with("|---") {
            let cell = line.split('|').nth(1).expect("a first cell");
            names.extend(cell.split(", ").map(|name| name.trim().trim_matches('`').to_owned()));
        }
    }
    names
}

#[test]
fn every_rule_has_one_fires_when_row() {
    let listed = run(&["rules", "--format", "json"]).json();
    let ids: BTreeSet<String> =
        listed.as_array().expect("rules").iter().map(|r| r["id"].as_str().expect("id").to_owned()).collect();
    let mut rows = first_cells(&read("docs/rules.md"), "| rule | fires when |");
    rows.extend(first_cells(&read("docs/preflight.md"), "| rule | fires when |"));
    let documented: BTreeSet<String> = rows.iter().cloned().collect();
    assert_eq!(rows.len(), documented.len(), "a rule has two \"fires when\" rows: {rows:?}");
    let missing: Vec<_> = ids.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&ids).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "\"fires when\" rows in docs/rules.md and docs/preflight.md: missing for {missing:?}; \
         for rules the pack does not have: {unknown:?}"
    );
}

#[test]
fn every_field_and_check_function_is_in_the_rule_language() {
    let text = read("docs/rules.md");
    let fields: BTreeSet<&str> = nhsmail_lint::rules::field::Field::names().flat_map(|n| n.split(" / ")).collect();
    let documented: BTreeSet<String> = first_cells(&text, "| field | kind |").into_iter().collect();
    let documented: BTreeSet<&str> = documented.iter().map(String::as_str).collect();
    assert_eq!(documented, fields, "the field tables of docs/rules.md against the field catalogue");
    let functions: BTreeSet<&str> = nhsmail_lint::functions::FUNCTIONS.iter().map(|f| f.name).collect();
    let documented: BTreeSet<String> = first_cells(&text, "| function | finds |").into_iter().collect();
    let documented: BTreeSet<&str> = documented.iter().map(String::as_str).collect();
    assert_eq!(documented, functions, "the check-function table of docs/rules.md against the functions");
}

#[test]
fn every_function_option_is_documented() {
    let text = read("docs/rules.md");
    let declared: BTreeSet<String> = nhsmail_lint::functions::FUNCTIONS
        .iter()
        .flat_map(|f| f.options.iter().map(move |o| format!("`{}` `{}` {}", f.name, o.name, o.kind)))
        .collect();
    let table = text.split("| function | option | kind | meaning |").nth(1).expect("the function options table");
    let documented: BTreeSet<String> = table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            format!("{} {} {}", cells[1], cells[2], cells[3])
        })
        .collect();
    assert_eq!(documented, declared, "the function options table of docs/rules.md against the declared options");
}

#[test]
fn the_readme_opens_with_the_setup_commands() {
    let readme = read("README.md");
    let block = readme.split("```sh\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a sh block");
    let commands: Vec<&str> = block.lines().map(|line| line.split('#').next().unwrap_or("").trim()).collect();
    assert_eq!(commands, ["cargo run --release -- check corpus/", "cargo test"]);
    let before: Vec<&str> = readme[..readme.find("```sh").expect("sh")].lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(before, ["# nhsmail-lint"], "the commands come first, right after the title");
}

#[test]
fn user_docs_do_not_send_users_to_the_development_machine() {
    for page in pages() {
        if page == "docs/development.md" || page == "docs/architecture.md" {
            continue;
        }
        assert!(!read(&page).contains("../shared"), "{page} mentions ../shared, which users do not have");
    }
}

#[test]
fn the_requirements_matrix_is_the_output_of_requirements_format_markdown() {
    let generated = run(&["requirements", "--format", "markdown"]);
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    let text = read("docs/requirements.md");
    let (begin, end) = ("<!-- requirements:begin -->\n", "<!-- requirements:end -->");
    let block = text.split(begin).nth(1).and_then(|rest| rest.split(end).next()).expect("the markers");
    assert!(
        block == generated.stdout,
        "the matrix in docs/requirements.md is not what the pack says; regenerate it with \
         `cargo run -- requirements --format markdown` and paste it between the markers"
    );
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut anchors = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            anchors.insert(slug(line.trim_start_matches('#')));
        }
    }
    anchors
}

/// The targets of a page's relative links `](target)`.
fn relative_links(text: &str) -> Vec<&str> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| !target.contains("://") && !target.starts_with("mailto:"))
        .collect()
}

#[test]
fn links_between_the_pages_resolve() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = read(&page);
        let dir = Path::new(&page).parent().map(Path::to_path_buf).unwrap_or_default();
        for link in relative_links(&text) {
            let (file, anchor) = link.split_once('#').unwrap_or((link, ""));
            let target: PathBuf = if file.is_empty() { PathBuf::from(&page) } else { dir.join(file) };
            if !root().join(&target).exists() {
                broken.push(format!("{page}: {link} (no such file)"));
            } else if !anchor.is_empty() && target.extension().is_some_and(|e| e == "md") {
                let target_text = std::fs::read_to_string(root().join(&target)).expect("read link target");
                if !anchors(&target_text).contains(anchor) {
                    broken.push(format!("{page}: {link} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_worked_test_example_is_the_command_s_real_output() {
    let text = read("docs/rules.md");
    let (begin, end) = ("<!-- example-test:begin -->\n```\n$ nhsmail-lint ", "```\n<!-- example-test:end -->");
    let block = text.split(begin).nth(1).and_then(|rest| rest.split(end).next()).expect("the markers");
    let (command, shown) = block.split_once('\n').expect("the command, then its output");
    let args: Vec<&str> = command.split_whitespace().collect();
    let result = run(&args);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
    assert!(
        shown == result.stdout,
        "the output in docs/rules.md (\"A worked example\") is not what `nhsmail-lint {command}` prints; run it \
         and paste its output:\n{}",
        result.stdout
    );
}

/// The Markdown sample in docs/reports.md is what its command prints: every line shown is
/// in the output, in order (lines left out are fine), with the provenance line's digests,
/// times, host and build left aside.
#[test]
fn the_markdown_report_sample_is_what_the_run_prints() {
    let docs = std::fs::read_to_string(root().join("docs/reports.md")).expect("reports.md");
    let start = docs.find("```markdown\n## nhsmail-lint:").expect("the sample") + "```markdown\n".len();
    let sample = &docs[start..start + docs[start..].find("```").expect("its end")];
    let args = ["check", "--config", "corpus/nhsmail-lint.yaml", "--format", "markdown"];
    let run = run(&[&args[..], &["corpus/rules/no-reply-address", "corpus/rules/nhs-number-in-subject"]].concat());
    let aside =
        regex::Regex::new(r"sha256 [0-9a-f.]+|\d{4}-\d\d-\d\dT[\d:]+Z|on [^ ]+ ·|; commit [^)]*").expect("regex");
    let redact = |line: &str| aside.replace_all(line, "_").into_owned();
    let printed: Vec<String> = run.stdout.lines().map(redact).collect();
    let mut at = 0;
    for line in sample.lines().filter(|l| !l.is_empty()).map(redact) {
        match printed[at..].iter().position(|p| *p == line) {
            Some(found) => at += found + 1,
            None => panic!(
                "docs/reports.md shows a line the run does not print (or not in this order):\n{line}\n\nprinted:\n{}",
                run.stdout
            ),
        }
    }
}
