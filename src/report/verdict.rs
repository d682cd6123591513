//! The run's verdict, the first thing the reports for people say: one status and one
//! sentence, worked out from the requirements matrix by the table in docs/reports.md.
//! It never says more than the run saw: what was not read makes it incomplete, and it
//! always names what this run did not check and what is left to attest.

use super::row::{MatrixRow, RequirementVerdict};
use super::{count, plural};
use crate::rules::spec::Verb;

/// The verdict's status, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Paths were not read (or a merge is missing shards), or no requirement was checked.
    Incomplete,
    /// A "must" requirement fails.
    NotCompliant,
    /// Only "should" and "recommended" requirements fail, or recommendations (rules at
    /// `info`) are not followed.
    RecommendationsNotFollowed,
    /// Nothing checked fails.
    CompliantWhereChecked,
}

impl Standing {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Standing::Incomplete => "Incomplete",
            Standing::NotCompliant => "Not compliant",
            Standing::RecommendationsNotFollowed => "Compliant with recommendations not followed",
            Standing::CompliantWhereChecked => "Compliant where checked",
        }
    }

    /// The class the HTML page colours it by.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Standing::Incomplete => "incomplete",
            Standing::NotCompliant => "failing",
            Standing::RecommendationsNotFollowed => "advice",
            Standing::CompliantWhereChecked => "checked",
        }
    }
}

pub(crate) struct Verdict {
    pub(crate) standing: Standing,
    /// `Not compliant: 3 requirements failing (M4, P1, M5) in 60 of 106 messages; ...`
    pub(crate) sentence: String,
}

/// What the verdict needs of the run besides the matrix.
pub(crate) struct Reach {
    /// Messages checked, and how many of them have findings.
    pub(crate) messages: usize,
    pub(crate) with_findings: usize,
    /// Paths not read (a missing shard is one).
    pub(crate) unread: usize,
}

/// Requirement ids named in the sentence at most; the matrix lists them all.
const NAMED: usize = 8;

impl Verdict {
    pub(crate) fn of(rows: &[MatrixRow], reach: &Reach) -> Verdict {
        let ids = |keep: &dyn Fn(&MatrixRow) -> bool| -> Vec<&str> {
            rows.iter().filter(|r| keep(r)).map(|r| r.id.as_str()).collect()
        };
        let musts = ids(&|r| r.verdict == RequirementVerdict::Failing && r.verb == Verb::Must);
        let advice = ids(&|r| {
            r.verdict == RequirementVerdict::RecommendationNotFollowed
                || r.verdict == RequirementVerdict::Failing && r.verb != Verb::Must
        });
        let unchecked = rows.iter().filter(|r| r.verdict.is_unchecked()).count();
        let open = rows.iter().filter(|r| r.verdict == RequirementVerdict::Open).count();
        let checked = rows.iter().any(|r| r.verdict.is_settled());

        let standing = if reach.unread > 0 || !checked {
            Standing::Incomplete
        } else if !musts.is_empty() {
            Standing::NotCompliant
        } else if !advice.is_empty() {
            Standing::RecommendationsNotFollowed
        } else {
            Standing::CompliantWhereChecked
        };
        let mut parts = Vec::new();
        if reach.unread > 0 {
            parts
                .push(format!("{} could not be read, so what they hold was not checked", plural(reach.unread, "path")));
        }
        if !checked {
            parts.push("no requirement was checked".to_owned());
        }
        if !musts.is_empty() {
            let mut failing = format!("{} failing ({})", plural(musts.len(), "requirement"), named(&musts));
            if reach.messages > 0 {
                failing.push_str(&format!(
                    " in {} of {}",
                    count(reach.with_findings),
                    plural(reach.messages, "message")
                ));
            }
            parts.push(failing);
        }
        if !advice.is_empty() {
            parts.push(format!("{} not followed ({})", plural(advice.len(), "recommendation"), named(&advice)));
        }
        if musts.is_empty() && advice.is_empty() && checked {
            parts.push("every requirement checked is met".to_owned());
        }
        parts.push(format!("{} not checked in this run", plural(unchecked, "requirement")));
        parts.push(format!("{} to attest", plural(open, "requirement")));
        Verdict { standing, sentence: format!("{}: {}.", standing.label(), parts.join("; ")) }
    }
}

impl Verdict {
    /// The sentence without its status, for a page that shows the status above it.
    pub(crate) fn detail(&self) -> &str {
        let label = self.standing.label();
        self.sentence.strip_prefix(label).and_then(|rest| rest.strip_prefix(": ")).unwrap_or(&self.sentence)
    }
}

