//! `smtp_probe` (online): one step of the probe of the transport's SMTP server
//! (`online/smtp_probe.rs`), named by the `step` option, as a finding at the config
//! value the rule reads. A step that failed is the rule's finding; a certificate near
//! its end a warning; a server that stopped answering "could not check". A step the
//! probe did not reach (an earlier one failed, or it does not apply) says nothing: the
//! earlier step's finding is the one to fix. `size` compares the server's SIZE with
//! `at_least`.

use serde::Deserialize;

use super::{Detector, Finding, FunctionOption, typed};
use crate::findings::diagnostic::Severity;
use crate::online::Services;
use crate::online::probe::StepOutcome;
use crate::online::smtp_probe::Step;

pub(crate) const OPTIONS: &[FunctionOption] = &[
    FunctionOption {
        name: "step",
        kind: "connect, greeting, tls, certificate, auth, size, login, sender or recipient",
    },
    FunctionOption { name: "at_least", kind: "a size (`35MiB`)" },
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    step: Step,
    at_least: Option<String>,
}

#[derive(Debug)]
struct SmtpStep {
    step: Step,
    at_least: u64,
}

pub(crate) fn detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
    use serde::de::Error;
    let options = typed::<Options>(options)?;
    let at_least = match (&options.at_least, options.step) {
        (Some(size), Step::Size) => crate::util::units::parse_size(size).map_err(serde_json::Error::custom)?,
        (None, Step::Size) => 35 * 1024 * 1024,
        (Some(_), _) => return Err(serde_json::Error::custom("`at_least` goes with `step: size` only")),
        (None, _) => 0,
    };
    Ok(Box::new(SmtpStep { step: options.step, at_least }))
}

impl Detector for SmtpStep {
    fn find(&self, value: &str, services: Option<&Services>) -> Vec<Finding> {
        let Some((probe, services)) = services.and_then(|s| Some((s.smtp.as_ref()?, s))) else { return Vec::new() };
        let probed = probe.probed(&services.dns);
        match (probed.findings.step(self.step), self.step, probed.size) {
            (Some(StepOutcome::Passed), Step::Size, Some(limit)) if limit < self.at_least => {
                vec![Finding::whole(value, size_detail(limit, self.at_least))]
            }
            (Some(outcome), _, _) => finding(value, outcome).into_iter().collect(),
            // Not reached (an earlier step failed) or not asked for (`--login`, `--rcpt`).
            (None, _, _) => vec![Finding::not_made()],
        }
    }
}

/// A probe step's outcome as a finding at `value` (none when it passed).
pub(crate) fn finding(value: &str, outcome: &StepOutcome) -> Option<Finding> {
    match outcome {
        StepOutcome::Passed => None,
        StepOutcome::Failed(why) => Some(Finding::whole(value, why.clone())),
        StepOutcome::Warning(why) => {
            Some(Finding { severity: Some(Severity::Warning), ..Finding::whole(value, why.clone()) })
        }
        StepOutcome::NoAnswer(why) => Some(Finding::inconclusive(value, why.clone())),
    }
}

fn size_detail(limit: u64, at_least: u64) -> String {
    let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    format!(
        "the server takes messages of at most {limit} bytes ({:.1} MB, its SIZE), below the {at_least} bytes ({:.0} MB) \
         NHSmail allows: larger messages will be refused",
        mb(limit),
        mb(at_least)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_when_the_pack_compiles() {
        assert!(detector(serde_json::json!({"step": "connect"})).is_ok());
        assert!(detector(serde_json::json!({"step": "size", "at_least": "35MiB"})).is_ok());
        let err = |o| detector(o).expect_err("refused").to_string();
        assert!(err(serde_json::json!({"step": "size", "at_least": "lots"})).contains("lots"));
        assert!(err(serde_json::json!({"step": "login", "at_least": "1MiB"})).contains("`step: size` only"));
        assert!(err(serde_json::json!({"step": "handshake"})).contains("unknown variant"));
    }

    #[test]
    fn a_size_below_the_limit_says_both_numbers() {
        assert_eq!(
            size_detail(10_485_760, 36_700_160),
            "the server takes messages of at most 10485760 bytes (10.0 MB, its SIZE), below the 36700160 bytes (35 MB) \
             NHSmail allows: larger messages will be refused"
        );
    }

    #[test]
    fn each_outcome_is_its_finding() {
        assert_eq!(finding("h", &StepOutcome::Passed), None);
        let warning = finding("h", &StepOutcome::Warning("soon".into())).expect("warning");
        assert_eq!(warning.severity, Some(Severity::Warning));
        assert!(finding("h", &StepOutcome::NoAnswer("silent".into())).expect("inconclusive").inconclusive);
        assert_eq!(
            finding("h", &StepOutcome::Failed("refused".into())).and_then(|f| f.detail).as_deref(),
            Some("refused")
        );
    }
}
