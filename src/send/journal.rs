//! The send journal: an SQLite file (mode 0600) written before and after every send, so
//! that a run killed at any point can be re-run without sending anything twice and
//! without losing track of anything. A message is known by its send key
//! (`identity::send_key`: a digest of its header fields and body, line endings and store
//! fields aside, so a copy filed again is known as sent); records written under the older
//! SHA-256 key are still found.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::util::clock;

const DEFAULT_PATH: &str = ".nhsmail-lint/journal.sqlite";

/// The journal `--journal` names, else the one beside the config file in use (`folder`),
/// so that a send from any folder of the project reads the one record of what was sent.
pub fn path(named: Option<&std::path::Path>, folder: Option<&std::path::Path>) -> std::path::PathBuf {
    match (named, folder) {
        (Some(named), _) => named.to_owned(),
        (None, Some(folder)) => folder.join(DEFAULT_PATH),
        (None, None) => std::path::PathBuf::from(DEFAULT_PATH),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum State {
    /// Handed to the server; the outcome is not yet known (or never was: a crash).
    Sending,
    Sent,
    Failed,
    Deferred,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Deferred => "deferred",
        }
    }

    fn parse(text: &str) -> State {
        match text {
            "sent" => State::Sent,
            "failed" => State::Failed,
            "deferred" => State::Deferred,
            _ => State::Sending,
        }
    }
}

/// One journal entry, as `journal` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct JournalRecord {
    pub(crate) digest: String,
    pub(crate) path: String,
    pub(crate) message_id: Option<String>,
    pub(crate) recipients: Vec<String>,
    pub(crate) lists: Vec<String>,
    pub(crate) state: State,
    /// The server's reply (sent), the reason (failed), or the earliest time (deferred).
    pub(crate) detail: Option<String>,
    pub(crate) attempts: u32,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) sent_at: Option<i64>,
}

/// What is known of a message before it is sent.
pub struct Planned<'a> {
    /// The message's send key.
    pub digest: &'a str,
    /// Its file.
    pub path: &'a str,
    /// Its Message-ID, if it has one.
    pub message_id: Option<&'a str>,
    /// Its recipients.
    pub recipients: &'a [String],
    /// The distribution lists among them.
    pub lists: &'a [String],
}

