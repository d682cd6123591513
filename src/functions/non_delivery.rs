//! `non_delivery_address`: an address that matches one of the rule's regular
//! expressions (any case): the pack's own list of non-delivery forms (`patterns`) and
//! those a user adds in nhsmail-lint.yaml (`extra`, `${config.non_delivery}`), so a
//! trust extends the list without Rust. An address with a quoted local part is matched
//! as written and without its quotes (`"no reply"@nhs.net` as `no reply@nhs.net`), so a
//! pattern finds the words it names. One finding for the whole value, however many
//! patterns match it.

use regex_automata::meta::Regex;
use serde::Deserialize;

use super::{Detector, Finding, FunctionOption, typed};
use crate::mail::address;
use crate::online::Services;

pub(crate) const OPTIONS: &[FunctionOption] = &[
    FunctionOption { name: "patterns", kind: "a list of regular expressions" },
    FunctionOption { name: "extra", kind: "a list of regular expressions" },
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    extra: Vec<String>,
}

/// Any of the patterns, as one regular expression.
#[derive(Debug)]
struct NonDelivery(Regex);

pub(crate) fn detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
    let options = typed::<Options>(options)?;
    let all: Vec<String> = options.patterns.iter().chain(&options.extra).map(|p| format!("(?i:{p})")).collect();
    // Without a prefilter: it is matched against one address a message, and building
    // one for these case-insensitive alternatives took a fifth of start-up. The lazy DFA
    // stays: without it the backtracker took 30,000 instructions a message (a fifth of a
    // small message's check) to save 0.3 M once.
    let any = Regex::builder().configure(Regex::config().auto_prefilter(false)).build_many(&all).map_err(|e| {
        // The cause, with the pattern and a caret under the fault, as the regex crate shows it.
        let why = match (e.syntax_error(), e.size_limit()) {
            (Some(syntax), _) => syntax.to_string(),
            (None, Some(limit)) => format!("it compiles to more than the limit of {limit} bytes"),
            (None, None) => e.to_string(),
        };
        serde::de::Error::custom(format!("a pattern is not a regex: {why}"))
    })?;
    Ok(Box::new(NonDelivery(any)))
}

impl Detector for NonDelivery {
    fn find(&self, value: &str, _: Option<&Services>) -> Vec<Finding> {
        let unquoted = address::unquoted(value);
        if self.0.is_match(value) || unquoted.is_some_and(|u| self.0.is_match(&u)) {
            vec![Finding::at(0..value.len())]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_pattern_any_case_one_finding() {
        let options = serde_json::json!({"patterns": ["^noreply@"], "extra": ["^robot@", "^no"]});
        let detector = detector(options).expect("options");
        assert_eq!(detector.find("NoReply@nhs.net", None).len(), 1, "two patterns, one finding");
        assert_eq!(detector.find("robot@nhs.net", None).len(), 1);
        assert!(detector.find("results@nhs.net", None).is_empty());
        // A quoted local part is matched without its quotes too.
        let spaced = super::detector(serde_json::json!({"patterns": ["^no[ .]reply@"]})).expect("options");
        assert_eq!(spaced.find("\"no reply\"@nhs.net", None).len(), 1);
        assert_eq!(spaced.find("\"No.Reply\"@nhs.net", None).len(), 1);
        assert!(spaced.find("\"no replies\"@nhs.net", None).is_empty());
        let error = super::detector(serde_json::json!({"extra": ["(a"]})).expect_err("not a regex").to_string();
        assert!(error.contains("(?i:(a)") && error.contains("unclosed group"), "{error}");
        let huge = super::detector(serde_json::json!({"patterns": ["\\w{1000}{1000}"]})).expect_err("too large");
        assert!(huge.to_string().contains("more than the limit"), "{huge}");
    }
}
