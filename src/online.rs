//! What the online rules talk to, set up once a run: DNS always, and the NHSmail
//! directory when `directory:` is configured. (The mailbox is read once, by the one
//! rule that needs it, straight from its settings.)

use crate::config::Config;
use crate::directory::Directory;
use crate::dns::Dns;

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
