//! Who a message is, and which finding is which, in terms that survive a re-export (paths
//! and line endings never enter them): the message's name (its Message-ID, else a digest of
//! its header fields), the stamp that tells a store's second copy of one send from a
//! different message reusing a Message-ID, and the finding key that baselines, the JSON
//! report and SARIF's `partialFingerprints` carry.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use serde::{Serialize, Serializer};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::mail::{MessageView, bytes, headers};

/// Header fields a store adds or rewrites when it files a message (RFC 5322 trace fields,
/// mbox and Maildir status, IMAP keywords): a copy differs from the original in these only.
const ADDED_BY_STORES: &[&str] = &[
    "Received",
    "Return-Path",
    "Delivered-To",
    "Status",
    "X-Status",
    "X-UID",
    "X-Keywords",
    "Content-Length",
    "Lines",
];

fn added_by_store(name: &[u8]) -> bool {
    ADDED_BY_STORES.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name))
        || name.len() >= 16 && name[..16].eq_ignore_ascii_case(b"X-Mozilla-Status")
}

/// Feeds `text` to `hasher` with every CR left out, so CRLF and LF copies agree.
fn feed_without_cr(hasher: &mut Xxh3, text: &[u8]) {
    let mut rest = text;
    while let Some(cr) = memchr::memchr(b'\r', rest) {
        hasher.update(&rest[..cr]);
        rest = &rest[cr + 1..];
    }
    hasher.update(rest);
}

/// A digest of the header fields a sender wrote (those a store adds left out), in order,
/// line endings aside.
fn header_digest(view: &MessageView<'_>) -> u64 {
    let mut hasher = Xxh3::new();
    if let Some(headers) = view.headers() {
        for field in headers.fields().iter().filter(|f| !added_by_store(f.name())) {
            feed_without_cr(&mut hasher, &view.raw()[field.field.clone()]);
            hasher.update(b"\n");
        }
    }
    hasher.digest()
}

/// A digest of a message's body (after its header block), line endings aside. Reading every
/// byte, it is taken only where copies must be told apart (`Stamp::body`).
pub(crate) fn body_digest(raw: &[u8]) -> u64 {
    let start = bytes::body_start(raw).unwrap_or(raw.len());
    let mut hasher = Xxh3::new();
    feed_without_cr(&mut hasher, &raw[start..]);
    hasher.digest()
}

/// The Message-ID as written, white space trimmed; `None` when absent or empty.
pub fn message_id(view: &MessageView<'_>) -> Option<String> {
    let field = view.headers()?.first("Message-ID")?;
    let (value, _) = headers::raw_value(view.raw(), field);
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// What tells two messages sharing a Message-ID apart: a copy (the same send filed twice)
/// has the same header fields, store fields aside, and the same body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// A digest of the Message-ID (kept for every message with corpus facts, so small):
    /// two that collide by chance are still told apart by `header`, which includes it.
    pub(crate) id: u64,
    pub(crate) header: u64,
    /// Taken when the message is read in a shard (`merge` cannot read it again); else
    /// only when another message has the same Message-ID and header fields.
    pub(crate) body: Option<u64>,
}

impl Stamp {
    /// `None` for a message without a Message-ID (`message_id`): nothing names it as a copy.
    pub fn of(view: &MessageView<'_>, message_id: Option<&str>, with_body: bool) -> Option<Stamp> {
        let id = xxh3_64(message_id?.as_bytes());
        let body = with_body.then(|| body_digest(view.raw()));
        Some(Stamp { id, header: header_digest(view), body })
    }
}

/// Which of these messages (scan index and stamp) are copies of one before them in scan
/// order: the same Message-ID, header fields and body. A body digest missing from a stamp is
/// asked of `body` (by scan index) only where all else is the same; `None` (it cannot be
/// read again) leaves the message counted as a send of its own.
pub(crate) fn copies(mut stamps: Vec<(usize, Stamp)>, mut body: impl FnMut(usize) -> Option<u64>) -> HashSet<usize> {
    stamps.sort_by_key(|(index, stamp)| (stamp.id, *index));
    let mut digest = |entry: &mut (usize, Stamp)| {
        if entry.1.body.is_none() {
            entry.1.body = body(entry.0);
        }
        entry.1.body
    };
    let mut copies = HashSet::new();
    for group in stamps.chunk_by_mut(|a, b| a.1.id == b.1.id).filter(|g| g.len() > 1) {
        let mut originals: Vec<usize> = Vec::new();
        for i in 0..group.len() {
            let mut copy = false;
            for &o in &originals {
                if group[o].1.header != group[i].1.header {
                    continue;
                }
                let (mine, theirs) = (digest(&mut group[i]), digest(&mut group[o]));
                if mine.is_some() && mine == theirs {
                    copy = true;
                    break;
                }
            }
            if copy {
                copies.insert(group[i].0);
            } else {
                originals.push(i);
            }
        }
    }
    copies
}

