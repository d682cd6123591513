//! `mailbox_probe` (online): one step of the probe of the sending mailbox
//! (`online/mailbox_probe.rs`: connect, TLS, certificate, capabilities, login), named
//! by the `step` option, as a finding at the config value the rule reads; graded as
//! `smtp_probe` grades its steps.

use serde::Deserialize;

use super::smtp_probe::finding;
use super::{Detector, Finding, FunctionOption, typed};
use crate::online::Services;
use crate::online::mailbox_probe::Step;

pub(crate) const OPTIONS: &[FunctionOption] =
    &[FunctionOption { name: "step", kind: "connect, tls, certificate, capabilities or login" }];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailboxStep {
    step: Step,
}

pub(crate) fn detector(options: serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error> {
    Ok(Box::new(typed::<MailboxStep>(options)?))
}

impl Detector for MailboxStep {
    fn find(&self, value: &str, services: Option<&Services>) -> Vec<Finding> {
        let Some(probe) = services.and_then(|s| s.mailbox_probe.as_ref()) else { return Vec::new() };
        match probe.findings().step(self.step) {
            Some(outcome) => finding(value, outcome).into_iter().collect(),
            // Not reached: an earlier step failed.
            None => vec![Finding::not_made()],
        }
    }
}
