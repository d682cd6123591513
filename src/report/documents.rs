//! The document formats, written once at the end from small per-file records:
//! - `json`: the contract CI and auditors rely on (docs/reports.md);
//! - `sarif`: SARIF 2.1.0 for GitHub code scanning: rule metadata with help, results
//!   with locations, the requirements as a taxonomy that each rule relates to;
//! - `junit`: one test case per file, failing when it has a diagnostic at `--fail-on`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::json;

use super::Format;
use super::{CorpusFindings, Ending, ReportPlan, Reporter};
use crate::findings::diagnostic::{FileFindings, Located, Severity};
use crate::online::mailbox_status::MailboxStatus;
use crate::rules::RuleSet;
use crate::send::Outcome;

/// One file's diagnostics, as the document formats hold them.
#[derive(Debug, Clone, Serialize)]
struct Document {
    path: String,
    /// The message's name (`--compare` matches messages by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    diagnostics: Vec<Located>,
}

/// What the JSON report counts besides its files: each requirement's messages checked and
/// failing (`requirements`), and `--compare`'s matching as the files arrive.
struct Counting {
    coverage: std::sync::Arc<super::coverage::RunCoverage>,
    tally: super::tally::Tally,
    compare: Option<super::compare::Comparing>,
}

/// `--send`'s results: each message's verdict, and a count of each verdict.
#[derive(Serialize)]
struct Sends {
    messages: Vec<Outcome>,
    summary: BTreeMap<&'static str, usize>,
}

pub(crate) struct Documents<'a> {
    out: Box<dyn Write + 'a>,
    format: Format,
    fail_on: Option<Severity>,
    rules: &'a RuleSet,
    /// The config file's entry, first in the document when config rules reported.
    config: Option<Document>,
    /// The scanned files, at their scan index.
    files: Vec<Document>,
    send: Option<Sends>,
    mailbox: Option<MailboxStatus>,
    /// The JSON format only.
    counting: Option<Counting>,
}

impl<'a> Documents<'a> {
    pub(crate) fn new(plan: &ReportPlan, rules: &'a RuleSet, out: Box<dyn Write + 'a>) -> Self {
        let (format, fail_on) = (plan.format, plan.fail_on);
        let counting = (format == Format::Json).then(|| Counting {
            coverage: plan.coverage.clone().unwrap_or_default(),
            tally: super::tally::Tally::new(rules),
            compare: plan.compare.clone().map(super::compare::Comparing::new),
        });
        let (config, files, send, mailbox) = (None, Vec::new(), None, None);
        Documents { out, format, fail_on, rules, config, files, send, mailbox, counting }
    }
}

fn entry(findings: FileFindings) -> Document {
    Document { path: findings.path.display().to_string(), message: findings.name, diagnostics: findings.diagnostics }
}

impl Counting {
    /// One file's findings; `corpus` for those a rule across messages found after the scan.
    fn file(&mut self, index: usize, document: &Document, corpus: bool, unchecked: bool) {
        if let Some(compare) = &mut self.compare {
            match corpus {
                true => compare.findings(&document.path, &document.diagnostics),
                false => compare.message(document.message.as_deref(), &document.path, &document.diagnostics),
            }
        }
        let detail = crate::findings::diagnostic::Detail { unchecked, ..Default::default() };
        let findings = FileFindings {
            path: document.path.clone().into(),
            diagnostics: document.diagnostics.clone(),
            rendered: None,
            detail: Some(Box::new(detail)),
            name: None,
        };
        self.tally.message(index, findings, corpus);
    }

    /// `requirements` and, with `--compare`, `compare`.
    fn finish(self, rules: &RuleSet, end: &Ending, document: &mut serde_json::Value) -> serde_json::Result<()> {
        let matrix = super::view::matrix(rules, &self.coverage, &self.tally, end.summary.files);
        document["requirements"] = serde_json::to_value(super::view::requirement_counts(&matrix))?;
        if let Some(compare) = self.compare {
            let rechecked = super::compare::rechecked(rules, &self.coverage);
            document["compare"] = serde_json::to_value(compare.finish(super::view::point(&matrix, end), rechecked))?;
        }
        Ok(())
    }
}

