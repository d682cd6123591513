//! Delivery over SMTP with lettre's connection, one connection reused across messages.
//! Submission: STARTTLS required, then AUTH with the account. Relay: STARTTLS when
//! offered, no AUTH. Certificates are always verified (system roots, plus `ca_file`).
//!
//! Driving the transaction step by step tells a failure before the message body went
//! out (safe to retry) from one after it (the server may have it: outcome unknown, never
//! retried blindly), which is what keeps a message from being sent twice.

use std::net::IpAddr;
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;

use super::secret::Credential;
use crate::config::setting::Auth;
use crate::config::transport::{Mode, Transport};

/// How one message's delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The server accepted it; its reply.
    Sent(String),
    /// It was not delivered: the server refused it, or every attempt failed.
    Failed(String),
    /// The body went out and no verdict came back: the server may have it.
    Unknown(String),
}

/// Why one attempt did not deliver.
enum Attempt {
    /// Nothing was delivered and trying again may work (4xx, a dropped connection, a timeout).
    Retry(String),
    /// Nothing was delivered and trying again will not help (5xx, TLS, authentication).
    Refused(String),
    Unknown(String),
}

/// Why a connection to the SMTP server cannot even be set up.
#[derive(Debug, thiserror::Error)]
pub enum SmtpSetupError {
    #[error(transparent)]
    Tls(#[from] super::tls::TlsError),
    #[error("cannot set up TLS: {0}")]
    Lettre(String),
    #[error("submission needs a password or token")]
    NoCredential,
}

pub(crate) struct Sender {
    transport: Transport,
    hello: ClientId,
    tls: TlsParameters,
    credentials: Option<Credentials>,
    local_address: Option<IpAddr>,
    connection: Option<SmtpConnection>,
}

impl Sender {
    /// `credential` is required for submission; `hello` overrides the EHLO name.
    pub(crate) fn new(
        transport: &Transport,
        credential: Option<Credential>,
        hello: Option<String>,
    ) -> Result<Sender, SmtpSetupError> {
        use super::tls::TlsError;
        let mut tls = TlsParameters::builder(transport.server.host.value.clone());
        if let Some(path) = &transport.server.ca_file {
            let name = || path.display().to_string();
            let pem = std::fs::read(path).map_err(|e| TlsError::Unreadable { path: name(), reason: e.to_string() })?;
            let certificate =
                Certificate::from_pem(&pem).map_err(|e| TlsError::NotPem { path: name(), reason: e.to_string() })?;
            tls = tls.add_root_certificate(certificate);
        }
        let tls = tls.build_rustls().map_err(|e| SmtpSetupError::Lettre(e.to_string()))?;
        let credentials = match (transport.mode.value, credential) {
            (Mode::Submission, Some(secret)) => {
                let username = transport.login.username.as_ref().map(|u| u.value.clone()).unwrap_or_default();
                Some(Credentials::new(username, secret.expose().to_owned()))
            }
            (Mode::Submission, None) => return Err(SmtpSetupError::NoCredential),
            (Mode::Relay, _) => None,
        };
        let hello = match hello.or_else(|| transport.ehlo_name.clone()) {
            Some(name) => ClientId::Domain(name),
            None => ClientId::default(),
        };
        let local_address = transport.source_ip.as_ref().map(|ip| ip.value);
        Ok(Sender { transport: transport.clone(), hello, tls, credentials, local_address, connection: None })
    }

    /// Delivers one message, retrying transient failures with a doubling backoff.
    pub(crate) fn deliver(&mut self, from: &str, to: &[String], body: &[u8]) -> Delivery {
        let (from, to) = match envelope(from, to) {
            Ok(addresses) => addresses,
            Err(why) => return Delivery::Failed(why.to_string()),
        };
        let attempts = self.transport.attempts;
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.attempt(&from, &to, body) {
                Ok(reply) => return Delivery::Sent(reply),
                Err(Attempt::Refused(why)) => return Delivery::Failed(why),
                Err(Attempt::Unknown(why)) => {
                    self.connection = None;
                    return Delivery::Unknown(why);
                }
                Err(Attempt::Retry(why)) => {
                    self.connection = None;
                    last = why;
                    if attempt < attempts {
                        std::thread::sleep(self.transport.backoff * 2u32.saturating_pow(attempt - 1));
                    }
                }
            }
        }
        Delivery::Failed(format!("gave up after {attempts} attempts: {last}"))
    }

