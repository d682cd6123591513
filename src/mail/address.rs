//! What a mail server accepts as an addr-spec (RFC 5322 3.4.1): a local part that is a
//! dot-atom or a quoted string (`"results team"@nhs.net`, quoted pairs such as `\"`
//! included), `@`, and a domain of at least two LDH labels whose last is alphabetic
//! (stricter than the RFC's domain, which allows any atext: mail to `a@localhost` or
//! `a@nhs.123` does not get delivered). UTF-8 is allowed as RFC 6532 extends it. The
//! config's addresses and the `invalid_address` function both ask this.

/// `atext`: the characters of an atom (RFC 5322 3.2.3), UTF-8 included (RFC 6532).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c) || !c.is_ascii()
}

pub fn is_valid_address(value: &str) -> bool {
    let Some((local, domain)) = split(value) else {
        return false;
    };
    local.len() <= 64 && valid_local(local) && valid_domain(domain)
}

/// The local part and the domain: split at the last `@` (a domain holds none, so an
/// `@` inside a quoted local part stays in the local part).
fn split(value: &str) -> Option<(&str, &str)> {
    value.rsplit_once('@')
}

fn valid_local(local: &str) -> bool {
    if let Some(inner) = local.strip_prefix('"') {
        return valid_quoted(inner);
    }
    !local.is_empty() && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// The rest of a quoted string after its opening quote: `qtext`, spaces and quoted
/// pairs, then the closing quote and nothing after it.
fn valid_quoted(inner: &str) -> bool {
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.next().is_none(),
            '\\' => match chars.next() {
                Some(p) if p == ' ' || p == '\t' || p.is_ascii_graphic() || !p.is_ascii() => {}
                _ => return false,
            },
            c if c == ' ' || c == '\t' || (c.is_ascii_graphic()) || !c.is_ascii() => {}
            _ => return false,
        }
    }
    false
}

/// A local part as written in an address: as it is when it is a dot-atom, else quoted
/// (with `\` before `"` and `\`).
pub fn quote_local(local: &str) -> String {
    if valid_local(local) && !local.starts_with('"') {
        return local.to_owned();
    }
    let mut out = String::with_capacity(local.len() + 2);
    out.push('"');
    for c in local.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
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
        for a in [
            "pathology.results@nhs.net",
            "a+b@x.nhs.uk",
            "\"odd one\"@nhs.net",
            "\"results team\"@nhs.net",
            "\"Smith, J\"@nhs.net",
            "\"a\\\"b\"@nhs.net",
            "\"a@b\"@nhs.net",
            "o'brien@nhs.net",
        ] {
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
            "\"a\"b@nhs.net",
            "\"a@nhs.net",
            "\"a\\\"@nhs.net",
            "\"\u{7}\"@nhs.net",
        ] {
            assert!(!is_valid_address(a), "{a}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_local("results.team"), "results.team");
        assert_eq!(quote_local("results team"), "\"results team\"");
        assert_eq!(quote_local("a\"b"), "\"a\\\"b\"");
    }
}

#[cfg(test)]
mod properties {
    //! The grammar against RFC 5322 3.4.1 `addr-spec`, generated from its ABNF: every
    //! dot-atom and quoted-string local part (qtext, FWS as single spaces, quoted-pair)
    //! at an LDH domain is valid; breaking the grammar (an unquoted special or space, an
    //! empty atom, a stray quote or backslash) makes it invalid.
    use proptest::prelude::*;

    use super::*;

    fn dot_atom() -> impl Strategy<Value = String> {
        proptest::collection::vec("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,8}", 1..4).prop_map(|atoms| atoms.join("."))
    }

    fn quoted_string() -> impl Strategy<Value = String> {
        // qtext = %d33 / %d35-91 / %d93-126; quoted-pair = "\" (VCHAR / WSP).
        let qcontent = prop_oneof!["[!#-\\[\\]-~]", " ", "[!-~ ]".prop_map(|c| format!("\\{c}")),];
        proptest::collection::vec(qcontent, 0..12).prop_map(|parts| format!("\"{}\"", parts.concat()))
    }

    fn domain() -> impl Strategy<Value = String> {
        (proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", 1..3), "[a-z]{2,6}")
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
    }

    proptest! {
        #[test]
        fn every_addr_spec_is_valid(local in prop_oneof![dot_atom(), quoted_string()], domain in domain()) {
            let address = format!("{local}@{domain}");
            prop_assert!(is_valid_address(&address), "{}", address);
        }

        #[test]
        fn quoting_any_local_part_makes_it_valid(local in "[ -~]{1,30}", domain in domain()) {
            let address = format!("{}@{domain}", quote_local(&local));
            prop_assert!(is_valid_address(&address), "{}", address);
        }

        #[test]
        fn breaking_the_grammar_makes_it_invalid(
            local in dot_atom(),
            domain in domain(),
            at in 0usize..8,
            bad in prop_oneof![Just(" "), Just("("), Just(")"), Just(","), Just(":"), Just(";"), Just("<"), Just(">"),
                               Just("["), Just("]"), Just("\\"), Just("\"")],
        ) {
            // An unquoted special inside a dot-atom.
            let at = at.min(local.len());
            let broken = format!("{}{bad}{}@{domain}", &local[..at], &local[at..]);
            prop_assert!(!is_valid_address(&broken), "{}", broken);
            // Empty atoms; text after a closing quote; a quoted string left open.
            let others = [
                format!(".{local}@{domain}"),
                format!("{local}.@{domain}"),
                format!("{local}..x@{domain}"),
                format!("\"{local}\"x@{domain}"),
                format!("\"{local}@{domain}"),
            ];
            for other in &others {
                prop_assert!(!is_valid_address(other), "{}", other);
            }
        }
    }
}