impl Reporter for Documents<'_> {
    fn config(&mut self, findings: FileFindings) -> io::Result<()> {
        self.config = Some(entry(findings));
        Ok(())
    }

    fn file(&mut self, index: usize, findings: FileFindings) -> io::Result<()> {
        // Not a message, or not read: the matrix does not count it as checked.
        let unchecked = findings.detail.as_ref().is_some_and(|d| d.unchecked);
        let document = entry(findings);
        if let Some(counting) = &mut self.counting {
            counting.file(index, &document, false, unchecked);
        }
        self.files.push(document);
        Ok(())
    }

    fn mailbox(&mut self, status: &MailboxStatus) -> io::Result<()> {
        self.mailbox = Some(status.clone());
        Ok(())
    }

    fn send(&mut self, outcomes: &[Outcome]) -> io::Result<()> {
        let mut summary = BTreeMap::new();
        for o in outcomes {
            *summary.entry(o.verdict.as_str()).or_insert(0) += 1;
        }
        self.send = Some(Sends { messages: outcomes.to_vec(), summary });
        Ok(())
    }

    fn finish(mut self: Box<Self>, late: Vec<CorpusFindings>, end: &Ending) -> io::Result<()> {
        for file in late {
            if let Some(counting) = &mut self.counting {
                counting.file(file.index, &entry(file.findings.clone()), true, false);
            }
            if let Some(entry) = self.files.get_mut(file.index) {
                entry.diagnostics.extend(file.findings.diagnostics);
                entry.diagnostics.sort_by(|a, b| {
                    (a.line, a.column, &a.diagnostic.rule).cmp(&(b.line, b.column, &b.diagnostic.rule))
                });
            }
        }
        let files: Vec<Document> = self.config.take().into_iter().chain(std::mem::take(&mut self.files)).collect();
        match self.format {
            Format::Sarif => serde_json::to_writer(&mut self.out, &sarif(self.rules, &files, end))?,
            Format::Junit => self.out.write_all(junit(&files, self.fail_on, end).as_bytes())?,
            _ => {
                let mut document = json!({
                    "files": files,
                    "summary": end.summary,
                    "unread": end.summary.unread,
                    "notes": end.notes,
                    "run": end.run,
                });
                if let Some(send) = self.send.take() {
                    document["send"] = serde_json::to_value(send)?;
                }
                if let Some(mailbox) = self.mailbox.take() {
                    document["mailbox"] = serde_json::to_value(mailbox)?;
                }
                if let Some(counting) = self.counting.take() {
                    counting.finish(self.rules, end, &mut document)?;
                }
                serde_json::to_writer(&mut self.out, &document)?;
            }
        }
        writeln!(self.out)?;
        self.out.flush()
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a SARIF artifact URI: relative paths stay relative (code scanning resolves
/// them against the repository), with `/` separators and reserved characters escaped.
fn uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(byte as char),
            b'\\' => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    if path.starts_with('/') { format!("file://{out}") } else { out }
}

/// The name of the SARIF taxonomy the requirements form (`runs[].taxonomies`).
const TAXONOMY: &str = "nhsmail-lint requirements";

fn sarif(rules: &RuleSet, files: &[Document], end: &Ending) -> serde_json::Value {
    let index: BTreeMap<&str, usize> = rules.rules.iter().enumerate().map(|(i, r)| (&*r.id, i)).collect();
    let taxon_index: BTreeMap<&str, usize> = rules.requirements.iter().enumerate().map(|(i, r)| (&*r.id, i)).collect();
    let descriptors: Vec<serde_json::Value> = rules
        .rules
        .iter()
        .map(|r| {
            let docs = &r.docs;
            let help = [
                docs.what.as_deref(),
                docs.why.as_deref().map(|w| format!("Why: {w}")).as_deref(),
                r.help.as_deref().map(|h| format!("How to fix: {h}")).as_deref(),
                docs.source.as_deref().map(|s| format!("Source: {s}")).as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n\n");
            let mut descriptor = json!({
                "id": &*r.id,
                "name": &*r.id,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": docs.what.clone().unwrap_or_else(|| r.summary.clone()) },
                "help": { "text": help, "markdown": help },
                "defaultConfiguration": { "level": level(r.severity), "enabled": r.enabled },
            });
            let relationships: Vec<serde_json::Value> = r
                .requirement
                .iter()
                .filter_map(|id| taxon_index.get(&**id).map(|i| (id, i)))
                .map(|(id, i)| {
                    json!({
                        "target": { "id": &**id, "index": i, "toolComponent": { "name": TAXONOMY, "index": 0 } },
                        "kinds": ["relevant"],
                    })
                })
                .collect();
            if !relationships.is_empty() {
                descriptor["relationships"] = json!(relationships);
            }
            descriptor
        })
        .collect();
    let taxa: Vec<serde_json::Value> = rules
        .requirements
        .iter()
        .map(|q| {
            json!({
                "id": &*q.id,
                "shortDescription": { "text": q.reads() },
                "fullDescription": { "text": match &q.readable {
                    Some(readable) => format!("{readable} ({}). Word for word: {} Source: {}", q.verb.as_str(), q.sentence, q.source),
                    None => format!("{} ({}). Source: {}", q.sentence, q.verb.as_str(), q.source),
                } },
                "properties": {
                    "verb": q.verb.as_str(),
                    "coverage": q.coverage.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = files
        .iter()
        .flat_map(|file| file.diagnostics.iter().map(move |d| (file, d)))
        .map(|(file, d)| {
            let mut result = json!({
                "ruleId": &*d.diagnostic.rule,
                "level": level(d.diagnostic.severity),
                "message": { "text": d.diagnostic.message },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": uri(&file.path) },
                    "region": { "startLine": d.line, "startColumn": d.column },
                }}],
            });
            if let Some(i) = index.get(&*d.diagnostic.rule) {
                result["ruleIndex"] = json!(i);
            }
            // The finding key, so a code-scanning service follows a finding across
            // re-exports and moves instead of closing it and opening another.
            if let Some(key) = d.key {
                result["partialFingerprints"] = json!({ "nhsmailLintFinding/v1": key });
            }
            // SARIF's own fix object: the bytes replaced, by offset, and their replacement.
            if let Some(fix) = &d.diagnostic.fix {
                result["fixes"] = json!([{
                    "description": { "text": format!("{} fix (nhsmail-lint check --fix)", match fix.applicability {
                        crate::findings::fix::Applicability::Safe => "safe",
                        crate::findings::fix::Applicability::Unsafe => "unsafe: --unsafe-fixes",
                    }) },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": uri(&file.path) },
                        "replacements": [{
                            "deletedRegion": { "byteOffset": fix.span.start, "byteLength": fix.span.len() },
                            "insertedContent": { "text": fix.replacement },
                        }],
                    }],
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "nhsmail-lint",
                "version": end.run.build.version,
                "semanticVersion": end.run.build.version,
                "informationUri": "https://github.com/nhsmail-lint/nhsmail-lint",
                "rules": descriptors,
                "supportedTaxonomies": [{ "name": TAXONOMY, "index": 0 }],
            }},
            "taxonomies": [{
                "name": TAXONOMY,
                "shortDescription": { "text": "The requirements of the loaded rule packs (the compliance matrix)" },
                "isComprehensive": false,
                "taxa": taxa,
            }],
            "invocations": [{
                "executionSuccessful": end.exit_code != 2,
                "exitCode": end.exit_code,
                // Each path not read: the run is incomplete (SARIF 2.1.0 3.20.21).
                "toolExecutionNotifications": end.summary.unread.iter().map(|u| json!({
                    "level": "error",
                    "descriptor": { "id": "unreadable-file" },
                    "message": { "text": format!("cannot read {}: {}", u.path, u.reason) },
                    "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri(&u.path) } } }],
                })).collect::<Vec<_>>(),
                "startTimeUtc": end.run.started,
                "endTimeUtc": end.run.finished,
                "machine": end.run.host,
                "properties": { "run": end.run },
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// XML 1.0 text: escaped, and without the control characters it cannot carry.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn junit(files: &[Document], fail_on: Option<Severity>, end: &Ending) -> String {
    let run = &end.run;
    // A path not read is a test that could not run (an error), not one that failed.
    let unread = |e: &Document| end.summary.unread.iter().find(|u| u.path == e.path);
    let fails = |e: &Document| {
        unread(e).is_none() && fail_on.is_some_and(|t| e.diagnostics.iter().any(|d| d.diagnostic.severity >= t))
    };
    let failures = files.iter().filter(|e| fails(e)).count();
    let errors = files.iter().filter(|e| unread(e).is_some()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"nhsmail-lint\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        files.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"nhsmail-lint\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" \
         timestamp=\"{}\" hostname=\"{}\">\n",
        files.len(),
        xml(&run.started),
        xml(&run.host)
    ));
    out.push_str("    <properties>\n");
    for (name, value) in run.properties() {
        out.push_str(&format!("      <property name=\"{}\" value=\"{}\"/>\n", xml(&name), xml(&value)));
    }
    out.push_str("    </properties>\n");
    for e in files {
        let line =
            |d: &Located| super::lines::concise(&e.path, d) + &super::ci::requirement_suffix(&d.diagnostic.requirement);
        let lines: Vec<String> = e.diagnostics.iter().map(line).collect();
        out.push_str(&format!("    <testcase classname=\"nhsmail-lint\" name=\"{}\"", xml(&e.path)));
        if let Some(u) = unread(e) {
            out.push_str(&format!(
                ">\n      <error message=\"{}\" type=\"unreadable-file\">{}</error>\n    </testcase>\n",
                xml(&format!("cannot read: {}", u.reason)),
                xml(&lines.join("\n"))
            ));
        } else if fails(e) {
            let message = format!("{} problem(s)", e.diagnostics.len());
            out.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"nhsmail-lint\">{}</failure>\n    </testcase>\n",
                xml(&message),
                xml(&lines.join("\n"))
            ));
        } else if !lines.is_empty() {
            out.push_str(&format!(">\n      <system-out>{}</system-out>\n    </testcase>\n", xml(&lines.join("\n"))));
        } else {
            out.push_str("/>\n");
        }
    }
    out.push_str("  </testsuite>\n</testsuites>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_escaped() {
        assert_eq!(uri("./out/a b.eml"), "out/a%20b.eml");
        assert_eq!(uri("/srv/mail/x.eml"), "file:///srv/mail/x.eml");
    }

    #[test]
    fn xml_text_cannot_break_out() {
        assert_eq!(xml("<a href=\"x\">&\u{1b}"), "&lt;a href=&quot;x&quot;&gt;&amp;\\u{1b}");
    }
}
