//! The fields of a `message/delivery-status` part (RFC 3464 section 2): one group of
//! per-message fields, then a group for each recipient, groups apart by empty lines,
//! long values folded as in a header block.

use super::{Recipient, Report, status_in};

/// The report the fields say (its recipients in order; nothing returned yet).
pub(super) fn read(text: &str) -> Report {
    let mut groups = groups(text).into_iter();
    let mut report = Report::default();
    if let Some(message) = groups.next() {
        report.reporting_mta = value(&message, "reporting-mta");
        report.arrival_date = value(&message, "arrival-date");
        report.original_envelope_id = value(&message, "original-envelope-id");
    }
    for group in groups {
        let Some(recipient) = value(&group, "final-recipient").or_else(|| value(&group, "original-recipient")) else {
            continue;
        };
        let recipient = recipient.trim_start_matches('<').trim_end_matches('>').to_owned();
        let diagnostic = value(&group, "diagnostic-code");
        // A status with a comment (`5.1.1 (bad destination mailbox)`) is its code; a missing
        // or unreadable one is the code the diagnostic text gives.
        let status =
            value(&group, "status").and_then(|s| status_in(&s)).or_else(|| diagnostic.as_deref().and_then(status_in));
        report.recipients.push(Recipient {
            recipient,
            action: value(&group, "action").map(|a| a.to_ascii_lowercase()).unwrap_or_default(),
            status,
            diagnostic,
            remote_mta: value(&group, "remote-mta"),
        });
    }
    report
}

/// Each group's fields, names lowercased, folded lines joined.
fn groups(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups = Vec::new();
    let mut group: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !group.is_empty() {
                groups.push(std::mem::take(&mut group));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = group.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            group.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

/// A field's value without its type (`rfc822;`, `dns;`, `smtp;`), or `None` when it is
/// absent or empty.
fn value(group: &[(String, String)], name: &str) -> Option<String> {
    let (_, value) = group.iter().find(|(n, _)| n == name)?;
    let typed = ["rfc822", "dns", "smtp", "x-local-hostname", "utf-8", "x-postfix"];
    let value = match value.split_once(';') {
        Some((kind, rest)) if typed.iter().any(|t| kind.trim().eq_ignore_ascii_case(t)) => rest.trim(),
        _ => value.trim(),
    };
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_recipient_group_is_read_with_its_folded_diagnostic() {
        let text = "Reporting-MTA: dns; relay.example.nhs.uk\r\nX-Postfix-Queue-ID: 4F1A2\r\n\
                    Arrival-Date: Mon, 7 Dec 2026 09:12:01 +0000 (GMT)\r\n\r\n\
                    Final-Recipient: rfc822; gp.practice@nhs.net\r\nOriginal-Recipient: rfc822;gp.practice@nhs.net\r\n\
                    Action: failed\r\nStatus: 5.3.4\r\nRemote-MTA: dns; smtp.office365.com\r\n\
                    Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed\r\n    maximum message size\r\n\r\n\
                    Final-Recipient: RFC822; <clinic@nhs.net>\r\nAction: delayed\r\nStatus: 4.4.7 (expired)\r\n";
        let report = read(text);
        assert_eq!(report.reporting_mta.as_deref(), Some("relay.example.nhs.uk"));
        assert_eq!(report.arrival_date.as_deref(), Some("Mon, 7 Dec 2026 09:12:01 +0000 (GMT)"));
        assert_eq!(report.recipients.len(), 2);
        let first = &report.recipients[0];
        assert_eq!(first.recipient, "gp.practice@nhs.net");
        assert_eq!((first.action.as_str(), first.status.as_deref()), ("failed", Some("5.3.4")));
        assert_eq!(first.diagnostic.as_deref(), Some("552 5.3.4 Message size exceeds fixed maximum message size"));
        assert_eq!(first.remote_mta.as_deref(), Some("smtp.office365.com"));
        assert_eq!(report.recipients[1].recipient, "clinic@nhs.net");
        assert_eq!(report.recipients[1].status.as_deref(), Some("4.4.7"));
        assert!(report.recipients[1].refused());
    }

    #[test]
    fn a_missing_status_is_the_diagnostic_s_code() {
        let report = read(
            "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@nhs.net\nAction: failed\n\
                           Diagnostic-Code: smtp; 550 5.7.60 SMTP; Client does not have permissions\n",
        );
        assert_eq!(report.recipients[0].status.as_deref(), Some("5.7.60"));
    }
}
