//! `unquoted_comma`: a comma that RFC 5322 reads as a list separator but the sender
//! meant as part of a display name: `From: Smith, John <j@nhs.net>` is two mailboxes,
//! `Smith` and `John <j@nhs.net>`. Works on the raw header value, where quoting,
//! comments and encoded words are still visible; the fix quotes the whole name
//! (`mail::address_list` splits the list, `mail::mailbox_list` reads the name).

use super::Finding;
use crate::mail::address_list::entries;
use crate::mail::mailbox_list::{named_mailboxes, quoted};

pub(crate) fn find_unquoted_comma(value: &str) -> Vec<Finding> {
    named_mailboxes(value, &entries(value))
        .into_iter()
        .filter_map(|named| {
            let comma = named.split?;
            let fix = Some(quoted(&value[named.whole.clone()]));
            Some(Finding { fix, fix_range: Some(named.whole), ..Finding::at(comma..comma + 1) })
        })
        .collect()
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
    fn a_folded_name_is_unfolded_in_the_fix() {
        // As `header.From` reads it: the fold's line break flattened to spaces.
        let f = find_unquoted_comma("Smith,   John <j@nhs.net>");
        assert_eq!(f[0].fix.as_deref(), Some("\"Smith, John\" <j@nhs.net>"));
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
            // Each run of white space between the words reads as one space (RFC 5322 3.2.2).
            let expected = format!("{last}, {first}").split_whitespace().collect::<Vec<_>>().join(" ");
            prop_assert_eq!(parsed[0].name.as_deref(), Some(expected.as_str()));
        }
    }
}
