//! `nhs_number`: NHS numbers written in text. Ten digits, plain or grouped 3-3-4 with
//! single spaces or dashes, not part of a longer run of digits, whose modulus 11 check
//! digit is valid (NHS Data Dictionary): weights 10..2 over the first nine digits,
//! check = 11 - (sum mod 11), 11 becomes 0, 10 means no valid number. One in eleven
//! random numbers passes that, so the number must also lie in a range patient numbers
//! are issued from; phone numbers and Unix timestamps mostly do not.
//!
//! In free text (bodies) that is still not enough: a phone number passes one time in
//! eleven. Given `keywords`, a number counts only with one of them (a whole word, any
//! case) within `within` characters before or after it, as Microsoft Purview's UK NHS
//! number type counts one with high confidence; and a number written as a phone (after
//! `tel`, `fax`, `phone` or a `+` country code, or as `(310-532-9811)`) is not one.
//! With no keywords (subjects, attachment names) every valid number counts.

use regex::Regex;
use serde::Deserialize;

use super::{Detector, Finding, FunctionOption, typed};
use crate::online::Services;

pub const OPTIONS: &[FunctionOption] = &[
    FunctionOption {
        name: "keywords",
        kind: "a list of words or phrases",
        summary: "a number counts only with one of these (a whole word, any case) near it, and not when \
                  written as a phone number; none (the default) means every valid number counts",
    },
    FunctionOption {
        name: "within",
        kind: "a number of characters",
        summary: "how near a keyword must stand, before or after the number (default 300, as Microsoft Purview)",
    },
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default = "default_within")]
    within: usize,
}

fn default_within() -> usize {
    300
}

/// `nhs_number` compiled: strict, or needing context.
#[derive(Debug)]
struct NhsNumber {
    /// The keywords as one case-insensitive, word-bounded pattern; `None` is strict.
    keywords: Option<Keywords>,
    within: usize,
}

/// The keyword pattern, built the first time a number is found: most messages hold
/// none, and building it was a third of the start-up of a one-template check.
#[derive(Debug)]
struct Keywords {
    pattern: String,
    regex: std::sync::OnceLock<Regex>,
}

impl Keywords {
    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| Regex::new(&self.pattern).expect("escaped words make a pattern"))
    }
}

pub fn detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
    let options = typed::<Options>(options)?;
    if options.keywords.iter().any(|k| k.trim().is_empty()) {
        return Err(serde::de::Error::custom("a keyword is empty"));
    }
    let keywords = (!options.keywords.is_empty()).then(|| {
        let words: Vec<String> = options.keywords.iter().map(|k| regex::escape(k.trim())).collect();
        Keywords { pattern: format!(r"(?i)\b(?:{})\b", words.join("|")), regex: std::sync::OnceLock::new() }
    });
    Ok(Box::new(NhsNumber { keywords, within: options.within }))
}

impl Detector for NhsNumber {
    fn find(&self, value: &str, _: Option<&Services>) -> Vec<Finding> {
        let mut out = find(value);
        if let Some(keywords) = &self.keywords {
            out.retain(|f| {
                !written_as_phone(value, f.range.clone()) && near(value, f.range.clone(), keywords.regex(), self.within)
            });
        }
        out
    }
}

/// Whether a keyword stands within `within` characters of `range`.
fn near(text: &str, range: std::ops::Range<usize>, keywords: &Regex, within: usize) -> bool {
    let start = text[..range.start].char_indices().rev().nth(within.saturating_sub(1)).map_or(0, |(i, _)| i);
    let end = text[range.end..].char_indices().nth(within).map_or(text.len(), |(i, _)| range.end + i);
    let start = if within == 0 { range.start } else { start };
    keywords.is_match(&text[start..end])
}

