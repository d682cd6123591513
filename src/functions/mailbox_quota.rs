//! `over_quota` (online): asks the sending mailbox's service for its quota (IMAP,
//! `mailbox:`) and grades it. At or over the limit is the rule's own finding (NHSmail
//! sends nothing); over `warning_percent` is a warning. Where the server has no QUOTA
//! extension, the summed usage is held against `mailbox.quota` the same way, or
//! reported as info with how to set it; a count cut short is at least a warning, since
//! what it counted is only a lower bound. The value is where the finding points (the
//! mailbox's username in the config).

use serde::Deserialize;

use super::{Detector, Finding, FunctionOption, typed};
use crate::config::mailbox::QuotaLimit;
use crate::findings::diagnostic::Severity;
use crate::online::Services;
use crate::online::imap::{Quota, Resource};
use crate::online::mailbox_usage::Usage;

pub(crate) const OPTIONS: &[FunctionOption] =
    &[FunctionOption { name: "warning_percent", kind: "a percentage from 1 to 100" }];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverQuota {
    #[serde(default = "default_warning")]
    warning_percent: u8,
}

fn default_warning() -> u8 {
    90
}

pub(crate) fn detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
    let over_quota = typed::<OverQuota>(options)?;
    if !(1..=100).contains(&over_quota.warning_percent) {
        return Err(serde::de::Error::custom("warning_percent is a percentage from 1 to 100"));
    }
    Ok(Box::new(over_quota))
}

