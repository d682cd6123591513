//! What a mail server accepts as an addr-spec, judged as written (RFC 5322 3.4.1, with
//! RFC 5321 4.1.2 and 4.5.3.1 for what SMTP carries), and the one form addresses are
//! compared in. The config's addresses, the `invalid_address` function, where replies go
//! and every comparison of addresses ask this.
//!
//! Valid: a local part that is a dot-atom or one non-empty quoted string
//! (`"results team"@nhs.net`, quoted pairs such as `\"` included), `@`, and a domain
//! name: LDH labels of at most 63 octets, the last not all digits, at most 253 octets,
//! international labels as U-labels or A-labels (judged in their A-label form, IDNA);
//! one label only when it is a top-level domain (`test@io`: RFC 5321 allows it, and a
//! one-label name that is no TLD, `localhost` or `nhs`, reaches no mailbox). UTF-8 is
//! allowed as RFC 6532 extends it. At most 64 octets of local part and 254 in all.
//!
//! Not valid, though RFC 5322 reads some of them: white space or a comment inside the
//! address (around it they are fine, and the address-list reading leaves them out),
//! obsolete forms (`"a".b@`, `a . b@`), control characters, an empty quoted string,
//! and address literals (`[10.1.2.3]`, `[IPv6:...]`): a monitored reply address is a
//! mailbox at a domain name. docs/rules.md (reply-to-invalid) gives the reasons.

use std::borrow::Cow;

/// Why an address is not valid, said after "is not a valid email address: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Invalid {
    #[error("it is empty")]
    Empty,
    #[error("`<>` is the null address, which names no mailbox")]
    Null,
    #[error("its `<` is never closed by `>`")]
    UnclosedAngle,
    #[error("text stands outside its angle brackets")]
    OutsideAngle,
    #[error("it has no @, so it names no address")]
    NoAt,
    #[error("nothing stands before its @")]
    NoLocal,
    #[error("nothing stands after its @")]
    NoDomain,
    #[error("its quoted string is never closed")]
    UnclosedQuote,
    #[error("its comment is never closed")]
    UnclosedComment,
    #[error("its quoted local part is empty, which names no mailbox")]
    EmptyQuoted,
    #[error("text follows its quoted string: the quotes must hold the whole local part")]
    AfterQuote,
    #[error("a quote stands inside its local part: the quotes must hold the whole local part")]
    QuoteInside,
    #[error("a dot starts or ends its local part, or two dots stand together")]
    EmptyAtom,
    #[error("white space or a comment stands inside it (they may stand only around an address)")]
    Inner,
    #[error("`{0}` cannot stand unquoted in an address")]
    Special(char),
    #[error("it holds a control character")]
    Control,
    #[error("a backslash in its quoted string quotes a character that needs no quoting")]
    NeedlessPair,
    #[error("its local part is longer than 64 octets")]
    LocalTooLong,
    #[error("it is longer than 254 octets")]
    TooLong,
    #[error("its domain is an address literal (`[...]`), not a domain name")]
    Literal,
    #[error("its domain is not a valid international domain name")]
    Idn,
    #[error("a dot starts or ends its domain, or two dots stand together")]
    EmptyLabel,
    #[error("a label of its domain is longer than 63 octets")]
    LabelTooLong,
    #[error("its domain is longer than 253 octets")]
    DomainTooLong,
    #[error("a label of its domain starts or ends with a hyphen")]
    Hyphen,
    #[error("`{0}` cannot stand in a domain name")]
    DomainChar(char),
    #[error("its top-level domain is all digits, as no top-level domain is")]
    NumericTld,
    #[error("its domain `{0}` is one label and no top-level domain")]
    NotATld(String),
}

/// The top-level domains, for a domain of one label (see the file's own header).
const TLDS: &str = include_str!("tlds.txt");

/// `atext`: the characters of an atom (RFC 5322 3.2.3), UTF-8 included (RFC 6532).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c) || (!c.is_ascii() && !c.is_control())
}

pub(crate) fn is_valid_address(value: &str) -> bool {
    check(value).is_ok()
}

/// Whether `value` is a valid address, and if not, why.
pub(crate) fn check(value: &str) -> Result<(), Invalid> {
    parse(value).map(|_| ())
}

/// A valid address's local part as written and its domain in A-label form, lower case.
struct Parts<'a> {
    local: &'a str,
    domain: String,
}

