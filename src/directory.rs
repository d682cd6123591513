//! The NHSmail directory (`directory:` in `nhsmail-lint.yaml`): LDAP over TLS on 636,
//! no authentication, through ldap3. One connection a run, made when first needed and
//! made again if the server drops it (directories close idle connections, and an
//! archive scan is long); each address is asked once however many messages or threads
//! name it, with a bounded number of searches in flight and a timeout on each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use miette::Report;
use serde::Deserialize;
use serde_saphyr::Spanned;
use tokio::sync::{Mutex as AsyncMutex, Semaphore};

use crate::transport::duration_setting;
use crate::yaml::YamlSource;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySpec {
    host: Spanned<String>,
    port: Option<Spanned<u16>>,
    base_dn: Spanned<String>,
    mail_attribute: Option<Spanned<String>>,
    /// Object classes that make an entry a distribution list.
    group_classes: Option<Vec<String>>,
    /// Recipients at these domains are looked up (others are not in the directory).
    domains: Option<Vec<Spanned<String>>>,
    ca_file: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    /// Searches in flight at once.
    concurrency: Option<Spanned<u8>>,
}

#[derive(Debug, Clone)]
pub struct DirectorySettings {
    pub host: String,
    pub port: u16,
    pub base_dn: String,
    pub mail_attribute: String,
    pub group_classes: Vec<String>,
    pub domains: Vec<String>,
    pub ca_file: Option<std::path::PathBuf>,
    pub timeout: Duration,
    pub concurrency: usize,
}

impl DirectorySettings {
    pub fn from_spec(spec: DirectorySpec, source: &YamlSource) -> Result<DirectorySettings, Report> {
        for required in [&spec.host, &spec.base_dn] {
            if required.value.trim().is_empty() {
                return Err(source.error_at(required, "must not be empty"));
            }
        }
        let attribute = match &spec.mail_attribute {
            None => "mail",
            Some(a) => {
                let name = a.value.trim();
                // It goes into the search filter as written: only a plain attribute name.
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(source.error_at(a, format!("`{}` is not an LDAP attribute name", a.value)));
                }
                name
            }
        };
        let concurrency = match &spec.concurrency {
            Some(n) if n.value == 0 => return Err(source.error_at(n, "must be at least 1")),
            Some(n) => n.value.into(),
            None => 4,
        };
        let domains = match &spec.domains {
            None => vec!["nhs.net".to_owned()],
            Some(list) => list.iter().map(|d| d.value.trim().trim_start_matches('@').to_ascii_lowercase()).collect(),
        };
        Ok(DirectorySettings {
            host: spec.host.value.trim().to_owned(),
            port: spec.port.as_ref().map_or(636, |p| p.value),
            base_dn: spec.base_dn.value.trim().to_owned(),
            mail_attribute: attribute.to_owned(),
            group_classes: spec
                .group_classes
                .unwrap_or_else(|| ["group", "groupOfNames", "groupOfUniqueNames"].map(str::to_owned).to_vec()),
            domains,
            ca_file: spec.ca_file.as_ref().map(|f| f.value.trim().into()),
            timeout: duration_setting(source, &spec.timeout, Duration::from_secs(10))?,
            concurrency,
        })
    }

    /// Whether the directory holds addresses at `address`'s domain.
    pub fn covers(&self, address: &str) -> bool {
        address.rsplit_once('@').is_some_and(|(_, domain)| self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
    }

    fn url(&self) -> String {
        if self.host.contains(':') {
            format!("ldaps://[{}]:{}", self.host, self.port)
        } else {
            format!("ldaps://{}:{}", self.host, self.port)
        }
    }
}

/// What the directory holds under one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Person,
    /// A distribution list (an entry of one of `group_classes`).
    Group,
    NotFound,
}

type Answer = Result<Entry, String>;

/// The connection, as far as this run has got with it.
enum Link {
    Unopened,
    Open(Ldap),
    /// Opening it failed: every lookup says why, at once, rather than waiting out a
    /// timeout per address.
    Failed(String),
}

