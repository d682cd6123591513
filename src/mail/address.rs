//! What a mail server accepts as an addr-spec: a dot-atom or quoted local part, `@`,
//! and a domain of at least two LDH labels. The config's addresses and the
//! `invalid_address` function both ask this.

pub fn is_valid_address(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    valid_local(local) && valid_domain(domain)
}

fn valid_local(local: &str) -> bool {
    if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        return local[1..local.len() - 1].chars().all(|c| c != '"' && c != '\\' && !c.is_control());
    }
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty() && atom.chars().all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c) || !c.is_ascii())
        })
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
        && labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic() || !c.is_ascii()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid() {
        for a in ["pathology.results@nhs.net", "a+b@x.nhs.uk", "\"odd one\"@nhs.net", "o'brien@nhs.net"] {
            assert!(is_valid_address(a), "{a}");
        }
    }

    #[test]
    fn invalid() {
        for a in [
            "",
            "nhs.net",
            "a@",
            "@nhs.net",
            "a@localhost",
            "a..b@nhs.net",
            "a@nhs..net",
            "a@-x.net",
            "a b@nhs.net",
            "a@nhs.123",
        ] {
            assert!(!is_valid_address(a), "{a}");
        }
    }
}