fn parse(value: &str) -> Result<Parts<'_>, Invalid> {
    match value {
        "" => return Err(Invalid::Empty),
        "<>" => return Err(Invalid::Null),
        _ => {}
    }
    if let Some(rest) = value.strip_prefix('<') {
        return Err(if rest.contains('>') { Invalid::OutsideAngle } else { Invalid::UnclosedAngle });
    }
    // Wherever it stands (a comment, a quoted string, a quoted pair), a control character
    // is obsolete syntax at best (RFC 5322 4.1); a tab is white space.
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Invalid::Control);
    }
    if !value.contains('@') {
        return Err(Invalid::NoAt);
    }
    let at = local_end(value)?;
    let local = &value[..at];
    if local.len() > 64 {
        return Err(Invalid::LocalTooLong);
    }
    let domain = domain_ascii(&value[at + 1..])?;
    if local.len() + 1 + domain.len() > 254 {
        return Err(Invalid::TooLong);
    }
    Ok(Parts { local, domain })
}

/// Where the `@` after a well-formed local part stands.
fn local_end(value: &str) -> Result<usize, Invalid> {
    if value.starts_with('"') {
        let end = quoted_end(value)?;
        if end == 2 {
            return Err(Invalid::EmptyQuoted);
        }
        return match value[end..].chars().next() {
            Some('@') => Ok(end),
            None => Err(Invalid::NoAt),
            Some(_) => Err(Invalid::AfterQuote),
        };
    }
    let mut atom_empty = true;
    for (i, c) in value.char_indices() {
        match c {
            '@' if i == 0 => return Err(Invalid::NoLocal),
            '@' | '.' if atom_empty => return Err(Invalid::EmptyAtom),
            '@' => return Ok(i),
            '.' => atom_empty = true,
            c if is_atext(c) => atom_empty = false,
            c => return Err(unexpected(c, &value[i..])),
        }
    }
    Err(Invalid::NoAt)
}

/// Why `c`, which starts `rest`, cannot stand where an atom's characters stand.
fn unexpected(c: char, rest: &str) -> Invalid {
    match c {
        '(' if !comment_closes(rest) => Invalid::UnclosedComment,
        ' ' | '\t' | '(' => Invalid::Inner,
        '"' => Invalid::QuoteInside,
        c => Invalid::Special(c),
    }
}

/// Whether the comment `rest` starts with is closed (nested comments and quoted pairs
/// read).
fn comment_closes(rest: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Just past the quote that closes the quoted string `value` starts with: `qtext`,
/// white space and quoted pairs of ASCII (`parse` refused control characters first); a
/// backslash before a non-ASCII character is an error (UTF-8 needs no quoting, and
/// RFC 5322 quotes only ASCII).
fn quoted_end(value: &str) -> Result<usize, Invalid> {
    let mut chars = value.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok(i + 1),
            '\\' => match chars.next() {
                Some((_, p)) if p.is_ascii() => {}
                Some(_) => return Err(Invalid::NeedlessPair),
                None => return Err(Invalid::UnclosedQuote),
            },
            _ => {}
        }
    }
    Err(Invalid::UnclosedQuote)
}

/// A domain name in its A-label form, lower case, when it is one mail can be sent to.
fn domain_ascii(domain: &str) -> Result<String, Invalid> {
    if domain.is_empty() {
        return Err(Invalid::NoDomain);
    }
    if domain.starts_with('[') {
        return Err(Invalid::Literal);
    }
    // What IDNA would map or drop without a word: judged as written.
    if let Some((i, c)) = domain.char_indices().find(|(_, c)| !is_atext(*c) && *c != '.') {
        return Err(match c {
            ' ' | '\t' | '(' => unexpected(c, &domain[i..]),
            c => Invalid::DomainChar(c),
        });
    }
    let international = !domain.is_ascii() || domain.to_ascii_lowercase().contains("xn--");
    let ascii = if international {
        idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::EMPTY)
            .map_err(|_| Invalid::Idn)?
            .to_ascii_lowercase()
    } else {
        domain.to_ascii_lowercase()
    };
    if ascii.len() > 253 {
        return Err(Invalid::DomainTooLong);
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(Invalid::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(Invalid::LabelTooLong);
        }
        if let Some(c) = label.chars().find(|c| !c.is_ascii_alphanumeric() && *c != '-') {
            return Err(Invalid::DomainChar(c));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Invalid::Hyphen);
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::NumericTld);
    }
    if labels.len() == 1 && !TLDS.lines().any(|l| l == tld) {
        return Err(Invalid::NotATld(domain.to_owned()));
    }
    Ok(ascii)
}

/// What a local part names: a quoted one without its quotes and quoting backslashes.
fn local_content(local: &str) -> Cow<'_, str> {
    let Some(inner) = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) else {
        return Cow::Borrowed(local);
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap_or(c) } else { c });
    }
    Cow::Owned(out)
}

/// A valid address with its local part unquoted (`"no reply"@nhs.net` is
/// `no reply@nhs.net`), for patterns that look for words in it; `None` when it is not
/// quoted, or not valid.
pub(crate) fn unquoted(value: &str) -> Option<String> {
    let parts = parse(value).ok()?;
    let local = parts.local.starts_with('"').then(|| local_content(parts.local))?;
    Some(format!("{local}@{}", &value[parts.local.len() + 1..]))
}

