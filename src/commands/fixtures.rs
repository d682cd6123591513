//! `nhsmail-lint test`: a rule pack's annotated fixtures, as strict as Semgrep's rule
//! tests. Each `.eml` declares the diagnostics it must produce (`X-Lint-Expect:
//! rule@line, ...` in its header, or a `FILE.eml.expect` beside it for files that cannot
//! hold a header); a missing or an unexpected diagnostic fails it. Every fixture is
//! checked as committed and again with the other line ending, and every rule under test
//! that a fixture can exercise needs one it fires on. The project's own corpus is run
//! through this module too.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::ListFormat;
use crate::inputs::{Inputs, Selection};
use crate::mail::{bytes, headers};
use crate::stages::corpus::Corpus;
use crate::stages::plan::TestPlan;
use crate::stages::scan::{self, ScanError, ScanPlan};
use crate::util::suggest;

/// What stopped the fixtures from running at all (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TestError {
    /// The scan could not start.
    #[error(transparent)]
    #[diagnostic(code(scan))]
    Scan(#[from] ScanError),
    /// The fixtures' folder could not be read.
    #[error("cannot read the fixtures under {path}: {source}")]
    #[diagnostic(code(fixtures))]
    Read {
        /// The folder.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The copy with the other line ending could not be made.
    #[error("cannot copy the fixtures with the other line ending: {0}")]
    #[diagnostic(code(fixtures))]
    Flip(std::io::Error),
    /// No fixture under the path given.
    #[error("no .eml fixture under {0}: a run that tests nothing must not pass")]
    #[diagnostic(code(fixtures), help("fixtures are .eml files, each with `X-Lint-Expect: rule@line` or none"))]
    Empty(String),
}

/// A diagnostic a fixture declares or produced: its rule and line.
type Expectation = (String, usize);

/// One fixture's verdict.
#[derive(Debug, Serialize)]
pub(crate) struct FixtureVerdict {
    pub(crate) path: PathBuf,
    /// What it declares, as `rule@line`; `None` when the declaration cannot be read.
    pub(crate) expected: Option<Vec<String>>,
    /// Why it failed; empty when it passed.
    pub(crate) problems: Vec<String>,
}

/// A rule under test, and how the fixtures covered it.
#[derive(Debug, Serialize)]
pub(crate) struct RuleCoverage {
    pub(crate) id: String,
    /// Fixtures that expect it to fire.
    pub(crate) failing_fixtures: usize,
    /// Why no fixture can exercise it, when none can.
    pub(crate) untestable: Option<String>,
}

/// What `nhsmail-lint test` found: each fixture's verdict and each rule's coverage.
#[derive(Debug, Serialize)]
pub struct FixtureResults {
    pub(crate) fixtures: Vec<FixtureVerdict>,
    pub(crate) rules: Vec<RuleCoverage>,
}

impl FixtureResults {
    pub(crate) fn failed(&self) -> usize {
        self.fixtures.iter().filter(|v| !v.problems.is_empty()).count()
    }

    /// Rules fixtures could exercise, with none that fires them.
    pub(crate) fn untested(&self) -> impl Iterator<Item = &RuleCoverage> {
        self.rules.iter().filter(|r| r.untestable.is_none() && r.failing_fixtures == 0)
    }

    /// Whether every fixture produced exactly what it expects.
    pub fn passed(&self) -> bool {
        self.failed() == 0 && self.untested().next().is_none()
    }

    /// The results, as text or JSON.
    pub fn render(&self, format: ListFormat) -> String {
        match format {
            ListFormat::Json => serde_json::to_string_pretty(self).expect("results serialise") + "\n",
            ListFormat::Human => self.human(),
        }
    }

    fn human(&self) -> String {
        let mut out = String::new();
        for verdict in &self.fixtures {
            let status = if verdict.problems.is_empty() { "ok  " } else { "FAIL" };
            let expects = match &verdict.expected {
                None => "declaration unreadable".to_owned(),
                Some(expected) if expected.is_empty() => "passes".to_owned(),
                Some(expected) => expected.join(", "),
            };
            let _ = writeln!(out, "{status} {} ({expects})", verdict.path.display());
            for problem in &verdict.problems {
                let _ = writeln!(out, "       {problem}");
            }
        }
        for rule in self.untested() {
            let _ = writeln!(out, "UNTESTED {}: no fixture expects it to fire", rule.id);
        }
        // One line a reason: a pack's config rules are many, and all alike here.
        let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
        for rule in &self.rules {
            let Some(why) = &rule.untestable else { continue };
            match reasons.iter_mut().find(|(w, _)| w == why) {
                Some((_, ids)) => ids.push(&rule.id),
                None => reasons.push((why, vec![&rule.id])),
            }
        }
        for (why, ids) in reasons {
            let _ = writeln!(out, "not tested by fixtures ({why}): {}", ids.join(", "));
        }
        let (total, failed) = (self.fixtures.len(), self.failed());
        let testable = self.rules.iter().filter(|r| r.untestable.is_none()).count();
        let untested: Vec<&str> = self.untested().map(|r| r.id.as_str()).collect();
        let _ = write!(out, "{total} fixtures: {} passed, {failed} failed; ", total - failed);
        let _ = if untested.is_empty() {
            writeln!(out, "each of {testable} rules has a fixture it fires on.")
        } else {
            writeln!(
                out,
                "{} of {testable} rules have no fixture they fire on: {}.",
                untested.len(),
                untested.join(", ")
            )
        };
        out
    }
}

/// Runs every fixture under the plan's paths, as committed and with the other line ending.
pub fn run(plan: &TestPlan) -> Result<FixtureResults, TestError> {
    let files = fixture_files(&plan.paths)?;
    let as_committed = diagnostics(plan, &files)?;
    // The copies live as long as their scan: the directory goes when `_temp` drops.
    let (_temp, copies, endings) = flipped_copies(&files)?;
    let flipped = diagnostics(plan, &copies)?;
    let known = plan.rules.ids();
    let mut fixtures = Vec::new();
    let mut fired: HashMap<String, usize> = HashMap::new();
    for (n, file) in files.iter().enumerate() {
        let mut problems = Vec::new();
        let expected = match expectations(file) {
            Ok(expected) => Some(expected),
            Err(problem) => {
                problems.push(problem.to_string());
                None
            }
        };
        let declared = expected.as_deref().unwrap_or_default();
        for (rule, _) in declared {
            if !known.contains(&rule.as_str()) {
                let guess = suggest::closest(rule, known.iter().copied()).map(|g| format!(" (did you mean `{g}`?)"));
                problems.push(format!("expects `{rule}`, which no loaded rule defines{}", guess.unwrap_or_default()));
            }
        }
        compare(declared, &as_committed[n], "", &mut problems);
        compare(declared, &flipped[n], &format!("with {} line endings: ", endings[n]), &mut problems);
        let mut rules: Vec<&String> = declared.iter().map(|(rule, _)| rule).collect();
        rules.dedup();
        for rule in rules {
            *fired.entry(rule.clone()).or_default() += 1;
        }
        let expected = expected.map(|e| e.iter().map(|(rule, line)| format!("{rule}@{line}")).collect());
        fixtures.push(FixtureVerdict { path: file.clone(), expected, problems });
    }
    Ok(FixtureResults { fixtures, rules: coverage(plan, &fired) })
}

/// The fixtures under each path, sorted; a path with none is an error, not a pass.
fn fixture_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, TestError> {
    let mut files = Vec::new();
    for path in paths {
        let before = files.len();
        collect(path, &mut files).map_err(|source| TestError::Read { path: path.display().to_string(), source })?;
        if files.len() == before {
            return Err(TestError::Empty(path.display().to_string()));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Each fixture copied with the other line ending into a temporary directory, numbered
/// so that the copies are checked in the fixtures' order; and each copy's line ending.
fn flipped_copies(files: &[PathBuf]) -> Result<(tempfile::TempDir, Vec<PathBuf>, Vec<&'static str>), TestError> {
    let temp = tempfile::tempdir().map_err(TestError::Flip)?;
    let (mut copies, mut endings) = (Vec::new(), Vec::new());
    for (n, file) in files.iter().enumerate() {
        let bytes =
            std::fs::read(file).map_err(|source| TestError::Read { path: file.display().to_string(), source })?;
        let (other, ending) = other_line_ending(&bytes);
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let copy = temp.path().join(format!("{n:05}-{name}"));
        std::fs::write(&copy, other).map_err(TestError::Flip)?;
        copies.push(copy);
        endings.push(ending);
    }
    Ok((temp, copies, endings))
}

/// Each rule under test with the number of fixtures that expect it, testable ones first.
fn coverage(plan: &TestPlan, fired: &HashMap<String, usize>) -> Vec<RuleCoverage> {
    let count = |id: &str| fired.get(id).copied().unwrap_or(0);
    let tested = plan.tested.iter().map(|&i| &plan.rules.rules[i].id).map(|id| RuleCoverage {
        id: id.to_string(),
        failing_fixtures: count(id),
        untestable: None,
    });
    let untestable = plan.untestable.iter().map(|(id, why)| RuleCoverage {
        id: id.to_string(),
        failing_fixtures: count(id),
        untestable: Some(why.clone()),
    });
    tested.chain(untestable).collect()
}

/// The `.eml` files under `path` (or `path` itself, named explicitly), hidden ones left
/// out. Linked folders are not followed, so a link loop cannot recurse for ever.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if entry.file_type()?.is_dir() {
            collect(&path, out)?;
        } else if path.is_file() && path.extension().is_some_and(|e| e == "eml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Each file's diagnostics (rule, line), sorted, message and corpus rules alike.
fn diagnostics(plan: &TestPlan, files: &[PathBuf]) -> Result<Vec<Vec<Expectation>>, TestError> {
    let scan_plan = ScanPlan {
        inputs: Inputs { paths: files.to_vec(), selection: Selection::default() },
        rules: plan.rules.clone(),
        active: plan.active.clone(),
        ignores: plan.ignores.clone(),
        baseline: None,
        bodies: false,
        jobs: plan.jobs,
        services: None,
        detail: false,
        names: false,
    };
    let at: HashMap<&Path, usize> = files.iter().enumerate().map(|(n, f)| (f.as_path(), n)).collect();
    let mut found = vec![Vec::new(); files.len()];
    let mut corpus = Corpus::default();
    scan::run(&scan_plan, None, |index, mut checked| {
        if let Some(&n) = at.get(checked.findings.path.as_path()) {
            found[n].extend(checked.findings.diagnostics.iter().map(|d| (d.diagnostic.rule.to_string(), d.line)));
        }
        corpus.keep(index, &mut checked);
    })?;
    for judged in corpus.judge(&plan.rules, &mut |_, diagnostics| diagnostics, None, false) {
        let findings = judged.findings.findings;
        if let Some(&n) = at.get(findings.path.as_path()) {
            found[n].extend(findings.diagnostics.iter().map(|d| (d.diagnostic.rule.to_string(), d.line)));
        }
    }
    for list in &mut found {
        list.sort();
    }
    Ok(found)
}

/// The fixture with the other line ending (CRLF becomes LF; else LF becomes CRLF), and
/// that ending's name.
fn other_line_ending(bytes: &[u8]) -> (Vec<u8>, &'static str) {
    let text = String::from_utf8_lossy(bytes);
    if bytes.windows(2).any(|w| w == b"\r\n") {
        (strip_cr(bytes), "LF")
    } else if text.len() == bytes.len() {
        (text.replace('\n', "\r\n").into_bytes(), "CRLF")
    } else {
        // Not UTF-8: add the CRs byte by byte, leaving every other byte as it was.
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 40);
        for &b in bytes {
            if b == b'\n' {
                out.push(b'\r');
            }
            out.push(b);
        }
        (out, "CRLF")
    }
}

fn strip_cr(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

/// Why a fixture's declaration could not be read: the fixture's failure, as its report
/// says it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExpectError {
    #[error("cannot read it: {0}")]
    Unreadable(std::io::Error),
    #[error("`{0}` is not rule@line")]
    NotRuleAtLine(String),
    #[error("`{0}`: the line is not a number")]
    LineNotNumber(String),
    #[error("{sidecar}: {error}")]
    InSidecar { sidecar: String, error: Box<ExpectError> },
}

/// What a fixture declares: its `.expect` file if there is one, else its
/// `X-Lint-Expect` header fields; a malformed declaration is the fixture's failure.
pub(crate) fn expectations(path: &Path) -> Result<Vec<Expectation>, ExpectError> {
    let sidecar = PathBuf::from(format!("{}.expect", path.display()));
    if let Ok(text) = std::fs::read_to_string(&sidecar) {
        return parse(&text)
            .map_err(|e| ExpectError::InSidecar { sidecar: sidecar.display().to_string(), error: Box::new(e) });
    }
    let bytes = std::fs::read(path).map_err(ExpectError::Unreadable)?;
    parse(&declared(&bytes).join(","))
}

/// The values of the `X-Lint-Expect` fields of a message's header, each unfolded: the
/// header block read as the scan reads it (`headers::read_block`), so the name is matched
/// in any case and a field folded over lines is read whole (a declaration half-read
/// would let a rule that stopped firing pass). Two things stay as fixtures have always
/// been read, where the scan reads more: the declarations end at the first line of
/// only white space, and a name with white space before its colon (obsolete) declares
/// nothing.
fn declared(raw: &[u8]) -> Vec<String> {
    let block = headers::read_block(raw, 0);
    let blank = bytes::lines(&raw[..block.end]).find(|l| String::from_utf8_lossy(&raw[l.clone()]).trim().is_empty());
    let end = blank.map_or(block.end, |line| line.start);
    block
        .fields
        .iter()
        .filter(|f| f.field.start < end && !f.obsolete() && raw[f.name.clone()].eq_ignore_ascii_case(b"X-Lint-Expect"))
        .map(|f| unfold(&raw[f.value.start..f.value.end.min(end)]))
        .collect()
}

/// A folded value on one line: each line break taken out, the white space after it
/// kept (RFC 5322 section 2.2.3).
fn unfold(value: &[u8]) -> String {
    String::from_utf8_lossy(value).replace("\r\n", "").replace('\n', "")
}

/// `rule@line, rule@line` (commas or new lines between), sorted.
fn parse(text: &str) -> Result<Vec<Expectation>, ExpectError> {
    let mut out = Vec::new();
    for item in text.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        let (rule, line) = item.split_once('@').ok_or_else(|| ExpectError::NotRuleAtLine(item.to_owned()))?;
        let line = line.trim().parse().map_err(|_| ExpectError::LineNotNumber(item.to_owned()))?;
        out.push((rule.trim().to_owned(), line));
    }
    out.sort();
    Ok(out)
}

/// Adds to `problems` what `expected` and `got` disagree on (as multisets).
fn compare(expected: &[Expectation], got: &[Expectation], context: &str, problems: &mut Vec<String>) {
    let mut unmatched: Vec<&Expectation> = got.iter().collect();
    for want in expected {
        match unmatched.iter().position(|g| *g == want) {
            Some(i) => {
                unmatched.remove(i);
            }
            None => problems.push(format!("{context}expected {}@{}, not reported", want.0, want.1)),
        }
    }
    for (rule, line) in unmatched {
        problems.push(format!("{context}unexpected {rule}@{line}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_parse_and_bad_ones_say_why() {
        assert_eq!(parse("b@2, a@10\nb@1").unwrap(), [("a".into(), 10), ("b".into(), 1), ("b".into(), 2)]);
        assert_eq!(parse(" ").unwrap(), []);
        assert!(parse("subject-prefix").unwrap_err().to_string().contains("not rule@line"));
        assert!(parse("subject-prefix@four").unwrap_err().to_string().contains("not a number"));
    }

    #[test]
    fn the_header_is_read_in_any_case_and_folded() {
        let text = "x-lint-expect: a@1,\r\n b@2\r\nSubject: s\r\n\tX-Lint-Expect: not@3\r\nX-LINT-EXPECT: c@4\r\n\r\n\
                    X-Lint-Expect: body@9\r\n";
        let declared = declared(text.as_bytes()).join(",");
        assert_eq!(parse(&declared).unwrap(), [("a".into(), 1), ("b".into(), 2), ("c".into(), 4)]);
    }

    /// Each header as the hand-written reader before `read_block` read it.
    #[test]
    fn declarations_are_read_where_they_always_were() {
        for (header, fields) in [
            ("X-Lint-Expect: a@1\r\n b@2\r\n\r\n", &[" a@1 b@2"][..]),
            ("X-Lint-Expect: a@1\n \nX-Lint-Expect: b@2\n\n", &[" a@1"]),
            ("X-Lint-Expect: a@1\n \u{a0}\nX-Lint-Expect: b@2\n\n", &[" a@1"]),
            ("X-Lint-Expect: a@1,\n \u{b}\n c@3\n\n", &[" a@1,"]),
            ("X-Lint-Expect : a@1\nX-Lint-Expect: b@2\n\n", &[" b@2"]),
            ("From someone Mon Jan  1 00:00:00 2026\nX-Lint-Expect: a@1\n\n", &[" a@1"]),
            (" X-Lint-Expect: a@1\nX-Lint-Expect: b@2\n", &[" b@2"]),
            ("garbage line\n\tX-Lint-Expect: a@1\nX-Lint-Expect: b@2\n", &[" b@2"]),
            ("X-Lint-Expect: a@1\r\r\nX-Lint-Expect: b@\r\n 2\r\n", &[" a@1\r", " b@ 2"]),
            ("X-Lint-Expect: sub\n ject@1\n\n", &[" sub ject@1"]),
            ("X-Lint-Expect:\n", &[""]),
            ("", &[]),
        ] {
            assert_eq!(declared(header.as_bytes()), fields, "{header:?}");
        }
        let error = parse(&declared(b"X-Lint-Expect: a@1\r\n b@2\r\n\r\n").join(",")).unwrap_err();
        assert_eq!(error.to_string(), "`a@1 b@2`: the line is not a number", "a fold is no separator");
    }

    #[test]
    fn a_fold_is_taken_out_and_its_white_space_kept() {
        assert_eq!(unfold(b" a@1,\r\n\tb@2,\n c@3\r"), " a@1,\tb@2, c@3\r");
    }

    #[test]
    fn a_missing_and_an_unexpected_diagnostic_both_fail() {
        let expected = [("a".to_owned(), 1), ("a".to_owned(), 1)];
        let got = [("a".to_owned(), 1), ("b".to_owned(), 3)];
        let mut problems = Vec::new();
        compare(&expected, &got, "", &mut problems);
        assert_eq!(problems, ["expected a@1, not reported", "unexpected b@3"]);
    }

    #[test]
    fn line_endings_flip_both_ways_and_keep_other_bytes() {
        assert_eq!(other_line_ending(b"a\r\nb\r\n"), (b"a\nb\n".to_vec(), "LF"));
        assert_eq!(other_line_ending(b"a\nb\n"), (b"a\r\nb\r\n".to_vec(), "CRLF"));
        assert_eq!(other_line_ending(b"\xff\n"), (b"\xff\r\n".to_vec(), "CRLF"));
    }
}
