//! The bytes that go out, and the envelope they go in: the message as written, less its
//! Bcc header (the Bcc recipients are in the envelope, and must not see each other), with
//! bare LF made CR LF, and without its final line break (the SMTP client ends DATA with
//! CR LF . CR LF itself, and a second one would add a blank line).

use crate::mail::MessageView;

/// The message as it is sent.
pub fn wire_bytes(view: &MessageView<'_>) -> Vec<u8> {
    let raw = view.raw();
    let mut drop: Vec<std::ops::Range<usize>> = view
        .headers()
        .map(|h| {
            h.all("Bcc")
                .map(|field| {
                    // The field and its line break.
                    let end =
                        memchr::memchr(b'\n', &raw[field.field.end..]).map_or(raw.len(), |p| field.field.end + p + 1);
                    field.field.start..end
                })
                .collect()
        })
        .unwrap_or_default();
    drop.sort_by_key(|r| r.start);
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 50);
    let mut at = 0;
    for range in drop {
        push_crlf(&mut out, &raw[at..range.start]);
        at = range.end;
    }
    push_crlf(&mut out, &raw[at..]);
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

fn push_crlf(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut previous = out.last().copied();
    for &b in bytes {
        if b == b'\n' && previous != Some(b'\r') {
            out.push(b'\r');
        }
        out.push(b);
        previous = Some(b);
    }
}

/// Every To, Cc and Bcc address, each once (case-insensitively), in order.
pub fn recipients(view: &MessageView<'_>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ["To", "Cc", "Bcc"]
        .iter()
        .flat_map(|h| view.mailboxes(h).to_vec())
        .map(|m| m.address)
        .filter(|a| !a.is_empty() && seen.insert(a.to_ascii_lowercase()))
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
