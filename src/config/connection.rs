//! What `transport:`, `mailbox:` and `directory:` share once read: the server a block
//! connects to (`Server`: host, port, an extra root certificate, a timeout) and, for the
//! two that log in, the login (`Login`: username, method, secret). Each block still
//! declares its own keys in its spec: their descriptions in `schemas/config.json` and
//! which of them are required differ from block to block, which one flattened struct of
//! keys could not keep.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use miette::Report;
use serde_saphyr::Spanned;

use super::setting::{AtLeast, Auth, Secret, Setting, duration_setting, setting, written_or};
use crate::util::yaml::YamlSource;

/// The server a block connects to.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    pub(crate) host: Setting<String>,
    /// The block's default port unless written; a default points at what implies it.
    pub(crate) port: Setting<u16>,
    /// An extra trusted root certificate (PEM).
    pub(crate) ca_file: Option<PathBuf>,
    /// For connecting and for each step that waits on the server.
    pub(crate) timeout: Duration,
}

/// A block's server keys as written, borrowed from its spec.
pub(crate) struct ServerKeys<'a> {
    pub(crate) host: &'a Spanned<String>,
    pub(crate) port: &'a Option<Spanned<u16>>,
    pub(crate) ca_file: &'a Option<Spanned<String>>,
    pub(crate) timeout: &'a Option<Spanned<String>>,
}

impl ServerKeys<'_> {
    /// The server, with `default_port` (pointing at `implied_at`) where no port is
    /// written and `default_timeout` where no timeout is (a timeout under a second is an
    /// error at its value).
    pub(crate) fn read(
        self,
        source: &YamlSource,
        (default_port, implied_at): (u16, &Range<usize>),
        default_timeout: Duration,
    ) -> Result<Server, Report> {
        Ok(Server {
            host: setting(source, self.host),
            port: written_or(source, self.port, default_port, implied_at),
            ca_file: self.ca_file.as_ref().map(|f| source.resolve(f.value.trim())),
            timeout: duration_setting(source, self.timeout, default_timeout, AtLeast::OneSecond)?,
        })
    }
}

/// How an account logs in. `Username` is the block's: optional for SMTP (the relay logs
/// in nowhere), a `Setting<String>` for the mailbox, which always has one.
#[derive(Debug, Clone)]
pub(crate) struct Login<Username> {
    pub(crate) username: Username,
    /// `plain` unless written; a default points at what implies it.
    pub(crate) auth: Setting<Auth>,
    /// Where the password or token comes from, when given.
    pub(crate) secret: Option<Setting<Secret>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(yaml: &str) -> Result<Server, Report> {
        #[derive(serde::Deserialize)]
        struct Keys {
            host: Spanned<String>,
            port: Option<Spanned<u16>>,
            ca_file: Option<Spanned<String>>,
            timeout: Option<Spanned<String>>,
        }
        let source = YamlSource::new("c.yaml", yaml);
        let keys: Keys = source.parse()?;
        let keys = ServerKeys { host: &keys.host, port: &keys.port, ca_file: &keys.ca_file, timeout: &keys.timeout };
        keys.read(&source, (993, &(0..4)), Duration::from_secs(30))
    }

    #[test]
    fn written_keys_win_and_defaults_point_at_what_implies_them() {
        let s = server("host: ' imap.nhs.net '\n").expect("valid");
        assert_eq!((s.host.value.as_str(), s.port.value, s.port.span.clone()), ("imap.nhs.net", 993, 0..4));
        assert_eq!((s.ca_file, s.timeout), (None, Duration::from_secs(30)));
        let s = server("host: h\nport: 1993\nca_file: ' /ca.pem '\ntimeout: 2min\n").expect("valid");
        assert_eq!((s.port.value, s.port.span), (1993, 14..18));
        assert_eq!((s.ca_file, s.timeout), (Some(PathBuf::from("/ca.pem")), Duration::from_secs(120)));
    }

    #[test]
    fn a_timeout_under_a_second_is_an_error() {
        assert!(server("host: h\ntimeout: 0s\n").is_err());
        assert!(server("host: h\ntimeout: soon\n").is_err());
    }
}
