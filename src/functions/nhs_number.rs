//! `nhs_number`: NHS numbers (and Scotland's CHI and Northern Ireland's H&C numbers, which
//! share their form) as people write them. Ten digits whose modulus 11 check digit is valid
//! (NHS Data Dictionary: weights 10..2 over the first nine digits, check = 11 - (sum mod
//! 11), 11 becomes 0, 10 means no valid number), in a range patient numbers are issued
//! from (`is_issued`). One in eleven random numbers passes the check digit, so the range
//! matters: most phone numbers and Unix timestamps lie outside them.
//!
//! Written plain (`9434765919`) or grouped 3-3-4, the groups set apart the same way twice:
//! by white space (spaces, tabs, U+00A0, U+202F, up to three each time, and at most one
//! line break, LF or CR LF, among them: a wrapped line still holds the number), or by the
//! same one of `-`, en dash, `.`, `_` or `/` both times. So `943 476\u{a0}5919` is a number
//! and `943-476 5919` or `943-476.5919` is not (mixing punctuation is how other codes are
//! written, not how people write a number they copy). Never part of a longer run of digits,
//! and never part of a longer sequence grouped by the same punctuation (`943.476.5919.1`
//! and `1.943.476.5919` are versions or order numbers; the plain form followed or preceded
//! by a decimal point, `9434765919.5`, is a quantity).
//!
//! In free text (bodies) that is still not enough: an order or phone number passes one time
//! in eleven. Given `keywords`, a number counts only with one of them (a whole word, any
//! case) within `within` characters before or after it, as Microsoft Purview's UK NHS
//! number type counts one with high confidence; and not when written as a phone
//! (`written_as_phone`: only real phone cues, never a word that merely starts with "tel").
//! With no keywords (subjects, attachment names) every valid number counts, except, given
//! `timestamp_keywords` (attachment names), a plain ten-digit run that reads as a Unix
//! timestamp with none of those words near it.

use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use serde::Deserialize;

use super::{Detector, Finding, FunctionOption, typed};
use crate::online::Services;

pub(crate) const OPTIONS: &[FunctionOption] = &[
    FunctionOption { name: "keywords", kind: "a list of words or phrases" },
    FunctionOption { name: "within", kind: "a number of characters" },
    FunctionOption { name: "timestamp_keywords", kind: "a list of words or phrases" },
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default = "default_within")]
    within: usize,
    #[serde(default)]
    timestamp_keywords: Vec<String>,
}

fn default_within() -> usize {
    300
}

/// `nhs_number` compiled: strict, or needing context.
#[derive(Debug)]
struct NhsNumber {
    /// Every number needs one of these near it; `None` is strict.
    keywords: Option<Keywords>,
    /// A number that reads as a timestamp needs one of these near it.
    timestamp_keywords: Option<Keywords>,
    within: usize,
}

/// A keyword list as one case-insensitive pattern, built the first time a number is
/// found: most messages hold none, and building it was a third of the start-up of a
/// one-template check.
#[derive(Debug)]
struct Keywords {
    pattern: String,
    regex: OnceLock<Regex>,
}

impl Keywords {
    fn new(words: &[String]) -> Result<Option<Self>, serde_json::Error> {
        if words.iter().any(|k| k.trim().is_empty()) {
            return Err(serde::de::Error::custom("a keyword is empty"));
        }
        if words.is_empty() {
            return Ok(None);
        }
        // A file name writes `date_of_birth` or `patient-no` for the phrase.
        let phrases: Vec<String> = words
            .iter()
            .map(|k| k.split_whitespace().map(regex::escape).collect::<Vec<_>>().join(r"[\s_-]+"))
            .collect();
        let pattern = format!(r"(?i)[^\p{{L}}\p{{N}}](?:{})[^\p{{L}}\p{{N}}]", phrases.join("|"));
        Ok(Some(Keywords { pattern, regex: OnceLock::new() }))
    }

