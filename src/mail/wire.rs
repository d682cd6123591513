//! The bytes of a message as `--send` puts them on the wire: the message as written,
//! less its Bcc header (the Bcc recipients are in the envelope, and must not see each
//! other), with bare LF made CR LF, and without its final line break (the SMTP client
//! ends DATA with CR LF . CR LF itself, and a second one would add a blank line). The
//! size rule measures the same bytes (`message.size`), so what is checked is what is sent.

use super::MessageView;

/// The message as it is sent.
pub(crate) fn wire_bytes(view: &MessageView<'_>) -> Vec<u8> {
    let raw = view.raw();
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 50);
    for range in kept(view) {
        push_crlf(&mut out, &raw[range]);
    }
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

/// The parts of the raw message that are sent: all but each Bcc field and its line break.
fn kept(view: &MessageView<'_>) -> Vec<std::ops::Range<usize>> {
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
    let mut kept = Vec::with_capacity(drop.len() + 1);
    let mut at = 0;
    for range in drop {
        kept.push(at..range.start.max(at));
        at = at.max(range.end);
    }
    kept.push(at..raw.len());
    kept
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

/// Whether `wire_size` cannot exceed `limit`, told from an upper bound: at most a CR for
/// every LF, plus the final CR LF. A message under half the limit is settled by its
/// length; a larger one by counting its LFs at memchr's speed, several times cheaper than
/// `wire_size`'s look at the byte before each.
pub(crate) fn within(view: &MessageView<'_>, limit: u64) -> bool {
    let raw = view.raw();
    let bound = |lfs: usize| raw.len().saturating_add(lfs).saturating_add(2) as u64 <= limit;
    bound(raw.len()) || bound(memchr::memchr_iter(b'\n', raw).count())
}

/// The size of the message as received: its wire bytes and the CR LF that ends its
/// last line (the one the SMTP client puts before the final dot).
/// Counted, not copied: `wire_bytes(view).len() + 2`.
pub(crate) fn wire_size(view: &MessageView<'_>) -> usize {
    let raw = view.raw();
    let (mut size, mut previous) = (0, None);
    for range in kept(view) {
        let bytes = &raw[range];
        size += bytes.len();
        // Every message is measured: find the line breaks with memchr rather than
        // judging each byte (which cost as much as the rest of the scan on attachments).
        for at in memchr::memchr_iter(b'\n', bytes) {
            let before = if at == 0 { previous } else { Some(bytes[at - 1]) };
            size += usize::from(before != Some(b'\r'));
        }
        previous = bytes.last().copied().or(previous);
    }
    // A last line break is already counted; else SMTP adds one.
    if previous == Some(b'\n') { size } else { size + 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_of_bare_lfs_is_settled_within_two_bytes_of_its_size() {
        let raw = b"From: a@nhs.net\n\nline\nmore\n";
        let (buffer, size) = crate::mail::parse_buffer(raw.to_vec());
        let view = MessageView::new(&buffer, size);
        let wire = wire_size(&view) as u64;
        assert!(within(&view, wire + 2) && !within(&view, wire - 1));
    }

    #[test]
    fn the_size_is_the_length_of_the_bytes_sent_and_their_last_line_break() {
        for raw in [
            &b""[..],
            b"From: a@nhs.net\n",
            b"From: a@nhs.net\nBcc: x@nhs.net,\n  y@nhs.net\nTo: b@nhs.net\n\nline\r\nmore\n",
            b"From: a@nhs.net\r\nBcc: x@nhs.net\r\n\r\nno final break",
            b"Bcc: x@nhs.net\nBcc: y@nhs.net\n\n\r\r\n\n",
        ] {
            let (buffer, size) = crate::mail::parse_buffer(raw.to_vec());
            let view = MessageView::new(&buffer, size);
            assert_eq!(wire_size(&view), wire_bytes(&view).len() + 2, "{:?}", String::from_utf8_lossy(raw));
            // Never said to fit a limit it exceeds.
            assert!(!within(&view, wire_size(&view) as u64 - 1), "{:?}", String::from_utf8_lossy(raw));
        }
    }
}
