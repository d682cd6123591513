//! The named check functions rules can call (`contains:` / `not_contains:`), for what a
//! regular expression cannot say. Each function finds things in one value and lives in
//! a file of its own with its tests; this table is the only place that lists them.
//!
//! A function declares the options it takes (as Spectral's `functionOptions`), and a
//! rule passes them in YAML, interpolated from `${config.*}` when the pack compiles;
//! compiling builds a `Detector` that holds them. So nothing a function reads comes from
//! the configuration at run time. Online functions ask a service (DNS, the mailbox,
//! the directory), so only rules marked `online` may use them.

mod address;
mod date;
mod directory_entry;
mod display_name;
mod ip_literal;
mod mailbox_probe;
mod mailbox_quota;
mod nhs_number;
mod non_delivery;
mod patient_data;
pub(crate) mod placeholder;
mod relay_registration;
mod routable_domain;
mod smtp_probe;

use std::fmt;
use std::ops::Range;

use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::findings::diagnostic::Severity;
use crate::online::Services;

/// One thing a function found: where in the value, optionally a suggested fix and a
/// detail (offered to rule messages and help as `{{fix}}` and `{{detail}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) range: Range<usize>,
    pub(crate) fix: Option<String>,
    /// The part of the value `fix` is written to replace, when it can replace it as it
    /// stands (a rule's `fix: {edit: suggestion}` makes that an edit).
    pub(crate) fix_range: Option<Range<usize>>,
    pub(crate) detail: Option<String>,
    /// The function could not tell (the service gave no answer): the detail says why,
    /// and the report says the check could not be made rather than that it failed.
    pub(crate) inconclusive: bool,
    /// A lesser finding than the rule's own (a mailbox nearly full, not over quota):
    /// reported at this severity when it is below the rule's.
    pub(crate) severity: Option<Severity>,
    /// Nothing to report, and nothing judged either (a step of a probe not reached, or not
    /// asked for): no diagnostic, but the rule's silence is not a pass, which the reports'
    /// compliance matrix must know.
    pub(crate) not_made: bool,
}

impl Finding {
    pub(crate) fn at(range: Range<usize>) -> Self {
        Finding {
            range,
            fix: None,
            fix_range: None,
            detail: None,
            inconclusive: false,
            severity: None,
            not_made: false,
        }
    }

    /// The whole value, with a detail.
    pub(crate) fn whole(value: &str, detail: String) -> Self {
        Finding { detail: Some(detail), ..Finding::at(0..value.len()) }
    }

    /// The whole value: no answer could be had, for the reason given.
    pub(crate) fn inconclusive(value: &str, why: String) -> Self {
        Finding { inconclusive: true, ..Finding::whole(value, why) }
    }

    /// The check was not made this run: no finding, and no pass.
    pub(crate) fn not_made() -> Self {
        Finding { not_made: true, ..Finding::at(0..0) }
    }
}

/// A function compiled with its options, ready to run over values. Online detectors
/// find nothing without their services (their rules do not run then).
pub(crate) trait Detector: Send + Sync + fmt::Debug {
    fn find(&self, value: &str, services: Option<&Services>) -> Vec<Finding>;
}

/// What an online function talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Dns,
    Mailbox,
    Directory,
    /// The transport's SMTP server (the probe).
    Smtp,
    /// The mailbox's connection and login (the probe; the quota is `Mailbox`).
    MailboxLogin,
}

impl Service {
    /// Why rules calling it cannot run with `config`, if they cannot (asked when the
    /// pack compiles).
    pub(crate) fn unavailable(self, config: &Config) -> Option<String> {
        let not_configured = |block: &str| format!("`{block}` is not configured (add `{block}:` to nhsmail-lint.yaml)");
        match self {
            // The probes' rules read `transport.*` and `mailbox.*`, which are absent when
            // the block is: nothing to note.
            Service::Dns | Service::Smtp | Service::MailboxLogin => None,
            Service::Mailbox if config.mailbox.is_none() => Some(not_configured("mailbox")),
            Service::Directory if config.directory.is_none() => Some(not_configured("directory")),
            Service::Mailbox | Service::Directory => None,
        }
    }