    /// Whether one of the words stands within `within` characters of `range`, as a whole
    /// word: no letter or digit right before or after it. `\b` would not do: `_` is a word
    /// character to it (`patient_1711401900.pdf`), and it wants a word character after a
    /// keyword that ends in a dot (`D.O.B.`). The pattern takes the character either side
    /// of the keyword, so the window is read with one more at each end (a space past the
    /// text's ends): one search then weighs every keyword at every place (`Patient notes`
    /// holds `patient` though `patient no` matched first).
    fn near(&self, text: &str, range: Range<usize>, within: usize) -> bool {
        let start = match within {
            0 => range.start,
            _ => text[..range.start].char_indices().rev().nth(within - 1).map_or(0, |(i, _)| i),
        };
        let end = text[range.end..].char_indices().nth(within).map_or(text.len(), |(i, _)| range.end + i);
        let from = text[..start].char_indices().next_back().map_or(start, |(i, _)| i);
        let to = text[end..].chars().next().map_or(end, |c| end + c.len_utf8());
        let mut window = String::with_capacity(to - from + 2);
        if from == start {
            window.push(' ');
        }
        window.push_str(&text[from..to]);
        if to == end {
            window.push(' ');
        }
        self.regex.get_or_init(|| Regex::new(&self.pattern).expect("escaped words make a pattern")).is_match(&window)
    }
}

pub(crate) fn detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
    let options = typed::<Options>(options)?;
    Ok(Box::new(NhsNumber {
        keywords: Keywords::new(&options.keywords)?,
        timestamp_keywords: Keywords::new(&options.timestamp_keywords)?,
        within: options.within,
    }))
}

impl Detector for NhsNumber {
    fn find(&self, value: &str, _: Option<&Services>) -> Vec<Finding> {
        let mut out = find(value);
        out.retain(|f| self.counts(value, f.range.clone()));
        out
    }
}

impl NhsNumber {
    /// Whether the valid number at `range` counts, given the options.
    fn counts(&self, text: &str, range: Range<usize>) -> bool {
        let near = |keywords: &Keywords| keywords.near(text, range.clone(), self.within);
        if let Some(words) = &self.timestamp_keywords
            && reads_as_timestamp(&text[range.clone()])
            && !near(words)
        {
            return false;
        }
        self.keywords.as_ref().is_none_or(|words| !written_as_phone(text, range.start) && near(words))
    }
}

/// Whether a number written as ten plain digits reads as a Unix timestamp of 2001-2040:
/// 1000000000 (9 September 2001) to 2240611199 (the last second of 2040) seconds; earlier
/// ones have nine digits. `letter_1711401900.pdf` is a file named when it was written
/// (17/11/40 is a date, so it passes as a CHI number one time in eleven).
fn reads_as_timestamp(written: &str) -> bool {
    written.len() == 10
        && written.bytes().all(|b| b.is_ascii_digit())
        && written.parse::<u64>().is_ok_and(|s| (1_000_000_000..=2_240_611_199).contains(&s))
}

/// Whether the number starting at `start` is written as a phone number, by what stands
/// right before it: a country code (`+44`, `+1`, any `+` and one to three digits, `0044`,
/// `00353`, `001`; then perhaps `(0)`), a trunk prefix written apart (`0 943 476 5919`,
/// `(0)943 476 5919`: eleven digits, a UK number; a CHI number may itself start with `0`,
/// which is no cue), or a label (`Tel:`, `Tel.`, `Telephone`, `Phone:`, `Fax:`, `Mobile:`,
/// `Mob:`, `Cell`, as whole words, perhaps with `no.` or `number`). A word that merely
/// starts with "tel" (`Telford`) and parentheses round a number are no cue. Every part has
/// a bounded length, so a window of 64 bytes holds any match (`^` is the text's start).
fn written_as_phone(text: &str, start: usize) -> bool {
    static PHONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            // The letters and digits outside `(?i)`: case-folding that class cost a
            // millisecond to build, the pre-commit user's wait, for the same set (but
            // U+0345, a combining mark that folds to a letter).
            r"(?:",
            r"(?:^|[^\p{L}\p{N}])(?i:tel|telephone|phone|fax|mobile|mob|cell)(?:[\s.]{0,3}(?i:number|no|nr))?[\s.:#\-]{0,8}",
            r"|(?:^|[^0-9+])(?:\+[0-9]{1,3}|00(?:44|353|1))[\s.\-\u{2013}]{0,4}(?:\(0\)[\s.\-\u{2013}]{0,4})?",
            r"|(?:^|[^0-9])(?:0|\(0\))[ \t\u{a0}\u{202f}.\-\u{2013}]?",
            r")$"
        ))
        .expect("a valid pattern")
    });
    let from = text.floor_char_boundary(start.saturating_sub(64));
    PHONE.is_match(&text[from..start])
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