/// The send journal's name for a message: its header fields (store fields aside) and body,
/// line endings aside, so a copy of a sent message, filed again or re-exported, is known
/// as sent.
pub(crate) fn send_key(view: &MessageView<'_>) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(&header_digest(view).to_le_bytes());
    hasher.update(&body_digest(view.raw()).to_le_bytes());
    format!("send:{:032x}", hasher.digest128())
}

/// What a run says of the copies it judged as one send with a message before them.
pub(crate) fn copies_note(copies: usize) -> Option<String> {
    (copies > 0).then(|| {
        format!(
            "{copies} message(s) were copies of a message before them (the same Message-ID, header fields and body): each was judged as one send with it"
        )
    })
}

/// The message's name in finding keys: its Message-ID (`message_id`), else a digest of its
/// header fields.
pub(crate) fn message_name(view: &MessageView<'_>, message_id: Option<&str>) -> String {
    message_id.map_or_else(|| format!("headers:{:016x}", header_digest(view)), str::to_owned)
}

/// One finding, whatever file holds its message: the rule, the message's name, the header
/// field (by name and occurrence) or MIME part it sits in, and the exact text it flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FindingKey(pub u128);

impl FindingKey {
    pub(crate) fn of(rule: &str, message: &str, view: &MessageView<'_>, span: &Range<usize>) -> FindingKey {
        let mut hasher = Xxh3::new();
        for part in [rule.as_bytes(), message.as_bytes(), place(view, span.start).as_bytes()] {
            hasher.update(part);
            hasher.update(&[0]);
        }
        let text = view.raw().get(span.clone()).unwrap_or_default();
        feed_without_cr(&mut hasher, text);
        FindingKey(hasher.digest128())
    }

    pub(crate) fn parse(text: &str) -> Option<FindingKey> {
        (text.len() == 32).then(|| u128::from_str_radix(text, 16).ok()).flatten().map(FindingKey)
    }
}

