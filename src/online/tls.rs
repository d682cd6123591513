//! TLS client settings for the mailbox (IMAP, POP), directory (LDAPS) and the probes:
//! the system's trusted roots plus an optional `ca_file`, and certificates always
//! verified. The probes' handshake and what they say about the server's certificate
//! (whose CA, which name, when it expires) live here too, shared by the SMTP and the
//! mailbox probe. (`--send` goes through lettre, which builds its own from the same
//! inputs.)

use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, ClientConnection, StreamOwned};

use super::deadline::{Bound, Deadline, Unarmed};
use crate::util::clock;

/// A `ca_file` that cannot be trusted, or TLS that cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// `ca_file` could not be read.
    #[error("cannot read ca_file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// `ca_file` is not PEM.
    #[error("ca_file {path} is not a PEM certificate: {reason}")]
    NotPem {
        /// The file.
        path: String,
        /// What the parser said.
        reason: String,
    },
    /// `ca_file` holds no certificate.
    #[error("ca_file {path} holds no PEM certificate")]
    Empty {
        /// The file.
        path: String,
    },
    /// A certificate in `ca_file` was refused.
    #[error("ca_file {path} holds a certificate that cannot be used: {reason}")]
    Unusable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The TLS client could not be built.
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

/// The TLS set-up every client shares: the system's roots and `ca_file`, always verified.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are skipped: one bad file must not stop the check.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let name = || path.display().to_string();
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| TlsError::Unreadable { path: name(), reason: e.to_string() })?
            .collect::<Result<_, _>>()
            .map_err(|e| TlsError::NotPem { path: name(), reason: e.to_string() })?;
        if certificates.is_empty() {
            return Err(TlsError::Empty { path: name() });
        }
        for certificate in certificates {
            roots.add(certificate).map_err(|e| TlsError::Unusable { path: name(), reason: e.to_string() })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A finished TLS session over TCP.
pub(crate) type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// A certificate this close to its end is reported (a warning with its date).
pub(crate) const EXPIRY_WARNING: Duration = Duration::from_secs(14 * 24 * 3600);

/// Why a TLS session with the server could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HandshakeError {
    /// The certificate or the handshake was refused: a finding about the server.
    #[error("{0}")]
    Refused(String),
    /// The server stopped answering during the handshake.
    #[error("no answer from {host} during the TLS handshake within {seconds}s")]
    NoAnswer { host: String, seconds: u64 },
}

/// Runs the TLS handshake with `host` over `tcp` (whose read timeout bounds it as a
/// whole: a server that trickles its records cannot hold the run), the certificate
/// verified against `config`'s roots and for `host`.
pub(crate) fn handshake(config: Arc<ClientConfig>, host: &str, tcp: TcpStream) -> Result<TlsStream, HandshakeError> {
    let refused = HandshakeError::Refused;
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| refused(format!("`{host}` cannot be checked against a certificate: {e}")))?;
    let connection = ClientConnection::new(config, name).map_err(|e| refused(format!("cannot start TLS: {e}")))?;
    let timeout = tcp.read_timeout().ok().flatten();
    let seconds = timeout.map_or(0, |t| t.as_secs().max(1));
    let no_answer = || HandshakeError::NoAnswer { host: host.to_owned(), seconds };
    let deadline = timeout.map(Deadline::after);
    let mut stream = StreamOwned::new(connection, tcp);
    while stream.conn.is_handshaking() {
        match deadline.map(|d| d.arm(&stream.sock, Bound::Reads)) {
            None | Some(Ok(())) => {}
            Some(Err(Unarmed::Passed)) => return Err(no_answer()),
            Some(Err(Unarmed::Socket(e))) => return Err(refused(format!("cannot time the handshake: {e}"))),
        }
        if let Err(e) = exchange(&mut stream.conn, &mut stream.sock) {
            return Err(match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(tls) => refused(describe(tls, host)),
                None if super::net::timed_out(&e) => no_answer(),
                None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    refused(format!("{host} closed the connection during the TLS handshake"))
                }
                None => refused(format!("TLS handshake with {host} failed: {e}")),
            });
        }
    }
    // The socket as it was given: what comes next has its own timeout, not what is left.
    stream.sock.set_read_timeout(timeout).map_err(|e| refused(format!("cannot time the connection: {e}")))?;
    Ok(stream)
}