/// The bytes of an address whose one form is its lower case: ASCII atext, `.` and `@`.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let special = b"!#$%&'*+/=?^_`{|}~-.@";
    let mut i = 0;
    while i < special.len() {
        table[special[i] as usize] = true;
        i += 1;
    }
    table
};

/// The form addresses (and domains) are compared in: the local part quoted only when it
/// must be (`"pathology.results"@nhs.net` is `pathology.results@nhs.net`, RFC 5322
/// 3.4.1), the domain in A-label form (`рф` is `xn--p1ai`), ASCII letters in lower case
/// (as NHSmail matches addresses). Text that is no valid address or domain is only
/// lower-cased.
pub(crate) fn canonical(value: &str) -> String {
    // Nearly every address: ASCII atoms and dots around one `@`, no A-label. Valid or not,
    // its one form is then its lower case (a dot-atom needs no quotes, an ASCII domain no
    // IDNA), which the full reading below would also give, at a fraction of the cost (a
    // bulk send has thousands).
    let lower = value.to_ascii_lowercase();
    let mut ats = 0;
    let plain = lower.bytes().all(|b| {
        ats += usize::from(b == b'@');
        PLAIN[usize::from(b)]
    });
    let a_label = memchr::memchr_iter(b'-', lower.as_bytes()).any(|i| lower.as_bytes()[..=i].ends_with(b"xn--"));
    if plain && ats <= 1 && !a_label {
        return lower;
    }
    if let Ok(parts) = parse(value) {
        return format!("{}@{}", quote_local(&local_content(parts.local)).to_ascii_lowercase(), parts.domain);
    }
    if !value.contains(['@', ' ', '\t'])
        && let Ok(domain) = domain_ascii(value)
    {
        return domain;
    }
    value.to_ascii_lowercase()
}

