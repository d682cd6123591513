//! RFC 2047 encoded-words (`=?utf-8?Q?O=E2=80=99Brien?=`): recognising and decoding
//! them in text, and the white space around them as section 6.2 reads it: the white
//! space between two adjacent encoded-words is no part of the text, any other is kept.
//! The one decoder of display names (`mailbox_list`) and of attachment names (`mime`).

use std::borrow::Cow;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;

/// Text built piece by piece: plain text, white space and encoded-words, in the order
/// written.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    out: String,
    /// The last encoded-words' bytes, not yet converted: adjacent words in one charset
    /// are converted together, so a character a generator split between two words (as
    /// some do, though section 5 forbids it) reads whole.
    pending: Option<(String, Vec<u8>)>,
    /// White space not yet written: dropped if an encoded-word follows an encoded-word.
    gap: String,
}

impl Decoder {
    /// Text that is no encoded-word, as it stands.
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.flush();
        self.out.push_str(&self.gap);
        self.gap.clear();
        self.out.push_str(text);
    }

    /// White space between two pieces.
    pub(crate) fn space(&mut self, space: &str) {
        self.gap.push_str(space);
    }

    /// An encoded-word; `false`, and nothing taken, when `word` is not one.
    fn word(&mut self, word: &str) -> bool {
        let Some((charset, bytes)) = parse(word) else {
            return false;
        };
        match &mut self.pending {
            Some((pending, held)) if pending.eq_ignore_ascii_case(charset) => held.extend_from_slice(&bytes),
            Some(_) => {
                self.flush();
                self.pending = Some((charset.to_owned(), bytes));
            }
            None => {
                self.out.push_str(&self.gap);
                self.pending = Some((charset.to_owned(), bytes));
            }
        }
        self.gap.clear();
        true
    }

    /// Text that may hold encoded-words anywhere: each one found is decoded, not only
    /// those standing between white space as section 5 asks, since readers decode them
    /// wherever they stand (and a name must be judged as it is shown).
    pub(crate) fn feed(&mut self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(len) = rest.starts_with("=?").then(|| word_len(rest)).flatten()
                && self.word(&rest[..len])
            {
                rest = &rest[len..];
                continue;
            }
            let space = rest.len() - rest.trim_start().len();
            if space > 0 {
                self.space(&rest[..space]);
                rest = &rest[space..];
                continue;
            }
            // Up to the next white space or possible encoded-word.
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..].find(|c: char| c.is_whitespace() || c == '=').map_or(rest.len(), |p| p + first);
            self.text(&rest[..end]);
            rest = &rest[end..];
        }
    }

    pub(crate) fn finish(mut self) -> String {
        self.flush();
        self.out.push_str(&self.gap);
        self.out
    }

    fn flush(&mut self) {
        if let Some((charset, bytes)) = self.pending.take() {
            match charset_decoder(charset.as_bytes()) {
                Some(convert) => self.out.push_str(&convert(&bytes)),
                None => self.out.push_str(&String::from_utf8_lossy(&bytes)),
            }
        }
    }
}

/// `text` with its encoded-words decoded (see [`Decoder::feed`]); borrowed when it holds
/// none.
pub(crate) fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains("=?") {
        return Cow::Borrowed(text);
    }
    let mut decoder = Decoder::default();
    decoder.feed(text);
    Cow::Owned(decoder.finish())
}

/// Whether `text` is one encoded-word, whole.
pub(crate) fn is_word(text: &str) -> bool {
    parse(text).is_some()
}

/// The length of the encoded-word `text` starts with, by its syntax alone:
/// `=?charset?B|Q?encoded-text?=`, with no white space in it.
fn word_len(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let charset = b.get(2..)?.iter().position(|&c| c == b'?')?;
    let encoding = 2 + charset + 1;
    if charset == 0 || !matches!(b.get(encoding), Some(b'B' | b'b' | b'Q' | b'q')) || b.get(encoding + 1) != Some(&b'?')
    {
        return None;
    }
    let start = encoding + 2;
    let close = memchr::memmem::find(&b[start..], b"?=")?;
    let all = &b[..start + close + 2];
    (!all.iter().any(|c| c.is_ascii_whitespace())).then_some(all.len())
}

