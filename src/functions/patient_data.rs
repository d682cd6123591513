//! `patient_data`: patient-identifiable data other than an NHS number, for the places P1
//! keeps it out of (the Subject, attachment names). Three kinds:
//!
//! - a date of birth: a keyword (`DOB`, `D.O.B.`, `date of birth`, `birth date`, `born`;
//!   a whole word, any case) then, a few words on at most, a date in a common form
//!   (`01/02/1960`, `01.02.60`, `1960-02-01`, `1st February 1960`, `01FEB1960`...);
//! - a hospital number: a keyword (`MRN`, `hospital number`, `hosp no`, `medical record
//!   number`, `case note number`) then an identifier of six or more letters and digits,
//!   at least one a digit;
//! - a template placeholder whose name says it holds patient data (the `placeholders`
//!   option), or any placeholder standing where one of those keywords puts the value.
//!
//! A keyword alone, a date alone and a keyword before something that is not a date or an
//! identifier are not patient data: an appointment date in a Subject is fine.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::{Detector, Finding, FunctionOption, placeholder, typed};
use crate::online::Services;

pub(crate) const OPTIONS: &[FunctionOption] =
    &[FunctionOption { name: "placeholders", kind: "a list of words or phrases" }];

const DEFAULT_PLACEHOLDERS: &[&str] = &[
    "nhs_number",
    "nhsno",
    "dob",
    "date_of_birth",
    "birth",
    "birthdate",
    "birthday",
    "mrn",
    "hospital_number",
    "hospital_no",
    "chi",
    "patient name",
    "patient surname",
    "patient forename",
    "patient firstname",
    "patient lastname",
    "patient fullname",
    "patient address",
    "patient postcode",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    placeholders: Option<Vec<String>>,
}

/// `patient_data` compiled: the placeholder names, each as the words (lower case, with
/// no separators) a name must hold.
#[derive(Debug)]
struct PatientData {
    placeholders: Vec<Vec<String>>,
}

pub(crate) fn detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
    let options = typed::<Options>(options)?;
    let names = options.placeholders.unwrap_or_else(|| DEFAULT_PLACEHOLDERS.iter().map(|s| s.to_string()).collect());
    let mut placeholders = Vec::with_capacity(names.len());
    for name in names {
        let words: Vec<String> = name.split_whitespace().map(|w| segments(w).concat()).collect();
        if words.is_empty() || words.iter().any(String::is_empty) {
            return Err(serde::de::Error::custom(format!("placeholder name `{name}` has no letters or digits")));
        }
        placeholders.push(words);
    }
    Ok(Box::new(PatientData { placeholders }))
}

impl Detector for PatientData {
    fn find(&self, value: &str, _: Option<&Services>) -> Vec<Finding> {
        let placeholders: Vec<Range<usize>> = placeholder::find(value).into_iter().map(|f| f.range).collect();
        let mut out: Vec<Finding> = placeholders
            .iter()
            .filter_map(|range| {
                let name = self.patient_name(&value[range.clone()])?;
                Some(Finding { detail: Some(format!("a placeholder named {name}")), ..Finding::at(range.clone()) })
            })
            .collect();
        for kind in [&DATE_OF_BIRTH, &HOSPITAL_NUMBER] {
            for finding in kind.find(value, &placeholders) {
                if !out.iter().any(|f| f.range.start < finding.range.end && finding.range.start < f.range.end) {
                    out.push(finding);
                }
            }
        }
        out.sort_by_key(|f| f.range.start);
        out
    }
}

impl PatientData {
    /// The name in `placeholder` that says it holds patient data, if one does. Each
    /// dotted name is judged alone (`{{ clinic.name }} {{ patient.id }}` holds no
    /// patient name), filters and tags aside (`{% if patient.dob %}` is patient.dob).
    fn patient_name<'a>(&self, placeholder: &'a str) -> Option<&'a str> {
        placeholder
            .split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .map(|name| name.trim_matches(['.', '-']))
            .find(|name| {
                let segments = segments(name);
                self.placeholders.iter().any(|words| words.iter().all(|w| holds(&segments, w)))
            })
    }
}

