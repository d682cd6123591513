//! `ip_literal`: the whole value, when a host is written as an IP address rather than a
//! DNS name, in any of the forms a resolver or an SMTP client accepts: dotted IPv4
//! (`10.1.2.3`), IPv6 (`2001:db8::25`, with or without a zone), either in brackets as an
//! address literal (`[10.1.2.3]`, `[IPv6:2001:db8::25]`), or with the trailing dot of an
//! absolute name (`10.1.2.3.`). A name whose last label is a number is an address too
//! (`10.1`, `167837955`, `0x0a.1.2.3`): the C library reads those as IPv4, and no DNS
//! name ends in a number (WHATWG URL's host parser decides the same way).

use std::net::Ipv6Addr;

use super::Finding;

pub(crate) fn find_ip_literal(value: &str) -> Vec<Finding> {
    if is_ip_literal(value) { vec![Finding::at(0..value.len())] } else { Vec::new() }
}

fn is_ip_literal(host: &str) -> bool {
    let host = host.trim();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let host = match host.get(..5) {
        Some(prefix) if prefix.eq_ignore_ascii_case("ipv6:") => &host[5..],
        _ => host,
    };
    if host.contains(':') {
        let address = host.split_once('%').map_or(host, |(address, _zone)| address);
        return address.parse::<Ipv6Addr>().is_ok();
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    name.rsplit('.').next().is_some_and(is_number)
}

/// A label the C library reads as a number: decimal, octal (`012`) or hex (`0x0a`).
fn is_number(label: &str) -> bool {
    let digits = match label.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("0x") => return label[2..].bytes().all(|b| b.is_ascii_hexdigit()),
        _ => label,
    };
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_every_form() {
        for host in [
            "10.1.2.3",
            "10.1.2.3.",
            "[10.1.2.3]",
            "[10.1.2.3.]",
            " 10.1.2.3 ",
            "2001:db8::25",
            "[2001:db8::25]",
            "[IPv6:2001:db8::25]",
            "[ipv6:::1]",
            "fe80::1%eth0",
            "::ffff:10.1.2.3",
            "10.1",
            "167837955",
            "0x0a.1.2.3",
            "0x0A010203",
        ] {
            assert_eq!(find_ip_literal(host), vec![Finding::at(0..host.len())], "{host}");
        }
    }

    #[test]
    fn names_are_not_addresses() {
        for host in [
            "relay.nhs.uk",
            "relay.nhs.uk.",
            "send.nhs.net",
            "localhost",
            "10.1.2.3.nip.io",
            "host-10-1-2-3.example.nhs.uk",
            "1host.example",
            "[relay.nhs.uk]",
            "abcd::zz",
            "",
        ] {
            assert!(find_ip_literal(host).is_empty(), "{host}");
        }
    }
}