/// The ranges patient numbers are issued from (as the `nhs-number` package on PyPI has
/// them, which tests/fixtures/nhs-numbers checks against): Scotland's CHI numbers, a date
/// of birth (DDMMYY, a day the month has) then four digits, up to 311 299 9999; Northern
/// Ireland's H&C numbers, 320 000 0000-399 999 9999; England, Wales and the Isle of Man,
/// 400-499 and 600-799 million; and 900-999 million, never issued to a patient but to the
/// synthetic patients of test and integration environments: a message carrying one (or
/// the Data Dictionary's 943 476 5919) shows where real numbers will go once the
/// template meets real patients, so it is reported too. Not: 311 300 0000-319 999 9999,
/// 500-599 million (never issued), 800-859 million (the Republic of Ireland's IHI cores:
/// an IHI is written as 18 digits, and US toll-free numbers, 800, 833, 844, 855, live
/// there) and 860-899 million (unallocated). Ten equal digits are a placeholder.
fn is_issued(digits: &[u8; 10]) -> bool {
    if digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    let pair = |i: usize| digits[i] * 10 + digits[i + 1];
    match digits[0] {
        4 | 6 | 7 | 9 => true,
        3 if digits[1] >= 2 => true,
        0..=3 => is_date(pair(0), pair(2), pair(4)),
        _ => false,
    }
}

/// Whether day/month/two-digit year is a date in the 1900s or 2000s (29 February in a
/// year divisible by four: 2000 was a leap year).
fn is_date(day: u8, month: u8, year: u8) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

