//! A rule's regular expression (`matches`, `not_matches`), built when a message first
//! needs it or when its pack loads. Building every pattern of the built-in pack was a
//! large share of a one-template run; those patterns are proven to build by a unit test,
//! so they wait. A pattern a user wrote, or one that interpolates the configuration, is
//! built at load, where its error can point at the line.

use std::sync::OnceLock;

use regex::Regex;

#[derive(Debug)]
pub(crate) struct Pattern {
    text: String,
    regex: OnceLock<Regex>,
}

impl Pattern {
    /// Built now: an error is the caller's to report.
    pub(crate) fn now(text: String) -> Result<Pattern, regex::Error> {
        let regex = build(&text)?;
        Ok(Pattern { text, regex: OnceLock::from(regex) })
    }

    /// Built at its first match; `text` must be known to build (the built-in pack's own).
    pub(crate) fn deferred(text: String) -> Pattern {
        Pattern { text, regex: OnceLock::new() }
    }

    /// The expression as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.regex
            .get_or_init(|| build(&self.text).expect("the built-in pack's patterns build (rules::tests)"))
            .is_match(text)
    }

    /// Builds it if it is not built yet: for the test that proves the deferred ones.
    #[cfg(test)]
    pub(crate) fn build(&self) -> Result<(), regex::Error> {
        if self.regex.get().is_none() {
            let _ = self.regex.set(build(&self.text)?);
        }
        Ok(())
    }
}

fn build(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern).size_limit(1 << 20).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deferred_pattern_matches_as_one_built_now() {
        let now = Pattern::now("(?i)^re:".to_owned()).expect("valid");
        let later = Pattern::deferred("(?i)^re:".to_owned());
        for text in ["RE: results", "Results", "re:"] {
            assert_eq!(later.is_match(text), now.is_match(text), "{text}");
        }
    }

    #[test]
    fn a_pattern_over_the_size_limit_is_refused() {
        assert!(Pattern::now(r"\w{1000}\w{1000}".to_owned()).is_err());
        assert!(Pattern::deferred("(".to_owned()).build().is_err());
    }
}
