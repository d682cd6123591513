//! Opening a TCP connection for the probes: the name looked up, every address of the
//! host tried in turn, each within the timeout, and reads and writes bounded by it too,
//! so a resolver or server that stops answering cannot hang the run. Errors say which address and what
//! happened (refused, timed out, no route).

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why no connection could be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("{host} has no address")]
    NoAddress { host: String },
    #[error("{address} refused the connection (nothing listens on port {port})")]
    Refused { address: SocketAddr, port: u16 },
    #[error("no answer from {address} within {seconds}s (a firewall may drop the connection)")]
    TimedOut { address: SocketAddr, seconds: u64 },
    #[error("no route to {address}")]
    NoRoute { address: SocketAddr },
    #[error("cannot connect to {address}: {reason}")]
    Other { address: SocketAddr, reason: String },
}

/// A connection to the first address of `host` that answers within `timeout`, from
/// `source` when given (the relay knows a sender by its address: `transport.source_ip`),
/// trying only the addresses of its family.
pub(crate) fn connect(
    host: &str,
    port: u16,
    timeout: Duration,
    source: Option<IpAddr>,
) -> Result<TcpStream, ConnectError> {
    let addresses = resolve(host, port, timeout)?;
    let mut last = ConnectError::NoAddress { host: host.to_owned() };
    let reachable = addresses.into_iter().filter(|a| source.is_none_or(|s| s.is_ipv4() == a.is_ipv4()));
    for address in reachable {
        match open(address, timeout, source) {
            Ok(stream) => {
                let bounded =
                    stream.set_read_timeout(Some(timeout)).and_then(|()| stream.set_write_timeout(Some(timeout)));
                return bounded.map(|()| stream).map_err(|e| ConnectError::Other { address, reason: e.to_string() });
            }
            Err(e) => {
                last = match e.kind() {
                    ErrorKind::ConnectionRefused => ConnectError::Refused { address, port },
                    ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                        ConnectError::TimedOut { address, seconds: timeout.as_secs().max(1) }
                    }
                    ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => ConnectError::NoRoute { address },
                    _ => ConnectError::Other { address, reason: e.to_string() },
                }
            }
        }
    }
    Err(last)
}

fn open(address: SocketAddr, timeout: Duration, source: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let Some(source) = source else { return TcpStream::connect_timeout(&address, timeout) };
    let socket = socket2::Socket::new(socket2::Domain::for_address(address), socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(source, 0).into())?;
    socket.connect_timeout(&address.into(), timeout)?;
    Ok(socket.into())
}

/// The addresses of `host`, asked of the system's resolver on a thread of its own, since
/// the C library's lookup takes no timeout: a resolver that does not answer within
/// `timeout` is a finding, not a hang (the lookup is left to finish on its own).
fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, ConnectError> {
    let failed = |reason: String| ConnectError::Resolve { host: host.to_owned(), reason };
    let (answer, answered) = std::sync::mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            let _ = answer.send((name.as_str(), port).to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        })
        .map_err(|e| failed(format!("cannot start the lookup: {e}")))?;
    match answered.recv_timeout(timeout) {
        Ok(found) => found.map_err(|e| failed(e.to_string())),
        Err(_) => Err(failed(format!("no answer from the resolver within {}s", timeout.as_secs().max(1)))),
    }
}

/// Whether an I/O error is a read or write that ran out of time.
pub(crate) fn timed_out(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_is_refused_and_named() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let error = connect("127.0.0.1", port, Duration::from_secs(2), None).expect_err("closed");
        assert_eq!(error, ConnectError::Refused { address: SocketAddr::from(([127, 0, 0, 1], port)), port });
        assert!(error.to_string().starts_with(&format!("127.0.0.1:{port} refused the connection")), "{error}");
    }

    #[test]
    fn a_name_that_does_not_resolve_is_named() {
        let error =
            connect("no-such-host.invalid", 25, Duration::from_secs(5), None).expect_err("RFC 2606: never resolves");
        assert!(matches!(&error, ConnectError::Resolve { host, .. } if host == "no-such-host.invalid"), "{error}");
        assert!(error.to_string().starts_with("cannot resolve no-such-host.invalid: "), "{error}");
    }
}
