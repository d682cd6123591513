//! The bytes of a message as `--send` puts them on the wire: the message as written,
//! less its Bcc header (the Bcc recipients are in the envelope, and must not see each
//! other), with bare LF made CR LF, and without its final line break (the SMTP client
//! ends DATA with CR LF . CR LF itself, and a second one would add a blank line). The
//! size rule measures the same bytes (`message.size`), so what is checked is what is sent.

use super::MessageView;

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

/// The size of the message as received: its wire bytes and the CR LF that ends its
/// last line (the one the SMTP client puts before the final dot).
pub fn wire_size(view: &MessageView<'_>) -> usize {
    wire_bytes(view).len() + 2
}
