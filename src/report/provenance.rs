//! What a report says about the run that made it: the build (the tool, its version, the
//! commit and target it was built from, as `version` prints them), each rule pack and the
//! config file by SHA-256 (never their contents: the config may hold secrets), the inputs,
//! when it started and finished, where, and how much it read. Hashing waits for the end of
//! the run, so the text formats (which show none of it) never pay for it.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Summary;
use crate::config::discover::Origin;
use crate::util::clock;

/// What the plan knows of the run's sources before it starts.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `check`, `preflight` or `merge`.
    pub(crate) command: &'static str,
    /// Each rule pack: its name (a path, or `builtin:nhsmail`) and its text.
    pub(crate) packs: Vec<(String, Arc<str>)>,
    /// The config file: its path and its text as shown (inline secrets masked).
    pub(crate) config: Option<(String, Arc<str>)>,
    /// How the config file was named (`--config`, the environment, found, the user's).
    pub(crate) config_found: Option<Origin>,
    /// The paths given on the command line (for `merge`, the parts).
    pub(crate) inputs: Vec<String>,
    /// A shard's share (`K/N`) and its scan's `--run-id`, for `merge` to prove its parts.
    pub(crate) shard: Option<String>,
    pub(crate) run_id: Option<String>,
}

impl Sources {
    /// The packs and the config file by SHA-256, as the report names them.
    pub(crate) fn hashed(&self) -> (Vec<Hashed>, Option<Hashed>) {
        let packs = self.packs.iter().map(|(name, text)| Hashed::of(name, text)).collect();
        let config =
            self.config.as_ref().map(|(name, text)| Hashed { found: self.config_found, ..Hashed::of(name, text) });
        (packs, config)
    }
}

/// A file named by its SHA-256.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub(crate) struct Hashed {
    pub(crate) name: String,
    pub(crate) sha256: String,
    /// For the config file: how it was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) found: Option<Origin>,
}

impl Hashed {
    pub(crate) fn of(name: &str, text: &str) -> Hashed {
        let digest = Sha256::digest(text.as_bytes());
        Hashed { name: name.to_owned(), sha256: digest.iter().map(|b| format!("{b:02x}")).collect(), found: None }
    }
}

/// What this binary is: what `version` prints, and what every report's provenance starts with.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Build {
    pub(crate) tool: &'static str,
    pub(crate) version: &'static str,
    /// `None` when it was not built from a git checkout (from a crate or an sdist).
    pub(crate) commit: Option<Commit>,
    /// The target triple it was compiled for.
    pub(crate) target: &'static str,
}

/// The git commit a binary was built from (build.rs).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Commit {
    pub(crate) hash: &'static str,
    /// The checkout's sources differed from the commit: the binary is not that commit's.
    pub(crate) dirty: bool,
}

impl Build {
    /// This binary's.
    pub fn current() -> Build {
        let hash = env!("NHSMAIL_LINT_COMMIT");
        let dirty = env!("NHSMAIL_LINT_DIRTY") == "true";
        Build {
            tool: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            commit: (!hash.is_empty()).then_some(Commit { hash, dirty }),
            target: env!("NHSMAIL_LINT_TARGET"),
        }
    }

    /// The commit in words: its hash (`, modified` for a dirty checkout), or `unknown`.
    pub(crate) fn commit_text(&self) -> String {
        match self.commit {
            Some(Commit { hash, dirty: false }) => hash.to_owned(),
            Some(Commit { hash, dirty: true }) => format!("{hash}, modified"),
            None => "unknown".to_owned(),
        }
    }
}

/// The `"run"` object of the JSON formats, SARIF's invocation and JUnit's properties.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// The tool, its version, commit and target (the keys `version --format json` has).
    #[serde(flatten)]
    pub(crate) build: Build,
    pub(crate) command: &'static str,
    pub(crate) packs: Vec<Hashed>,
    pub(crate) config: Option<Hashed>,
    pub(crate) inputs: Vec<String>,
    /// RFC 3339, UTC.
    pub(crate) started: String,
    pub(crate) finished: String,
    pub(crate) host: String,
    /// Files read (an mbox once), messages checked, bytes read.
    pub(crate) files: usize,
    pub(crate) messages: usize,
    pub(crate) bytes: u64,
    /// A shard's `K/N` and `--run-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) shard: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) run_id: Option<String>,
    /// For `merge`: each part's own `"run"` object, as the shard wrote it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) shards: Vec<serde_json::Value>,
}

impl Provenance {
    /// The run that started at `started` (seconds since the epoch) and ends now.
    pub fn new(sources: &Sources, started: i64, summary: &Summary) -> Provenance {
        let (packs, config) = sources.hashed();
        Provenance {
            build: Build::current(),
            command: sources.command,
            packs,
            config,
            inputs: sources.inputs.clone(),
            started: clock::rfc3339(started),
            finished: clock::rfc3339(clock::now()),
            host: hostname::get().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default(),
            files: summary.read.files,
            messages: summary.files,
            bytes: summary.read.bytes,
            shard: sources.shard.clone(),
            run_id: sources.run_id.clone(),
            shards: Vec::new(),
        }
    }

    /// Flat `name = value` pairs, as JUnit's `<properties>` carry them.
    pub(crate) fn properties(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("nhsmail-lint.version".to_owned(), self.build.version.to_owned()),
            ("nhsmail-lint.commit".to_owned(), self.build.commit_text()),
            ("nhsmail-lint.target".to_owned(), self.build.target.to_owned()),
            ("nhsmail-lint.command".to_owned(), self.command.to_owned()),
            ("nhsmail-lint.started".to_owned(), self.started.clone()),
            ("nhsmail-lint.finished".to_owned(), self.finished.clone()),
            ("nhsmail-lint.host".to_owned(), self.host.clone()),
            ("nhsmail-lint.files".to_owned(), self.files.to_string()),
            ("nhsmail-lint.messages".to_owned(), self.messages.to_string()),
            ("nhsmail-lint.bytes".to_owned(), self.bytes.to_string()),
        ];
        for pack in &self.packs {
            out.push((format!("nhsmail-lint.pack.{}", pack.name), pack.sha256.clone()));
        }
        if let Some(config) = &self.config {
            out.push((format!("nhsmail-lint.config.{}", config.name), config.sha256.clone()));
        }
        out.extend(self.inputs.iter().map(|input| ("nhsmail-lint.input".to_owned(), input.clone())));
        out
    }
}
