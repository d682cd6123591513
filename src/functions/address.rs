//! `invalid_address`: the whole value, when a mail server would not accept it as an
//! addr-spec.

use super::Finding;
use crate::mail::address::is_valid_address;

pub fn find_invalid(value: &str) -> Vec<Finding> {
    if is_valid_address(value) { Vec::new() } else { vec![Finding::at(0..value.len())] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_value_when_invalid() {
        assert_eq!(find_invalid("a@"), vec![Finding::at(0..2)]);
        assert!(find_invalid("a@nhs.net").is_empty());
    }
}
