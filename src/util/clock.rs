//! The wall clock: now, in whole seconds since 1970, and a moment written as RFC 3339.
//! Sends are journaled and spaced by it, reports stamped and dated by it, and the
//! probes' certificates judged by it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in seconds since 1970 (UTC); 0 on a clock set before then.
pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `seconds` since 1970 as RFC 3339, in UTC (`2026-11-23T09:00:00Z`).
pub(crate) fn rfc3339(seconds: i64) -> String {
    mail_parser::DateTime::from_timestamp(seconds).to_rfc3339()
}

/// The day `seconds` since 1970 falls on, in UTC (`2026-11-23`): a certificate's end, a
/// chart's week.
pub(crate) fn day(seconds: i64) -> String {
    let t = mail_parser::DateTime::from_timestamp(seconds);
    format!("{:04}-{:02}-{:02}", t.year, t.month, t.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_written_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_424_400), "2026-11-23T09:00:00Z");
        assert_eq!(day(1_795_424_400), "2026-11-23");
        assert!(now() > 1_795_424_400 - 365 * 86_400, "a clock that reads seconds since 1970");
    }
}
