//! The clients for what the online checks and `--send` talk to: DNS (hickory), the
//! NHSmail directory over LDAPS (ldap3), the sending mailbox over IMAP (imap), SMTP
//! submission and relay (lettre); the TLS settings and secrets they share. `Services`
//! holds the ones the online rules ask, set up once a run.

pub mod dns;
pub mod imap;
pub mod ldap;
pub mod mailbox_status;
pub mod mailbox_usage;
pub mod secret;
pub mod smtp;
pub mod tls;

use crate::config::Config;
use dns::Dns;
use imap::MailboxClient;
use ldap::Directory;

/// A client that cannot be set up at all (before any question is asked).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot start the {what} runtime: {source}")]
    Runtime { what: &'static str, source: std::io::Error },
    #[error("cannot read the system's DNS configuration: {0}")]
    SystemDns(String),
    #[error("cannot set up the DNS resolver: {0}")]
    Resolver(String),
}

pub struct Services {
    pub dns: Dns,
    pub directory: Option<Directory>,
    pub mailbox: Option<MailboxClient>,
}

impl Services {
    /// With `progress`, long questions (the mailbox's usage summed) show a bar on stderr.
    pub fn new(config: &Config, progress: bool) -> Result<Services, SetupError> {
        Ok(Services {
            dns: Dns::new(&config.dns)?,
            directory: config.directory.clone().map(Directory::new).transpose()?,
            mailbox: config.mailbox.clone().map(|m| MailboxClient::new(m, progress)),
        })
    }
}