    /// Said under a finding that could not be made, in place of the rule's help.
    pub(crate) fn inconclusive_help(self) -> &'static str {
        match self {
            Service::Dns => {
                "This is not a finding about the set-up: DNS gave no answer. Check `dns.nameservers` in \
                 nhsmail-lint.yaml and that those resolvers answer, then run the pre-flight again."
            }
            Service::Mailbox => {
                "This says nothing about the quota: the mailbox could not be read. Check `mailbox:` in \
                 nhsmail-lint.yaml (host, port, username, where the password comes from, ca_file) and that the \
                 server answers IMAP over TLS, then run the pre-flight again."
            }
            Service::Smtp => {
                "This says nothing about the set-up: the SMTP server stopped answering (or deferred). Check \
                 `transport:` in nhsmail-lint.yaml (host, port, timeout), that this machine reaches the server (HSCN \
                 for NHSmail), then run the pre-flight again."
            }
            Service::MailboxLogin => {
                "This says nothing about the mailbox's set-up: its server stopped answering. Check `mailbox:` in \
                 nhsmail-lint.yaml (host, port, timeout) and that this machine reaches it, then run the pre-flight again."
            }
            Service::Directory => {
                "This says nothing about the address: the directory could not be asked. Check `directory:` in \
                 nhsmail-lint.yaml (host, port 636, base_dn, ca_file) and that it answers LDAP over TLS."
            }
        }
    }
}

/// One option a function takes, as documentation and for checking a rule's options.
#[derive(Debug)]
pub struct FunctionOption {
    /// The option's key in a rule.
    pub name: &'static str,
    /// What the value is, in words (`a list of addresses`).
    pub kind: &'static str,
}

/// How a function becomes a detector.
#[derive(Clone, Copy)]
enum Build {
    /// Offline, no options.
    Plain(fn(&str) -> Vec<Finding>),
    /// Asks its service, no options.
    Asks(fn(&str, &Services) -> Vec<Finding>),
    /// Takes options, typed by the function (missing ones take their defaults).
    Options(fn(serde_json::Value) -> Result<Box<dyn Detector>, serde_json::Error>),
}

/// A check function rules can call, with the options it takes.
pub struct Function {
    /// The name rules call it by.
    pub name: &'static str,
    pub(crate) summary: &'static str,
    /// The options it takes.
    pub options: &'static [FunctionOption],
    pub(crate) service: Option<Service>,
    build: Build,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Why a rule's options do not suit its function; the compiler says it at the options.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OptionsError {
    #[error("`{function}` takes no options")]
    NoneTaken { function: &'static str },
    #[error("the options of `{function}` do not fit: {source}")]
    Mistyped { function: &'static str, source: serde_json::Error },
}

impl Function {
    /// The detector for a rule's call, with its options (already interpolated; unknown
    /// names were refused at their place by the compiler).
    pub(crate) fn detector(&self, options: Option<serde_json::Value>) -> Result<Box<dyn Detector>, OptionsError> {
        match (self.build, options) {
            (Build::Plain(find), None) => Ok(Box::new(Plain(find))),
            (Build::Asks(find), None) => Ok(Box::new(Asks(find))),
            (Build::Plain(_) | Build::Asks(_), Some(_)) => Err(OptionsError::NoneTaken { function: self.name }),
            (Build::Options(build), options) => {
                let options = options.unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
                build(options).map_err(|source| OptionsError::Mistyped { function: self.name, source })
            }
        }
    }
}

/// Reads a function's typed options (the helper its `Build::Options` uses).
fn typed<T: DeserializeOwned>(options: serde_json::Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(options)
}

struct Plain(fn(&str) -> Vec<Finding>);

impl fmt::Debug for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Plain")
    }
}

