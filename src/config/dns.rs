//! `dns:` in `nhsmail-lint.yaml`: the resolvers the pre-flight asks (else the system's)
//! and how long to wait for each answer.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use miette::Report;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::setting::{AtLeast, duration_setting};
use crate::util::yaml::YamlSource;

/// The resolvers the pre-flight asks.
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DnsSpec {
    /// Resolvers (`10.0.0.53` or `10.0.0.53:53`); default: the system's.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    nameservers: Vec<Spanned<String>>,
    /// A duration for each question (default `3s`).
    #[schemars(with = "Option<String>")]
    timeout: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct DnsSettings {
    /// Empty: the system's resolvers.
    pub(crate) nameservers: Vec<SocketAddr>,
    pub(crate) timeout: Duration,
}

impl Default for DnsSettings {
    fn default() -> Self {
        DnsSettings { nameservers: Vec::new(), timeout: Duration::from_secs(3) }
    }
}

impl DnsSettings {
    pub(crate) fn from_spec(spec: DnsSpec, source: &YamlSource) -> Result<DnsSettings, Report> {
        let nameservers = spec
            .nameservers
            .iter()
            .map(|n| {
                let text = n.value.trim();
                text.parse::<SocketAddr>()
                    .or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                    .map_err(|_| source.error_at(n, format!("`{text}` is not an IP address (with an optional :port)")))
            })
            .collect::<Result<_, _>>()?;
        let timeout = duration_setting(source, &spec.timeout, DnsSettings::default().timeout, AtLeast::OneSecond)?;
        Ok(DnsSettings { nameservers, timeout })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameservers_take_an_optional_port() {
        let source = YamlSource::new("c.yaml", "nameservers: ['10.0.0.53:5353', '10.0.0.54']\ntimeout: 2s\n");
        let dns = DnsSettings::from_spec(source.parse().expect("shape"), &source).expect("valid");
        assert_eq!(dns.nameservers, ["10.0.0.53:5353".parse().unwrap(), "10.0.0.54:53".parse().unwrap()]);
        assert_eq!(dns.timeout, Duration::from_secs(2));
    }
}
