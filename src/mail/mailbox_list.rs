//! The display name each `phrase <addr>` mailbox of an address list was meant to have
//! (a name split at its unquoted commas, `From: Smith, John <j@nhs.net>`, is one name),
//! read from the entries `address_list` splits; that name as a reader shows it (the one
//! RFC 2047 decoder), and quoted as a fix suggests.

use std::borrow::Cow;
use std::ops::Range;

use super::address_list::{Entry, Written};
use super::{bytes, rfc2047};

/// A mailbox written `phrase <addr>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Named {
    /// Its display name as written: from the first of the bare phrases split off it at
    /// unquoted commas (if any) to its `<`, trimmed.
    pub(crate) phrase: Range<usize>,
    /// The entries (indexes into those read) its name spans: the bare phrases, then it.
    pub(crate) entries: Range<usize>,
    /// The first comma that split its name off, when one did.
    pub(crate) split: Option<usize>,
    /// The mailbox as the sender meant it: its name to the end of its entry.
    pub(crate) whole: Range<usize>,
}

/// The `phrase <addr>` mailboxes among `entries` (read from `value`), each with the name
/// it was meant to have: a run of bare phrases followed by `phrase <addr>` is one
/// mailbox whose display name was split at its commas.
pub(crate) fn named_mailboxes(value: &str, entries: &[Entry]) -> Vec<Named> {
    let mut out = Vec::new();
    let mut run_start = None;
    for (i, entry) in entries.iter().enumerate() {
        // A name runs on across one comma alone: not across an empty entry or a group's
        // `:` or `;`.
        if i > 0 && value[entries[i - 1].whole.end..entry.whole.start].trim() != "," {
            run_start = None;
        }
        if entry.address == Written::Nothing {
            run_start.get_or_insert(i);
            continue;
        }
        let first = run_start.take().unwrap_or(i);
        let Some(angle) = entry.angle else { continue };
        let start = entries[first].whole.start;
        let name = value[start..angle].trim_end().len();
        let split =
            (first < i).then(|| entries[first].whole.end + value[entries[first].whole.end..].find(',').unwrap_or(0));
        out.push(Named { phrase: start..start + name, entries: first..i + 1, split, whole: start..entry.whole.end });
    }
    out
}

/// One piece of a phrase.
enum Token<'a> {
    /// A run of white space, folds included.
    Space,
    /// A quoted string's content: quoted pairs resolved, the line breaks of folds gone
    /// (RFC 5322 3.2.4).
    Quoted(Cow<'a, str>),
    /// A comment, parentheses included, the line breaks of folds gone.
    Comment(Cow<'a, str>),
    /// Anything else up to white space, a quote or a comment: atoms, specials,
    /// encoded-words.
    Word(&'a str),
}

/// The pieces of a phrase; an unclosed quote or comment runs to the end.
fn tokens(phrase: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut chars = phrase.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
                out.push(Token::Space);
            }
            '"' => {
                // Nearly every quoted name has no quoted pair and no fold: its content as
                // written, borrowed (a bulk send has thousands).
                let rest = &phrase[i + 1..];
                if let Some(k) = memchr::memchr3(b'"', b'\\', b'\n', rest.as_bytes())
                    && rest.as_bytes()[k] == b'"'
                    && !rest[..k].contains('\r')
                {
                    while chars.next_if(|(j, _)| *j <= i + 1 + k).is_some() {}
                    out.push(Token::Quoted(Cow::Borrowed(&rest[..k])));
                    continue;
                }
                let mut text = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => text.extend(chars.next().map(|(_, c)| c)),
                        '\r' | '\n' => {}
                        c => text.push(c),
                    }
                }
                out.push(Token::Quoted(Cow::Owned(text)));
            }
            '(' => {
                let (mut text, mut depth) = (String::from('('), 1);
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => text.extend(chars.next().map(|(_, c)| c)),
                        '\r' | '\n' => {}
                        c => {
                            text.push(c);
                            depth += usize::from(c == '(');
                            depth -= usize::from(c == ')');
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                }
                out.push(Token::Comment(Cow::Owned(text)));
            }
            _ => {
                let mut end = i + c.len_utf8();
                while let Some((j, c)) = chars.next_if(|(_, c)| !c.is_whitespace() && *c != '"' && *c != '(') {
                    end = j + c.len_utf8();
                }
                out.push(Token::Word(&phrase[i..end]));
            }
        }
    }
    out
}

/// A display name as a reader shows it: quoted strings unquoted, encoded-words decoded
/// (the white space between two adjacent ones dropped, RFC 2047 6.2), comments kept,
/// each run of white space between words one space (RFC 5322 3.2.2), trimmed.
pub(crate) fn display_name(phrase: &str) -> String {
    // No encoded-word: the decoder would write every token as it stands (a bulk send has
    // thousands of names).
    if !bytes::holds_pair(phrase.as_bytes(), b'=', b'?') {
        let mut out = String::with_capacity(phrase.len());
        for token in tokens(phrase) {
            match token {
                Token::Space => out.push(' '),
                Token::Quoted(text) | Token::Comment(text) => out.push_str(&text),
                Token::Word(word) => out.push_str(word),
            }
        }
        return out.trim().to_owned();
    }
    decoded(phrase)
}

/// `display_name` through the RFC 2047 decoder, whatever the phrase holds.
fn decoded(phrase: &str) -> String {
    let mut decoder = rfc2047::Decoder::default();
    for token in tokens(phrase) {
        match token {
            Token::Space => decoder.space(" "),
            Token::Quoted(text) | Token::Comment(text) => decoder.feed(&text),
            Token::Word(word) => decoder.feed(word),
        }
    }
    decoder.finish().trim().to_owned()
}

