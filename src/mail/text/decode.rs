//! A part's body decoded to text with a map back to its raw bytes: quoted-printable
//! escapes and base64 lines map as wholes (the encoded range), literal bytes exactly,
//! soft line breaks read as nothing, and a charset other than UTF-8 is converted a line
//! at a time so a finding still points at its line.

use std::ops::Range;

use mail_parser::decoders::charsets::map::charset_decoder;

use super::map::{Emitter, SpanMap};

/// The Content-Transfer-Encoding a body is read through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transfer {
    /// 7bit, 8bit, binary, or none: the bytes are the content.
    Identity,
    QuotedPrintable,
    Base64,
}

impl Transfer {
    pub(crate) fn from_header(value: &str) -> Self {
        let value = value.trim();
        if value.eq_ignore_ascii_case("quoted-printable") {
            Transfer::QuotedPrintable
        } else if value.eq_ignore_ascii_case("base64") {
            Transfer::Base64
        } else {
            Transfer::Identity
        }
    }
}

/// The text of `raw[body]`, and where each byte of it came from.
pub(crate) fn decode(raw: &[u8], body: Range<usize>, transfer: Transfer, charset: Option<&str>) -> (String, SpanMap) {
    let (bytes, map) = match transfer {
        Transfer::Identity => (std::borrow::Cow::Borrowed(&raw[body.clone()]), SpanMap::identity(body)),
        Transfer::QuotedPrintable => {
            let (bytes, map) = quoted_printable(raw, body);
            (std::borrow::Cow::Owned(bytes), map)
        }
        Transfer::Base64 => {
            let (bytes, map) = base64(raw, body);
            (std::borrow::Cow::Owned(bytes), map)
        }
    };
    let converter = charset.and_then(|c| charset_decoder(c.as_bytes()));
    let ascii_compatible = charset.is_none_or(ascii_compatible);
    if ((bytes.is_ascii() && ascii_compatible) || converter.is_none())
        && let Ok(text) = std::str::from_utf8(&bytes)
    {
        return (text.to_owned(), map);
    }
    let mut out = Emitter::new(&map, bytes.len());
    if let (false, Some(convert)) = (ascii_compatible, converter) {
        // UTF-16 holds ASCII text as other bytes, and a 0x0A byte may be half a character:
        // converted whole, and mapped as a whole.
        out.replace(&convert(&bytes), 0..bytes.len());
        return out.finish();
    }
    // Converted (or mended) a line at a time: each line maps as a whole.
    let mut start = 0;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        let text = match converter {
            Some(convert) => convert(line),
            None => String::from_utf8_lossy(line).into_owned(),
        };
        out.replace(&text, start..start + line.len());
        start += line.len();
    }
    out.finish()
}

/// Whether the charset writes ASCII as ASCII, one byte a character, and has no state a
/// line break could cut: not UTF-16 or UTF-32 (UCS-2, "unicode"), UTF-7, ISO-2022-* or HZ.
fn ascii_compatible(charset: &str) -> bool {
    let c = charset.to_ascii_lowercase();
    !["16", "32", "ucs", "unicode", "utf-7", "utf7", "utf_7", "2022", "hz"].iter().any(|x| c.contains(x))
}

fn quoted_printable(raw: &[u8], body: Range<usize>) -> (Vec<u8>, SpanMap) {
    let b = &raw[body.clone()];
    let mut out = Vec::with_capacity(b.len());
    let mut map = SpanMap::default();
    let literal = |out: &mut Vec<u8>, map: &mut SpanMap, from: usize, to: usize| {
        if to > from {
            map.push(out.len(), body.start + from..body.start + to, true);
            out.extend_from_slice(&b[from..to]);
        }
    };
    let (mut i, mut run) = (0, 0);
    while let Some(p) = memchr::memchr(b'=', &b[i..]) {
        let at = i + p;
        let hex = |c: u8| (c as char).to_digit(16);
        if let Some([h, l]) = b.get(at + 1..at + 3).map(|s| [s[0], s[1]])
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            literal(&mut out, &mut map, run, at);
            map.push(out.len(), body.start + at..body.start + at + 3, false);
            out.push((h * 16 + l) as u8);
            i = at + 3;
            run = i;
            continue;
        }
        // A soft line break: `=`, perhaps white space a sender left, then the line break.
        let rest = &b[at + 1..];
        let blank = rest.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
        let newline = match &rest[blank..] {
            [b'\r', b'\n', ..] => Some(2),
            [b'\n', ..] => Some(1),
            [] => Some(0),
            _ => None,
        };
        if let Some(n) = newline {
            literal(&mut out, &mut map, run, at);
            i = at + 1 + blank + n;
            run = i;
        } else {
            i = at + 1;
        }
    }
    literal(&mut out, &mut map, run, b.len());
    (out, map)
}

