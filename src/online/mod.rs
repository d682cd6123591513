//! The clients for what the online checks and `--send` talk to: DNS (hickory), the
//! NHSmail directory over LDAPS (ldap3), the sending mailbox over IMAP (imap), SMTP
//! submission and relay (lettre); the TLS settings and secrets they share. `Services`
//! holds the ones the online rules ask, set up once a run.

pub mod dns;
pub mod imap;
pub mod ldap;
pub mod secret;
pub mod smtp;
pub mod tls;

use crate::config::Config;
use dns::Dns;
use ldap::Directory;

pub struct Services {
    pub dns: Dns,
    pub directory: Option<Directory>,
}

impl Services {
    pub fn new(config: &Config) -> Result<Services, String> {
        Ok(Services {
            dns: Dns::new(&config.dns)?,
            directory: config.directory.clone().map(Directory::new).transpose()?,
        })
    }
}