/// `Smith, John <j@nhs.net>` -> `"Smith, John" <j@nhs.net>`: the display name as it
/// reads (each run of white space, a fold's included, one space) in one quoted string,
/// an encoded-word left outside the quotes, where it may stand (RFC 2047 5(3)).
pub(crate) fn quoted(mailbox: &str) -> String {
    let (phrase, addr) = match mailbox.rfind('<') {
        Some(p) => (&mailbox[..p], &mailbox[p..]),
        None => (mailbox, ""),
    };
    let mut pieces: Vec<String> = Vec::new();
    let mut plain = String::new();
    let flush = |plain: &mut String, pieces: &mut Vec<String>| {
        let name = plain.trim();
        if !name.is_empty() {
            pieces.push(format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\"")));
        }
        plain.clear();
    };
    for token in tokens(phrase) {
        match token {
            Token::Space => plain.push(' '),
            Token::Word(word) if rfc2047::is_word(word) => {
                flush(&mut plain, &mut pieces);
                pieces.push(word.to_owned());
            }
            Token::Word(word) => plain.push_str(word),
            Token::Quoted(text) | Token::Comment(text) => plain.push_str(&text),
        }
    }
    flush(&mut plain, &mut pieces);
    pieces.push(addr.trim().to_owned());
    pieces.join(" ").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::address_list::entries;

    fn named(value: &str) -> Vec<Named> {
        named_mailboxes(value, &entries(value))
    }

    fn names(value: &str) -> Vec<(String, Option<usize>, &str)> {
        named(value).into_iter().map(|n| (display_name(&value[n.phrase]), n.split, &value[n.whole])).collect()
    }

    #[test]
    fn a_name_split_at_its_commas_is_one_name() {
        let v = "Results, Pathology, Lab <p@nhs.net>, \"Smith, J\" <j@nhs.net>, k@nhs.net";
        assert_eq!(
            names(v),
            [
                ("Results, Pathology, Lab".to_owned(), Some(7), "Results, Pathology, Lab <p@nhs.net>"),
                ("Smith, J".to_owned(), None, "\"Smith, J\" <j@nhs.net>"),
            ]
        );
    }

    #[test]
    fn lists_groups_and_comments_have_no_split_name() {
        for v in [
            "a@nhs.net, b@nhs.net",
            "A <a@nhs.net>, B <b@nhs.net>",
            "Team: A <a@nhs.net>, b@nhs.net;",
            "j@nhs.net (Smith, John)",
            "=?utf-8?Q?Smith=2C_John?= <j@nhs.net>",
            "Smith, , John <j@nhs.net>",
            "Team: Smith; John <j@nhs.net>",
        ] {
            assert!(named(v).iter().all(|n| n.split.is_none()), "{v}");
        }
        assert_eq!(names("Team: A <a@nhs.net>;"), [("A".to_owned(), None, "A <a@nhs.net>")], "a group's member");
    }

    #[test]
    fn display_names_read_as_shown() {
        for (phrase, want) in [
            ("=?utf-8?Q?O=E2=80=99Brien=2C?= \"Niamh\"", "O’Brien, Niamh"),
            ("=?utf-8?Q?O=E2=80=99Brien=2C?= =?utf-8?Q?_Niamh?=", "O’Brien, Niamh"),
            ("=?utf-8?Q?O=E2=80=99Brien=2C?=\r\n =?utf-8?Q?_Niamh?=", "O’Brien, Niamh"),
            ("\"Smith, John\"", "Smith, John"),
            ("\"Smith,  John\"", "Smith,  John"),
            ("\"Smith,\r\n John\"", "Smith, John"),
            ("Smith,\r\n  John", "Smith, John"),
            ("\"Results, Pathology\" (Lab)", "Results, Pathology (Lab)"),
            ("\"a \\\"b\\\" c\"", "a \"b\" c"),
            ("\"=?utf-8?Q?Smith=2C_J?=\"", "Smith, J"),
            ("", ""),
        ] {
            assert_eq!(display_name(phrase), want, "{phrase}");
            assert_eq!(decoded(phrase), want, "the short way and the decoder agree: {phrase}");
        }
    }

    #[test]
    fn quoting_unfolds_and_leaves_encoded_words_outside() {
        for (mailbox, want) in [
            ("Smith, John <j@nhs.net>", "\"Smith, John\" <j@nhs.net>"),
            ("Smith,   John <j@nhs.net>", "\"Smith, John\" <j@nhs.net>"),
            ("Smith, \"John\" <j@nhs.net>", "\"Smith, John\" <j@nhs.net>"),
            ("Smith, Jo\\hn <j@nhs.net>", "\"Smith, Jo\\\\hn\" <j@nhs.net>"),
            ("Smith, =?utf-8?Q?J=C3=B6rg?= <j@nhs.net>", "\"Smith,\" =?utf-8?Q?J=C3=B6rg?= <j@nhs.net>"),
            ("Smith, John", "\"Smith, John\""),
        ] {
            assert_eq!(quoted(mailbox), want, "{mailbox}");
        }
        let fix = quoted("Smith, =?utf-8?Q?J=C3=B6rg?= <j@nhs.net>");
        assert_eq!(display_name(&fix[..fix.rfind('<').unwrap()]), "Smith, Jörg", "the fix reads as meant");
    }
}