/// A name's segments in lower case, split at `.`, `_`, `-` (anything not a letter or
/// digit), between a lower-case letter or digit and a capital (`nhsNumber`), before the
/// last capital of a run followed by a lower-case letter (`NHSNumber`), and between
/// letters and digits (`address2`).
fn segments(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            out.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            continue;
        }
        if let Some(&previous) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let camel = c.is_uppercase()
                && (previous.is_lowercase() || previous.is_numeric() || (previous.is_uppercase() && next_lower));
            let digits = c.is_numeric() != previous.is_numeric() && previous.is_alphanumeric();
            if (camel || digits) && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    out.extend((!current.is_empty()).then_some(current));
    out
}

/// Whether some run of consecutive segments spells `word` (`nhs` `number` spells
/// nhsnumber; `children` never spells chi).
fn holds(segments: &[String], word: &str) -> bool {
    (0..segments.len()).any(|start| {
        let mut spelt = String::new();
        segments[start..].iter().any(|s| {
            spelt.push_str(s);
            spelt == word
        })
    })
}

/// A keyword and what must follow it for the pair to be patient data.
struct Kind {
    keyword: LazyLock<Regex>,
    /// The length of the value starting the text, if one does.
    value: fn(&str) -> Option<usize>,
    /// How many words may stand between the keyword and the value, and which (`None`:
    /// any word of letters).
    words: fn(&str) -> (usize, Option<&'static [&'static str]>),
    /// What the value is, with an article: `a date of birth`.
    what: &'static str,
}

static DATE_OF_BIRTH: Kind = Kind {
    keyword: LazyLock::new(|| {
        Regex::new(r"(?i)d\.?o\.?b\.?|date[\s_.\-]*of[\s_.\-]*birth|birth[\s_.\-]*date|born").expect("valid regex")
    }),
    value: date_length,
    // `born` is also "born in Leeds", "newly born babies": only `born on the ...`.
    words: |keyword| if keyword.eq_ignore_ascii_case("born") { (2, Some(&["on", "the"][..])) } else { (3, None) },
    what: "a date of birth",
};

static HOSPITAL_NUMBER: Kind = Kind {
    keyword: LazyLock::new(|| {
        Regex::new(concat!(
            r"(?i)m\.?r\.?n\.?",
            r"|(?:hosp(?:ital)?|medical[\s_.\-]*records?|case[\s_.\-]*notes?)\.?[\s_.\-]*(?:number|num|no)\.?",
        ))
        .expect("valid regex")
    }),
    value: identifier_length,
    words: |_| (0, None),
    what: "a hospital number",
};

impl Kind {
    /// Each value that follows one of this kind's keywords, or a placeholder (of
    /// `placeholders`) standing right after a keyword, where the value would go.
    fn find(&self, text: &str, placeholders: &[Range<usize>]) -> Vec<Finding> {
        let mut out = Vec::new();
        for keyword in self.keyword.find_iter(text) {
            let before = text[..keyword.start()].chars().next_back();
            let after = text[keyword.end()..].chars().next();
            // A whole word: `adobe` and `Dobson` hold no DOB; a digit may follow in a
            // file name (`MRN123456.pdf`).
            if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphabetic) {
                continue;
            }
            let (most, allowed) = (self.words)(keyword.as_str());
            let mut at = keyword.end();
            let mut words = 0;
            loop {
                at += separators(&text[at..]);
                if let Some(length) = (self.value)(&text[at..]) {
                    let value = &text[at..at + length];
                    let detail = format!("the {} {value}", self.what.trim_start_matches("a "));
                    out.push(Finding { detail: Some(detail), ..Finding::at(at..at + length) });
                    break;
                }
                if let Some(range) = placeholders.iter().find(|r| r.start == at).filter(|_| words == 0) {
                    let detail = format!("a placeholder for {} (after `{}`)", self.what, keyword.as_str());
                    out.push(Finding { detail: Some(detail), ..Finding::at(range.clone()) });
                    break;
                }
                let word = text[at..].split(|c: char| !c.is_alphabetic()).next().unwrap_or("");
                let fits = allowed.is_none_or(|list| list.iter().any(|w| w.eq_ignore_ascii_case(word)));
                if word.is_empty() || words == most || !fits {
                    break;
                }
                at += word.len();
                words += 1;
            }
        }
        out
    }
}