/// A local part as written in an address: as it is when it is a dot-atom, else quoted
/// (with `\` before `"` and `\`).
pub(crate) fn quote_local(local: &str) -> String {
    let dot_atom = !local.is_empty() && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(is_atext));
    if dot_atom {
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
            // A top-level domain alone, as written and in either IDNA form.
            "test@io",
            "x@рф",
            "x@xn--p1ai",
            "x@пример.рф",
            // Digits and hyphens in the last label, as long as it is not all digits.
            "test@iana.co-uk",
            "test@xn--hxajbheg2az3al.xn--jxalpdlp",
            "test@123.com",
        ] {
            assert_eq!(check(a), Ok(()), "{a}");
        }
    }

    #[test]
    fn invalid_and_why() {
        for (a, why) in [
            ("", Invalid::Empty),
            ("<>", Invalid::Null),
            ("<a@nhs.net", Invalid::UnclosedAngle),
            ("nhs.net", Invalid::NoAt),
            ("a@", Invalid::NoDomain),
            ("@nhs.net", Invalid::NoLocal),
            ("a@localhost", Invalid::NotATld("localhost".into())),
            ("pathology.results@nhs", Invalid::NotATld("nhs".into())),
            ("a..b@nhs.net", Invalid::EmptyAtom),
            ("a@nhs..net", Invalid::EmptyLabel),
            ("a@-x.net", Invalid::Hyphen),
            ("a b@nhs.net", Invalid::Inner),
            ("a(c)b@nhs.net", Invalid::Inner),
            ("(a@nhs.net", Invalid::UnclosedComment),
            ("a@nhs.net(c\\)", Invalid::UnclosedComment),
            ("a@nhs.net (c)", Invalid::Inner),
            ("a@nhs.123", Invalid::NumericTld),
            ("a@10.1.2.3", Invalid::NumericTld),
            ("a@[10.1.2.3]", Invalid::Literal),
            ("\"a\"b@nhs.net", Invalid::AfterQuote),
            ("\"a\".b@nhs.net", Invalid::AfterQuote),
            ("a.\"b\"@nhs.net", Invalid::QuoteInside),
            ("\"\"@nhs.net", Invalid::EmptyQuoted),
            ("\"a@nhs.net", Invalid::UnclosedQuote),
            ("\"a\\\"@nhs.net", Invalid::UnclosedQuote),
            ("\"\u{7}\"@nhs.net", Invalid::Control),
            ("\"a\\©\"@nhs.net", Invalid::NeedlessPair),
            ("a;@nhs.net", Invalid::Special(';')),
            ("a@nhs/x.net", Invalid::DomainChar('/')),
            ("a@b@nhs.net", Invalid::DomainChar('@')),
        ] {
            assert_eq!(check(a), Err(why), "{a}");
        }
        let long_local = format!("{}@nhs.net", "a".repeat(65));
        assert_eq!(check(&long_local), Err(Invalid::LocalTooLong));
        let long_label = format!("a@{}.net", "a".repeat(64));
        assert_eq!(check(&long_label), Err(Invalid::LabelTooLong));
    }

    #[test]
    fn one_form_for_comparing() {
        // Quoting that is not needed does not change the address.
        assert_eq!(canonical("\"pathology.results\"@nhs.net"), "pathology.results@nhs.net");
        assert_eq!(canonical("Pathology.Results@NHS.net"), "pathology.results@nhs.net");
        assert_eq!(canonical("\"results team\"@nhs.net"), "\"results team\"@nhs.net");
        assert_eq!(canonical("\"\\a\"@nhs.net"), "a@nhs.net");
        // An A-label and its U-label are the same domain.
        assert_eq!(canonical("x@рф"), canonical("x@xn--p1ai"));
        assert_eq!(canonical("x@ПРИМЕР.рф"), "x@xn--e1afmkfd.xn--p1ai");
        assert_eq!(canonical("пример.рф"), "xn--e1afmkfd.xn--p1ai");
        // Neither an address nor a domain: only lower-cased.
        assert_eq!(canonical("Pathology Results"), "pathology results");
        for b in 0..=255u8 {
            let expected = b.is_ascii() && (is_atext(char::from(b)) || b == b'.' || b == b'@');
            assert_eq!(PLAIN[usize::from(b)], expected, "byte {b}");
        }
        // The short way and the full reading agree where both apply.
        for plain in ["Pathology.Results@NHS.net", "a..b@nhs.net", "x@nhs", "NHS.net", "@nhs.net", "a@", "x@xn--P1AI"] {
            let full = match parse(plain) {
                Ok(parts) => {
                    format!("{}@{}", quote_local(&local_content(parts.local)).to_ascii_lowercase(), parts.domain)
                }
                Err(_) if !plain.contains('@') => domain_ascii(plain).unwrap_or_else(|_| plain.to_ascii_lowercase()),
                Err(_) => plain.to_ascii_lowercase(),
            };
            assert_eq!(canonical(plain), full, "{plain}");
        }
    }

    #[test]
    fn unquoting_for_patterns() {
        assert_eq!(unquoted("\"no reply\"@nhs.net").as_deref(), Some("no reply@nhs.net"));
        assert_eq!(unquoted("noreply@nhs.net"), None);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_local("results.team"), "results.team");
        assert_eq!(quote_local("results team"), "\"results team\"");
        assert_eq!(quote_local("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn the_top_level_domains_are_a_clean_list() {
        let tlds: Vec<&str> = TLDS.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(tlds.len() > 1400, "{}", tlds.len());
        assert!(tlds.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
        for tld in tlds {
            assert_eq!(domain_ascii(tld).as_deref(), Ok(tld), "an A-label in lower case");
        }
    }
}

#[cfg(test)]
mod properties {
    //! The grammar against RFC 5322 3.4.1 `addr-spec`, generated from its ABNF: every
    //! dot-atom and non-empty quoted-string local part (qtext, FWS as single spaces,
    //! quoted-pair) at an LDH domain is valid; breaking the grammar (an unquoted special
    //! or space, an empty atom, a stray quote or backslash) makes it invalid.
    use proptest::prelude::*;

    use super::*;

    fn dot_atom() -> impl Strategy<Value = String> {
        proptest::collection::vec("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,8}", 1..4).prop_map(|atoms| atoms.join("."))
    }

    fn quoted_string() -> impl Strategy<Value = String> {
        // qtext = %d33 / %d35-91 / %d93-126; quoted-pair = "\" (VCHAR / WSP).
        let qcontent = prop_oneof!["[!#-\\[\\]-~]", " ", "[!-~ ]".prop_map(|c| format!("\\{c}")),];
        proptest::collection::vec(qcontent, 1..12).prop_map(|parts| format!("\"{}\"", parts.concat()))
    }

    fn domain() -> impl Strategy<Value = String> {
        // No `--` in a label's third and fourth places: IDNA reserves those labels (`xn--`
        // starts an A-label, which must then decode: `xn--a` does not), and the tests that
        // read them are the IDNA ones.
        let label = "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?".prop_filter("a reserved label", |l| l.get(2..4) != Some("--"));
        (proptest::collection::vec(label, 1..3), "[a-z]{2,6}")
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
        fn quoting_that_is_not_needed_names_the_same_address(local in dot_atom(), domain in domain()) {
            // atext holds no `"` or `\`: the quotes alone make it a quoted string.
            prop_assert_eq!(canonical(&format!("\"{local}\"@{domain}")), canonical(&format!("{local}@{domain}")));
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
