//! Reading delivery status notifications (bounces): what a report says of each recipient,
//! and what came back of the message it concerns. RFC 3464 reports (`multipart/report;
//! report-type=delivery-status`, as Exchange Online and Postfix send them) are read from
//! their `message/delivery-status` part; a plain-text "Undeliverable:" message from the
//! lines Exchange writes. What a refusal means is the rule pack's (`RuleSet::classify`);
//! what the command makes of it is `commands::bounces`.

mod fields;
mod plain;

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

/// One delivery report.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) form: Form,
    /// The MTA that wrote the report (`Reporting-MTA`, or Exchange's "Generating server").
    pub(crate) reporting_mta: Option<String>,
    /// When the reporting MTA received the message (`Arrival-Date`).
    pub(crate) arrival_date: Option<String>,
    /// The envelope id the sender gave the message (RFC 3461 `ENVID`).
    pub(crate) original_envelope_id: Option<String>,
    /// The report's own Date.
    pub(crate) date: Option<String>,
    pub(crate) recipients: Vec<Recipient>,
    pub(crate) returned: Returned,
}

/// How the report was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Form {
    /// RFC 3464 `multipart/report; report-type=delivery-status`.
    #[default]
    DeliveryStatus,
    /// A plain-text "Undeliverable:" message, read from its lines.
    PlainText,
}

/// What one recipient's part of the report says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Recipient {
    /// The address the report is about (`Final-Recipient`, without its `rfc822;`).
    pub(crate) recipient: String,
    /// failed, delayed, delivered, relayed or expanded.
    pub(crate) action: String,
    /// The enhanced status code (`Status`), or the one the diagnostic text gives.
    pub(crate) status: Option<String>,
    /// The server's own words (`Diagnostic-Code`, without its `smtp;`).
    pub(crate) diagnostic: Option<String>,
    pub(crate) remote_mta: Option<String>,
}

impl Recipient {
    /// A failure or a delay: what the server refused, now or for the time being.
    pub(crate) fn refused(&self) -> bool {
        matches!(self.action.as_str(), "failed" | "delayed")
    }
}

/// What came back of the message the report concerns.
#[derive(Debug, Default)]
pub(crate) enum Returned {
    /// The whole message (`message/rfc822`).
    Message(Vec<u8>),
    /// Its header block only (`text/rfc822-headers`, or Exchange's "Original message headers").
    Headers(Vec<u8>),
    #[default]
    Nothing,
}

impl Returned {
    /// The returned message's Message-ID, without its angle brackets.
    pub(crate) fn message_id(&self) -> Option<String> {
        let bytes = match self {
            Returned::Message(bytes) | Returned::Headers(bytes) => bytes,
            Returned::Nothing => return None,
        };
        let message = MessageParser::default().parse_headers(bytes.as_slice())?;
        message.message_id().map(str::to_owned)
    }
}

/// A file that looks like a delivery report but cannot be read as one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ReadError {
    #[error("not an email message (no header block)")]
    NotAMessage,
    #[error("a delivery report with no `message/delivery-status` part, and no recipient in its text")]
    NoStatusPart,
    #[error("a delivery report that names no recipient")]
    NoRecipient,
}

/// The report a message is, `None` when it is an ordinary message (no bounce).
pub(crate) fn read(bytes: &[u8]) -> Result<Option<Report>, ReadError> {
    let message = MessageParser::default().parse(bytes).filter(|m| !m.headers().is_empty());
    let message = message.ok_or(ReadError::NotAMessage)?;
    let date = message.date().map(|d| d.to_rfc3339());
    let report = if is_delivery_report(&message) {
        delivery_status(&message)?
    } else if plain::looks_like_bounce(&message) {
        match plain::read(&message) {
            Some(report) => report,
            None => return Err(ReadError::NoRecipient),
        }
    } else {
        return Ok(None);
    };
    Ok(Some(Report { date, ..report }))
}

