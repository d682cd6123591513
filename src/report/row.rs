//! One requirement's row of the run's matrix, in words: what the run found of it (messages
//! checked and failing, the set-up's result, an attestation, or why it was not checked)
//! and the verdict the row gives, which the run's verdict and both reports read.

use std::collections::HashMap;
use std::sync::Arc;

use super::coverage::{Exceptions, Status};
use super::tally::Tally;
use crate::rules::spec::Verb;

/// One requirement's row of the run's matrix, in words.
#[derive(Clone)]
pub(crate) struct MatrixRow {
    pub(crate) id: String,
    pub(crate) verb: Verb,
    pub(crate) sentence: String,
    pub(crate) verdict: RequirementVerdict,
    pub(crate) checked: Option<usize>,
    pub(crate) failing: Option<usize>,
    /// Percent compliant, one decimal.
    pub(crate) percent: Option<String>,
    /// What the row says besides (the set-up's result, an attestation, why unchecked).
    pub(crate) note: String,
    /// `--compare`: the change in share compliant since the earlier report (`+4.0 pts`).
    pub(crate) change: Option<String>,
}

/// What a matrix row says of its requirement, in the order the summary counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RequirementVerdict {
    /// Every message its rules checked passed, and the set-up checks made passed.
    Compliant,
    /// As `Compliant`, but `ignore:` switched one of its rules off on some paths: those
    /// messages were not checked for it.
    CompliantWhereChecked,
    /// Nothing failing, but a recommendation (a rule at `info`) is not followed: advice,
    /// not non-compliance.
    RecommendationNotFollowed,
    Failing,
    Attested,
    Open,
    NotChecked,
    /// Only set-up rules check it, and the run has no sending set-up.
    NoSetup,
    NotApplicable,
}

impl RequirementVerdict {
    /// The row's class in the HTML page.
    pub(crate) fn class(self) -> &'static str {
        match self {
            RequirementVerdict::Compliant | RequirementVerdict::CompliantWhereChecked => "checked",
            RequirementVerdict::RecommendationNotFollowed => "advice",
            RequirementVerdict::Failing => "failing",
            RequirementVerdict::Attested => "attested",
            RequirementVerdict::Open => "open",
            RequirementVerdict::NotChecked | RequirementVerdict::NoSetup => "not-checked",
            RequirementVerdict::NotApplicable => "not-applicable",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            RequirementVerdict::Compliant => "compliant",
            RequirementVerdict::CompliantWhereChecked => "compliant where checked",
            RequirementVerdict::RecommendationNotFollowed => "recommendation not followed",
            RequirementVerdict::Failing => "failing",
            RequirementVerdict::Attested => "attested",
            RequirementVerdict::Open => "to attest",
            RequirementVerdict::NotChecked => "not checked in this run",
            RequirementVerdict::NoSetup => "not checked: no sending set-up",
            RequirementVerdict::NotApplicable => "not applicable",
        }
    }

    /// This run did not check it.
    pub(crate) fn is_unchecked(self) -> bool {
        matches!(self, RequirementVerdict::NotChecked | RequirementVerdict::NoSetup)
    }

    /// Judged, by the run's rules or a person's attestation.
    pub(crate) fn is_settled(self) -> bool {
        !self.is_unchecked() && !matches!(self, RequirementVerdict::Open | RequirementVerdict::NotApplicable)
    }
}

