//! The named check functions rules can call (`contains:` / `not_contains:`), for what a
//! regular expression cannot say. Each function finds things in one value and lives in
//! a file of its own with its tests; this table is the only place that lists them.
//! Online functions ask a service (DNS, the mailbox, the directory), so only rules
//! marked `online` may use them.

mod address;
mod directory_entry;
mod display_name;
mod mailbox_quota;
mod nhs_number;
mod placeholder;
mod relay_registration;
mod routable_domain;

use std::ops::Range;

use crate::config::Config;
use crate::diagnostic::Severity;
use crate::online::Services;

/// One thing a function found: where in the value, optionally a suggested fix and a
/// detail (offered to rule messages and help as `{{fix}}` and `{{detail}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub range: Range<usize>,
    pub fix: Option<String>,
    pub detail: Option<String>,
    /// The function could not tell (the service gave no answer): the detail says why,
    /// and the report says the check could not be made rather than that it failed.
    pub inconclusive: bool,
    /// A lesser finding than the rule's own (a mailbox nearly full, not over quota):
    /// reported at this severity when it is below the rule's.
    pub severity: Option<Severity>,
}

impl Finding {
    pub fn at(range: Range<usize>) -> Self {
        Finding { range, fix: None, detail: None, inconclusive: false, severity: None }
    }

    /// The whole value, with a detail.
    pub fn whole(value: &str, detail: String) -> Self {
        Finding { detail: Some(detail), ..Finding::at(0..value.len()) }
    }

    /// The whole value: no answer could be had, for the reason given.
    pub fn inconclusive(value: &str, why: String) -> Self {
        Finding { inconclusive: true, ..Finding::whole(value, why) }
    }
}

/// What an online function talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Dns,
    Mailbox,
    Directory,
}

impl Service {
    /// Why rules calling it cannot run with `config`, if they cannot.
    pub fn unavailable(self, config: &Config) -> Option<String> {
        match self {
            Service::Dns => None,
            Service::Mailbox if config.mailbox.is_none() => Some(not_configured("mailbox")),
            Service::Directory if config.directory.is_none() => Some(not_configured("directory")),
            Service::Mailbox | Service::Directory => None,
        }
    }

    /// Said under a finding that could not be made, in place of the rule's help.
    pub fn inconclusive_help(self) -> &'static str {
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
            Service::Directory => {
                "This says nothing about the address: the directory could not be asked. Check `directory:` in \
                 nhsmail-lint.yaml (host, port 636, base_dn, ca_file) and that it answers LDAP over TLS."
            }
        }
    }
}

fn not_configured(block: &str) -> String {
    format!("`{block}` is not configured (add `{block}:` to nhsmail-lint.yaml)")
}

#[derive(Debug, Clone, Copy)]
pub enum Finder {
    Offline(fn(&str) -> Vec<Finding>),
    Online { find: fn(&str, &Services, &Config) -> Vec<Finding>, service: Service },
}

#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    pub summary: &'static str,
    pub find: Finder,
}

impl Function {
    pub fn service(&self) -> Option<Service> {
        match self.find {
            Finder::Offline(_) => None,
            Finder::Online { service, .. } => Some(service),
        }
    }

    /// What the function finds in `value`; an online function finds nothing without
    /// its services (its rules do not run then).
    pub fn find(&self, value: &str, config: &Config, services: Option<&Services>) -> Vec<Finding> {
        match (self.find, services) {
            (Finder::Offline(find), _) => find(value),
            (Finder::Online { find, .. }, Some(services)) => find(value, services, config),
            (Finder::Online { .. }, None) => Vec::new(),
        }
    }
}

pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "nhs_number",
        summary: "a 10-digit NHS number with a valid modulus 11 check digit, in an issued range (plain, 3-3-4 \
                  with spaces or dashes)",
        find: Finder::Offline(nhs_number::find),
    },
    Function {
        name: "placeholder",
        summary: "an unrendered template placeholder: {{ ... }}, {% ... %} or ${...}",
        find: Finder::Offline(placeholder::find),
    },
    Function {
        name: "unquoted_comma",
        summary: "a comma inside an unquoted display name of a raw address header (`Smith, John <j@nhs.net>`)",
        find: Finder::Offline(display_name::find_unquoted_comma),
    },
    Function {
        name: "invalid_address",
        summary: "the whole value, when it is not a valid addr-spec (local@domain.tld)",
        find: Finder::Offline(address::find_invalid),
    },
    Function {
        name: "unregistered_sender",
        summary: "(online) the sending IP (the value, or the local address used to reach the host the value \
                  names) has no PTR record, or its PTR name does not resolve back to it",
        find: Finder::Online { find: relay_registration::find_unregistered, service: Service::Dns },
    },
    Function {
        name: "unroutable_domain",
        summary: "(online) the domain has no MX and no A/AAAA record (or a null MX): mail to it bounces",
        find: Finder::Online { find: routable_domain::find_unroutable, service: Service::Dns },
    },
    Function {
        name: "over_quota",
        summary: "(online) the sending mailbox (`mailbox:`) is at or over its IMAP quota (a lesser, warning \
                  finding above `quota_warning_percent`; info when the server has no QUOTA extension)",
        find: Finder::Online { find: mailbox_quota::find_over_quota, service: Service::Mailbox },
    },
    Function {
        name: "unknown_recipient",
        summary: "(online) the address is at a directory domain (`directory.domains`) and the NHSmail \
                  directory has no entry for it",
        find: Finder::Online { find: directory_entry::find_unknown, service: Service::Directory },
    },
    Function {
        name: "unlisted_distribution_list",
        summary: "(online) the directory says the address is a distribution list, and it is not in \
                  `distribution_lists`",
        find: Finder::Online { find: directory_entry::find_unlisted_list, service: Service::Directory },
    },
    Function {
        name: "not_a_distribution_list",
        summary: "(online) the address is at a directory domain and the directory does not hold it as a \
                  distribution list (no entry, or a person)",
        find: Finder::Online { find: directory_entry::find_not_a_list, service: Service::Directory },
    },
];

pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}