fn named(ids: &[&str]) -> String {
    match ids.len() {
        n if n <= NAMED => ids.join(", "),
        n => format!("{} and {} more", ids[..NAMED].join(", "), count(n - NAMED)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, verb: Verb, verdict: RequirementVerdict) -> MatrixRow {
        let checked = matches!(
            verdict,
            RequirementVerdict::Compliant | RequirementVerdict::Failing | RequirementVerdict::RecommendationNotFollowed
        )
        .then_some(106);
        MatrixRow {
            id: id.into(),
            verb,
            sentence: String::new(),
            verdict,
            checked,
            failing: None,
            percent: None,
            note: String::new(),
            change: None,
        }
    }

    const READ: Reach = Reach { messages: 106, with_findings: 60, unread: 0 };

    #[test]
    fn a_failing_must_is_not_compliant_and_names_what_was_not_checked() {
        use RequirementVerdict::*;
        let rows = [
            row("M4", Verb::Must, Failing),
            row("R4", Verb::Should, Failing),
            row("M1", Verb::Must, Compliant),
            row("C1", Verb::Must, NoSetup),
            row("A2", Verb::Must, NotChecked),
            row("C10", Verb::Must, Open),
            row("C4", Verb::Must, NotApplicable),
        ];
        let verdict = Verdict::of(&rows, &READ);
        assert_eq!(verdict.standing, Standing::NotCompliant);
        assert!(verdict.detail().starts_with("1 requirement failing"), "{}", verdict.detail());
        assert_eq!(
            verdict.sentence,
            "Not compliant: 1 requirement failing (M4) in 60 of 106 messages; 1 recommendation not followed (R4); \
             2 requirements not checked in this run; 1 requirement to attest."
        );
    }

    #[test]
    fn only_shoulds_failing_is_compliant_with_recommendations_not_followed() {
        use RequirementVerdict::*;
        let rows = [row("R4", Verb::Should, Failing), row("M1", Verb::Must, Compliant)];
        assert_eq!(Verdict::of(&rows, &READ).standing, Standing::RecommendationsNotFollowed);
        let advice = [row("M3", Verb::Must, RecommendationNotFollowed), row("M1", Verb::Must, Compliant)];
        assert_eq!(Verdict::of(&advice, &READ).standing, Standing::RecommendationsNotFollowed);
    }

    #[test]
    fn nothing_failing_is_compliant_only_where_checked() {
        use RequirementVerdict::*;
        let rows = [row("M1", Verb::Must, Compliant), row("C1", Verb::Must, NoSetup)];
        let verdict = Verdict::of(&rows, &READ);
        assert_eq!(verdict.standing, Standing::CompliantWhereChecked);
        assert_eq!(
            verdict.sentence,
            "Compliant where checked: every requirement checked is met; 1 requirement not checked in this run; \
             0 requirements to attest."
        );
    }

    #[test]
    fn a_path_not_read_or_nothing_checked_is_incomplete_whatever_failed() {
        use RequirementVerdict::*;
        let rows = [row("M4", Verb::Must, Failing)];
        let verdict = Verdict::of(&rows, &Reach { unread: 2, ..READ });
        assert_eq!(verdict.standing, Standing::Incomplete);
        assert!(verdict.sentence.starts_with("Incomplete: 2 paths could not be read"), "{}", verdict.sentence);
        assert!(verdict.sentence.contains("1 requirement failing (M4)"), "what failed is still said");
        let none = [row("C1", Verb::Must, NoSetup), row("C10", Verb::Must, Open)];
        let verdict = Verdict::of(&none, &Reach { messages: 0, with_findings: 0, unread: 0 });
        assert_eq!(verdict.standing, Standing::Incomplete);
        assert!(verdict.sentence.contains("no requirement was checked"), "{}", verdict.sentence);
    }

    #[test]
    fn many_failing_requirements_are_named_up_to_a_bound_and_counts_are_separated() {
        let ids: Vec<String> = (1..=10).map(|n| format!("M{n}")).collect();
        let rows: Vec<MatrixRow> = ids.iter().map(|id| row(id, Verb::Must, RequirementVerdict::Failing)).collect();
        let sentence = Verdict::of(&rows, &Reach { messages: 5000, with_findings: 1200, unread: 0 }).sentence;
        assert!(
            sentence.contains(
                "10 requirements failing (M1, M2, M3, M4, M5, M6, M7, M8 and 2 more) in 1,200 of 5,000 messages"
            ),
            "{sentence}"
        );
    }
}