/// The journal cannot be opened, read or written: `--send` stops rather than send
/// what it cannot record.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The journal could not be opened.
    #[error("cannot open the send journal {path}: {reason}")]
    Open {
        /// The journal.
        path: String,
        /// Why.
        reason: String,
    },
    /// A query failed.
    #[error("the send journal {path}: {source}")]
    Sql {
        /// The journal.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

/// The send journal: what was sent, deferred or failed, so nothing is sent twice.
pub struct Journal {
    conn: Connection,
    pub(crate) path: PathBuf,
}

impl Journal {
    /// Opens (creating it, and its folder, private to the user) the journal at `path`.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let fail =
            |e: &dyn std::fmt::Display| JournalError::Open { path: path.display().to_string(), reason: e.to_string() };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        }
        create_private(path).map_err(|e| fail(&e))?;
        let conn = Connection::open(path).map_err(|e| fail(&e))?;
        // FULL: a state change is on disk before the next SMTP command goes out.
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS sends (
                 digest      TEXT PRIMARY KEY,
                 path        TEXT NOT NULL,
                 message_id  TEXT,
                 recipients  TEXT NOT NULL,
                 lists       TEXT NOT NULL,
                 state       TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'deferred')),
                 detail      TEXT,
                 attempts    INTEGER NOT NULL DEFAULT 0,
                 created_at  INTEGER NOT NULL,
                 updated_at  INTEGER NOT NULL,
                 sent_at     INTEGER
             );",
        )
        .map_err(|e| fail(&e))?;
        Ok(Journal { conn, path: path.to_path_buf() })
    }

    pub(crate) fn get(&self, digest: &str) -> Result<Option<JournalRecord>, JournalError> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM sends WHERE digest = ?1"), [digest], entry)
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<JournalRecord>, JournalError> {
        let mut statement = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM sends ORDER BY updated_at, path"))
            .map_err(|e| self.error(e))?;
        let rows = statement.query_map([], entry).map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    /// Written, and on disk, before the message goes to the server.
    pub fn sending(&self, m: &Planned<'_>) -> Result<(), JournalError> {
        self.upsert(m, State::Sending, None, 1)
    }

    pub(crate) fn deferred(&self, m: &Planned<'_>, until: &str) -> Result<(), JournalError> {
        self.upsert(m, State::Deferred, Some(until), 0)
    }

    /// Records a message as sent, with the server's reply.
    pub fn sent(&self, digest: &str, reply: &str) -> Result<(), JournalError> {
        self.finish(digest, State::Sent, reply)
    }

    pub(crate) fn failed(&self, digest: &str, reason: &str) -> Result<(), JournalError> {
        self.finish(digest, State::Failed, reason)
    }

    /// When `list` was last sent to (or a send to it began), across runs.
    pub(crate) fn last_send_to(&self, list: &str) -> Result<Option<i64>, JournalError> {
        let list = list.to_ascii_lowercase();
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| matches!(e.state, State::Sent | State::Sending) && e.lists.contains(&list))
            .map(|e| e.sent_at.unwrap_or(e.updated_at))
            .max())
    }

    fn upsert(&self, m: &Planned<'_>, state: State, detail: Option<&str>, attempt: u32) -> Result<(), JournalError> {
        let now = clock::now();
        self.conn
            .execute(
                "INSERT INTO sends (digest, path, message_id, recipients, lists, state, detail, attempts, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
                 ON CONFLICT (digest) DO UPDATE SET path = ?2, message_id = ?3, recipients = ?4, lists = ?5,
                     state = ?6, detail = ?7, attempts = attempts + ?8, updated_at = ?9",
                params![
                    m.digest,
                    m.path,
                    m.message_id,
                    m.recipients.join("\n"),
                    m.lists.join("\n"),
                    state.as_str(),
                    detail,
                    attempt,
                    now
                ],
            )
            .map(drop)
            .map_err(|e| self.error(e))
    }

    fn finish(&self, digest: &str, state: State, detail: &str) -> Result<(), JournalError> {
        let now = clock::now();
        let sent_at = (state == State::Sent).then_some(now);
        self.conn
            .execute(
                "UPDATE sends SET state = ?2, detail = ?3, updated_at = ?4, sent_at = COALESCE(?5, sent_at) WHERE digest = ?1",
                params![digest, state.as_str(), detail, now, sent_at],
            )
            .map(drop)
            .map_err(|e| self.error(e))
    }

    fn error(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sql { path: self.path.display().to_string(), source }
    }
}

const COLUMNS: &str =
    "digest, path, message_id, recipients, lists, state, detail, attempts, created_at, updated_at, sent_at";

fn entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<JournalRecord> {
    let split = |text: String| text.split('\n').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    Ok(JournalRecord {
        digest: row.get(0)?,
        path: row.get(1)?,
        message_id: row.get(2)?,
        recipients: split(row.get(3)?),
        lists: split(row.get(4)?),
        state: State::parse(&row.get::<_, String>(5)?),
        detail: row.get(6)?,
        attempts: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        sent_at: row.get(10)?,
    })
}

/// Creates the file readable and writable by its owner only (or tightens an existing one).
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned<'a>(digest: &'a str, lists: &'a [String]) -> Planned<'a> {
        Planned { digest, path: "m.eml", message_id: Some("<a@b>"), recipients: lists, lists }
    }

    #[test]
    fn states_survive_reopening_and_the_file_is_private() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("j/journal.sqlite");
        let lists = vec!["dl@nhs.net".to_owned()];
        {
            let journal = Journal::open(&path).expect("open");
            journal.sending(&planned("d1", &lists)).expect("sending");
            journal.sending(&planned("d2", &[])).expect("sending");
            journal.sent("d1", "250 OK").expect("sent");
        }
        let journal = Journal::open(&path).expect("reopen");
        assert_eq!(
            journal.get("d1").expect("get").map(|e| (e.state, e.detail)),
            Some((State::Sent, Some("250 OK".into())))
        );
        assert_eq!(journal.get("d2").expect("get").map(|e| e.state), Some(State::Sending));
        assert!(journal.get("d3").expect("get").is_none());
        assert!(journal.last_send_to("DL@nhs.net").expect("last").is_some());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