impl Detector for OverQuota {
    fn find(&self, value: &str, services: Option<&Services>) -> Vec<Finding> {
        let Some(mailbox) = services.and_then(|s| s.mailbox.as_ref()) else { return Vec::new() };
        match mailbox.quota() {
            Ok(Quota::Resources(resources)) => grade(value, &resources, self.warning_percent).into_iter().collect(),
            Ok(Quota::Summed { usage, limit }) => {
                vec![summed(value, mailbox.host(), &usage, limit.as_ref(), self.warning_percent)]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            Err(why) => vec![Finding::inconclusive(value, why.to_string())],
        }
    }
}

/// The finding for the fullest resource, if any is over the warning share.
fn grade(value: &str, resources: &[Resource], warning_percent: u8) -> Option<Finding> {
    let fullest = resources.iter().max_by(|a, b| {
        // usage/limit compared without division: a zero limit is the fullest of all.
        (u128::from(a.usage) * u128::from(b.limit)).cmp(&(u128::from(b.usage) * u128::from(a.limit)))
    })?;
    let amount = describe(fullest);
    if fullest.usage >= fullest.limit {
        let detail = format!("the mailbox is over quota: {amount}; NHSmail sends nothing until it is under");
        return Some(Finding::whole(value, detail));
    }
    if u128::from(fullest.usage) * 100 > u128::from(warning_percent) * u128::from(fullest.limit) {
        let percent = u128::from(fullest.usage) * 100 / u128::from(fullest.limit);
        let detail = format!("the mailbox is {percent}% full: {amount} (the warning is above {warning_percent}%)");
        return Some(Finding { severity: Some(Severity::Warning), ..Finding::whole(value, detail) });
    }
    None
}

/// The finding for a usage summed folder by folder, if any: graded against `limit` as
/// the server's quota is; with no limit, info with the usage and how to set one. A count
/// that did not finish never passes: what it counted is a lower bound.
fn summed(value: &str, host: &str, usage: &Usage, limit: Option<&QuotaLimit>, warning_percent: u8) -> Option<Finding> {
    let how = format!(
        "summed over {} of {} folders ({} messages): {host} has no IMAP QUOTA extension",
        usage.folders_counted, usage.folders, usage.messages
    );
    let used = size(usage.bytes);
    let how_to_set = "set `mailbox.quota` to the mailbox's limit (a size such as `4GiB`, or the NHSmail service \
                      level: standard, enhanced, shared) to have it checked";
    let Some(limit) = limit else {
        let (detail, severity) = if usage.complete() {
            (format!("the mailbox uses {used} ({how}); {how_to_set}"), Severity::Info)
        } else {
            let detail = format!(
                "the mailbox could not be counted to the end: at least {used} ({how}){}; {how_to_set}",
                shortfall(usage)
            );
            (detail, Severity::Warning)
        };
        return Some(Finding { severity: Some(severity), ..Finding::whole(value, detail) });
    };
    let of = format!("{} (`mailbox.quota: {}`)", size(limit.bytes), limit.written);
    let percent = u128::from(usage.bytes) * 100 / u128::from(limit.bytes);
    let detail = if usage.bytes >= limit.bytes {
        // Even a partial count at the limit proves it.
        let at_least = if usage.complete() { "" } else { "at least " };
        format!(
            "the mailbox is over quota: {at_least}{used} used of {of}, {how}; NHSmail sends nothing until it is under"
        )
    } else if !usage.complete() {
        format!(
            "the mailbox could not be counted to the end: at least {used} ({percent}%) used of {of}, {how}{}",
            shortfall(usage)
        )
    } else if u128::from(usage.bytes) * 100 > u128::from(warning_percent) * u128::from(limit.bytes) {
        format!("the mailbox is {percent}% full: {used} used of {of}, {how} (the warning is above {warning_percent}%)")
    } else {
        return None;
    };
    let severity = (usage.bytes < limit.bytes).then_some(Severity::Warning);
    Some(Finding { severity, ..Finding::whole(value, detail) })
}

/// "; could not finish within 30s ...": why a count is short, if it is.
fn shortfall(usage: &Usage) -> String {
    if usage.complete() { String::new() } else { format!("; {}", usage.shortfalls.join("; ")) }
}

/// Bytes in MB of 1024 KiB, as Outlook shows them (KB of 1024 bytes below one MB, so
/// that a small size is not shown as nothing).
fn size(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// "950.0 MB used of 1000.0 MB": STORAGE is counted in KiB, shown in MB of 1024 KiB
/// as Outlook shows it; other resources as plain counts.
fn describe(r: &Resource) -> String {
    if r.name == "STORAGE" {
        let mb = |kib: u64| size(kib.saturating_mul(1024));
        format!("{} used of {}", mb(r.usage), mb(r.limit))
    } else {
        format!("{} used of {} ({})", r.usage, r.limit, r.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(usage: u64, limit: u64) -> Resource {
        Resource { name: "STORAGE".into(), usage, limit }
    }

    #[test]
    fn under_the_warning_share_is_no_finding() {
        assert_eq!(grade("a", &[storage(900 * 1024, 1000 * 1024)], 90), None);
        assert_eq!(grade("a", &[], 90), None);
    }

    #[test]
    fn nearly_full_is_a_warning_and_full_is_the_rules_finding() {
        let warning = grade("a", &[storage(950 * 1024, 1000 * 1024)], 90).expect("95%");
        assert_eq!(warning.severity, Some(Severity::Warning));
        assert_eq!(
            warning.detail.as_deref(),
            Some("the mailbox is 95% full: 950.0 MB used of 1000.0 MB (the warning is above 90%)")
        );
        let full = grade("a", &[storage(1000 * 1024, 1000 * 1024)], 90).expect("100%");
        assert_eq!(full.severity, None);
        assert!(full.detail.as_deref().is_some_and(|d| d.starts_with("the mailbox is over quota")));
    }

    #[test]
    fn the_fullest_resource_decides() {
        let messages = Resource { name: "MESSAGE".into(), usage: 10, limit: 10 };
        let found = grade("a", &[storage(1, 1000), messages], 90).expect("messages at the limit");
        assert_eq!(
            found.detail.as_deref(),
            Some("the mailbox is over quota: 10 used of 10 (MESSAGE); NHSmail sends nothing until it is under")
        );
        let zero = Resource { name: "STORAGE".into(), usage: 0, limit: 0 };
        assert!(grade("a", &[storage(1, 1000), zero], 90).is_some_and(|f| f.severity.is_none()));
    }

    fn usage(bytes: u64, shortfalls: &[&str]) -> Usage {
        let counted = if shortfalls.is_empty() { 3 } else { 2 };
        let shortfalls = shortfalls.iter().map(|s| s.to_string()).collect();
        Usage { bytes, messages: 7, folders_counted: counted, folders: 3, shortfalls }
    }

    fn limit(bytes: u64) -> QuotaLimit {
        QuotaLimit { bytes, written: "1MiB".into() }
    }

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn a_summed_usage_is_graded_against_the_configured_limit() {
        let grade = |bytes, shortfalls: &[&str]| summed("a", "h", &usage(bytes, shortfalls), Some(&limit(MIB)), 90);
        assert_eq!(grade(MIB / 2, &[]), None, "half full, counted to the end");
        let warning = grade(MIB * 95 / 100, &[]).expect("95%");
        assert_eq!(warning.severity, Some(Severity::Warning));
        assert_eq!(
            warning.detail.as_deref(),
            Some(
                "the mailbox is 94% full: 972.8 KB used of 1.0 MB (`mailbox.quota: 1MiB`), summed over 3 of 3 folders \
                 (7 messages): h has no IMAP QUOTA extension (the warning is above 90%)"
            )
        );
        let over = grade(MIB, &[]).expect("full");
        assert_eq!(over.severity, None, "the rule's own severity");
        assert!(over.detail.as_deref().is_some_and(|d| d.starts_with("the mailbox is over quota: 1.0 MB used")));
    }

    #[test]
    fn a_count_cut_short_never_passes() {
        let why = "could not finish within 30s (`mailbox.timeout`)";
        let short = summed("a", "h", &usage(MIB / 10, &[why]), Some(&limit(MIB)), 90).expect("a finding");
        assert_eq!(short.severity, Some(Severity::Warning));
        assert_eq!(
            short.detail.as_deref(),
            Some(
                "the mailbox could not be counted to the end: at least 102.4 KB (9%) used of 1.0 MB \
                 (`mailbox.quota: 1MiB`), summed over 2 of 3 folders (7 messages): h has no IMAP QUOTA extension; could not finish within 30s \
                 (`mailbox.timeout`)"
            )
        );
        // What was counted already proves it over quota.
        let over = summed("a", "h", &usage(2 * MIB, &[why]), Some(&limit(MIB)), 90).expect("over");
        assert_eq!(over.severity, None);
        assert!(over.detail.as_deref().is_some_and(|d| d.contains("over quota: at least 2.0 MB")));
        // With no limit either: a warning, not the info of a finished count.
        let unknown = summed("a", "h", &usage(MIB, &[why]), None, 90).expect("a finding");
        assert_eq!(unknown.severity, Some(Severity::Warning));
        assert!(
            unknown
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("the mailbox could not be counted to the end: at least 1.0 MB"))
        );
    }

    #[test]
    fn with_no_limit_the_usage_is_info_with_how_to_set_one() {
        let info = summed("a", "h", &usage(3 * MIB, &[]), None, 90).expect("info");
        assert_eq!(info.severity, Some(Severity::Info));
        let detail = info.detail.expect("detail");
        assert!(detail.starts_with("the mailbox uses 3.0 MB (summed over 3 of 3 folders"), "{detail}");
        assert!(detail.contains("set `mailbox.quota`"), "{detail}");
    }
}
