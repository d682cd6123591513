//! The sending mailbox's quota, read over IMAP with implicit TLS: log in, ask
//! CAPABILITY, then `GETQUOTAROOT INBOX` (RFC 9208), or, where the server has no QUOTA
//! extension (Exchange Online), the usage summed folder by folder (`mailbox_usage`)
//! to hold against `mailbox.quota`. Over quota, NHSmail sends nothing, so the
//! pre-flight reads it before a send.

use imap::types::QuotaResourceName;

use super::imap_error::describe;
use super::mailbox_usage::{self, Usage};
use super::secret;
use crate::config::mailbox::{MailboxSettings, QuotaLimit};
use crate::config::setting::Auth;

/// One quota resource: STORAGE is in units of 1024 octets, MESSAGE counts messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    pub(crate) name: String,
    pub(crate) usage: u64,
    pub(crate) limit: u64,
}

/// What the server said about the quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Quota {
    /// The resources of every quota root INBOX belongs to (none: no limit applies).
    Resources(Vec<Resource>),
    /// The server does not offer the QUOTA extension: the usage summed, and the limit
    /// `mailbox.quota` gives, if it gives one.
    Summed { usage: Usage, limit: Option<QuotaLimit> },
}

/// The sending mailbox as the online rules ask it: its quota is read once a run,
/// however many rules ask.
pub(crate) struct MailboxClient {
    settings: MailboxSettings,
    /// A progress bar on stderr while the usage is summed (a terminal only).
    progress: bool,
    quota: std::sync::OnceLock<Result<Quota, MailboxError>>,
}

impl MailboxClient {
    pub(crate) fn new(settings: MailboxSettings, progress: bool) -> Self {
        MailboxClient { settings, progress, quota: std::sync::OnceLock::new() }
    }

    pub(crate) fn host(&self) -> &str {
        &self.settings.server.host.value
    }

    pub(crate) fn quota(&self) -> Result<Quota, MailboxError> {
        self.quota.get_or_init(|| read_quota(&self.settings, self.progress)).clone()
    }

    /// What the quota read found, if a rule asked for it this run (never asks itself).
    pub(crate) fn read(&self) -> Option<&Result<Quota, MailboxError>> {
        self.quota.get()
    }
}

/// Why the mailbox's quota could not be read: the password's source, DNS, TCP, TLS, a
/// refused login, the protocol. Said in place of a verdict ("could not check").
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum MailboxError {
    #[error(transparent)]
    Secret(#[from] secret::SecretError),
    #[error("the mailbox has no password_env, password_file or token_command")]
    NoSecret,
    #[error(transparent)]
    Tls(#[from] super::tls::TlsError),
    #[error(transparent)]
    Connect(#[from] super::net::ConnectError),
    #[error(transparent)]
    Handshake(#[from] super::tls::HandshakeError),
    #[error("{server} refused the login of {user}: {reason}")]
    Refused { server: String, user: String, reason: String },
    #[error("{server}: {reason}")]
    Protocol { server: String, reason: String },
    #[error("{server}: {source}")]
    Folders { server: String, source: mailbox_usage::ListError },
}

/// The quota, or why it could not be read.
fn read_quota(mailbox: &MailboxSettings, progress: bool) -> Result<Quota, MailboxError> {
    let (host, port, timeout) = (&mailbox.server.host.value, mailbox.server.port.value, mailbox.server.timeout);
    let server = format!("{host}:{port}");
    let secret = match &mailbox.login.secret {
        Some(source) => secret::fetch(&source.value)?,
        None => return Err(MailboxError::NoSecret),
    };
    let tls = super::tls::client_config(mailbox.server.ca_file.as_deref())?;
    // The probe's connect: the name looked up within the timeout too, and the failure
    // naming the address and how it failed.
    let tcp = super::net::connect(host, port, timeout, None)?;
    let protocol = |reason: String| MailboxError::Protocol { server: server.clone(), reason };
    // A second handle on the socket, for the summing's deadline (the session owns the stream).
    let socket = tcp.try_clone().map_err(|e| protocol(format!("cannot share the connection: {e}")))?;
    // The probe's handshake, bounded as a whole by the timeout (left to the first read,
    // rustls would read until it is done, however slowly the server sends).
    let stream = super::tls::handshake(tls, host, tcp)?;
    let mut client = imap::Client::new(stream);
    client.read_greeting().map_err(|e| protocol(describe(&e)))?;
    let user = &mailbox.login.username.value;
    let signed_in = match mailbox.login.auth.value {
        Auth::Plain | Auth::Login => client.login(user, secret.expose()),
        Auth::Xoauth2 => client.authenticate("XOAUTH2", &Xoauth2 { user, token: secret.expose() }),
    };
    let mut session = signed_in.map_err(|(e, _)| match e {
        imap::Error::No(no) => MailboxError::Refused {
            server: server.clone(),
            user: user.clone(),
            reason: no.information.trim().to_owned(),
        },
        e => protocol(format!("login failed: {}", describe(&e))),
    })?;
    let capabilities = session.capabilities().map_err(|e| protocol(describe(&e)))?;
    if !capabilities.has_str("QUOTA") {
        let usage = mailbox_usage::sum(&mut session, &socket, timeout, progress)
            .map_err(|source| MailboxError::Folders { server: server.clone(), source })?;
        // A polite goodbye, unless the count stopped early (a reply may still be on its way):
        // the answer is already known.
        if usage.complete() {
            let _ = session.logout();
        }
        return Ok(Quota::Summed { usage, limit: mailbox.quota.clone() });
    }
    let answer = session.get_quota_root("INBOX").map_err(|e| protocol(describe(&e)))?;
    let resources = answer
        .quotas()
        .iter()
        .flat_map(|quota| &quota.resources)
        .map(|r| Resource {
            name: match &r.name {
                QuotaResourceName::Storage => "STORAGE".to_owned(),
                QuotaResourceName::Message => "MESSAGE".to_owned(),
                other => other.to_string(),
            },
            usage: r.usage,
            limit: r.limit,
        })
        .collect();
    let _ = session.logout();
    Ok(Quota::Resources(resources))
}

/// SASL XOAUTH2 (as Exchange Online takes it): the user and bearer token in one
/// message. A failure comes back as a challenge holding a JSON error, answered empty so
/// that the server ends the exchange with NO.
struct Xoauth2<'a> {
    user: &'a str,
    token: &'a str,
}

impl imap::Authenticator for Xoauth2<'_> {
    type Response = String;

    fn process(&self, challenge: &[u8]) -> String {
        if challenge.is_empty() {
            format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::yaml::YamlSource;

    fn mailbox(yaml: &str) -> MailboxSettings {
        let source = YamlSource::new("c.yaml", yaml);
        MailboxSettings::from_spec(source.parse().expect("shape"), &source).expect("valid")
    }

    #[test]
    fn a_closed_port_is_named() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let dir = tempfile::tempdir().expect("dir");
        let password = dir.path().join("p");
        std::fs::write(&password, "x").expect("write");
        let yaml =
            format!("host: 127.0.0.1\nport: {port}\nusername: a@nhs.net\npassword_file: {}\n", password.display());
        let failure = read_quota(&mailbox(&yaml), false).expect_err("nothing listens");
        assert!(
            matches!(failure, MailboxError::Connect(crate::online::net::ConnectError::Refused { port: p, .. }) if p == port),
            "{failure}"
        );
        assert!(failure.to_string().starts_with(&format!("127.0.0.1:{port} refused the connection")), "{failure}");
    }
}