pub(crate) fn find(text: &str) -> Vec<Finding> {
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
            i += digit_run(b, i);
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

fn digit_run(b: &[u8], from: usize) -> usize {
    b.get(from..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count())
}

/// How the groups of a 3-3-4 number are set apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    /// Blanks, perhaps around a line break.
    White { line_break: bool },
    /// One punctuation character: its bytes.
    Punctuation(&'static [u8]),
}

const BLANKS: [&[u8]; 4] = [b" ", b"\t", "\u{a0}".as_bytes(), "\u{202f}".as_bytes()];
const PUNCTUATION: [&[u8]; 5] = [b"-", "\u{2013}".as_bytes(), b".", b"_", b"/"];
/// More blanks than this in a row is a layout (columns of a table), not a number.
const MOST_BLANKS: usize = 3;

/// The separator at `at` and where it ends.
fn separator(b: &[u8], at: usize) -> Option<(Separator, usize)> {
    if let Some(p) = PUNCTUATION.iter().find(|p| b[at..].starts_with(p)) {
        return Some((Separator::Punctuation(p), at + p.len()));
    }
    let blanks = |mut i: usize| {
        for _ in 0..=MOST_BLANKS {
            match BLANKS.iter().find(|s| b[i..].starts_with(s)) {
                Some(s) => i += s.len(),
                None => return Some(i),
            }
        }
        None
    };
    let mut end = blanks(at)?;
    let line_break = [b"\n".as_slice(), b"\r\n"].into_iter().find(|nl| b[end..].starts_with(nl));
    if let Some(nl) = line_break {
        end = blanks(end + nl.len())?;
    }
    (end > at).then_some((Separator::White { line_break: line_break.is_some() }, end))
}

/// Whether the number at `start..end` continues a sequence through `p` on either side:
/// a digit then `p` right before it, or `p` then a digit right after it.
fn continues(b: &[u8], start: usize, end: usize, p: &[u8]) -> bool {
    let before = b[..start].strip_suffix(p).is_some_and(|rest| rest.last().is_some_and(u8::is_ascii_digit));
    let after = b[end..].strip_prefix(p).is_some_and(|rest| rest.first().is_some_and(u8::is_ascii_digit));
    before || after
}

/// The end of an NHS number starting at `start` (a digit not preceded by one).
fn match_at(b: &[u8], start: usize) -> Option<usize> {
    let mut digits = [0u8; 10];
    let end = match digit_run(b, start) {
        10 => {
            if continues(b, start, start + 10, b".") {
                return None;
            }
            for (d, c) in digits.iter_mut().zip(&b[start..start + 10]) {
                *d = c - b'0';
            }
            start + 10
        }
        3 => {
            let (first, second) = separator(b, start + 3)?;
            if digit_run(b, second) != 3 {
                return None;
            }
            let (other, third) = separator(b, second + 3)?;
            if digit_run(b, third) != 4 {
                return None;
            }
            let end = third + 4;
            let alike = match (first, other) {
                // One wrap at most: a number per line is a list, not a number.
                (Separator::White { line_break: one }, Separator::White { line_break: two }) => !(one && two),
                (Separator::Punctuation(p), Separator::Punctuation(q)) => p == q && !continues(b, start, end, p),
                _ => false,
            };
            if !alike {
                return None;
            }
            let groups = [start..start + 3, second..second + 3, third..end];
            for (d, c) in digits.iter_mut().zip(groups.into_iter().flat_map(|r| &b[r])) {
                *d = c - b'0';
            }
            end
        }
        _ => return None,
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
        for written in [
            "943 476 5919",
            "943\t476\t5919",
            "943\u{a0}476\u{a0}5919",
            "943\u{202f}476\u{202f}5919",
            "943  476 \u{a0} 5919",
            "943-476-5919",
            "943\u{2013}476\u{2013}5919",
            "943.476.5919",
            "943_476_5919",
            "943/476/5919",
        ] {
            assert_eq!(found(&format!("x{written}.")), [written], "{written:?}");
        }
    }

    #[test]
    fn white_space_between_groups_may_hold_one_line_break() {
        for written in ["943 476\n5919", "943 476\r\n5919", "943  \r\n  476 5919", "943\n476\u{a0}5919"] {
            assert_eq!(found(&format!("NHS {written} ok")), [written], "{written:?}");
        }
        // A number a line is a list; more than three blanks in a row are columns.
        for written in ["943\n476\n5919", "943 476\n\n5919", "943    476 5919", "943 476 \n    5919"] {
            assert!(found(written).is_empty(), "{written:?}");
        }
    }

    #[test]
    fn the_groups_are_set_apart_alike() {
        // Any white space is one kind; punctuation must be the same character both times.
        assert_eq!(found("943 476\u{a0}5919"), ["943 476\u{a0}5919"]);
        for written in [
            "943-476 5919",
            "943 476-5919",
            "943-476.5919",
            "943-476\u{2013}5919",
            "943--476--5919",
            "943 - 476 - 5919",
        ] {
            assert!(found(written).is_empty(), "{written:?}");
        }
    }

    #[test]
    fn longer_runs_and_sequences_are_not_numbers() {
        for text in [
            "19434765919",
            "94347659190",
            "9434765918",
            "943 476 59190",
            "1943 476 5919",
            // A version, an order number, a quantity.
            "v943.476.5919.1",
            "1.943.476.5919",
            "943-476-5919-2",
            "2026/943/476/5919",
            "9434765919.5",
            "0.9434765919",
        ] {
            assert!(found(text).is_empty(), "{text:?}");
        }
        // A sentence's full stop, or other punctuation than the number's own, is no sequence.
        assert_eq!(found("NHS no 943.476.5919."), ["943.476.5919"]);
        assert_eq!(found("scan_9434765919_2026.pdf"), ["9434765919"]);
        assert_eq!(found("scan-943-476-5919_2.pdf"), ["943-476-5919"]);
    }

    #[test]
    fn numbers_outside_the_issued_ranges_are_not_patients() {
        // Each has a valid check digit.
        assert!(found("call 503-203-1569 (fax)").is_empty(), "a US phone number (5xx)");
        assert!(found("clock set (1243598247)").is_empty(), "a Unix timestamp: no month 43");
        assert!(found("[0000000000 - 001dff0000]").is_empty(), "ten equal digits");
        assert!(found("4444444444").is_empty(), "ten equal digits");
        // A CHI number (born 1 March 1960) and a Northern Irish one are patients too.
        assert!(is_valid_nhs_number(&[0, 1, 0, 3, 6, 0, 1, 2, 3, 6]));
        assert_eq!(found("CHI 0103601236"), ["0103601236"]);
        assert!(is_valid_nhs_number(&[0, 1, 1, 3, 6, 0, 1, 2, 3, 9]));
        assert!(found("CHI 0113601239").is_empty(), "no month 13");
        assert!(is_valid_nhs_number(&[3, 2, 0, 1, 2, 3, 4, 5, 6, 7]));
        assert_eq!(found("H&C 320 123 4567"), ["320 123 4567"]);
        assert_eq!(found("H&C 3200000007"), ["3200000007"]);
        // CHI ends at 311 299 9999, Northern Ireland starts at 320 000 0000.
        assert_eq!(found("3112999908"), ["3112999908"]);
        assert!(found("3113000009").is_empty(), "between CHI and Northern Ireland");
        // A CHI number's date is a day its month has: 29 February only in a leap year.
        assert_eq!(found("2902601239"), ["2902601239"]);
        assert_eq!(found("2902001231"), ["2902001231"], "2000 was a leap year");
        assert!(found("2902611234").is_empty(), "1961 was not");
        assert!(found("3102601235").is_empty(), "no 31 February");
        // The Republic of Ireland's IHI range, never issued, unallocated.
        assert!(found("800 000 0008").is_empty());
        assert!(found("855 123 4560").is_empty());
        assert!(found("500 000 0005").is_empty());
        assert!(found("860 000 0009").is_empty());
        // Synthetic (test) numbers are reported: see `is_issued`.
        assert_eq!(found("999 000 0018"), ["999 000 0018"]);
        assert_eq!(found("9000000009"), ["9000000009"]);
    }

    /// The verdict on each of ~1,600 numbers of every region, from the `nhs-number` package
    /// on PyPI (tests/fixtures/nhs-numbers/generate.py), against ours, each written in one
    /// of the forms in turn.
    #[test]
    fn verdicts_agree_with_the_nhs_number_package() {
        const TABLE: &str = include_str!("../../tests/fixtures/nhs-numbers/numbers.tsv");
        const FORMS: [&str; 11] = ["", " ", "-", ".", "_", "/", "\t", "\u{a0}", "\u{202f}", "\u{2013}", "\n"];
        let mut disagree = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let rows = TABLE.lines().filter(|l| !l.starts_with('#'));
        for (i, row) in rows.clone().enumerate() {
            let [number, verdict, region, why] = row.split('\t').collect::<Vec<_>>()[..] else {
                panic!("not four fields: {row:?}");
            };
            // Reported: valid numbers of the regions a patient's number is issued from, and
            // synthetic ones; not the IHI's, reserved or unallocated ones. Ten equal digits,
            // valid to the package, are a placeholder.
            let issued = matches!(region, "SCOTLAND" | "NORTHERN_IRELAND" | "ENGLAND_WALES_IOM" | "SYNTHETIC");
            let placeholder = number.bytes().all(|b| b == number.as_bytes()[0]);
            let want = verdict == "valid" && issued && !placeholder;
            seen.insert((region, verdict));
            let form = FORMS[i % FORMS.len()];
            let written = match form {
                "" => number.to_owned(),
                "\n" => format!("{} {}\n{}", &number[..3], &number[3..6], &number[6..]),
                sep => format!("{}{sep}{}{sep}{}", &number[..3], &number[3..6], &number[6..]),
            };
            let text = format!("Ref {written}, ok");
            if found(&text).len() != usize::from(want) {
                disagree.push(format!("{written:?}: the package says {verdict}, {region} ({why})"));
            }
        }
        assert!(disagree.is_empty(), "{} disagreements:\n{}", disagree.len(), disagree.join("\n"));
        assert!(rows.count() >= 1500);
        for region in
            ["SCOTLAND", "NORTHERN_IRELAND", "ENGLAND_WALES_IOM", "SYNTHETIC", "EIRE", "RESERVED", "UNALLOCATED"]
        {
            assert!(seen.contains(&(region, "valid")) && seen.contains(&(region, "invalid")), "{region}");
        }
    }

    fn in_context(text: &str) -> Vec<&str> {
        let options = serde_json::json!({"keywords": ["NHS", "patient no", "patient", "DOB", "D.O.B", "date of birth", "GP"], "within": 30});
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
        assert!(in_context("NHSmail 943 476 5919 DOBSON").is_empty(), "not whole words");
        assert_eq!(in_context("SNHS NHS 943 476 5919"), ["943 476 5919"], "a whole word after a part of one");
        // `patient no` matches first and is not a whole word, `patient` is.
        assert_eq!(in_context("Patient notes: 943 476 5919"), ["943 476 5919"]);
        // At the edges of the window and of the text.
        assert_eq!(in_context("GP 943 476 5919"), ["943 476 5919"]);
        assert_eq!(in_context("943 476 5919 GP"), ["943 476 5919"]);
        // The window is 30 characters: `G` is the 30th before the number.
        let apart = |before: &str, spaces: usize| format!("{before}{}943 476 5919", " ".repeat(spaces));
        assert_eq!(in_context(&apart("GP", 28)), ["943 476 5919"]);
        assert!(in_context(&apart("GP", 29)).is_empty(), "one character too far");
        assert!(in_context(&apart("xGP", 28)).is_empty(), "a longer word at the window's edge");
        assert_eq!(in_context("GP: 943 476 5919, DOB 1 May"), ["943 476 5919"]);
        // Keywords ending in a dot, and in file names (`_` ends a word, and joins a phrase).
        assert_eq!(in_context("D.O.B. 1/5/60, ref 943 476 5919"), ["943 476 5919"]);
        assert_eq!(in_context("d.o.b: 1/5/60, ref 943 476 5919"), ["943 476 5919"]);
        assert_eq!(in_context("date_of_birth_1960_ref_943_476_5919.pdf"), ["943_476_5919"]);
        assert_eq!(in_context("patient_9434765919.pdf"), ["9434765919"]);
    }

    #[test]
    fn with_keywords_a_phone_number_is_not_one() {
        // 412 268 6989 is valid and in England's range.
        for text in [
            "NHS +44 412 268 6989",
            "NHS +44412 268 6989",
            "NHS 0044 412 268 6989",
            "NHS +1 412-268-6989",
            "NHS Fax: +1 412-268-6989",
            "NHS +44 (0)412 268 6989",
            "NHS +44(0) 412 268 6989",
            "NHS (0)412 268 6989",
            "NHS 0 412 268 6989",
            "NHS 04122686989",
            "NHS Tel: 412 268 6989",
            "NHS Tel. 412 268 6989",
            "NHS tel:4122686989",
            "NHS Telephone 412 268 6989",
            "NHS Phone number: 412-268-6989",
            "NHS Phone:\n412 268 6989",
            "NHS Mobile: 412 268 6989",
            "NHS Mob: 412 268 6989",
            "NHS Fax no. 412 268 6989",
        ] {
            assert!(in_context(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn with_keywords_only_real_phone_cues_count() {
        // A word starting "tel", parentheses, a phone earlier on the line, a country code
        // further back, a CHI number starting with 0: none makes a number a phone.
        for (text, number) in [
            ("Patient: Telford 412 268 6989", "412 268 6989"),
            ("NHS Hotel 412 268 6989", "412 268 6989"),
            ("NHS Telefoonnummer : 0610132318", "0610132318"),
            ("NHS helpline (310-532-9811).", "310-532-9811"),
            ("Tel 0113 1234567, NHS no 943 476 5919", "943 476 5919"),
            ("+44 is the code; NHS no 412 268 6989", "412 268 6989"),
            ("Patient CHI 010 360 1236", "010 360 1236"),
            ("Patient CHI 0103601236", "0103601236"),
        ] {
            assert_eq!(in_context(text), [number], "{text:?}");
        }
    }

    #[test]
    fn timestamps_need_a_keyword_when_asked() {
        let names = detector(serde_json::json!({"timestamp_keywords": ["patient", "NHS"]})).expect("options");
        let named = |name: &str| names.find(name, None).len();
        // 1711401900 is 25 March 2024 as a timestamp, and a valid CHI number (17/11/40).
        assert_eq!(found("letter_1711401900.pdf"), ["1711401900"]);
        assert_eq!(named("letter_1711401900.pdf"), 0);
        assert_eq!(named("patient_1711401900.pdf"), 1, "a keyword");
        assert_eq!(named("letter_171_140_1900.pdf"), 1, "grouped as CHI numbers are written");
        assert_eq!(named("letter_4122686989.pdf"), 1, "past 2040: not a timestamp");
        assert_eq!(named("letter_0103601236.pdf"), 1, "before September 2001: not ten digits");
        // The option's edges: 1000000000 and 2240611199 seconds.
        assert!(reads_as_timestamp("1000000000") && reads_as_timestamp("2240611199"));
        assert!(!reads_as_timestamp("2240611200") && !reads_as_timestamp("0999999999"));
        assert!(!reads_as_timestamp("171 140 1900"));
    }

    #[test]
    fn options_are_checked() {
        assert!(detector(serde_json::json!({"keywords": [" "]})).is_err());
        assert!(detector(serde_json::json!({"timestamp_keywords": [""]})).is_err());
        assert!(detector(serde_json::json!({"within": "far"})).is_err());
        assert!(detector(serde_json::json!({"other": 1})).is_err());
        // No keywords: strict, phone cues and all.
        let strict = detector(serde_json::json!({})).expect("defaults");
        assert_eq!(strict.find("Tel: 943 476 5919", None).len(), 1);
        assert_eq!(strict.find("letter_1711401900.pdf", None).len(), 1);
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

    const SEPARATORS: [&str; 9] = [" ", "\t", "\u{a0}", "\u{202f}", "-", "\u{2013}", ".", "_", "/"];

    fn grouped(digits: &str, one: &str, two: &str) -> String {
        format!("{}{one}{}{two}{}", &digits[..3], &digits[3..6], &digits[6..])
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
            one in proptest::sample::select(SEPARATORS.to_vec()),
            two in proptest::sample::select(SEPARATORS.to_vec()),
        ) {
            let mut nine = [first; 9];
            nine[1..].copy_from_slice(&eight);
            let digits: String = nine.iter().chain(std::iter::once(&last)).map(|d| char::from(b'0' + d)).collect();
            // In an issued range (England and Wales, or test): valid exactly when the check
            // digit is, ten equal digits aside.
            let placeholder = nine.iter().all(|d| *d == last);
            let valid = check_digit(&nine) == Some(last) && !placeholder;
            let blank = |s: &str| SEPARATORS[..4].contains(&s);
            // The groups set apart alike: any white space both times, or one punctuation twice.
            let alike = one == two || (blank(one) && blank(two));
            for (written, counts) in [(digits.clone(), true), (grouped(&digits, one, two), alike)] {
                let text = format!("Ref {written}, ok");
                let found: Vec<&str> = find(&text).into_iter().map(|f| &text[f.range]).collect();
                prop_assert_eq!(found.len(), usize::from(valid && counts), "{:?}", text);
                // Part of a longer run of digits, it is never an NHS number.
                let longer = format!("7{written}");
                prop_assert!(find(&longer).is_empty(), "{:?}", longer);
            }
            let longer = format!("{digits}5");
            prop_assert!(find(&longer).is_empty(), "{}", longer);
        }

        #[test]
        fn a_wrapped_line_keeps_the_number(
            eight in proptest::array::uniform8(0u8..10),
            before in 0usize..=3,
            after in 0usize..=3,
            crlf: bool,
            second_gap: bool,
        ) {
            let mut nine = [4u8; 9];
            nine[1..].copy_from_slice(&eight);
            let Some(last) = check_digit(&nine) else { return Ok(()) };
            let digits: String = nine.iter().chain(std::iter::once(&last)).map(|d| char::from(b'0' + d)).collect();
            let wrap = format!("{}{}{}", " ".repeat(before), if crlf { "\r\n" } else { "\n" }, " ".repeat(after));
            let written = if second_gap { grouped(&digits, " ", &wrap) } else { grouped(&digits, &wrap, " ") };
            let text = format!("NHS {written} ok");
            let placeholder = digits.bytes().all(|b| b == b'4');
            let found: Vec<&str> = find(&text).into_iter().map(|f| &text[f.range]).collect();
            prop_assert_eq!(found, if placeholder { vec![] } else { vec![written.as_str()] });
        }
    }
}