impl fmt::Display for FindingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl Serialize for FindingKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Where in the message `at` lies, in words that do not depend on its bytes' positions: a
/// header field by name and occurrence, a MIME part by number, or the header block's end
/// (what is missing from it).
fn place(view: &MessageView<'_>, at: usize) -> String {
    if at < view.header_end()
        && let Some(headers) = view.headers()
        && let Some(field) = headers.fields().iter().rev().find(|f| f.field.start <= at)
    {
        let name = String::from_utf8_lossy(field.name()).to_ascii_lowercase();
        let nth = headers.fields().iter().filter(|f| f.field.start < field.field.start && f.is(&name)).count();
        return format!("header {name} {nth}");
    }
    if at >= view.header_block().end && view.headers().is_some() {
        if let Some(n) = view.leaf_parts().iter().position(|p| p.whole.contains(&at)) {
            return format!("part {n}");
        }
        return "body".to_owned();
    }
    "header block".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(raw: &[u8]) -> MessageView<'_> {
        MessageView::new(raw, raw.len())
    }

    fn stamp(view: &MessageView<'_>) -> Option<Stamp> {
        Stamp::of(view, message_id(view).as_deref(), true)
    }

    fn name(view: &MessageView<'_>) -> String {
        message_name(view, message_id(view).as_deref())
    }

    const CRLF: &[u8] = b"Received: from a by b\r\nMessage-ID: <1@nhs.net>\r\nFrom: a@nhs.net\r\nSubject: NHS 943 476 5919\r\n\r\nHello\r\n";
    const LF_FILED: &[u8] =
        b"Return-Path: <a@nhs.net>\nMessage-ID: <1@nhs.net>\nFrom: a@nhs.net\nSubject: NHS 943 476 5919\nStatus: RO\n\nHello\n";

    #[test]
    fn a_copy_filed_by_another_store_with_other_line_endings_has_the_same_stamp() {
        let (a, b) = (view(CRLF), view(LF_FILED));
        assert_eq!(stamp(&a), stamp(&b));
    }

    #[test]
    fn a_copy_is_the_same_send_and_another_body_is_not() {
        assert_eq!(send_key(&view(CRLF)), send_key(&view(LF_FILED)));
        let body = view(b"Message-ID: <1@nhs.net>\nFrom: a@nhs.net\nSubject: NHS 943 476 5919\n\nGoodbye\n");
        assert_ne!(send_key(&body), send_key(&view(LF_FILED)));
    }

    #[test]
    fn another_body_or_subject_under_the_same_message_id_is_another_stamp() {
        let body = view(b"Message-ID: <1@nhs.net>\nFrom: a@nhs.net\nSubject: NHS 943 476 5919\n\nGoodbye\n");
        let subject = view(b"Message-ID: <1@nhs.net>\nFrom: a@nhs.net\nSubject: NHS 401 023 2137\n\nHello\n");
        let original = stamp(&view(CRLF));
        assert_ne!(stamp(&body), original);
        assert_ne!(stamp(&subject), original);
        assert_eq!(stamp(&view(b"From: a@nhs.net\n\nHello\n")), None);
    }

    #[test]
    fn a_finding_key_ignores_position_and_line_endings_but_not_the_text_or_the_message() {
        let subject = |raw: &[u8]| {
            let at = raw.windows(4).position(|w| w == b"NHS ").expect("a number") + 4;
            at..at + 12
        };
        let (a, b) = (view(CRLF), view(LF_FILED));
        let key = |v: &MessageView<'_>, raw: &[u8]| FindingKey::of("nhs-number-in-subject", &name(v), v, &subject(raw));
        assert_eq!(key(&a, CRLF), key(&b, LF_FILED));
        let other: &[u8] = b"Message-ID: <1@nhs.net>\nFrom: a@nhs.net\nSubject: NHS 401 023 2137\n\nHello\n";
        assert_ne!(key(&a, CRLF), key(&view(other), other));
        let renamed: &[u8] = b"Message-ID: <2@nhs.net>\nFrom: a@nhs.net\nSubject: NHS 943 476 5919\n\nHello\n";
        assert_ne!(key(&a, CRLF), key(&view(renamed), renamed));
        let parsed = FindingKey::parse(&key(&a, CRLF).to_string());
        assert_eq!(parsed, Some(key(&a, CRLF)));
    }

    #[test]
    fn copies_are_the_later_messages_with_the_same_stamp_and_bodies_are_read_only_when_needed() {
        let stamp = |id: &str, header: u64, body: Option<u64>| Stamp { id: xxh3_64(id.as_bytes()), header, body };
        let stamps = vec![
            (0, stamp("<a>", 1, None)),
            (1, stamp("<b>", 1, None)),
            (2, stamp("<a>", 1, None)),
            (3, stamp("<a>", 2, None)),
            (4, stamp("<a>", 1, None)),
        ];
        let mut asked = Vec::new();
        // Message 4 has another body: it reuses the Message-ID, it is not a copy.
        let copies = copies(stamps, |i| {
            asked.push(i);
            Some(if i == 4 { 9 } else { 7 })
        });
        assert_eq!(copies, HashSet::from([2]));
        asked.sort();
        assert_eq!(asked, vec![0, 2, 4], "<b> is alone and message 3's header fields differ: no body read");
        let unreadable = super::copies(vec![(0, stamp("<a>", 1, None)), (1, stamp("<a>", 1, None))], |_| None);
        assert!(unreadable.is_empty(), "a body that cannot be read again never makes a copy");
    }

    #[test]
    fn without_a_message_id_the_header_fields_name_the_message() {
        let a = view(b"From: a@nhs.net\r\nSubject: x\r\n\r\nHi\r\n");
        let b = view(b"Received: by x\nFrom: a@nhs.net\nSubject: x\n\nHi\n");
        assert!(name(&a).starts_with("headers:"));
        assert_eq!(name(&a), name(&b));
        assert_ne!(name(&a), name(&view(b"From: b@nhs.net\nSubject: x\n\nHi\n")));
    }

    #[test]
    fn places_name_the_field_and_its_occurrence_or_the_part() {
        let raw: &[u8] = b"Subject: a\nSubject: b\nFrom: x@nhs.net\n\nbody\n";
        let v = view(raw);
        assert_eq!(place(&v, 9), "header subject 0");
        assert_eq!(place(&v, 20), "header subject 1");
        assert_eq!(place(&v, raw.len() - 3), "part 0");
    }
}