/// The length of the white space and punctuation starting `text` that may stand between
/// a keyword and its value (`DOB: `, `MRN# `, `Hosp. No. - `, `dob_`), not the start of
/// a placeholder.
fn separators(text: &str) -> usize {
    text.find(|c: char| !(c.is_whitespace() || ":#.=-–—_,;()[]/".contains(c))).unwrap_or(text.len())
}

/// Six or more letters and digits, at least one a digit: a hospital number.
fn identifier_length(text: &str) -> Option<usize> {
    let length = text.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(text.len());
    let id = &text[..length];
    (length >= 6 && id.bytes().any(|b| b.is_ascii_digit())).then_some(length)
}

const MONTH: &str = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

/// The forms of a date, each anchored at the start of the text; the numbers are judged
/// after (the regex crate has no back-references for "the same separator twice").
static DATE_FORMS: LazyLock<[(Form, Regex); 5]> = LazyLock::new(|| {
    let regex = |pattern: String| Regex::new(&format!(r"(?i)\A(?:{pattern})")).expect("valid regex");
    let ordinal = r"(?:st|nd|rd|th)?";
    let gap = r"[\s\-/.,_]*";
    [
        (Form::DayMonthYear, regex(r"(\d{1,2})([/.\-])(\d{1,2})([/.\-])(\d{4}|\d{2})".into())),
        (Form::YearMonthDay, regex(r"(\d{4})([/.\-])(\d{1,2})([/.\-])(\d{1,2})".into())),
        (Form::DayNameYear, regex(format!(r"(\d{{1,2}}){ordinal}{gap}(?:of\s+)?({MONTH})\.?{gap}(\d{{4}}|\d{{2}})"))),
        // A separator before the year, so `Feb 1960` is not the 19th of February 60.
        (Form::NameDayYear, regex(format!(r"({MONTH})\.?{gap}(\d{{1,2}}){ordinal}[\s\-/.,_]+(\d{{4}}|\d{{2}})"))),
        (Form::Compact, regex(r"\d{8}|\d{6}".into())),
    ]
});

#[derive(Clone, Copy)]
enum Form {
    /// `01/02/1960`, `1.2.60`, `02-13-1960` (either order of day and month).
    DayMonthYear,
    /// `1960-02-01`.
    YearMonthDay,
    /// `1 Feb 1960`, `1st of February 1960`, `01-FEB-60`.
    DayNameYear,
    /// `February 1st, 1960`.
    NameDayYear,
    /// `01021960`, `010260`, `19600201`.
    Compact,
}

/// The length of the date starting `text`, if one does (and is not followed by more
/// digits or letters: `01/02/19601`, `1 Feb 1960s` are not dates).
fn date_length(text: &str) -> Option<usize> {
    DATE_FORMS.iter().find_map(|(form, regex)| {
        let caps = regex.captures(text)?;
        let whole = caps.get(0).expect("the match");
        let number = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let valid = match form {
            Form::DayMonthYear => {
                let (a, b) = (number(1)?, number(3)?);
                caps[2] == caps[4] && (day_month(a, b) || day_month(b, a)) && year(&caps[5])
            }
            Form::YearMonthDay => caps[2] == caps[4] && day_month(number(5)?, number(3)?) && year(&caps[1]),
            Form::DayNameYear => (1..=31).contains(&number(1)?) && year(&caps[3]),
            Form::NameDayYear => (1..=31).contains(&number(2)?) && year(&caps[3]),
            Form::Compact => {
                let d = whole.as_str();
                let n = |r: Range<usize>| d[r].parse::<u32>().ok();
                let day_first = day_month(n(0..2)?, n(2..4)?) && year(&d[4..]);
                let year_first = d.len() == 8 && year(&d[..4]) && day_month(n(6..8)?, n(4..6)?);
                day_first || year_first
            }
        };
        let ends = !text[whole.end()..].starts_with(|c: char| c.is_alphanumeric());
        (valid && ends).then_some(whole.end())
    })
}