impl Detector for Plain {
    fn find(&self, value: &str, _: Option<&Services>) -> Vec<Finding> {
        (self.0)(value)
    }
}

struct Asks(fn(&str, &Services) -> Vec<Finding>);

impl fmt::Debug for Asks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Asks")
    }
}

impl Detector for Asks {
    fn find(&self, value: &str, services: Option<&Services>) -> Vec<Finding> {
        services.map(|s| (self.0)(value, s)).unwrap_or_default()
    }
}

/// Every check function, by name.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "nhs_number",
        summary: "a 10-digit NHS number with a valid modulus 11 check digit, in an issued range (plain, or 3-3-4 \
                  with white space or the same one of - – . _ / between the groups); given `keywords`, only with \
                  one near it and not written as a phone number; given `timestamp_keywords`, a ten-digit Unix \
                  timestamp only with one of those near it",
        options: nhs_number::OPTIONS,
        service: None,
        build: Build::Options(nhs_number::detector),
    },
    Function {
        name: "patient_data",
        summary: "patient data other than an NHS number: a date of birth after its keyword (DOB, D.O.B., date of \
                  birth, born), a hospital number after its keyword (MRN, hospital number, hosp no), a template \
                  placeholder named for patient data (`placeholders`), or one where such a keyword puts its value; \
                  `{{detail}}` says which",
        options: patient_data::OPTIONS,
        service: None,
        build: Build::Options(patient_data::detector),
    },
    Function {
        name: "placeholder",
        summary: "an unrendered template placeholder: {{ ... }}, {% ... %} or ${...}",
        options: &[],
        service: None,
        build: Build::Plain(placeholder::find),
    },
    Function {
        name: "unquoted_comma",
        summary: "a comma inside an unquoted display name of a raw address header (`Smith, John <j@nhs.net>`)",
        options: &[],
        service: None,
        build: Build::Plain(display_name::find_unquoted_comma),
    },
    Function {
        name: "invalid_address",
        summary: "the whole value, when it is not a valid addr-spec as written (local@domain.tld; see \
                  reply-to-invalid for what is valid); `{{detail}}` says why",
        options: &[],
        service: None,
        build: Build::Plain(address::find_invalid),
    },
    Function {
        name: "ip_literal",
        summary: "the whole value, when a host is an IP address rather than a DNS name: `10.1.2.3`, `[10.1.2.3]`, \
                  `10.1.2.3.`, IPv6 (`[IPv6:2001:db8::25]`), or any name ending in a number",
        options: &[],
        service: None,
        build: Build::Plain(ip_literal::find_ip_literal),
    },
    Function {
        name: "non_delivery_address",
        summary: "the whole value, when it matches one of the `patterns` or `extra` regular expressions (any case)",
        options: non_delivery::OPTIONS,
        service: None,
        build: Build::Options(non_delivery::detector),
    },
    Function {
        name: "invalid_date",
        summary: "the whole value, when it is not an RFC 5322 date-time (obsolete forms accepted), or names a \
                  day that does not exist or the wrong day of the week; `{{detail}}` says why",
        options: &[],
        service: None,
        build: Build::Plain(date::find_invalid),
    },
    Function {
        name: "unregistered_sender",
        summary: "(online) the sending IP (the value, or the local address used to reach the host the value \
                  names) has no PTR record, or its PTR name does not resolve back to it",
        options: &[],
        service: Some(Service::Dns),
        build: Build::Asks(relay_registration::find_unregistered),
    },
    Function {
        name: "unroutable_domain",
        summary: "(online) the domain has no MX and no A/AAAA record (or a null MX): mail to it bounces",
        options: &[],
        service: Some(Service::Dns),
        build: Build::Asks(routable_domain::find_unroutable),
    },
    Function {
        name: "over_quota",
        summary: "(online) the sending mailbox (`mailbox:`) is at or over its IMAP quota, or where the server \
                  has no QUOTA extension its summed usage is at or over `mailbox.quota` (a lesser, warning finding \
                  above `warning_percent` or when the count could not finish; info with the usage when no limit \
                  is known)",
        options: mailbox_quota::OPTIONS,
        service: Some(Service::Mailbox),
        build: Build::Options(mailbox_quota::detector),
    },
    Function {
        name: "smtp_probe",
        summary: "(online) the step of the SMTP probe named by `step` failed against the transport's server (connect, \
                  greeting, tls, certificate within 14 days of its end, auth, size below `at_least`, login, sender, \
                  recipient); said when the server stops answering",
        options: smtp_probe::OPTIONS,
        service: Some(Service::Smtp),
        build: Build::Options(smtp_probe::detector),
    },
    Function {
        name: "mailbox_probe",
        summary: "(online) the step of the mailbox probe named by `step` failed (connect, tls, certificate within 14 \
                  days of its end, capabilities, login)",
        options: mailbox_probe::OPTIONS,
        service: Some(Service::MailboxLogin),
        build: Build::Options(mailbox_probe::detector),
    },
    Function {
        name: "unknown_recipient",
        summary: "(online) the address is at a directory domain (`directory.domains`) and the NHSmail \
                  directory has no entry for it",
        options: &[],
        service: Some(Service::Directory),
        build: Build::Asks(directory_entry::find_unknown),
    },
    Function {
        name: "unlisted_distribution_list",
        summary: "(online) the directory says the address is a distribution list, and it is not one of `lists`",
        options: directory_entry::UNLISTED_OPTIONS,
        service: Some(Service::Directory),
        build: Build::Options(directory_entry::unlisted_detector),
    },
    Function {
        name: "not_a_distribution_list",
        summary: "(online) the address is at a directory domain and the directory does not hold it as a \
                  distribution list (no entry, or a person)",
        options: &[],
        service: Some(Service::Directory),
        build: Build::Asks(directory_entry::find_not_a_list),
    },
];

