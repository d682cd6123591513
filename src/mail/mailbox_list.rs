//! An address list as written (RFC 5322 3.4), read where mail-parser's decoding cannot
//! tell: its top-level entries (between commas outside quoted strings, comments, angle
//! brackets, encoded-words and a group's members), the display name each `phrase <addr>`
//! mailbox was meant to have (a name split at its unquoted commas, `From: Smith, John
//! <j@nhs.net>`, is one name), that name as a reader shows it, and quoted as a fix
//! suggests.

use std::ops::Range;

use super::rfc2047;

/// A top-level entry of an address list.
struct Segment {
    range: Range<usize>,
    /// Where its first `<` stands, outside quotes and comments.
    angle: Option<usize>,
    /// Words alone: no address, no angle brackets, no group.
    is_bare_phrase: bool,
    /// It holds a group's `:`.
    group: bool,
}

/// A mailbox written `phrase <addr>`, outside a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// Its display name as written: from the first of the bare phrases split off it at
    /// unquoted commas (if any) to its `<`, trimmed.
    pub phrase: Range<usize>,
    /// Its `<`.
    pub angle: usize,
    /// The first comma that split its name off, when one did.
    pub split: Option<usize>,
    /// The mailbox as the sender meant it: its name to the end of its entry.
    pub whole: Range<usize>,
}

/// The `phrase <addr>` mailboxes of a raw address-list value, each with the name it was
/// meant to have: a run of bare phrases followed by `phrase <addr>` is one mailbox whose
/// display name was split at its commas.
pub fn named_mailboxes(value: &[u8]) -> Vec<Named> {
    let segments = split_top_level(value);
    let mut out = Vec::new();
    let mut run_start = None;
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_bare_phrase {
            run_start.get_or_insert(i);
            continue;
        }
        let first = run_start.take().unwrap_or(i);
        let Some(angle) = segment.angle.filter(|_| !segment.group) else { continue };
        let start = segments[first].range.start;
        let lead = value[start..angle].iter().take_while(|c| c.is_ascii_whitespace()).count();
        let name = value[start + lead..angle].trim_ascii_end().len();
        out.push(Named {
            phrase: start + lead..start + lead + name,
            angle,
            split: (first < i).then(|| segments[first].range.end),
            whole: start + lead..segment.range.start + value[segment.range.clone()].trim_ascii_end().len(),
        });
    }
    out
}

fn split_top_level(value: &[u8]) -> Vec<Segment> {
    let b = value;
    let mut segments = Vec::new();
    let (mut start, mut i) = (0, 0);
    let (mut depth_comment, mut in_quote, mut in_angle, mut in_group) = (0usize, false, false, false);
    let (mut angle, mut has_at, mut has_colon) = (None, false, false);
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
            // An encoded-word: skip to its `?=` so a comma inside it is not syntax.
            i = memchr::memmem::find(&b[i + 2..], b"?=").map_or(b.len(), |p| i + 2 + p + 2);
            continue;
        } else {
            match c {
                b'"' => in_quote = true,
                b'(' => depth_comment = 1,
                b'<' => {
                    in_angle = true;
                    angle.get_or_insert(i);
                }
                b'@' => has_at = true,
                b':' => {
                    has_colon = true;
                    in_group = true;
                }
                b';' => in_group = false,
                b',' if !in_group => {
                    segments.push(segment(value, start..i, angle, has_at, has_colon));
                    start = i + 1;
                    (angle, has_at, has_colon) = (None, false, false);
                }
                _ => {}
            }
        }
        i += 1;
    }
    segments.push(segment(value, start..b.len(), angle, has_at, has_colon));
    segments
}

fn segment(value: &[u8], range: Range<usize>, angle: Option<usize>, has_at: bool, group: bool) -> Segment {
    let empty = value[range.clone()].trim_ascii().is_empty();
    Segment { is_bare_phrase: !empty && angle.is_none() && !has_at && !group, angle, group, range }
}

/// One piece of a phrase.
enum Token<'a> {
    /// A run of white space, folds included.
    Space,
    /// A quoted string's content: quoted pairs resolved, the line breaks of folds gone
    /// (RFC 5322 3.2.4).
    Quoted(String),
    /// A comment, parentheses included, the line breaks of folds gone.
    Comment(String),
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
                let mut text = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => text.extend(chars.next().map(|(_, c)| c)),
                        '\r' | '\n' => {}
                        c => text.push(c),
                    }
                }
                out.push(Token::Quoted(text));
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
                out.push(Token::Comment(text));
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
pub fn display_name(phrase: &str) -> String {
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
pub fn quoted(mailbox: &str) -> String {
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

    fn names(value: &str) -> Vec<(String, Option<usize>, &str)> {
        named_mailboxes(value.as_bytes())
            .into_iter()
            .map(|n| (display_name(&value[n.phrase]), n.split, &value[n.whole]))
            .collect()
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
        ] {
            assert!(named_mailboxes(v.as_bytes()).iter().all(|n| n.split.is_none()), "{v}");
        }
        assert!(named_mailboxes(b"Team: A <a@nhs.net>;").is_empty(), "a group's members are mail-parser's");
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
