//! The named check functions rules can call (`contains:` / `not_contains:`), for what a
//! regular expression cannot say. Each function finds things in one value and lives in
//! a file of its own with its tests; this table is the only place that lists them.

mod address;
mod display_name;
mod nhs_number;
mod placeholder;

use std::ops::Range;

pub use address::is_valid_address;
pub use nhs_number::is_valid_nhs_number;

/// One thing a function found: where in the value, and optionally a suggested fix
/// (offered to rule messages and help as `{{fix}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub range: Range<usize>,
    pub fix: Option<String>,
}

impl Finding {
    pub fn at(range: Range<usize>) -> Self {
        Finding { range, fix: None }
    }
}

#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    pub summary: &'static str,
    pub find: fn(&str) -> Vec<Finding>,
}

pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "nhs_number",
        summary: "a 10-digit NHS number with a valid modulus 11 check digit (plain, 3-3-4 with spaces or dashes)",
        find: nhs_number::find,
    },
    Function {
        name: "placeholder",
        summary: "an unrendered template placeholder: {{ ... }}, {% ... %} or ${...}",
        find: placeholder::find,
    },
    Function {
        name: "unquoted_comma",
        summary: "a comma inside an unquoted display name of a raw address header (`Smith, John <j@nhs.net>`)",
        find: display_name::find_unquoted_comma,
    },
    Function {
        name: "invalid_address",
        summary: "the whole value, when it is not a valid addr-spec (local@domain.tld)",
        find: address::find_invalid,
    },
];

pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}