/// Whether the number at `range` is written as a phone number: in parentheses with
/// dashes (`(310-532-9811)`), or after a `+` country code or a word starting `tel`,
/// `fax` or `phone` (one of the two words before it, on the same line, with only
/// punctuation, spaces and digits between: `Tel: `, `Fax no. `, `Phone: +1 `).
fn written_as_phone(text: &str, range: std::ops::Range<usize>) -> bool {
    let number = &text[range.clone()];
    if number.contains('-') && text[..range.start].ends_with('(') && text[range.end..].starts_with(')') {
        return true;
    }
    let line = text[..range.start].rsplit(['\n', '\r']).next().unwrap_or("");
    let words = line.trim_end_matches(|c: char| !c.is_alphabetic());
    let between = &line[words.len()..];
    if between.contains('+') {
        return true;
    }
    words
        .rsplit(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(2)
        .any(|w| ["tel", "fax", "phone"].iter().any(|p| w.to_lowercase().starts_with(p)))
}

fn is_valid_nhs_number(digits: &[u8; 10]) -> bool {
    let sum: u32 = digits[..9].iter().zip((2..=10).rev()).map(|(d, w)| u32::from(*d) * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == u32::from(digits[9])
}

/// The ranges patient numbers are issued from: England, Wales and the Isle of Man (4xx,
/// 6xx-7xx), Northern Ireland's Health and Care numbers (3xx), Scotland's CHI numbers
/// (a date of birth, DDMMYY, then four digits), and the 9xx numbers of test and
/// integration environments (like the Data Dictionary's 943 476 5919, which templates
/// should not carry either). Ten equal digits are a placeholder, not a patient.
fn is_issued(digits: &[u8; 10]) -> bool {
    if digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    match digits[0] {
        3 | 4 | 6 | 7 | 9 => true,
        0..=2 => {
            let (day, month) = (digits[0] * 10 + digits[1], digits[2] * 10 + digits[3]);
            (1..=31).contains(&day) && (1..=12).contains(&month)
        }
        _ => false,
    }
}

pub fn find(text: &str) -> Vec<Finding> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(digit) = next_digit(b, i) {
        i = digit;
        if i > 0 && b[i - 1].is_ascii_digit() {
            i += 1;
            continue;
        }
        if let Some(end) = match_at(b, i) {
            out.push(Finding::at(i..end));
            i = end;
        } else {
            // The rest of this run of digits follows a digit: none starts a number.
            i += b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        }
    }
    out
}

/// The first ASCII digit at or after `from`. Bodies are mostly letters: eight bytes are
/// judged at once (a byte is a digit when it XOR `0x30` is below 10), which made this
/// scan a twelfth of the time it took byte by byte.
fn next_digit(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let word = u64::from_ne_bytes(chunk.try_into().expect("eight bytes")) ^ (ONES * 0x30);
        // Non-zero exactly when some byte of `word` is below 10 (a borrow reaches only the
        // bytes above one that is).
        if word.wrapping_sub(ONES * 10) & !word & HIGH != 0 {
            break;
        }
        i += 8;
    }
    b.get(i..)?.iter().position(u8::is_ascii_digit).map(|p| i + p)
}

