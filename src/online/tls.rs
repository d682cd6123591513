//! TLS client settings for the mailbox (IMAP) and directory (LDAPS) checks: the
//! system's trusted roots plus an optional `ca_file`, and certificates always verified.
//! (SMTP goes through lettre, which builds its own from the same inputs.)

use std::path::Path;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// A `ca_file` that cannot be trusted, or TLS that cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read ca_file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("ca_file {path} is not a PEM certificate: {reason}")]
    NotPem { path: String, reason: String },
    #[error("ca_file {path} holds no PEM certificate")]
    Empty { path: String },
    #[error("ca_file {path} holds a certificate that cannot be used: {reason}")]
    Unusable { path: String, reason: String },
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
