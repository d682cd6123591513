//! `over_quota` (online): asks the sending mailbox's service for its quota (IMAP,
//! `mailbox:`) and grades it. At or over the limit is the rule's own finding (NHSmail
//! sends nothing); over `warning_percent` is a warning; a server without the QUOTA
//! extension gets an info finding, since nothing could be read. The value is where the
//! finding points (the mailbox's username in the config).

use serde::Deserialize;

use super::{Detector, Finding, FunctionOption, typed};
use crate::diagnostic::Severity;
use crate::online::Services;
use crate::online::imap::{Quota, Resource};

pub const OPTIONS: &[FunctionOption] = &[FunctionOption {
    name: "warning_percent",
    kind: "a percentage from 1 to 100",
    summary: "usage above this share of the quota is a warning (default 90; in the NHSmail pack \
              `${config.mailbox.quota_warning_percent}`)",
}];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverQuota {
    #[serde(default = "default_warning")]
    warning_percent: u8,
}

fn default_warning() -> u8 {
    90
}

pub fn detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
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
            Ok(Quota::Unsupported) => {
                let detail = format!(
                    "{} does not offer the IMAP QUOTA extension (RFC 9208), so the mailbox's usage could not be \
                     read: check it in Outlook on the web",
                    mailbox.host()
                );
                vec![Finding { severity: Some(Severity::Info), ..Finding::whole(value, detail) }]
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

/// "950.0 MB used of 1000.0 MB": STORAGE is counted in KiB, shown in MB of 1024 KiB
/// as Outlook shows it; other resources as plain counts.
fn describe(r: &Resource) -> String {
    if r.name == "STORAGE" {
        let mb = |kib: u64| kib as f64 / 1024.0;
        format!("{:.1} MB used of {:.1} MB", mb(r.usage), mb(r.limit))
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
}