fn base64(raw: &[u8], body: Range<usize>) -> (Vec<u8>, SpanMap) {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let b = &raw[body.clone()];
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let mut map = SpanMap::default();
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut start = 0;
    for line in b.split_inclusive(|c| *c == b'\n') {
        let before = out.len();
        for &c in line {
            if c == b'=' {
                // Padding ends a group: whatever follows starts a new one.
                (acc, bits) = (0, 0);
                continue;
            }
            let Some(value) = sextet(c) else { continue };
            acc = (acc << 6) | value;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        if out.len() > before {
            map.push(before, body.start + start..body.start + start + line.trim_ascii_end().len(), false);
        }
        start += line.len();
    }
    (out, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_and_raw(raw: &[u8], transfer: Transfer, charset: Option<&str>, find: &str) -> (String, String) {
        let (text, map) = decode(raw, 0..raw.len(), transfer, charset);
        let at = text.find(find).expect("decoded text holds it");
        let span = map.span(at..at + find.len()).expect("mapped");
        (text.clone(), String::from_utf8_lossy(&raw[span]).into_owned())
    }

    #[test]
    fn quoted_printable_soft_breaks_join_and_escapes_map_to_their_bytes() {
        let raw = b"NHS 943 4=\r\n76 5919 caf=C3=A9=\n";
        let (text, at) = text_and_raw(raw, Transfer::QuotedPrintable, Some("utf-8"), "943 476 5919");
        assert_eq!(text, "NHS 943 476 5919 caf\u{e9}");
        assert_eq!(at, "943 4=\r\n76 5919");
        let (_, at) = text_and_raw(raw, Transfer::QuotedPrintable, Some("utf-8"), "\u{e9}");
        assert_eq!(at, "=C3=A9");
    }

    #[test]
    fn a_lone_equals_sign_is_kept() {
        let (text, map) = decode(b"a = b =ZZ", 0..9, Transfer::QuotedPrintable, None);
        assert_eq!(text, "a = b =ZZ");
        assert!(map.is_exact(0..9));
    }

    #[test]
    fn base64_maps_each_line() {
        // "NHS number\n" / "943 476 5919\n", one encoded line each.
        let raw = b"TkhTIG51bWJlcgo=\r\nOTQzIDQ3NiA1OTE5Cg==\r\n";
        let (text, at) = text_and_raw(raw, Transfer::Base64, None, "943");
        assert_eq!(text, "NHS number\n943 476 5919\n");
        assert_eq!(at, "OTQzIDQ3NiA1OTE5Cg==");
    }

    #[test]
    fn utf_16_is_converted_whole() {
        let text: Vec<u8> = "NHS 943 476 5919\nnext line".encode_utf16().flat_map(u16::to_le_bytes).collect();
        for charset in ["utf-16le", "UTF-16LE"] {
            let (decoded, map) = decode(&text, 0..text.len(), Transfer::Identity, Some(charset));
            assert_eq!(decoded, "NHS 943 476 5919\nnext line");
            assert_eq!(map.span(4..16), Some(0..text.len()));
        }
    }

    #[test]
    fn other_charsets_are_converted_a_line_at_a_time() {
        let raw = b"first\nNHS \xa3 943 476 5919\n";
        let (text, at) = text_and_raw(raw, Transfer::Identity, Some("iso-8859-1"), "943");
        assert_eq!(text, "first\nNHS \u{a3} 943 476 5919\n");
        assert_eq!(at, "NHS \u{fffd} 943 476 5919\n");
        // ASCII is the same in any of them: exact.
        let (_, map) = decode(b"plain 943", 0..9, Transfer::Identity, Some("iso-8859-1"));
        assert!(map.is_exact(0..9));
    }
}
