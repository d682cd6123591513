//! Cases too big to commit, built here: the 35 MiB size limit and the 5000-recipient
//! limit, each at the boundary.

use crate::common::{rules_fired, run_in, temp_files};

const HEAD: &str = "From: \"Results, Pathology\" <pathology.results@nhs.net>\r\nReply-To: pathology.enquiries@nhs.net\r\n\
                    Subject: Bulletin\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <g@nhs.net>\r\n";

/// A valid message of exactly `size` bytes, ending in CR LF: base64-looking body lines
/// fill it up.
fn message_of_size(size: usize) -> Vec<u8> {
    let mut out = format!("{HEAD}To: a@nhs.net\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
    let line = format!("{}\r\n", "Q".repeat(76));
    while out.len() + line.len() + 4 <= size {
        out.extend_from_slice(line.as_bytes());
    }
    out.resize(size - 2, b'Q');
    out.extend_from_slice(b"\r\n");
    out
}

/// The same with LF line endings: fewer bytes in the file than on the wire.
fn lf_message_of_size(size: usize) -> Vec<u8> {
    let mut out = format!("{HEAD}To: a@nhs.net\r\nContent-Type: application/octet-stream\r\n\r\n")
        .replace("\r\n", "\n")
        .into_bytes();
    let line = format!("{}\n", "Q".repeat(76));
    while out.len() + line.len() + 2 <= size {
        out.extend_from_slice(line.as_bytes());
    }
    out.resize(size - 1, b'Q');
    out.push(b'\n');
    out
}

fn check(files: &[(&str, &[u8])]) -> Vec<String> {
    let dir = temp_files(files);
    let mut args = vec!["check", "--format", "json", "--account", "pathology.results@nhs.net"];
    args.extend(files.iter().map(|(n, _)| *n));
    let result = run_in(dir.path(), &args);
    assert!(result.code < 2, "{}", result.stderr);
    rules_fired(&result.json())
}

#[test]
fn exactly_35_mib_passes_one_byte_more_fails() {
    const LIMIT: usize = 35 * 1024 * 1024;
    let at = message_of_size(LIMIT);
    let over = message_of_size(LIMIT + 1);
    assert_eq!(at.len(), 36_700_160);
    assert_eq!(check(&[("at.eml", &at)]), Vec::<String>::new());
    assert_eq!(check(&[("over.eml", &over)]), ["message-size"]);
}

#[test]
fn the_size_is_measured_as_sent() {
    // Stored with LF endings a little under 35 MiB, it is over once each LF is CR LF.
    const LIMIT: usize = 35 * 1024 * 1024;
    let lf = lf_message_of_size(LIMIT - 1000);
    assert_eq!(check(&[("lf.eml", &lf)]), ["message-size"]);
    // A Bcc header is not sent, so it does not count.
    let mut bcc = message_of_size(LIMIT);
    bcc.splice(0..0, b"Bcc: hidden@nhs.net\r\n".iter().copied());
    assert_eq!(check(&[("bcc.eml", &bcc)]), Vec::<String>::new());
}

fn recipients(to: &[String], bcc: &[String], group: &[String]) -> Vec<u8> {
    let mut out = format!("{HEAD}To: {}\r\n", to.join(",\r\n ")).into_bytes();
    if !bcc.is_empty() {
        out.extend_from_slice(format!("Bcc: {}\r\n", bcc.join(",\r\n ")).as_bytes());
    }
    if !group.is_empty() {
        out.extend_from_slice(format!("Cc: Practice team: {};\r\n", group.join(",\r\n ")).as_bytes());
    }
    out.extend_from_slice(b"\r\nBulletin.\r\n");
    out
}

fn addresses(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("gp{i}@nhs.net")).collect()
}

#[test]
fn five_thousand_distinct_recipients_pass_5001_fail() {
    let five_thousand = recipients(&addresses(0..3000), &addresses(3000..5000), &[]);
    assert_eq!(check(&[("a.eml", &five_thousand)]), Vec::<String>::new());
    let over = recipients(&addresses(0..3000), &addresses(3000..5001), &[]);
    assert_eq!(check(&[("b.eml", &over)]), ["recipient-limit"]);
}

#[test]
fn duplicates_count_once_and_group_members_count() {
    // 5000 distinct plus the same addresses again in another case: still 5000.
    let shouted: Vec<String> = addresses(0..100).iter().map(|a| a.to_uppercase()).collect();
    let dupes = recipients(&addresses(0..5000), &shouted, &[]);
    assert_eq!(check(&[("a.eml", &dupes)]), Vec::<String>::new());
    // 4999 plus a group of two new members: 5001.
    let grouped = recipients(&addresses(0..4999), &[], &addresses(4999..5001));
    assert_eq!(check(&[("b.eml", &grouped)]), ["recipient-limit"]);
}