/// One round of the handshake: what is due written, one read, what it brought
/// processed. (rustls' `complete_io` reads until the handshake is done, so the deadline
/// could not be looked at between reads.)
fn exchange(connection: &mut ClientConnection, tcp: &mut TcpStream) -> std::io::Result<()> {
    while connection.wants_write() {
        connection.write_tls(tcp)?;
    }
    if connection.is_handshaking() && connection.wants_read() {
        if connection.read_tls(tcp)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if let Err(e) = connection.process_new_packets() {
            // The alert saying why, for the server's log.
            let _ = connection.write_tls(tcp);
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
        }
    }
    Ok(())
}

/// What a refused handshake means, in words: which of the usual three (a CA not
/// trusted, an expired certificate, another host's certificate) or rustls' own.
fn describe(error: &rustls::Error, host: &str) -> String {
    let certificate = match error {
        rustls::Error::InvalidCertificate(c) => c,
        other => return format!("TLS handshake with {host} failed: {other}"),
    };
    match certificate {
        CertificateError::UnknownIssuer => format!(
            "the certificate of {host} is not from a trusted CA (unknown issuer): neither the system's roots nor \
             `ca_file` vouch for it"
        ),
        CertificateError::BadSignature => format!(
            "the certificate of {host} is not signed by the trusted CA it names (another CA with the same name?)"
        ),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("the certificate of {host} expired on {}", clock::day(not_after.as_secs() as i64))
        }
        CertificateError::Expired => format!("the certificate of {host} has expired"),
        CertificateError::NotValidForNameContext { presented, .. } => {
            // rustls gives each name as it prints it (`DnsName("mail.example.org")`).
            let bare = |n: &String| n.split('"').nth(1).unwrap_or(n).to_owned();
            let names: Vec<String> = presented.iter().map(bare).collect();
            format!("the certificate is not for {host} (wrong name): it names {}", names.join(", "))
        }
        CertificateError::NotValidForName => format!("the certificate is not for {host} (wrong name)"),
        CertificateError::NotValidYetContext { not_before, .. } => {
            format!("the certificate of {host} is not valid until {}", clock::day(not_before.as_secs() as i64))
        }
        other => format!("the certificate of {host} cannot be trusted: {other:?}"),
    }
}

/// The warning for the server's certificate when it ends within `EXPIRY_WARNING`.
pub(crate) fn expiring(connection: &ClientConnection, host: &str) -> Option<String> {
    expiry_warning(host, not_after(connection)?, clock::now())
}

/// When the server's own certificate ends, in seconds since 1970 (`None` when it
/// cannot be read, which the handshake would already have refused).
fn not_after(connection: &ClientConnection) -> Option<i64> {
    let leaf = connection.peer_certificates()?.first()?;
    let (_, parsed) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
    Some(parsed.validity().not_after.timestamp())
}

/// The warning for a certificate ending within `EXPIRY_WARNING` of `now`, with its date.
fn expiry_warning(host: &str, not_after: i64, now: i64) -> Option<String> {
    let left = not_after - now;
    (left < EXPIRY_WARNING.as_secs() as i64).then(|| {
        let days = left / 86_400;
        format!(
            "the certificate of {host} expires on {} (in {days} day{}): renew it before then or the connection will \
             be refused",
            clock::day(not_after),
            if days == 1 { "" } else { "s" }
        )
    })
}

/// `2026-12-05`, in UTC.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_ending_within_14_days_is_a_warning_with_its_date() {
        let now = 1_796_000_000; // 2026-11-30
        let day = 86_400;
        let warning = expiry_warning("smtp.example", now + 5 * day + 60, now).expect("5 days");
        assert!(warning.starts_with("the certificate of smtp.example expires on 2026-12-05 (in 5 days)"), "{warning}");
        assert_eq!(expiry_warning("smtp.example", now + 15 * day, now), None);
        assert!(expiry_warning("smtp.example", now + 14 * day - 1, now).is_some(), "the 14th day still warns");
    }

    #[test]
    fn a_ca_file_with_no_certificate_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let err = client_config(Some(&path)).expect_err("no certificate").to_string();
        assert!(err.contains("ca.pem") && err.contains("no PEM certificate"), "{err}");
        let err = client_config(Some(&dir.path().join("missing.pem"))).expect_err("missing").to_string();
        assert!(err.contains("cannot read ca_file"), "{err}");
    }
}