fn day_month(day: u32, month: u32) -> bool {
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// A year someone alive was born in: two digits, or 1850 to 2099.
fn year(text: &str) -> bool {
    text.len() == 2 || text.parse::<u32>().is_ok_and(|y| (1850..=2099).contains(&y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found_with(options: serde_json::Value, text: &str) -> Vec<(String, String)> {
        let detector = detector(options).expect("options");
        let found = detector.find(text, None);
        found.into_iter().map(|f| (text[f.range].to_owned(), f.detail.expect("a detail"))).collect()
    }

    fn found(text: &str) -> Vec<(String, String)> {
        found_with(serde_json::json!({}), text)
    }

    fn values(text: &str) -> Vec<String> {
        found(text).into_iter().map(|(value, _)| value).collect()
    }

    #[test]
    fn a_date_of_birth_after_its_keyword_in_any_common_form() {
        assert_eq!(found("Results DOB 01/02/1960"), [("01/02/1960".into(), "the date of birth 01/02/1960".into())]);
        for (text, date) in [
            ("dob: 01.02.60", "01.02.60"),
            ("D.O.B. 1-2-1960", "1-2-1960"),
            ("Patient (D.O.B 02/13/1960)", "02/13/1960"),
            ("Date of birth 1 Feb 1960", "1 Feb 1960"),
            ("date of birth: 1st February 1960", "1st February 1960"),
            ("DOB 1960-02-01", "1960-02-01"),
            ("born 1st of Feb. 1960", "1st of Feb. 1960"),
            ("born on the 1st February 1960", "1st February 1960"),
            ("Birth date: February 1st, 1960", "February 1st, 1960"),
            ("DOB (dd/mm/yyyy) 01/02/1960", "01/02/1960"),
            ("DOB is 01-FEB-1960", "01-FEB-1960"),
            ("letter_DOB_01021960.pdf", "01021960"),
            ("letter-dob01.02.1960.pdf", "01.02.1960"),
            ("date_of_birth-19600201.pdf", "19600201"),
        ] {
            assert_eq!(values(text), [date], "{text}");
        }
    }

    #[test]
    fn a_date_or_a_keyword_alone_is_not_a_date_of_birth() {
        for text in [
            "Appointment 01/02/2027",
            "Bring your DOB",
            "Bring your DOB to the clinic",
            "Newly born babies clinic 01/02/2027",
            "born in Leeds, seen 01/02/2027",
            "DOB 12345",
            "DOB 123456",
            "DOB 1960",
            "DOB 31/13/1960",
            "DOB 01/02-1960",
            "DOB 01/02/19601",
            "DOB Feb 1960",
            "Adobe update 01/02/2027",
            "Dobson 01/02/1960",
            "DOB of the patient is required, appointment 01/02/2027",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn a_hospital_number_after_its_keyword() {
        assert_eq!(found("MRN: K1234567"), [("K1234567".into(), "the hospital number K1234567".into())]);
        for (text, id) in [
            ("mrn#123456", "123456"),
            ("Hospital number RTH0012345", "RTH0012345"),
            ("Results, Hosp. No. 1234567", "1234567"),
            ("hospital no: A123456", "A123456"),
            ("M.R.N. 00123456", "00123456"),
            ("Medical record number 7654321", "7654321"),
            ("case note no 998877", "998877"),
            ("MRN123456_results.pdf", "123456"),
            ("letter_hospital_number_K123456.pdf", "K123456"),
        ] {
            assert_eq!(values(text), [id], "{text}");
        }
    }

    #[test]
    fn a_keyword_without_an_identifier_is_not_a_hospital_number() {
        for text in [
            "MRN",
            "Your MRN",
            "MRN 12345",
            "hospital number required",
            "Hospital no longer open",
            "hospital number ABCDEFG",
            "Hospital numbers 123456",
            "hospitality no 123456",
            "mrna vaccine 123456",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn a_placeholder_named_for_patient_data() {
        assert_eq!(
            found("Results for {{ patient.nhs_number }}"),
            [("{{ patient.nhs_number }}".into(), "a placeholder named patient.nhs_number".into())]
        );
        for (text, name) in [
            ("${patient.dob}", "patient.dob"),
            ("{{ patient.date_of_birth | date }}", "patient.date_of_birth"),
            ("{% if patientDOB %}", "patientDOB"),
            ("{{NHSNumber}}", "NHSNumber"),
            ("{{ nhsno }}", "nhsno"),
            ("{{ pt.chi_number }}", "pt.chi_number"),
            ("{{ patient.last_name }}", "patient.last_name"),
            ("{{ patientSurname }}", "patientSurname"),
            ("{{ patient_forename }}", "patient_forename"),
            ("{{ hospitalNumber }}", "hospitalNumber"),
            ("{{ birthDate }}", "birthDate"),
            ("{{ format(patient.mrn) }}", "patient.mrn"),
        ] {
            assert_eq!(found(text), [(text.to_owned(), format!("a placeholder named {name}"))], "{text}");
        }
        for text in [
            "{{ clinic.name }}",
            "{{ patient.appointment_time }}",
            "{{ children.count }}",
            "{{ machine.id }}",
            "{{ first_name }}",
            "{{ clinic.name }} for {{ patient.id }}",
            "{{ rebirth }}",
            "{{ dobbin }}",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn a_placeholder_where_a_keyword_puts_its_value() {
        assert_eq!(
            found("DOB: {{ x }}"),
            [("{{ x }}".into(), "a placeholder for a date of birth (after `DOB`)".into())]
        );
        assert_eq!(values("MRN {{ patient.ref }}"), ["{{ patient.ref }}"]);
        // Not when words stand between: the placeholder is something else.
        assert!(found("Bring your DOB to {{ clinic.name }}").is_empty());
        // A placeholder named for patient data after a keyword is one finding.
        assert_eq!(values("DOB {{ patient.dob }}"), ["{{ patient.dob }}"]);
    }

    #[test]
    fn the_placeholder_names_are_an_option() {
        let options = serde_json::json!({"placeholders": ["ward", "patient.room-number"]});
        assert_eq!(found_with(options.clone(), "{{ Ward }}").len(), 1);
        assert_eq!(found_with(options.clone(), "{{ patientRoomNumber }}").len(), 1);
        assert!(found_with(options.clone(), "{{ patient.room }}").is_empty());
        assert!(found_with(options, "{{ patient.nhs_number }}").is_empty(), "the list replaces the default");
        assert!(detector(serde_json::json!({"placeholders": ["..."]})).is_err());
        assert!(detector(serde_json::json!({"placeholders": [""]})).is_err());
        assert!(detector(serde_json::json!({"other": 1})).is_err());
    }

    #[test]
    fn names_split_into_segments() {
        assert_eq!(segments("patient.nhsNumber"), ["patient", "nhs", "number"]);
        assert_eq!(segments("NHSNumber"), ["nhs", "number"]);
        assert_eq!(segments("address2_line"), ["address", "2", "line"]);
        assert!(holds(&segments("nhs-number"), "nhsnumber"));
        assert!(!holds(&segments("children"), "chi"));
    }

    #[test]
    fn every_kind_in_one_value_in_order() {
        let text = "DOB 01/02/1960 MRN K123456 {{ patient.nhs_number }}";
        assert_eq!(values(text), ["01/02/1960", "K123456", "{{ patient.nhs_number }}"]);
    }
}