/// An encoded-word's charset (without an RFC 2231 language, `utf-8*en`) and its bytes.
fn parse(word: &str) -> Option<(&str, Vec<u8>)> {
    if word_len(word) != Some(word.len()) {
        return None;
    }
    let inner = &word[2..word.len() - 2];
    let (charset, rest) = inner.split_once('?')?;
    let (encoding, text) = rest.split_once('?')?;
    let charset = charset.split_once('*').map_or(charset, |(c, _)| c);
    let bytes = match encoding {
        "B" | "b" => base64_decode(text.as_bytes())?,
        _ => q_decode(text.as_bytes()),
    };
    Some((charset, bytes))
}

/// The Q encoding (section 4.2): `_` is a space, `=XX` a byte; an `=` not followed by
/// two hex digits stands as itself.
fn q_decode(text: &[u8]) -> Vec<u8> {
    let hex = |at: usize| text.get(at).and_then(|&c| (c as char).to_digit(16)).map(|d| d as u8);
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match (text[i], hex(i + 1), hex(i + 2)) {
            (b'_', ..) => out.push(b' '),
            (b'=', Some(high), Some(low)) => {
                out.push(high << 4 | low);
                i += 2;
            }
            (c, ..) => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_each_encoding_and_charset() {
        for (text, want) in [
            ("=?utf-8?Q?O=E2=80=99Brien?=", "O’Brien"),
            ("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld Jørn Simonsen"),
            ("=?iso-8859-1?q?Andr=e9?=", "André"),
            ("=?UTF-8?B?SsO2cmc=?=", "Jörg"),
            ("=?utf-8*en?Q?a_b?=", "a b"),
            ("=?x-unknown?Q?plain?=", "plain"),
        ] {
            assert_eq!(decode(text), want, "{text}");
        }
    }

    #[test]
    fn white_space_only_between_adjacent_words_is_dropped() {
        for (text, want) in [
            // RFC 2047 section 8's examples.
            ("=?ISO-8859-1?Q?a?= b", "a b"),
            ("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"),
            ("=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=", "ab"),
            ("=?ISO-8859-1?Q?a_b?=", "a b"),
            ("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b"),
            ("results =?utf-8?Q?=5F943?= =?utf-8?Q?=5F476.pdf?=", "results _943_476.pdf"),
            ("=?utf-8?Q?O=E2=80=99Brien=2C?= Niamh", "O’Brien, Niamh"),
        ] {
            assert_eq!(decode(text), want, "{text}");
        }
    }

    #[test]
    fn a_character_split_between_two_words_reads_whole() {
        // `é` is C3 A9: its two bytes in two words.
        assert_eq!(decode("=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?="), "café");
    }

    #[test]
    fn what_is_no_encoded_word_stands_as_written() {
        for text in [
            "plain text",
            "=?utf-8?Q?unclosed",
            "=??Q?no_charset?=",
            "=?utf-8?X?bad_encoding?=",
            "=?utf-8?Q?white space?=",
            "=?utf-8?B?!!!?=",
            "a = b ?= c",
        ] {
            assert_eq!(decode(text), text);
        }
        assert_eq!(decode("=?utf-8?Q?a=?= =?utf-8?Q?=4?="), "a==4", "a lone `=` stands as itself");
    }

    #[test]
    fn words_are_found_where_they_stand() {
        assert_eq!(decode("report-=?utf-8?Q?943?=.pdf"), "report-943.pdf");
        assert_eq!(decode("x=?utf-8?Q?1?==?utf-8?Q?2?="), "x12");
    }
}
