//! Plain-text bounces: the "Undeliverable:" message Exchange writes where no
//! `message/delivery-status` part is attached, read from its lines: "Generating server:",
//! each recipient's address followed by the server's reply ("Remote Server returned
//! '550 5.7.60 ...'"), and the "Original message headers:" block.

use mail_parser::Message;

use super::{Form, Recipient, Report, Returned, status_in};

/// Subjects that mark a non-delivery message when no report part says so.
const SUBJECTS: &[&str] = &[
    "undeliverable:",
    "undelivered mail returned to sender",
    "delivery status notification (failure)",
    "mail delivery failed",
    "returned mail:",
    "delivery has failed",
];

pub(super) fn looks_like_bounce(message: &Message<'_>) -> bool {
    message.subject().is_some_and(|s| {
        let subject = s.trim().to_ascii_lowercase();
        SUBJECTS.iter().any(|start| subject.starts_with(start))
    })
}

/// The report the text says, `None` when it names no recipient with a status code.
pub(super) fn read(message: &Message<'_>) -> Option<Report> {
    let text = message.body_text(0)?;
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut report = Report { form: Form::PlainText, ..Report::default() };
    let headers_at = lines.iter().position(|l| l.eq_ignore_ascii_case("original message headers:"));
    let body = &lines[..headers_at.unwrap_or(lines.len())];
    report.reporting_mta = body
        .iter()
        .find_map(|l| l.strip_prefix("Generating server:"))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    for (at, line) in body.iter().enumerate() {
        let Some(status) = status_in(line) else { continue };
        // The address is on a line of its own above the reply.
        let Some(recipient) = body[..at].iter().rev().find_map(|l| address(l)) else { continue };
        if report.recipients.iter().any(|r: &Recipient| r.recipient == recipient) {
            continue;
        }
        let action = if status.starts_with('4') { "delayed" } else { "failed" };
        report.recipients.push(Recipient {
            recipient,
            action: action.to_owned(),
            status: Some(status),
            diagnostic: Some(reply(line)),
            remote_mta: None,
        });
    }
    // No reply quoted (a DNS failure, Gmail's prose): the failed addresses the header names.
    if report.recipients.is_empty() {
        let failed = message.header_raw("X-Failed-Recipients").unwrap_or_default();
        report.recipients = failed
            .split(',')
            .filter_map(address)
            .map(|recipient| Recipient { recipient, action: "failed".to_owned(), ..Recipient::default() })
            .collect();
    }
    if report.recipients.is_empty() {
        return None;
    }
    if let Some(at) = headers_at {
        let block: Vec<&str> = text.lines().skip(at + 1).skip_while(|l| l.trim().is_empty()).collect();
        if !block.is_empty() {
            report.returned = Returned::Headers(format!("{}\r\n\r\n", block.join("\r\n")).into_bytes());
        }
    }
    Some(report)
}

/// A line that is one address (`gp@nhs.net`, `<gp@nhs.net>`, `gp@nhs.net<mailto:gp@nhs.net>`).
fn address(line: &str) -> Option<String> {
    let line = line.split("<mailto:").next().unwrap_or(line);
    let line = line.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, domain) = line.split_once('@')?;
    let plain = |s: &str| !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || "<>()[],;:\"'".contains(c));
    (plain(local) && plain(domain) && domain.contains('.')).then(|| line.to_owned())
}

/// The server's reply in the line: what Exchange quotes after "Remote Server returned".
fn reply(line: &str) -> String {
    let quoted = line.split_once("returned '").and_then(|(_, rest)| rest.rsplit_once('\'')).map(|(reply, _)| reply);
    quoted.unwrap_or(line).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_lines_of_one_address() {
        assert_eq!(address("gp.practice@nhs.net").as_deref(), Some("gp.practice@nhs.net"));
        assert_eq!(address("gp@nhs.net<mailto:gp@nhs.net>").as_deref(), Some("gp@nhs.net"));
        assert_eq!(address("<gp@nhs.net>").as_deref(), Some("gp@nhs.net"));
        assert_eq!(address("Your message to gp@nhs.net couldn't be delivered."), None);
        assert_eq!(address("Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com"), None);
    }

    #[test]
    fn with_no_reply_quoted_the_failed_recipients_header_names_them() {
        let text = "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n\
                    X-Failed-Recipients: gp.practice@nhs.net, clinic@nhs.net\r\n\
                    Subject: Delivery Status Notification (Failure)\r\n\r\n\
                    Delivery to the following recipient failed permanently:\r\n\r\n     gp.practice@nhs.net\r\n\r\n\
                    Technical details of permanent failure:\r\nDNS Error: Domain name not found\r\n";
        let message = mail_parser::MessageParser::default().parse(text.as_bytes()).expect("a message");
        assert!(looks_like_bounce(&message));
        let report = read(&message).expect("a report");
        let named: Vec<(&str, &str, Option<&str>)> =
            report.recipients.iter().map(|r| (r.recipient.as_str(), r.action.as_str(), r.status.as_deref())).collect();
        assert_eq!(named, [("gp.practice@nhs.net", "failed", None), ("clinic@nhs.net", "failed", None)]);
    }

    #[test]
    fn the_reply_is_what_exchange_quotes() {
        assert_eq!(
            reply("Remote Server returned '550 5.7.60 SMTP; Client does not have permissions to send as this sender'"),
            "550 5.7.60 SMTP; Client does not have permissions to send as this sender"
        );
        assert_eq!(
            reply("#550 5.1.10 RESOLVER.ADR.RecipientNotFound ##"),
            "#550 5.1.10 RESOLVER.ADR.RecipientNotFound ##"
        );
    }
}
