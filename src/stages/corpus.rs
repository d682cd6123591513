//! The corpus rules across a scan: while the scan runs, each message's facts (a few
//! bytes a rule) are kept with its path; once every message is in, the facts are
//! judged together, and each finding is shown from the message's own bytes, read again.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::findings::diagnostic::{Detail, Excerpt, FileFindings, Located, Renderer};
use crate::findings::identity::{self, Stamp};
use crate::inputs::Rereader;
use crate::report::CorpusFindings;
use crate::rules::RuleSet;
use crate::rules::engine::{self, Fact};
use crate::stages::scan::Checked;

/// Leaves out of a message's diagnostics (given its version 1 baseline fingerprint) what a
/// baseline knows.
pub(crate) type Sift<'a> = dyn FnMut(Option<&str>, Vec<Located>) -> Vec<Located> + 'a;

/// What is kept of a message that has facts.
struct Kept {
    path: PathBuf,
    fingerprint: Option<String>,
    /// What tells a copy of it (`identity::copies`).
    stamp: Option<Stamp>,
    /// The scan reported something in it already (for the count of files with findings).
    had_findings: bool,
}

/// A corpus finding's file, as the corpus stage knows it.
pub(crate) struct Judged {
    pub(crate) findings: CorpusFindings,
    /// The scan reported something in the file already.
    pub(crate) had_findings: bool,
}

#[derive(Default)]
pub(crate) struct Corpus {
    facts: Vec<(usize, Fact)>,
    kept: HashMap<usize, Kept>,
    /// Messages found to be copies of one before them, whose facts were left out.
    pub(crate) copies: usize,
}

impl Corpus {
    /// Keeps what the corpus rules need of the message scanned at `index`.
    pub(crate) fn keep(&mut self, index: usize, checked: &mut Checked) {
        if checked.facts.is_empty() {
            return;
        }
        let kept = Kept {
            path: checked.findings.path.clone(),
            fingerprint: checked.fingerprint.clone(),
            stamp: checked.stamp.take(),
            had_findings: !checked.findings.diagnostics.is_empty(),
        };
        self.kept.insert(index, kept);
        self.facts.extend(std::mem::take(&mut checked.facts).into_iter().map(|f| (index, f)));
    }

    /// The corpus rules' findings, a file at a time in scan order, after `sift` (given
    /// the file's fingerprint) has left out what a baseline knows; `render` shows each
    /// one from the file's bytes, read again (standard input is shown without them), and
    /// with `excerpts` each gets its excerpt from them too (the HTML and Markdown reports).
    pub(crate) fn judge(
        &mut self,
        rules: &RuleSet,
        sift: &mut Sift<'_>,
        render: Option<&Renderer<'_>>,
        excerpts: bool,
    ) -> Vec<Judged> {
        let mut rereader = Rereader::default();
        self.leave_out_copies(&mut rereader);
        let name_of = |i: usize| self.kept.get(&i).map(|k| k.path.display().to_string()).unwrap_or_default();
        let by_file = engine::evaluate_corpus(rules, std::mem::take(&mut self.facts), &name_of);
        let mut judged = Vec::new();
        for (index, diagnostics) in by_file {
            let kept = self.kept.remove(&index).expect("facts come with their file");
            let diagnostics = sift(kept.fingerprint.as_deref(), diagnostics);
            let raw = (render.is_some() || excerpts).then(|| rereader.read(&kept.path)).flatten();
            let rendered = render.map(|r| match &raw {
                Some((raw, first_line)) => {
                    let shown: Vec<Located> =
                        diagnostics.iter().map(|d| Located::new(d.diagnostic.clone(), raw)).collect();
                    r(&kept.path, raw, &shown, first_line - 1)
                }
                None => r(&kept.path, &[], &diagnostics, 0),
            });
            let detail = excerpts.then(|| {
                let excerpts = diagnostics
                    .iter()
                    .map(|d| match &raw {
                        Some((raw, first_line)) => Excerpt::of(raw, &d.diagnostic.span, first_line - 1),
                        None => Excerpt::default(),
                    })
                    .collect();
                Box::new(Detail { excerpts, ..Detail::default() })
            });
            let findings = FileFindings { path: kept.path, diagnostics, rendered, detail, name: None };
            judged.push(Judged { findings: CorpusFindings { index, findings }, had_findings: kept.had_findings });
        }
        judged
    }

    /// A store's second copy of a send is the same send: its facts are left out, its body
    /// read again only when its Message-ID and header fields match an earlier message's.
    fn leave_out_copies(&mut self, rereader: &mut Rereader) {
        let stamps = self.kept.iter_mut().filter_map(|(i, k)| k.stamp.take().map(|s| (*i, s))).collect();
        let kept = &self.kept;
        let copies = identity::copies(stamps, |i| {
            let (raw, _) = rereader.read(&kept.get(&i)?.path)?;
            Some(identity::body_digest(&raw))
        });
        self.copies = copies.len();
        if !copies.is_empty() {
            self.facts.retain(|(i, _)| !copies.contains(i));
        }
    }
}