pub(crate) fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_against_what_the_function_takes() {
        let placeholder = lookup("placeholder").expect("known");
        assert!(matches!(placeholder.detector(Some(serde_json::json!({"x": 1}))), Err(OptionsError::NoneTaken { .. })));
        let unlisted = lookup("unlisted_distribution_list").expect("known");
        let mistyped = unlisted.detector(Some(serde_json::json!({"lists": 3}))).expect_err("not a list");
        assert!(mistyped.to_string().contains("invalid type"), "{mistyped}");
        assert!(unlisted.detector(Some(serde_json::json!({"lists": ["a@nhs.net"]}))).is_ok());
    }

    #[test]
    fn every_declared_option_is_one_the_function_reads() {
        // A declared option the typed options do not know would be accepted by the
        // compiler, then refused here: each must deserialise on its own.
        let samples = |kind: &str| match kind {
            "a list of addresses" => serde_json::json!(["a@nhs.net"]),
            "a percentage from 1 to 100" => serde_json::json!(90),
            "a list of words or phrases" => serde_json::json!(["NHS"]),
            "a number of characters" => serde_json::json!(300),
            "a list of regular expressions" => serde_json::json!(["^noreply@"]),
            "a size (`35MiB`)" => serde_json::json!("35MiB"),
            kind if kind.starts_with("connect, ") => serde_json::json!("login"),
            other => panic!("no sample for option kind `{other}`"),
        };
        for function in FUNCTIONS {
            for option in function.options {
                // The probes' functions need the step they report; `size` takes `at_least`.
                let mut options = match function.name {
                    "smtp_probe" | "mailbox_probe" => serde_json::json!({"step": "login"}),
                    _ => serde_json::json!({}),
                };
                if option.name == "at_least" {
                    options["step"] = serde_json::json!("size");
                }
                options[option.name] = samples(option.kind);
                assert!(function.detector(Some(options)).is_ok(), "{}.{}", function.name, option.name);
            }
        }
    }
}
