//! The named check functions rules can call (`contains:` / `not_contains:`), for what a
//! regular expression cannot say. Each function finds things in one value and lives in
//! a file of its own with its tests; this table is the only place that lists them.
//! Online functions ask DNS, so only rules marked `online` (pre-flight) may use them.

mod address;
mod display_name;
mod nhs_number;
mod placeholder;
mod relay_registration;
mod routable_domain;

use std::ops::Range;

use crate::dns::Dns;

pub use address::is_valid_address;

/// One thing a function found: where in the value, optionally a suggested fix and a
/// detail (offered to rule messages and help as `{{fix}}` and `{{detail}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub range: Range<usize>,
    pub fix: Option<String>,
    pub detail: Option<String>,
    /// The function could not tell (DNS gave no answer): the detail says why, and the
    /// report says the check could not be made rather than that it failed.
    pub inconclusive: bool,
}

impl Finding {
    pub fn at(range: Range<usize>) -> Self {
        Finding { range, fix: None, detail: None, inconclusive: false }
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

#[derive(Debug, Clone, Copy)]
pub enum Finder {
    Offline(fn(&str) -> Vec<Finding>),
    Online(fn(&str, &Dns) -> Vec<Finding>),
}

#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    pub summary: &'static str,
    pub find: Finder,
}

impl Function {
    pub fn is_online(&self) -> bool {
        matches!(self.find, Finder::Online(_))
    }

    /// What the function finds in `value`; an online function finds nothing without DNS
    /// (its rules do not run then).
    pub fn find(&self, value: &str, dns: Option<&Dns>) -> Vec<Finding> {
        match (self.find, dns) {
            (Finder::Offline(find), _) => find(value),
            (Finder::Online(find), Some(dns)) => find(value, dns),
            (Finder::Online(_), None) => Vec::new(),
        }
    }
}

pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "nhs_number",
        summary: "a 10-digit NHS number with a valid modulus 11 check digit (plain, 3-3-4 with spaces or dashes)",
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
        find: Finder::Online(relay_registration::find_unregistered),
    },
    Function {
        name: "unroutable_domain",
        summary: "(online) the domain has no MX and no A/AAAA record (or a null MX): mail to it bounces",
        find: Finder::Online(routable_domain::find_unroutable),
    },
];

pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}
