//! The bytes that go out (`mail::wire`, which the size rule measures too), and the
//! envelope they go in.

use crate::mail::MessageView;
use crate::mail::address::canonical;
pub(crate) use crate::mail::wire::wire_bytes;

/// Every To, Cc and Bcc address, each once (compared in their one form), in order.
pub(crate) fn recipients(view: &MessageView<'_>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ["To", "Cc", "Bcc"]
        .iter()
        .flat_map(|h| view.mailboxes(h).to_vec())
        .map(|m| m.address)
        .filter(|a| !a.is_empty() && seen.insert(canonical(a)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(raw: &[u8]) -> Vec<u8> {
        wire_bytes(&MessageView::new(raw, raw.len()))
    }

    #[test]
    fn bcc_goes_lf_becomes_crlf_and_the_last_break_is_left_to_smtp() {
        let raw = b"From: a@nhs.net\nBcc: x@nhs.net,\n  y@nhs.net\nTo: b@nhs.net\n\nline\r\nmore\n";
        assert_eq!(wire(raw), b"From: a@nhs.net\r\nTo: b@nhs.net\r\n\r\nline\r\nmore".to_vec());
    }

    #[test]
    fn crlf_messages_pass_unchanged_but_for_the_end() {
        let raw = b"From: a@nhs.net\r\nTo: b@nhs.net\r\n\r\n.leading dot\r\n\r\n";
        assert_eq!(wire(raw), b"From: a@nhs.net\r\nTo: b@nhs.net\r\n\r\n.leading dot\r\n".to_vec());
    }

    #[test]
    fn recipients_include_bcc_once_each() {
        let raw = b"To: a@nhs.net, B@nhs.net\nCc: b@nhs.net\nBcc: c@nhs.net\n\nx\n";
        assert_eq!(recipients(&MessageView::new(raw, raw.len())), ["a@nhs.net", "B@nhs.net", "c@nhs.net"]);
    }
}
