//! `directory:` in `nhsmail-lint.yaml`: the NHSmail directory, asked over LDAP with TLS
//! (636, no authentication), and which addresses it holds.

use std::time::Duration;

use miette::Report;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::connection::{Server, ServerKeys};
use crate::util::yaml::YamlSource;

/// The NHSmail directory (LDAPS), where recipients and lists are looked up.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DirectorySpec {
    /// The directory's LDAPS host.
    #[schemars(with = "String")]
    host: Spanned<String>,
    /// Its port (default 636).
    #[schemars(with = "Option<u16>")]
    port: Option<Spanned<u16>>,
    /// Where searches start.
    #[schemars(with = "String")]
    base_dn: Spanned<String>,
    /// The attribute holding addresses (default `mail`).
    #[schemars(with = "Option<String>")]
    mail_attribute: Option<Spanned<String>>,
    /// Object classes that make an entry a distribution list.
    group_classes: Option<Vec<String>>,
    /// Recipients at these domains are looked up (others are not in the directory).
    #[schemars(with = "Option<Vec<String>>")]
    domains: Option<Vec<Spanned<String>>>,
    /// An extra trusted root certificate (PEM).
    #[schemars(with = "Option<String>")]
    ca_file: Option<Spanned<String>>,
    /// A duration for each search.
    #[schemars(with = "Option<String>")]
    timeout: Option<Spanned<String>>,
    /// Searches in flight at once.
    #[schemars(with = "Option<u8>")]
    concurrency: Option<Spanned<u8>>,
}

#[derive(Debug, Clone)]
pub struct DirectorySettings {
    /// The LDAPS server; port 636 unless written, a default pointing at `host`.
    pub(crate) server: Server,
    pub(crate) base_dn: String,
    pub(crate) mail_attribute: String,
    pub(crate) group_classes: Vec<String>,
    pub(crate) domains: Vec<String>,
    pub(crate) concurrency: usize,
}

impl DirectorySettings {
    pub(crate) fn from_spec(spec: DirectorySpec, source: &YamlSource) -> Result<DirectorySettings, Report> {
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
        // A default port points at `host`.
        let implied_at = source.range(&spec.host.referenced).unwrap_or(0..0);
        let keys = ServerKeys { host: &spec.host, port: &spec.port, ca_file: &spec.ca_file, timeout: &spec.timeout };
        Ok(DirectorySettings {
            base_dn: spec.base_dn.value.trim().to_owned(),
            mail_attribute: attribute.to_owned(),
            group_classes: spec
                .group_classes
                .unwrap_or_else(|| ["group", "groupOfNames", "groupOfUniqueNames"].map(str::to_owned).to_vec()),
            domains,
            concurrency,
            server: keys.read(source, (636, &implied_at), Duration::from_secs(10))?,
        })
    }

    /// Whether the directory holds addresses at `address`'s domain.
    pub(crate) fn covers(&self, address: &str) -> bool {
        address.rsplit_once('@').is_some_and(|(_, domain)| self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
    }

    pub(crate) fn url(&self) -> String {
        let (host, port) = (&self.server.host.value, self.server.port.value);
        if host.contains(':') { format!("ldaps://[{host}]:{port}") } else { format!("ldaps://{host}:{port}") }
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
        assert_eq!((s.server.port.value, s.mail_attribute.as_str(), s.concurrency), (636, "mail", 4));
        assert_eq!(s.server.port.span, s.server.host.span, "a default port points at the host");
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
}
