//! `unquoted_comma`: a comma that RFC 5322 reads as a list separator but the sender
//! meant as part of a display name: `From: Smith, John <j@nhs.net>` is two mailboxes,
//! `Smith` and `John <j@nhs.net>`. Works on the raw header value, where quoting,
//! comments and encoded words are still visible; the fix quotes the whole name.

use super::Finding;

/// A top-level piece of an address list: between commas, outside quotes, comments,
/// angle brackets and encoded words.
struct Segment {
    range: std::ops::Range<usize>,
    has_angle_addr: bool,
    is_bare_phrase: bool,
}

pub fn find_unquoted_comma(value: &str) -> Vec<Finding> {
    let segments = split_top_level(value);
    let mut out = Vec::new();
    let mut i = 0;
    while i < segments.len() {
        // A run of bare phrases followed by `phrase <addr>` is one mailbox whose
        // display name was split at its commas.
        let run_start = i;
        while i < segments.len() && segments[i].is_bare_phrase {
            i += 1;
        }
        if i > run_start && i < segments.len() && segments[i].has_angle_addr {
            let first_comma = segments[run_start].range.end;
            let whole = segments[run_start].range.start..segments[i].range.end;
            out.push(Finding { fix: Some(quoted(&value[whole])), ..Finding::at(first_comma..first_comma + 1) });
        }
        i += 1;
    }
    out
}

/// `Smith, John <j@nhs.net>` -> `"Smith, John" <j@nhs.net>`.
pub fn quoted(mailbox: &str) -> String {
    let (phrase, addr) = match mailbox.rfind('<') {
        Some(p) => (&mailbox[..p], &mailbox[p..]),
        None => (mailbox, ""),
    };
    let name: String = phrase.trim().chars().filter(|c| *c != '"').collect();
    let name = name.replace('\\', "\\\\");
    format!("\"{name}\" {}", addr.trim()).trim_end().to_owned()
}

fn split_top_level(value: &str) -> Vec<Segment> {
    let b = value.as_bytes();
    let mut segments = Vec::new();
    let (mut start, mut i) = (0, 0);
    let (mut depth_comment, mut in_quote, mut in_angle, mut in_group) = (0usize, false, false, false);
    let (mut has_angle, mut has_at, mut has_colon) = (false, false, false);
    while i < b.len() {
        let c = b[i];
        if in_quote {
            match c {
                b'\\' => i += 1,
                b'"' => in_quote = false,
                _ => {}
            }
        } else if depth_comment > 0 {
            match c {
                b'\\' => i += 1,
                b'(' => depth_comment += 1,
                b')' => depth_comment -= 1,
                _ => {}
            }
        } else if in_angle {
            if c == b'>' {
                in_angle = false;
            }
            has_at |= c == b'@';
        } else if c == b'=' && b.get(i + 1) == Some(&b'?') {
            // An encoded word: skip to its `?=` so a comma inside it is not syntax.
            let end = value[i + 2..].find("?=").map_or(b.len(), |p| i + 2 + p + 2);
            i = end;
            continue;
        } else {
            match c {
                b'"' => in_quote = true,
                b'(' => depth_comment = 1,
                b'<' => {
                    in_angle = true;
                    has_angle = true;
                }
                b'@' => has_at = true,
                b':' => {
                    has_colon = true;
                    in_group = true;
                }
                b';' => in_group = false,
                b',' if !in_group => {
                    segments.push(segment(value, start..i, has_angle, has_at, has_colon));
                    start = i + 1;
                    (has_angle, has_at, has_colon) = (false, false, false);
                }
                _ => {}
            }
        }
        i += 1;
    }
    segments.push(segment(value, start..b.len(), has_angle, has_at, has_colon));
    segments
}

fn segment(value: &str, range: std::ops::Range<usize>, has_angle: bool, has_at: bool, has_colon: bool) -> Segment {
    let text = value[range.clone()].trim();
    Segment {
        is_bare_phrase: !text.is_empty() && !has_angle && !has_at && !has_colon,
        has_angle_addr: has_angle,
        range,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_comma_and_suggests_quoting() {
        let v = "Smith, John <john.smith@nhs.net>";
        let f = find_unquoted_comma(v);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].range, 5..6);
        assert_eq!(f[0].fix.as_deref(), Some("\"Smith, John\" <john.smith@nhs.net>"));
    }

    #[test]
    fn quoted_encoded_and_real_lists_pass() {
        for v in [
            "\"Smith, John\" <j@nhs.net>",
            "=?utf-8?Q?Smith=2C_John?= <j@nhs.net>",
            "a@nhs.net, b@nhs.net",
            "A <a@nhs.net>, B <b@nhs.net>",
            "Team: a@nhs.net, b@nhs.net;",
            "j@nhs.net (Smith, John)",
        ] {
            assert!(find_unquoted_comma(v).is_empty(), "{v}");
        }
    }

    #[test]
    fn several_commas_one_finding() {
        let v = "Results, Pathology, Lab <p@nhs.net>";
        let f = find_unquoted_comma(v);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].fix.as_deref(), Some("\"Results, Pathology, Lab\" <p@nhs.net>"));
    }

    #[test]
    fn the_fix_passes_its_own_check() {
        let f = find_unquoted_comma("Smith, \"John\" <j@nhs.net>");
        let fix = f[0].fix.clone().unwrap();
        assert!(find_unquoted_comma(&fix).is_empty());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::mail::MessageView;

    proptest! {
        #[test]
        fn the_suggested_quoting_passes_and_keeps_the_name_and_address(
            last in "[A-Za-z][A-Za-z' -]{0,12}[A-Za-z]",
            // Names as people write them, with an optional qualifier such as `(Lab)`.
            first in "[A-Za-z][A-Za-z .-]{0,12}[A-Za-z]( \\([A-Za-z]{1,6}\\))?",
            local in "[a-z][a-z0-9.]{0,10}[a-z0-9]",
        ) {
            prop_assume!(!local.contains(".."));
            let mailbox = format!("{last}, {first} <{local}@nhs.net>");
            let findings = find_unquoted_comma(&mailbox);
            prop_assert_eq!(findings.len(), 1, "{}", mailbox);
            let fix = findings[0].fix.clone().expect("a fix");
            prop_assert!(find_unquoted_comma(&fix).is_empty(), "the fix passes: {}", fix);
            let raw = format!("From: {fix}\n\nbody\n");
            let view = MessageView::new(raw.as_bytes(), raw.len());
            let parsed = view.mailboxes("From");
            prop_assert_eq!(parsed.len(), 1, "{}", raw);
            prop_assert_eq!(&parsed[0].address, &format!("{local}@nhs.net"));
            let expected = format!("{last}, {first}");
            prop_assert_eq!(parsed[0].name.as_deref().map(str::trim), Some(expected.trim()));
        }
    }
}
