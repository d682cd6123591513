//! "Did you mean `subject`?": the closest known name to a mistyped one (strsim's
//! Jaro-Winkler, as clap does for subcommands), for the help of unknown-name errors.

/// Below this similarity a guess would mislead more than it helps.
const THRESHOLD: f64 = 0.8;

/// The known name closest to `word`, if one is close enough.
pub(crate) fn closest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.trim();
    known
        .into_iter()
        .filter(|k| *k != word)
        .map(|k| (strsim::jaro_winkler(word, k), k))
        .filter(|(score, _)| *score >= THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// A help line: "did you mean `X`?" when a known name is close, then `rest` if any.
pub fn help<'a>(word: &str, known: impl IntoIterator<Item = &'a str>, rest: Option<String>) -> Option<String> {
    match (closest(word, known), rest) {
        (Some(guess), Some(rest)) => Some(format!("did you mean `{guess}`? {rest}")),
        (Some(guess), None) => Some(format!("did you mean `{guess}`?")),
        (None, rest) => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_name_is_suggested_and_a_far_one_is_not() {
        let fields = ["subject", "from.address", "to.address", "body.text"];
        assert_eq!(closest("subjct", fields), Some("subject"));
        assert_eq!(closest("from.adress", fields), Some("from.address"));
        assert_eq!(closest("xyzzy", fields), None);
        assert_eq!(closest("subject", ["subject"]), None, "a known name needs no suggestion");
    }

    #[test]
    fn the_help_puts_the_guess_before_the_list() {
        let help = help("matchs", ["matches", "max"], Some("operators: matches, max".into()));
        assert_eq!(help.as_deref(), Some("did you mean `matches`? operators: matches, max"));
        assert_eq!(super::help("qqq", ["matches"], None), None);
    }
}
