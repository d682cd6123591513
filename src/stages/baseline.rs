//! Baselines, for auditors living with old findings: `--write-baseline FILE` records what a
//! run found, `--baseline FILE` reports only what is new. A finding is known by its finding
//! key (`identity::FindingKey`: rule, message, the field or part, the exact text), never by
//! path or line ending, so a baseline survives files being moved, renamed or re-exported,
//! and a new value in a message that reuses a Message-ID is not hidden. Version 1 files
//! (rule and message only) are still read, with a note to rewrite them.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::findings::diagnostic::Located;
use crate::findings::identity::FindingKey;
use crate::mail::MessageView;

const VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Known>,
}

#[derive(Serialize, Deserialize)]
struct Known {
    /// Version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    /// Version 1: the message's Message-ID or a digest of its bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    rule: String,
    count: usize,
}

/// A version 1 baseline's name for a message: its Message-ID, else the SHA-256 of its bytes.
pub(crate) fn legacy_fingerprint(view: &MessageView<'_>) -> String {
    match crate::findings::identity::message_id(view) {
        Some(id) => format!("message-id:{id}"),
        None => format!("sha256:{:x}", Sha256::digest(view.raw())),
    }
}

/// A baseline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline {path}: {source}")]
    Unreadable { path: String, source: std::io::Error },
    #[error("cannot write the baseline {path}: {source}")]
    Unwritable { path: String, source: std::io::Error },
    #[error("{path} is not a baseline: {source}")]
    NotABaseline { path: String, source: serde_json::Error },
    #[error("{path} is not a baseline: an entry has no valid `key` (version 2) or `fingerprint` (version 1)")]
    BadEntry { path: String },
}

/// Findings already known: each finding key (or, from a version 1 file, each message and
/// rule) up to a count.
#[derive(Debug, Default)]
pub(crate) struct Baseline {
    known: HashMap<FindingKey, usize>,
    legacy: HashMap<(String, String), usize>,
}

impl Baseline {
    pub(crate) fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let name = || path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| BaselineError::Unreadable { path: name(), source })?;
        let file: File =
            serde_json::from_str(&text).map_err(|source| BaselineError::NotABaseline { path: name(), source })?;
        let mut baseline = Baseline::default();
        for entry in file.findings {
            match (entry.key.as_deref().and_then(FindingKey::parse), entry.fingerprint) {
                (Some(key), _) => *baseline.known.entry(key).or_insert(0) += entry.count,
                (None, Some(fingerprint)) if file.version < VERSION => {
                    *baseline.legacy.entry((fingerprint, entry.rule)).or_insert(0) += entry.count
                }
                _ => return Err(BaselineError::BadEntry { path: name() }),
            }
        }
        Ok(baseline)
    }

    /// A version 1 file: findings are matched by rule and message, and each message needs
    /// its old fingerprint (`legacy_fingerprint`).
    pub(crate) fn is_legacy(&self) -> bool {
        !self.legacy.is_empty()
    }

    /// The diagnostics of one message the baseline does not know, and how many it did;
    /// `legacy` is the message's version 1 fingerprint, when the file is one.
    pub(crate) fn filter(&self, legacy: Option<&str>, diagnostics: Vec<Located>) -> (Vec<Located>, usize) {
        let mut by_key: HashMap<FindingKey, usize> = HashMap::new();
        let mut by_rule: HashMap<String, usize> = HashMap::new();
        let mut known = 0;
        let fresh = diagnostics
            .into_iter()
            .filter(|d| {
                let left = match (d.key, legacy) {
                    (Some(key), _) if !self.is_legacy() => {
                        by_key.entry(key).or_insert_with(|| self.known.get(&key).copied().unwrap_or(0))
                    }
                    (_, Some(fingerprint)) => {
                        let rule = d.diagnostic.rule.to_string();
                        by_rule
                            .entry(rule.clone())
                            .or_insert_with(|| self.legacy.get(&(fingerprint.to_owned(), rule)).copied().unwrap_or(0))
                    }
                    _ => return true,
                };
                if *left > 0 {
                    *left -= 1;
                    known += 1;
                    false
                } else {
                    true
                }
            })
            .collect();
        (fresh, known)
    }
}

/// What `--write-baseline` records.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    counts: BTreeMap<(String, String), usize>,
}

impl Recorder {
    pub(crate) fn add(&mut self, diagnostics: &[Located]) {
        for d in diagnostics {
            if let Some(key) = d.key {
                *self.counts.entry((key.to_string(), d.diagnostic.rule.to_string())).or_insert(0) += 1;
            }
        }
    }

    pub(crate) fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let unwritable = |source| BaselineError::Unwritable { path: path.display().to_string(), source };
        let findings = self
            .counts
            .iter()
            .map(|((key, rule), count)| Known {
                key: Some(key.clone()),
                fingerprint: None,
                rule: rule.clone(),
                count: *count,
            })
            .collect();
        let text = serde_json::to_string_pretty(&File { version: VERSION, findings }).map_err(std::io::Error::from);
        std::fs::write(path, text.map_err(unwritable)? + "\n").map_err(unwritable)
    }
}

/// What a run says of the findings its baseline left out.
pub(crate) fn known_note(known: usize) -> Option<String> {
    (known > 0).then(|| format!("{known} finding(s) already in the baseline were not reported"))
}