pub struct Directory {
    settings: DirectorySettings,
    runtime: tokio::runtime::Runtime,
    link: AsyncMutex<Link>,
    permits: Semaphore,
    asked: Mutex<HashMap<String, Arc<OnceLock<Answer>>>>,
}

impl Directory {
    pub fn new(settings: DirectorySettings) -> Result<Directory, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the directory runtime: {e}"))?;
        let permits = Semaphore::new(settings.concurrency);
        Ok(Directory { settings, runtime, link: AsyncMutex::new(Link::Unopened), permits, asked: Mutex::default() })
    }

    pub fn settings(&self) -> &DirectorySettings {
        &self.settings
    }

    /// What the directory holds under `address`; `Err` when it could not be asked.
    pub fn lookup(&self, address: &str) -> Answer {
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
    async fn connection(&self) -> Result<Ldap, String> {
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

    async fn connect(&self) -> Result<Ldap, String> {
        let url = self.settings.url();
        let tls = crate::tls::client_config(self.settings.ca_file.as_deref())?;
        let settings = LdapConnSettings::new().set_config(tls).set_conn_timeout(self.settings.timeout);
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &url)
            .await
            .map_err(|e| format!("cannot reach the directory at {url}: {e}"))?;
        ldap3::drive!(connection);
        Ok(ldap)
    }

    async fn search(&self, mut ldap: Ldap, address: &str) -> Answer {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        let filter = format!("({}={})", self.settings.mail_attribute, ldap_escape(address));
        let url = self.settings.url();
        let (entries, _) = ldap
            .with_timeout(self.settings.timeout)
            .search(&self.settings.base_dn, Scope::Subtree, &filter, vec!["objectClass"])
            .await
            .and_then(|result| result.success())
            .map_err(|e| format!("the directory at {url} did not answer the search for {address}: {e}"))?;
        // Several entries may share an address (a person and a list alias): a list wins,
        // since sends to it are the ones to space out.
        let groups: Vec<bool> = entries.into_iter().map(|e| self.is_group(SearchEntry::construct(e))).collect();
        Ok(match (groups.is_empty(), groups.contains(&true)) {
            (true, _) => Entry::NotFound,
            (false, true) => Entry::Group,
            (false, false) => Entry::Person,
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

    fn settings(yaml: &str) -> Result<DirectorySettings, Report> {
        let source = YamlSource::new("c.yaml", yaml);
        DirectorySettings::from_spec(source.parse()?, &source)
    }

    #[test]
    fn defaults_and_domains() {
        let s = settings("host: ldap.nhs.net\nbase_dn: o=nhs\n").expect("valid");
        assert_eq!((s.port, s.mail_attribute.as_str(), s.concurrency), (636, "mail", 4));
        assert!(s.covers("Jane.Smith@NHS.net") && !s.covers("someone@example.org"));
        let s = settings("host: ::1\nbase_dn: o=nhs\ndomains: ['@trust.nhs.uk']\n").expect("valid");
        assert!(s.covers("a@trust.nhs.uk") && !s.covers("a@nhs.net"));
        assert_eq!(s.url(), "ldaps://[::1]:636");
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(settings("host: h\nbase_dn: ' '\n").is_err());
        assert!(settings("host: h\nbase_dn: o=nhs\nmail_attribute: 'mail)(x=*'\n").is_err());
        assert!(settings("host: h\nbase_dn: o=nhs\nconcurrency: 0\n").is_err());
    }

    #[test]
    fn an_unreachable_directory_is_an_answer_not_a_hang() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let directory = Directory::new(settings(&format!("host: 127.0.0.1\nport: {port}\nbase_dn: o=nhs\n")).unwrap())
            .expect("runtime");
        let err = directory.lookup("a@nhs.net").expect_err("nothing listens");
        assert!(err.contains("cannot reach the directory"), "{err}");
        assert_eq!(directory.lookup("b@nhs.net").expect_err("same connection"), err);
    }
}
