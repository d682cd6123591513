//! `invalid_address`: the whole value, when a mail server would not accept it as an
//! addr-spec (`mail::address`), with why as its detail.

use super::Finding;
use crate::mail::address::check;

pub(crate) fn find_invalid(value: &str) -> Vec<Finding> {
    match check(value) {
        Ok(()) => Vec::new(),
        Err(why) => vec![Finding::whole(value, why.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_value_when_invalid_and_why() {
        let found = find_invalid("a@");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].range, 0..2);
        assert_eq!(found[0].detail.as_deref(), Some("nothing stands after its @"));
        assert!(find_invalid("a@nhs.net").is_empty());
    }
}