    /// Says goodbye on the open connection, if any.
    pub(crate) fn close(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            let _ = connection.quit();
        }
    }

    fn attempt(&mut self, from: &Address, to: &[Address], body: &[u8]) -> Result<String, Attempt> {
        let connection = self.connection()?;
        let mut parameters = Vec::new();
        if !body.is_ascii() {
            if !connection.server_info().supports_feature(Extension::EightBitMime) {
                return Err(Attempt::Refused("the message has 8-bit content and the server lacks 8BITMIME".into()));
            }
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let before_body = |connection: &mut SmtpConnection,
                           result: Result<Response, lettre::transport::smtp::Error>| {
            result.map_err(|e| {
                // The connection may still be good after a refusal: clear the transaction.
                if e.is_transient() || e.is_permanent() {
                    let _ = connection.command(Rset);
                }
                classify_before_body(&e)
            })
        };
        let result = connection.command(Mail::new(Some(from.clone()), parameters));
        before_body(connection, result)?;
        for address in to {
            let result = connection.command(Rcpt::new(address.clone(), Vec::new()));
            before_body(connection, result)?;
        }
        let result = connection.command(Data);
        before_body(connection, result)?;
        match connection.message(body) {
            Ok(reply) => Ok(describe(&reply)),
            Err(e) if e.is_transient() => Err(Attempt::Retry(e.to_string())),
            Err(e) if e.is_permanent() => Err(Attempt::Refused(e.to_string())),
            Err(e) => Err(Attempt::Unknown(format!("no reply after the message was sent: {e}"))),
        }
    }

    /// The open connection, or a new one: connected, encrypted, authenticated.
    fn connection(&mut self) -> Result<&mut SmtpConnection, Attempt> {
        if self.connection.as_mut().is_some_and(|c| !c.has_broken() && c.test_connected()) {
            return Ok(self.connection.as_mut().expect("checked"));
        }
        let t = &self.transport;
        let address = (t.server.host.value.as_str(), t.server.port.value);
        let mut connection =
            SmtpConnection::connect(address, Some(t.server.timeout), &self.hello, None, self.local_address)
                .map_err(|e| classify_before_body(&e))?;
        match (t.mode.value, connection.can_starttls()) {
            (_, true) => connection.starttls(&self.tls, &self.hello).map_err(|e| classify_before_body(&e))?,
            (Mode::Submission, false) => {
                return Err(Attempt::Refused(format!(
                    "{} does not offer STARTTLS, which submission requires",
                    t.server.host.value
                )));
            }
            // The relay's TLS is opportunistic.
            (Mode::Relay, false) => {}
        }
        if let Some(credentials) = &self.credentials {
            let mechanism = match t.login.auth.value {
                Auth::Plain => Mechanism::Plain,
                Auth::Login => Mechanism::Login,
                Auth::Xoauth2 => Mechanism::Xoauth2,
            };
            connection.auth(&[mechanism], credentials).map_err(|e| match classify_before_body(&e) {
                Attempt::Retry(why) => Attempt::Retry(why),
                _ => Attempt::Refused(format!("authentication failed: {e}")),
            })?;
        }
        Ok(self.connection.insert(connection))
    }
}

/// Before the body has gone out nothing was delivered: a 4xx, a network failure or a
/// timeout is worth another try; a 5xx, a TLS failure (an untrusted certificate) or a
/// client-side problem is not.
fn classify_before_body(e: &lettre::transport::smtp::Error) -> Attempt {
    if e.is_permanent() || e.is_tls() || e.is_client() {
        Attempt::Refused(e.to_string())
    } else {
        Attempt::Retry(e.to_string())
    }
}

fn describe(reply: &Response) -> String {
    let text: Vec<&str> = reply.message().collect();
    format!("{} {}", reply.code(), text.join(" ")).trim().to_owned()
}

/// An address the envelope cannot carry.
#[derive(Debug, thiserror::Error)]
#[error("`{address}` cannot be used in the envelope: {source}")]
struct EnvelopeError {
    address: String,
    source: lettre::address::AddressError,
}

fn envelope(from: &str, to: &[String]) -> Result<(Address, Vec<Address>), EnvelopeError> {
    let parse = |a: &str| a.parse::<Address>().map_err(|source| EnvelopeError { address: a.to_owned(), source });
    Ok((parse(from)?, to.iter().map(|a| parse(a)).collect::<Result<_, _>>()?))
}

/// The name EHLO gives when `ehlo_name` does not say: for the relay, the sending IP's
/// registered (PTR) name when DNS has one; else `None`, the machine's own name. The
/// probe and `--send` greet alike.
pub(crate) fn hello_name(transport: &Transport, dns: Option<&super::dns::Dns>) -> Option<String> {
    if let Some(name) = &transport.ehlo_name {
        return Some(name.clone());
    }
    if transport.mode.value != Mode::Relay {
        return None;
    }
    match dns?.ptr(transport.source_ip.as_ref()?.value) {
        super::dns::Answer::Found(names) => names.into_iter().next(),
        _ => None,
    }
}

/// The pause the throttle needs between two sends.
pub(crate) fn spacing(rate_per_minute: u32) -> Duration {
    Duration::from_secs(60) / rate_per_minute.max(1)
}