fn is_delivery_report(message: &Message<'_>) -> bool {
    message.content_type().is_some_and(|t| {
        t.ctype().eq_ignore_ascii_case("multipart")
            && t.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && t.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    })
}

/// An RFC 3464 report: its status part's fields, and the message or headers returned.
fn delivery_status(message: &Message<'_>) -> Result<Report, ReadError> {
    let mut status = Vec::new();
    let mut returned = Returned::Nothing;
    for part in &message.parts {
        let Some(kind) = part.content_type() else { continue };
        if !kind.ctype().eq_ignore_ascii_case("message") && !kind.ctype().eq_ignore_ascii_case("text") {
            continue;
        }
        let subtype = kind.subtype().unwrap_or_default().to_ascii_lowercase();
        match (&part.body, subtype.as_str()) {
            (_, "delivery-status" | "global-delivery-status") => {
                status.push(fields::read(&String::from_utf8_lossy(part.contents())));
            }
            (PartType::Message(returned_message), "rfc822" | "global") => {
                if matches!(returned, Returned::Nothing) {
                    returned = Returned::Message(returned_message.raw_message().to_vec());
                }
            }
            (_, "rfc822-headers") if matches!(returned, Returned::Nothing) => {
                returned = Returned::Headers(part.contents().to_vec());
            }
            _ => {}
        }
    }
    // Some servers label a report `delivery-status` and send only the prose: read that.
    if status.is_empty() {
        let mut report = plain::read(message).ok_or(ReadError::NoStatusPart)?;
        if matches!(report.returned, Returned::Nothing) {
            report.returned = returned;
        }
        return Ok(report);
    }
    // A second status part (some MTAs split the per-recipient fields off) adds its recipients.
    let mut parts = status.into_iter();
    let mut report = parts.next().unwrap_or_default();
    for part in parts {
        report.reporting_mta = report.reporting_mta.or(part.reporting_mta);
        report.arrival_date = report.arrival_date.or(part.arrival_date);
        report.original_envelope_id = report.original_envelope_id.or(part.original_envelope_id);
        report.recipients.extend(part.recipients);
    }
    if report.recipients.is_empty() {
        return Err(ReadError::NoRecipient);
    }
    report.returned = returned;
    Ok(report)
}

/// The first RFC 3463 enhanced status code in `text` (`5.7.60` in `550 5.7.60 SMTP; ...`).
pub(crate) fn status_in(text: &str) -> Option<String> {
    static CODE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?:^|[^0-9.])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:$|[^0-9.]|\.\s|\.$)").expect("valid regex")
    });
    CODE.captures(text).map(|c| c[1].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_code_is_found_in_the_server_s_words() {
        assert_eq!(status_in("550 5.7.60 SMTP; Client does not have permissions").as_deref(), Some("5.7.60"));
        assert_eq!(status_in("#< #5.1.10 smtp;550 5.1.10 RESOLVER").as_deref(), Some("5.1.10"));
        assert_eq!(status_in("Status: 4.4.7.").as_deref(), Some("4.4.7"));
        // An IP address or a version number is no status code.
        assert_eq!(status_in("from 10.2.3.4 via 15.20.5632.021"), None);
        assert_eq!(status_in("no code here"), None);
    }

    #[test]
    fn an_ordinary_message_is_no_report_and_prose_is_no_message() {
        assert!(read(b"From: a@nhs.net\r\nSubject: Results\r\n\r\nHello\r\n").unwrap().is_none());
        assert_eq!(read(b"").unwrap_err(), ReadError::NotAMessage);
    }

    #[test]
    fn a_report_without_its_status_part_cannot_be_read() {
        let text = "From: MAILER-DAEMON@relay.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
                    MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
                    --b\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n--b--\r\n";
        assert_eq!(read(text.as_bytes()).unwrap_err(), ReadError::NoStatusPart);
    }
}
