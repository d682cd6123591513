//! Baselines, for auditors living with old findings: `--write-baseline FILE` records what a
//! run found, `--baseline FILE` reports only what is new. A finding is keyed by its rule and
//! its message's fingerprint (the Message-ID, else a digest of the bytes), never by path,
//! so a baseline survives files being moved, renamed or re-exported.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diagnostic::Located;
use crate::mail::{MessageView, headers};

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Known>,
}

#[derive(Serialize, Deserialize)]
struct Known {
    fingerprint: String,
    rule: String,
    count: usize,
}

/// The message's identity: its Message-ID, else the SHA-256 of its bytes.
pub fn fingerprint(view: &MessageView<'_>) -> String {
    let id = view.headers().and_then(|h| h.first("Message-ID")).map(|f| headers::raw_value(view.raw(), f).0);
    match id {
        Some(id) if !id.is_empty() => format!("message-id:{id}"),
        _ => format!("sha256:{:x}", Sha256::digest(view.raw())),
    }
}

/// A baseline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline {path}: {source}")]
    Unreadable { path: String, source: std::io::Error },
    #[error("{path} is not a baseline: {source}")]
    NotABaseline { path: String, source: serde_json::Error },
}

/// Findings already known: each (fingerprint, rule) up to a count.
#[derive(Debug, Default)]
pub struct Baseline {
    known: HashMap<(String, String), usize>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let name = || path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| BaselineError::Unreadable { path: name(), source })?;
        let file: File =
            serde_json::from_str(&text).map_err(|source| BaselineError::NotABaseline { path: name(), source })?;
        let known = file.findings.into_iter().map(|k| ((k.fingerprint, k.rule), k.count)).collect();
        Ok(Baseline { known })
    }

    /// The diagnostics the baseline does not know, and how many it did.
    pub fn filter(&self, fingerprint: &str, diagnostics: Vec<Located>) -> (Vec<Located>, usize) {
        let mut allowance: HashMap<String, usize> = HashMap::new();
        let mut known = 0;
        let fresh = diagnostics
            .into_iter()
            .filter(|d| {
                let rule = d.diagnostic.rule.to_string();
                let left = allowance
                    .entry(rule.clone())
                    .or_insert_with(|| self.known.get(&(fingerprint.to_owned(), rule)).copied().unwrap_or(0));
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
pub struct Recorder {
    counts: BTreeMap<(String, String), usize>,
}

impl Recorder {
    pub fn add(&mut self, fingerprint: &str, diagnostics: &[Located]) {
        for d in diagnostics {
            *self.counts.entry((fingerprint.to_owned(), d.diagnostic.rule.to_string())).or_insert(0) += 1;
        }
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let findings = self
            .counts
            .iter()
            .map(|((fingerprint, rule), count)| Known {
                fingerprint: fingerprint.clone(),
                rule: rule.clone(),
                count: *count,
            })
            .collect();
        let text = serde_json::to_string_pretty(&File { version: 1, findings })?;
        std::fs::write(path, text + "\n")
    }
}