/// The end of an NHS number starting at `start` (a digit not preceded by one).
fn match_at(b: &[u8], start: usize) -> Option<usize> {
    let run = |from: usize| b[from.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut digits = [0u8; 10];
    let end = if run(start) == 10 {
        for (d, c) in digits.iter_mut().zip(&b[start..start + 10]) {
            *d = c - b'0';
        }
        start + 10
    } else {
        // 3-3-4 with one separator used throughout.
        let sep = *b.get(start + 3)?;
        if run(start) != 3 || !(sep == b' ' || sep == b'-') {
            return None;
        }
        if run(start + 4) != 3 || b.get(start + 7) != Some(&sep) || run(start + 8) != 4 {
            return None;
        }
        let groups = [start..start + 3, start + 4..start + 7, start + 8..start + 12];
        for (d, c) in digits.iter_mut().zip(groups.into_iter().flat_map(|r| &b[r])) {
            *d = c - b'0';
        }
        start + 12
    };
    (is_valid_nhs_number(&digits) && is_issued(&digits)).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|f| &text[f.range]).collect()
    }

    #[test]
    fn checksum() {
        // 943 476 5919 is the Data Dictionary's worked example.
        assert!(is_valid_nhs_number(&[9, 4, 3, 4, 7, 6, 5, 9, 1, 9]));
        assert!(!is_valid_nhs_number(&[9, 4, 3, 4, 7, 6, 5, 9, 1, 8]));
    }

    #[test]
    fn formats() {
        assert_eq!(found("NHS 9434765919 ok"), ["9434765919"]);
        assert_eq!(found("943 476 5919"), ["943 476 5919"]);
        assert_eq!(found("x943-476-5919"), ["943-476-5919"]);
    }

    #[test]
    fn rejects_mixed_separators_longer_runs_and_bad_checksums() {
        assert!(found("943-476 5919").is_empty());
        assert!(found("19434765919").is_empty());
        assert!(found("94347659190").is_empty());
        assert!(found("9434765918").is_empty());
        assert!(found("943 476 59190").is_empty());
    }

    #[test]
    fn numbers_outside_the_issued_ranges_are_not_patients() {
        // Each has a valid check digit.
        assert!(found("call 503-203-1569 (fax)").is_empty(), "a US phone number (5xx)");
        assert!(found("clock set (1243598247)").is_empty(), "a Unix timestamp: no month 43");
        assert!(found("[0000000000 - 001dff0000]").is_empty(), "ten equal digits");
        // A CHI number (born 1 March 1960) and a Northern Irish one are patients too.
        assert!(is_valid_nhs_number(&[0, 1, 0, 3, 6, 0, 1, 2, 3, 6]));
        assert_eq!(found("CHI 0103601236"), ["0103601236"]);
        assert!(is_valid_nhs_number(&[0, 1, 1, 3, 6, 0, 1, 2, 3, 9]));
        assert!(found("CHI 0113601239").is_empty(), "no month 13");
        assert!(is_valid_nhs_number(&[3, 2, 0, 1, 2, 3, 4, 5, 6, 7]));
        assert_eq!(found("H&C 320 123 4567"), ["320 123 4567"]);
    }

    fn in_context(text: &str) -> Vec<&str> {
        let options = serde_json::json!({"keywords": ["NHS", "patient no", "DOB", "GP"], "within": 30});
        detector(options).expect("options").find(text, None).into_iter().map(|f| &text[f.range]).collect()
    }

    #[test]
    fn with_keywords_a_number_needs_one_near_it() {
        assert_eq!(in_context("NHS number: 943 476 5919"), ["943 476 5919"]);
        assert_eq!(in_context("943 476 5919 (your nhs number)"), ["943 476 5919"]);
        assert_eq!(in_context("Patient No 9434765919"), ["9434765919"]);
        assert!(in_context("Reference 943 476 5919").is_empty(), "no keyword");
        assert!(in_context("NHS                              943 476 5919").is_empty(), "too far");
        assert!(in_context("SNHS 943 476 5919").is_empty(), "not a whole word");
        assert_eq!(in_context("GP: 943 476 5919, DOB 1 May"), ["943 476 5919"]);
    }

    #[test]
    fn with_keywords_a_phone_number_is_not_one() {
        // Each is a valid number in an issued range (the public corpus's three).
        assert_eq!(found("(310-532-9811)"), ["310-532-9811"]);
        assert!(in_context("NHS helpline (310-532-9811).").is_empty());
        assert!(in_context("NHS Telefoonnummer      : 0610132318").is_empty());
        assert!(in_context("NHS Fax: +1 412-268-6989").is_empty());
        assert!(in_context("NHS Phone number: 412-268-6989").is_empty());
        assert!(in_context("NHS +44 412-268-6989").is_empty());
        // A phone number earlier on the line does not make a later NHS number one.
        assert_eq!(in_context("Tel 0113 1234567, NHS no 943 476 5919"), ["943 476 5919"]);
    }

    #[test]
    fn options_are_checked() {
        assert!(detector(serde_json::json!({"keywords": [" "]})).is_err());
        assert!(detector(serde_json::json!({"within": "far"})).is_err());
        assert!(detector(serde_json::json!({"other": 1})).is_err());
        // No keywords: strict.
        let strict = detector(serde_json::json!({})).expect("defaults");
        assert_eq!(strict.find("Tel 943 476 5919", None).len(), 1);
    }

    #[test]
    fn check_digit_ten_is_never_valid() {
        // 1*10 + 1*2 = 12; 11 - (12 mod 11) = 10: no check digit makes this valid.
        for last in 0..10u8 {
            assert!(!is_valid_nhs_number(&[1, 0, 0, 0, 0, 0, 0, 0, 1, last]));
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn check_digit(nine: &[u8; 9]) -> Option<u8> {
        let sum: u32 = nine.iter().zip((2..=10).rev()).map(|(d, w)| u32::from(*d) * w).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            c => Some(c as u8),
        }
    }

    proptest! {
        #[test]
        fn the_next_digit_is_the_first_digit_from_there(
            text in proptest::collection::vec(prop_oneof![any::<u8>(), b'0'..=b'9', Just(b'/'), Just(b':')], 0..40),
            from in 0usize..48,
        ) {
            let want = text.get(from..).and_then(|rest| rest.iter().position(u8::is_ascii_digit)).map(|p| from + p);
            prop_assert_eq!(next_digit(&text, from), want);
        }

        #[test]
        fn valid_numbers_are_found_in_every_format_and_only_valid_ones(
            first in proptest::sample::select(vec![4u8, 6, 7, 9]),
            eight in proptest::array::uniform8(0u8..10),
            last in 0u8..10,
        ) {
            let mut nine = [first; 9];
            nine[1..].copy_from_slice(&eight);
            let digits: String = nine.iter().chain(std::iter::once(&last)).map(|d| char::from(b'0' + d)).collect();
            // In an issued range (England and Wales, or test): valid exactly when the check
            // digit is, ten equal digits aside.
            let placeholder = nine.iter().all(|d| *d == last);
            let valid = check_digit(&nine) == Some(last) && !placeholder;
            let spaced = format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..]);
            let dashed = spaced.replace(' ', "-");
            for written in [&digits, &spaced, &dashed] {
                let text = format!("Ref {written}.");
                let found: Vec<&str> = find(&text).into_iter().map(|f| &text[f.range]).collect();
                prop_assert_eq!(found.len(), usize::from(valid), "{}", text);
                // Part of a longer run of digits, it is never an NHS number.
                let longer = format!("7{written}");
                prop_assert!(find(&longer).is_empty(), "{}", longer);
            }
            let longer = format!("{digits}5");
            prop_assert!(find(&longer).is_empty(), "{}", longer);
        }
    }
}
