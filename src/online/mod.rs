//! The clients for what the online checks and `--send` talk to: DNS (hickory), the
//! NHSmail directory over LDAPS (ldap3), the sending mailbox over IMAP (imap), SMTP
//! submission and relay (lettre); the probes of the SMTP server and the mailbox (swaks'
//! steps, as findings); the TCP, TLS settings and secrets they share. `Services` holds
//! the ones the online rules ask, set up once a run.

mod deadline;
pub(crate) mod dns;
pub mod imap;
mod imap_error;
mod imap_string;
pub mod ldap;
pub(crate) mod mailbox_probe;
pub(crate) mod mailbox_status;
pub(crate) mod mailbox_usage;
pub(crate) mod net;
pub(crate) mod probe;
pub(crate) mod secret;
pub(crate) mod smtp;
pub(crate) mod smtp_probe;
pub mod tls;

use crate::config::Config;
use dns::Dns;
use imap::MailboxClient;
use ldap::Directory;
use mailbox_probe::MailboxProbe;
use smtp_probe::SmtpProbe;

/// A client that cannot be set up at all (before any question is asked).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The async runtime a client needs could not start.
    #[error("cannot start the {what} runtime: {source}")]
    Runtime {
        /// Which client's.
        what: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The system's resolver settings could not be read.
    #[error("cannot read the system's DNS configuration: {0}")]
    SystemDns(String),
    /// The DNS resolver could not be built.
    #[error("cannot set up the DNS resolver: {0}")]
    Resolver(String),
}

/// The live services this run may ask, each opened when first needed.
pub struct Services {
    pub(crate) dns: Dns,
    pub(crate) directory: Option<Directory>,
    pub(crate) mailbox: Option<MailboxClient>,
    /// The transport's SMTP server, probed when a rule first asks.
    pub(crate) smtp: Option<SmtpProbe>,
    /// The mailbox's connection and login, probed when a rule first asks.
    pub(crate) mailbox_probe: Option<MailboxProbe>,
}

impl Services {
    /// With `progress`, long questions (the mailbox's usage summed) show a bar on stderr;
    /// `request` is what the command line asks of the SMTP probe (`--login`, `--rcpt`).
    pub(crate) fn new(config: &Config, progress: bool, request: smtp_probe::Request) -> Result<Services, SetupError> {
        Ok(Services {
            dns: Dns::new(&config.dns)?,
            directory: config.directory.clone().map(Directory::new).transpose()?,
            mailbox: config.mailbox.clone().map(|m| MailboxClient::new(m, progress)),
            smtp: config.transport.clone().map(|t| SmtpProbe::new(t, config.account.clone(), request)),
            mailbox_probe: config.mailbox.clone().map(MailboxProbe::new),
        })
    }
}
