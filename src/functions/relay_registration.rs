//! `unregistered_sender` (online): the NHSmail relay does a reverse lookup of the
//! sending server's IP and refuses mail when it finds no registration. The value is the
//! sending IP, or the relay's host name, in which case the sending IP is the local
//! address the operating system picks to reach it (and the finding says so: behind NAT
//! the relay sees another address). No PTR record is the rule's finding; a PTR name that
//! does not resolve back to the IP (not forward-confirmed) is a lesser, warning one: the
//! guidance asks for the reverse lookup, and a relay may or may not confirm it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

use super::Finding;
use crate::findings::diagnostic::Severity;
use crate::online::Services;
use crate::online::dns::{Answer, Dns};

pub(crate) fn find_unregistered(value: &str, services: &Services) -> Vec<Finding> {
    let dns = &services.dns;
    let (ip, inferred) = match value.parse::<IpAddr>() {
        Ok(ip) => (ip, None),
        Err(_) => match sending_address(value, dns) {
            Ok(ip) => (ip, Some(value)),
            Err(why) => return vec![Finding::inconclusive(value, why.to_string())],
        },
    };
    // Said after a finding when the address was worked out, not configured.
    let guessed = |detail: String| match inferred {
        None => detail,
        Some(host) => format!(
            "{detail} ({ip} is this machine's own address on its route to {host}, as no `source_ip` is configured; \
             behind NAT the relay sees another address: set `transport.source_ip` to the one it sees)"
        ),
    };
    let names = match dns.ptr(ip) {
        Answer::Found(names) => names,
        Answer::NotFound => {
            let detail = format!("{ip} has no PTR (reverse DNS) record, so the relay will refuse mail from it");
            return vec![Finding::whole(value, guessed(detail))];
        }
        Answer::Failed(why) => {
            return vec![Finding::inconclusive(value, format!("could not look up the PTR record of {ip}: {why}"))];
        }
    };
    let mut failures = Vec::new();
    for name in &names {
        match dns.addresses(name) {
            Answer::Found(ips) if ips.contains(&ip) => return Vec::new(),
            Answer::Found(_) | Answer::NotFound => {}
            Answer::Failed(why) => failures.push(format!("{name}: {why}")),
        }
    }
    if !failures.is_empty() {
        let why = format!("could not resolve the PTR name of {ip} back: {}", failures.join("; "));
        return vec![Finding::inconclusive(value, why)];
    }
    let detail = format!(
        "{ip} has the PTR name {}, which does not resolve back to {ip}, so the relay may refuse it",
        names.join(", ")
    );
    vec![Finding { severity: Some(Severity::Warning), ..Finding::whole(value, guessed(detail)) }]
}

/// The local address this machine would send from to reach `host`. Connecting a UDP
/// socket sends nothing; it only asks the OS for the route.
fn sending_address(host: &str, dns: &Dns) -> Result<IpAddr, Unroutable> {
    if let Some(relay) = address_literal(host) {
        return local_address_towards(relay).map_err(|source| Unroutable::Unreachable { relay, source });
    }
    let relay = match dns.addresses(host) {
        Answer::Found(ips) if !ips.is_empty() => ips[0],
        Answer::Found(_) | Answer::NotFound => return Err(Unroutable::Unresolvable(host.to_owned())),
        Answer::Failed(why) => return Err(Unroutable::Unanswered { host: host.to_owned(), why }),
    };
    local_address_towards(relay).map_err(|source| Unroutable::Unreachable { relay, source })
}

/// The relay's address when its host is written as one: `[10.1.2.3]`, `[IPv6:2001:db8::25]`,
/// or a bare address with a trailing dot (`10.1.2.3.`).
fn address_literal(host: &str) -> Option<IpAddr> {
    let inner = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let inner = inner.strip_prefix("IPv6:").or_else(|| inner.strip_prefix("ipv6:")).unwrap_or(inner);
    inner.strip_suffix('.').unwrap_or(inner).parse().ok()
}

/// Why the sending address could not be worked out.
#[derive(Debug, thiserror::Error)]
enum Unroutable {
    #[error("{0} does not resolve, so the sending address cannot be worked out")]
    Unresolvable(String),
    #[error("could not resolve {host}: {why}")]
    Unanswered { host: String, why: String },
    #[error("cannot work out the local address used to reach {relay}: {source}")]
    Unreachable { relay: IpAddr, source: std::io::Error },
}

fn local_address_towards(remote: IpAddr) -> std::io::Result<IpAddr> {
    let any: IpAddr = if remote.is_ipv4() { Ipv4Addr::UNSPECIFIED.into() } else { Ipv6Addr::UNSPECIFIED.into() };
    let socket = UdpSocket::bind(SocketAddr::new(any, 0))?;
    socket.connect(SocketAddr::new(remote, 25))?;
    Ok(socket.local_addr()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_written_as_an_address_is_the_relays_address() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        assert_eq!(address_literal("[10.1.2.3]"), ip("10.1.2.3"));
        assert_eq!(address_literal("10.1.2.3."), ip("10.1.2.3"));
        assert_eq!(address_literal("[IPv6:2001:db8::25]"), ip("2001:db8::25"));
        assert_eq!(address_literal("relay.nhs.uk"), None);
    }

    #[test]
    fn the_local_address_towards_loopback_is_loopback() {
        let local = local_address_towards(Ipv4Addr::LOCALHOST.into()).expect("route to loopback");
        assert!(local.is_loopback(), "{local}");
    }
}
