//! The mailbox's numbers as the `json` and `jsonl` reports carry them (`"mailbox"`),
//! for monitoring to graph: used and limit in bytes, the share, how they were measured
//! and whether the count was complete. The shape is documented in docs/reports.md.

use serde::Serialize;

use super::imap::{MailboxError, Quota};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MailboxStatus {
    pub(crate) host: String,
    /// `quota` (the server's QUOTA extension), `summed` (every folder's messages
    /// added up), or `null` when the mailbox could not be read (`error` says why).
    pub(crate) measured: Option<&'static str>,
    /// Bytes in use; with `complete: false`, at least this many.
    pub(crate) used_bytes: Option<u64>,
    pub(crate) limit_bytes: Option<u64>,
    /// Where the limit comes from: `server`, or `mailbox.quota` as written (`standard`).
    pub(crate) limit_from: Option<String>,
    /// `used_bytes` as a percentage of `limit_bytes`, to one decimal.
    pub(crate) percent: Option<f64>,
    /// False when a count stopped early (time out, a folder that would not open).
    pub(crate) complete: bool,
    /// `summed` only: messages counted, and folders counted of those listed.
    pub(crate) messages: Option<u64>,
    pub(crate) folders_counted: Option<usize>,
    pub(crate) folders: Option<usize>,
    /// Why the mailbox could not be read, or why the count is short.
    pub(crate) error: Option<String>,
}

impl MailboxStatus {
    pub(crate) fn new(host: &str, read: &Result<Quota, MailboxError>) -> MailboxStatus {
        let nothing = MailboxStatus {
            host: host.to_owned(),
            measured: None,
            used_bytes: None,
            limit_bytes: None,
            limit_from: None,
            percent: None,
            complete: false,
            messages: None,
            folders_counted: None,
            folders: None,
            error: None,
        };
        match read {
            Err(why) => MailboxStatus { error: Some(why.to_string()), ..nothing },
            Ok(Quota::Resources(resources)) => {
                // STORAGE is in KiB (RFC 9208); without it, there are no bytes to give.
                let storage = resources.iter().find(|r| r.name == "STORAGE");
                let used = storage.map(|r| r.usage.saturating_mul(1024));
                let limit = storage.map(|r| r.limit.saturating_mul(1024));
                MailboxStatus {
                    measured: Some("quota"),
                    used_bytes: used,
                    limit_bytes: limit,
                    limit_from: storage.map(|_| "server".to_owned()),
                    percent: percent(used, limit),
                    complete: true,
                    ..nothing
                }
            }
            Ok(Quota::Summed { usage, limit }) => MailboxStatus {
                measured: Some("summed"),
                used_bytes: Some(usage.bytes),
                limit_bytes: limit.as_ref().map(|l| l.bytes),
                limit_from: limit.as_ref().map(|l| l.written.clone()),
                percent: percent(Some(usage.bytes), limit.as_ref().map(|l| l.bytes)),
                complete: usage.complete(),
                messages: Some(usage.messages),
                folders_counted: Some(usage.folders_counted),
                folders: Some(usage.folders),
                error: (!usage.complete()).then(|| usage.shortfalls.join("; ")),
                ..nothing
            },
        }
    }
}

fn percent(used: Option<u64>, limit: Option<u64>) -> Option<f64> {
    match (used, limit) {
        (Some(used), Some(limit)) if limit > 0 => Some((u128::from(used) * 1000 / u128::from(limit)) as f64 / 10.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::mailbox::QuotaLimit;
    use crate::online::imap::Resource;
    use crate::online::mailbox_usage::Usage;

    #[test]
    fn the_servers_quota_is_given_in_bytes() {
        let storage = Resource { name: "STORAGE".into(), usage: 512, limit: 2048 };
        let status = MailboxStatus::new("h", &Ok(Quota::Resources(vec![storage])));
        assert_eq!(
            (status.used_bytes, status.limit_bytes, status.percent),
            (Some(512 * 1024), Some(2048 * 1024), Some(25.0))
        );
        assert_eq!(
            (status.measured, status.limit_from.as_deref(), status.complete),
            (Some("quota"), Some("server"), true)
        );
    }

    #[test]
    fn a_short_count_says_so() {
        let usage = Usage { bytes: 300, messages: 3, folders_counted: 1, folders: 2, shortfalls: vec!["late".into()] };
        let limit = QuotaLimit { bytes: 1000, written: "1KB".into() };
        let status = MailboxStatus::new("h", &Ok(Quota::Summed { usage, limit: Some(limit) }));
        assert_eq!((status.used_bytes, status.percent, status.complete), (Some(300), Some(30.0), false));
        assert_eq!((status.folders_counted, status.folders, status.error.as_deref()), (Some(1), Some(2), Some("late")));
        assert_eq!(status.limit_from.as_deref(), Some("1KB"));
    }
}
