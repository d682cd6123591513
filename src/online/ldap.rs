//! The NHSmail directory client: LDAP over TLS through ldap3, no authentication. One
//! connection a run, made when first needed and made again if the server drops it
//! (directories close idle connections, and an archive scan is long); each address is
//! asked once however many messages or threads name it, with a bounded number of
//! searches in flight and a timeout on each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use tokio::sync::{Mutex as AsyncMutex, Semaphore};

use crate::config::directory::DirectorySettings;

/// What the directory holds under one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryEntry {
    /// A person's mailbox.
    Person,
    /// A distribution list (an entry of one of `group_classes`).
    List,
    /// Nothing: the directory does not know the address.
    Missing,
}

/// Why the directory could not be asked; said in place of a verdict ("could not check").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// The TLS set-up failed.
    #[error(transparent)]
    Tls(#[from] super::tls::TlsError),
    /// The directory could not be reached.
    #[error("cannot reach the directory at {url}: {reason}")]
    Unreachable {
        /// Where it was asked.
        url: String,
        /// Why it could not be reached.
        reason: String,
    },
    /// A search got no answer.
    #[error("the directory at {url} did not answer the search for {address}: {reason}")]
    Search {
        /// Where it was asked.
        url: String,
        /// The address searched for.
        address: String,
        /// Why there was no answer.
        reason: String,
    },
    /// The client's worker stopped.
    #[error("the directory client stopped: {0}")]
    Stopped(String),
}

type Lookup = Result<DirectoryEntry, DirectoryError>;

/// The connection, as far as this run has got with it.
enum Link {
    Unopened,
    Open(Ldap),
    /// Opening it failed: every lookup says why, at once, rather than waiting out a
    /// timeout per address.
    Failed(DirectoryError),
}

/// The NHSmail directory over LDAPS: one connection, opened when first needed, each address asked once.
pub struct Directory {
    settings: DirectorySettings,
    runtime: tokio::runtime::Runtime,
    link: AsyncMutex<Link>,
    permits: Semaphore,
    asked: Mutex<HashMap<String, Arc<OnceLock<Lookup>>>>,
}

impl Directory {
    /// A directory client for these settings; nothing is asked yet.
    pub fn new(settings: DirectorySettings) -> Result<Directory, super::SetupError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|source| super::SetupError::Runtime { what: "directory", source })?;
        let permits = Semaphore::new(settings.concurrency);
        Ok(Directory { settings, runtime, link: AsyncMutex::new(Link::Unopened), permits, asked: Mutex::default() })
    }

    pub(crate) fn settings(&self) -> &DirectorySettings {
        &self.settings
    }

    /// What the directory holds under `address`; `Err` when it could not be asked.
    pub fn lookup(&self, address: &str) -> Lookup {
        let slot = {
            let mut asked = self.asked.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            asked.entry(address.to_ascii_lowercase()).or_default().clone()
        };
        slot.get_or_init(|| {
            self.runtime.block_on(async {
                let ldap = self.connection().await?;
                match self.search(ldap.clone(), address).await {
                    // The server dropped the connection under this search: once more, anew.
                    Err(_) if ldap.clone().is_closed() => self.search(self.connection().await?, address).await,
                    answer => answer,
                }
            })
        })
        .clone()
    }

    /// The open connection, opened (again) if there is none or the server closed it.
    async fn connection(&self) -> Result<Ldap, DirectoryError> {
        let mut link = self.link.lock().await;
        match &*link {
            Link::Failed(why) => return Err(why.clone()),
            Link::Open(ldap) if !ldap.clone().is_closed() => return Ok(ldap.clone()),
            Link::Open(_) | Link::Unopened => {}
        }
        let opened = self.connect().await;
        *link = match &opened {
            Ok(ldap) => Link::Open(ldap.clone()),
            Err(why) => Link::Failed(why.clone()),
        };
        opened
    }

    async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let url = self.settings.url();
        let tls = super::tls::client_config(self.settings.server.ca_file.as_deref())?;
        let settings = LdapConnSettings::new().set_config(tls).set_conn_timeout(self.settings.server.timeout);
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &url)
            .await
            .map_err(|e| DirectoryError::Unreachable { url: url.clone(), reason: e.to_string() })?;
        ldap3::drive!(connection);
        Ok(ldap)
    }

    async fn search(&self, mut ldap: Ldap, address: &str) -> Lookup {
        let _permit = self.permits.acquire().await.map_err(|e| DirectoryError::Stopped(e.to_string()))?;
        let filter = format!("({}={})", self.settings.mail_attribute, ldap_escape(address));
        let url = self.settings.url();
        let (entries, _) = ldap
            .with_timeout(self.settings.server.timeout)
            .search(&self.settings.base_dn, Scope::Subtree, &filter, vec!["objectClass"])
            .await
            .and_then(|result| result.success())
            .map_err(|e| DirectoryError::Search {
                url: url.clone(),
                address: address.to_owned(),
                reason: e.to_string(),
            })?;
        // Several entries may share an address (a person and a list alias): a list wins,
        // since sends to it are the ones to space out.
        let groups: Vec<bool> = entries.into_iter().map(|e| self.is_group(SearchEntry::construct(e))).collect();
        Ok(match (groups.is_empty(), groups.contains(&true)) {
            (true, _) => DirectoryEntry::Missing,
            (false, true) => DirectoryEntry::List,
            (false, false) => DirectoryEntry::Person,
        })
    }

    fn is_group(&self, entry: SearchEntry) -> bool {
        let mut classes = entry.attrs.into_values().flatten();
        classes.any(|c| self.settings.group_classes.iter().any(|g| g.eq_ignore_ascii_case(&c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::yaml::YamlSource;

    fn settings(yaml: &str) -> DirectorySettings {
        let source = YamlSource::new("c.yaml", yaml);
        DirectorySettings::from_spec(source.parse().expect("shape"), &source).expect("valid")
    }

    #[test]
    fn an_unreachable_directory_is_an_answer_not_a_hang() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let directory =
            Directory::new(settings(&format!("host: 127.0.0.1\nport: {port}\nbase_dn: o=nhs\n"))).expect("runtime");
        let err = directory.lookup("a@nhs.net").expect_err("nothing listens").to_string();
        assert!(err.contains("cannot reach the directory"), "{err}");
        assert_eq!(directory.lookup("b@nhs.net").expect_err("same connection").to_string(), err);
    }
}