/// `unchecked`: messages its rules could not read (not messages at all), left out of `messages`.
pub(super) fn matrix_row(
    row: &super::coverage::Row,
    tally: &Tally,
    messages: usize,
    unchecked: usize,
    exceptions: &Exceptions,
) -> MatrixRow {
    let mut out = MatrixRow {
        id: row.id.clone(),
        verb: row.verb,
        sentence: row.sentence.clone(),
        verdict: RequirementVerdict::Compliant,
        checked: None,
        failing: None,
        percent: None,
        note: String::new(),
        change: None,
    };
    match &row.status {
        Status::Checked { message_rules, setup_rules, to_attest } => {
            let mut notes = Vec::new();
            if !message_rules.is_empty() {
                let failing = tally.failing.get(row.id.as_str()).copied().unwrap_or(0);
                let messages = messages.saturating_sub(unchecked);
                out.checked = Some(messages);
                out.failing = Some(failing);
                if messages > 0 {
                    let percent = (messages - failing.min(messages)) as f64 * 100.0 / messages as f64;
                    out.percent = Some(format!("{:.1}%", (percent * 10.0).floor() / 10.0));
                }
                let advised = tally.advised.get(row.id.as_str()).copied().unwrap_or(0);
                if failing > 0 {
                    out.verdict = RequirementVerdict::Failing;
                } else if advised > 0 {
                    out.verdict = RequirementVerdict::RecommendationNotFollowed;
                    notes.push(format!("{advised} message(s) do not follow it"));
                } else if messages == 0 {
                    // Rules that had nothing to read checked nothing.
                    out.verdict = RequirementVerdict::NotChecked;
                    notes.push("no message to check".into());
                }
                notes.push(format!("by {}", message_rules.join(", ")));
                if unchecked > 0 {
                    notes.push(format!("{unchecked} file(s) not checked: not messages, or not read"));
                }
                let ignored: Vec<String> = exceptions
                    .ignores
                    .iter()
                    .flat_map(|(glob, rules)| {
                        rules.iter().filter(|r| message_rules.contains(r)).map(move |r| format!("{r} on `{glob}`"))
                    })
                    .collect();
                if !ignored.is_empty() {
                    if out.verdict == RequirementVerdict::Compliant {
                        out.verdict = RequirementVerdict::CompliantWhereChecked;
                    }
                    notes.push(format!("not checked where `ignore:` switches off {}", ignored.join(", ")));
                }
            }
            if !setup_rules.is_empty() {
                let count = |counts: &HashMap<Arc<str>, usize>| counts.get(row.id.as_str()).copied().unwrap_or(0);
                match (count(&tally.setup), count(&tally.setup_unsure)) {
                    (0, 0) if count(&tally.setup_advice) > 0 => {
                        if matches!(
                            out.verdict,
                            RequirementVerdict::Compliant | RequirementVerdict::CompliantWhereChecked
                        ) {
                            out.verdict = RequirementVerdict::RecommendationNotFollowed;
                        }
                        let n = count(&tally.setup_advice);
                        notes.push(format!("set-up: {n} recommendation(s) not followed ({})", setup_rules.join(", ")));
                    }
                    (0, 0) => notes.push(format!("set-up compliant ({})", setup_rules.join(", "))),
                    (0, n) => {
                        if matches!(
                            out.verdict,
                            RequirementVerdict::Compliant | RequirementVerdict::CompliantWhereChecked
                        ) {
                            out.verdict = RequirementVerdict::NotChecked;
                        }
                        notes.push(format!("set-up: {n} check(s) not made ({})", setup_rules.join(", ")));
                    }
                    (n, _) => {
                        out.verdict = RequirementVerdict::Failing;
                        notes.push(format!("set-up: {n} finding(s) ({})", setup_rules.join(", ")));
                    }
                }
            }
            // The rules see part of it; the rest is a person's to attest.
            if *to_attest {
                if out.verdict == RequirementVerdict::Compliant {
                    out.verdict = RequirementVerdict::CompliantWhereChecked;
                }
                notes.push("the rest is to attest: nothing recorded under `attestations:`".into());
            }
            out.note = notes.join("; ");
        }
        Status::Attested(text) => (out.verdict, out.note) = (RequirementVerdict::Attested, text.clone()),
        Status::Open => {
            (out.verdict, out.note) = (RequirementVerdict::Open, "nothing recorded under `attestations:`".into())
        }
        Status::NotApplicable => {
            (out.verdict, out.note) = (RequirementVerdict::NotApplicable, "concerns another set-up".into())
        }
        Status::NotChecked(why) => (out.verdict, out.note) = (RequirementVerdict::NotChecked, why.clone()),
        Status::NoSetup => {
            (out.verdict, out.note) = (RequirementVerdict::NoSetup, "its rules check the sending set-up".into())
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_whose_rule_is_ignored_on_some_paths_is_not_called_compliant_everywhere() {
        let row = super::super::coverage::Row {
            id: "R1".into(),
            verb: crate::rules::spec::Verb::Must,
            sentence: "Subjects carry the prefix.".into(),
            status: Status::Checked {
                message_rules: vec!["subject-prefix".into()],
                setup_rules: Vec::new(),
                to_attest: false,
            },
        };
        let tally = Tally::default();
        let plain = matrix_row(&row, &tally, 10, 0, &Exceptions::default());
        assert_eq!((plain.verdict.class(), plain.verdict.label()), ("checked", "compliant"));
        let exceptions =
            Exceptions { ignores: vec![("archive/**".into(), vec!["subject-prefix".into()])], ..Exceptions::default() };
        let ignored = matrix_row(&row, &tally, 10, 0, &exceptions);
        assert_eq!(ignored.verdict.label(), "compliant where checked");
        assert!(ignored.note.contains("subject-prefix on `archive/**`"), "{}", ignored.note);
        // No message to read (an empty folder, or none but files that are not messages).
        for (messages, unchecked) in [(0, 0), (3, 3)] {
            let none = matrix_row(&row, &tally, messages, unchecked, &Exceptions::default());
            assert_eq!(
                (none.verdict.class(), none.verdict.label()),
                ("not-checked", "not checked in this run"),
                "{messages}"
            );
            assert!(none.note.contains("no message to check"), "{}", none.note);
        }
    }
}
