//! DNS for the pre-flight checks, through hickory-resolver: the configured resolvers
//! (else the system's), a timeout, and answers that keep "the name has no such record"
//! apart from "no answer could be had". Each question is asked once per run, however
//! many messages or threads ask it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};

use super::SetupError;
use crate::config::dns::DnsSettings;

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer<T> {
    Found(Vec<T>),
    /// The name exists without such records, or does not exist (NXDOMAIN).
    NotFound,
    /// No answer: a timeout, SERVFAIL, REFUSED, an unreachable resolver.
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Question {
    Ptr,
    Addresses,
    Mx,
}

type Cached = Answer<String>;
/// One question's answer, filled in by whichever thread asks first.
type Slot = Arc<OnceLock<Cached>>;

pub(crate) struct Dns {
    runtime: tokio::runtime::Runtime,
    resolver: TokioResolver,
    asked: Mutex<HashMap<(Question, String), Slot>>,
}

impl Dns {
    pub(crate) fn new(settings: &DnsSettings) -> Result<Dns, SetupError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|source| SetupError::Runtime { what: "DNS", source })?;
        let provider = TokioRuntimeProvider::default();
        let mut builder = if settings.nameservers.is_empty() {
            Resolver::builder(provider).map_err(|e| SetupError::SystemDns(e.to_string()))?
        } else {
            let servers = settings
                .nameservers
                .iter()
                .map(|addr| {
                    let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                    for connection in &mut server.connections {
                        connection.port = addr.port();
                    }
                    server
                })
                .collect();
            Resolver::builder_with_config(ResolverConfig::from_name_servers(servers), provider)
        };
        let options = builder.options_mut();
        options.timeout = settings.timeout;
        options.attempts = 1;
        // Answers must come from DNS, as the relay sees it, not from /etc/hosts.
        options.use_hosts_file = ResolveHosts::Never;
        let resolver = {
            let _guard = runtime.enter();
            builder.build().map_err(|e| SetupError::Resolver(e.to_string()))?
        };
        Ok(Dns { runtime, resolver, asked: Mutex::new(HashMap::new()) })
    }

    /// The names a PTR record gives for `ip`.
    pub(crate) fn ptr(&self, ip: IpAddr) -> Answer<String> {
        self.ask(Question::Ptr, &ip.to_string())
    }

    /// The A and AAAA addresses of `name`.
    pub(crate) fn addresses(&self, name: &str) -> Answer<IpAddr> {
        match self.ask(Question::Addresses, name) {
            Answer::Found(list) => Answer::Found(list.iter().filter_map(|a| a.parse().ok()).collect()),
            Answer::NotFound => Answer::NotFound,
            Answer::Failed(why) => Answer::Failed(why),
        }
    }

    /// The mail exchangers of `domain`.
    pub(crate) fn mx(&self, domain: &str) -> Answer<String> {
        self.ask(Question::Mx, domain)
    }

    fn ask(&self, question: Question, name: &str) -> Cached {
        let slot = {
            let mut asked = self.asked.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            asked.entry((question, name.to_ascii_lowercase())).or_default().clone()
        };
        slot.get_or_init(|| self.runtime.block_on(self.lookup(question, name))).clone()
    }

    async fn lookup(&self, question: Question, name: &str) -> Cached {
        // A trailing dot makes the name absolute: no search domains are tried.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let result = match question {
            Question::Ptr => match name.parse::<IpAddr>() {
                Ok(ip) => self.resolver.reverse_lookup(ip).await,
                Err(_) => return Answer::Failed(format!("`{name}` is not an IP address")),
            },
            Question::Mx => self.resolver.lookup(fqdn.as_str(), RecordType::MX).await,
            Question::Addresses => {
                return match self.resolver.lookup_ip(fqdn.as_str()).await {
                    Ok(ips) => Answer::Found(ips.iter().map(|ip| ip.to_string()).collect()),
                    Err(e) if e.is_no_records_found() => Answer::NotFound,
                    Err(e) => Answer::Failed(e.to_string()),
                };
            }
        };
        match result {
            Ok(lookup) => {
                let found: Vec<String> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::PTR(ptr) => Some(ptr.0.to_string()),
                        RData::MX(mx) => Some(mx.exchange.to_string()),
                        _ => None,
                    })
                    .map(|n| n.trim_end_matches('.').to_owned())
                    .collect();
                if found.is_empty() { Answer::NotFound } else { Answer::Found(found) }
            }
            Err(e) if e.is_no_records_found() => Answer::NotFound,
            Err(e) => Answer::Failed(e.to_string()),
        }
    }
}
