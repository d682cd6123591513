//! `transport:` in `nhsmail-lint.yaml`: authenticated submission or the anonymous
//! relay. Each setting keeps the bytes of the config file it came from, so config rules
//! point at its line.

use std::net::IpAddr;
use std::ops::Range;
use std::time::Duration;

use miette::Report;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::connection::{Login, Server, ServerKeys};
use super::setting::{
    AtLeast, Auth, Setting, auth_matches_secret, duration_setting, secret_source, setting, written_or,
};
use crate::util::yaml::YamlSource;

/// The kind of transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    /// Authenticated SMTP submission.
    Submission,
    /// The anonymous NHSmail relay.
    Relay,
}

/// How the SMTP connection is encrypted: `starttls` (submission), `implicit` or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Tls {
    Starttls,
    Implicit,
    None,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Submission => "submission",
            Mode::Relay => "relay",
        }
    }
}

impl Tls {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Tls::Starttls => "starttls",
            Tls::Implicit => "implicit",
            Tls::None => "none",
        }
    }
}

/// How messages are sent: SMTP submission or the anonymous relay (docs/preflight.md).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransportSpec {
    /// `submission` (authenticated SMTP, port 587) or `relay` (the anonymous relay, registered HSCN servers only).
    #[schemars(with = "Mode")]
    mode: Spanned<Mode>,
    /// The SMTP host (send.nhs.net for submission).
    #[schemars(with = "String")]
    host: Spanned<String>,
    /// The port (default 587 for submission, 25 for the relay).
    #[schemars(with = "Option<u16>")]
    port: Option<Spanned<u16>>,
    /// `starttls` (default), `implicit` or `none`.
    #[schemars(with = "Option<Tls>")]
    tls: Option<Spanned<Tls>>,
    /// The SMTP username: the account itself.
    #[schemars(with = "Option<String>")]
    username: Option<Spanned<String>>,
    /// `plain` (default), `login` or `xoauth2` (plain and login are Basic authentication, ending).
    #[schemars(with = "Option<Auth>")]
    auth: Option<Spanned<Auth>>,
    /// The environment variable holding the password (never the password itself).
    #[schemars(with = "Option<String>")]
    password_env: Option<Spanned<String>>,
    /// A file holding the password.
    #[schemars(with = "Option<String>")]
    password_file: Option<Spanned<String>>,
    /// A command that prints an OAuth access token (`auth: xoauth2`).
    #[schemars(with = "Option<String>")]
    token_command: Option<Spanned<String>>,
    /// Accepted only so that `smtp-inline-secret` can point at it: never used.
    #[schemars(with = "Option<String>")]
    password: Option<Spanned<String>>,
    /// As `password`.
    #[schemars(with = "Option<String>")]
    token: Option<Spanned<String>>,
    /// The sending IP the relay sees (for its DNS registration check).
    #[schemars(with = "Option<String>")]
    source_ip: Option<Spanned<String>>,
    /// An extra trusted root certificate (PEM), for private CAs and tests.
    #[schemars(with = "Option<String>")]
    ca_file: Option<Spanned<String>>,
    /// The name given in EHLO (default: this host's name).
    #[schemars(with = "Option<String>")]
    ehlo_name: Option<Spanned<String>>,
    /// A duration (`30s`, the default) for each SMTP step.
    #[schemars(with = "Option<String>")]
    timeout: Option<Spanned<String>>,
    /// Messages sent a minute at most (default 30).
    #[schemars(with = "Option<u32>")]
    rate_per_minute: Option<Spanned<u32>>,
    /// Tries for a message whose failure is temporary (default 3).
    #[schemars(with = "Option<u32>")]
    attempts: Option<Spanned<u32>>,
    /// A duration to wait between tries (default `5s`).
    #[schemars(with = "Option<String>")]
    backoff: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub(crate) mode: Setting<Mode>,
    /// The SMTP server; a default port (587, or 25 for the relay) points at `mode`.
    pub(crate) server: Server,
    pub(crate) tls: Setting<Tls>,
    /// The SMTP login; a default `auth` points at `mode`.
    pub(crate) login: Login<Option<Setting<String>>>,
    /// Where a password or token was written inline (the value itself is not kept).
    pub(crate) inline_password: Option<Range<usize>>,
    pub(crate) inline_token: Option<Range<usize>>,
    pub(crate) source_ip: Option<Setting<IpAddr>>,
    /// Each authentication setting as written (`username`, `auth`, the secret's source,
    /// an inline `password` or `token`): its key at its value, for the rule that the
    /// relay is anonymous.
    pub(crate) credentials: Vec<Setting<&'static str>>,
    /// The name given in EHLO; by default the machine's host name (for the relay, the
    /// sending IP's registered PTR name when pre-flight found one).
    pub(crate) ehlo_name: Option<String>,
    /// The throttle: Exchange Online limits an account's rate.
    pub(crate) rate_per_minute: u32,
    /// Tries per message for transient failures (4xx, dropped connections, timeouts).
    pub(crate) attempts: u32,
    /// The wait before the first retry, doubled for each one after.
    pub(crate) backoff: Duration,
}

impl Transport {
    pub(crate) fn from_spec(spec: TransportSpec, source: &YamlSource) -> Result<Transport, Report> {
        let at = |location: &serde_saphyr::Location| source.range(location).unwrap_or(0..0);
        let mode = Setting { value: spec.mode.value, span: at(&spec.mode.referenced) };
        if spec.host.value.trim().is_empty() {
            return Err(source.error_at(&spec.host, "`host` is empty"));
        }
        let default_port = match mode.value {
            Mode::Submission => 587,
            Mode::Relay => 25,
        };
        let secret = secret_source(source, &spec.password_env, &spec.password_file, &spec.token_command)?;
        let auth = written_or(source, &spec.auth, Auth::Plain, &mode.span);
        auth_matches_secret(source, auth.value, [&spec.password_env, &spec.password_file, &spec.token_command])?;
        let source_ip = spec
            .source_ip
            .as_ref()
            .map(|ip| {
                ip.value
                    .trim()
                    .parse::<IpAddr>()
                    .map(|value| Setting { value, span: at(&ip.referenced) })
                    .map_err(|_| source.error_at(ip, format!("`{}` is not an IP address", ip.value)))
            })
            .transpose()?;
        let at_least_one = |n: &Option<Spanned<u32>>, default: u32| -> Result<u32, Report> {
            match n {
                Some(n) if n.value == 0 => Err(source.error_at(n, "must be at least 1")),
                Some(n) => Ok(n.value),
                None => Ok(default),
            }
        };
        let written = [
            ("username", &spec.username),
            ("password_env", &spec.password_env),
            ("password_file", &spec.password_file),
            ("token_command", &spec.token_command),
            ("password", &spec.password),
            ("token", &spec.token),
        ];
        let mut credentials: Vec<Setting<&'static str>> = written
            .into_iter()
            .filter_map(|(key, value)| value.as_ref().map(|v| Setting { value: key, span: at(&v.referenced) }))
            .collect();
        credentials.extend(spec.auth.as_ref().map(|a| Setting { value: "auth", span: at(&a.referenced) }));
        credentials.sort_by_key(|c| c.span.start);
        let keys = ServerKeys { host: &spec.host, port: &spec.port, ca_file: &spec.ca_file, timeout: &spec.timeout };
        Ok(Transport {
            credentials,
            ehlo_name: spec.ehlo_name.as_ref().map(|n| n.value.trim().to_owned()),
            server: keys.read(source, (default_port, &mode.span), Duration::from_secs(30))?,
            rate_per_minute: at_least_one(&spec.rate_per_minute, 30)?,
            attempts: at_least_one(&spec.attempts, 3)?,
            backoff: duration_setting(source, &spec.backoff, Duration::from_secs(5), AtLeast::Zero)?,
            tls: written_or(source, &spec.tls, Tls::Starttls, &mode.span),
            login: Login { username: spec.username.as_ref().map(|u| setting(source, u)), auth, secret },
            inline_password: spec.password.as_ref().map(|p| at(&p.referenced)),
            inline_token: spec.token.as_ref().map(|t| at(&t.referenced)),
            source_ip,
            mode,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::setting::Secret;

    fn transport(yaml: &str) -> Result<Transport, Report> {
        let source = YamlSource::new("c.yaml", yaml);
        let spec: TransportSpec = source.parse()?;
        Transport::from_spec(spec, &source)
    }

    #[test]
    fn defaults_follow_the_mode() {
        let t = transport("mode: relay\nhost: relay.nhs.uk\n").expect("valid");
        assert_eq!((t.server.port.value, t.tls.value), (25, Tls::Starttls));
        let t = transport("mode: submission\nhost: send.nhs.net\n").expect("valid");
        assert_eq!(t.server.port.value, 587);
        assert_eq!(t.server.port.span, 6..16, "a default points at the mode");
    }

    #[test]
    fn secrets_and_their_sources() {
        let t = transport("mode: submission\nhost: h.nhs.net\npassword_env: NHSMAIL_PASSWORD\n").expect("valid");
        assert_eq!(t.login.secret.map(|s| s.value), Some(Secret::Env("NHSMAIL_PASSWORD".into())));
        let t = transport("mode: submission\nhost: h.nhs.net\npassword: hunter2\n").expect("accepted for the lint");
        assert!(t.inline_password.is_some());
        let t = transport("mode: relay\nhost: h\nauth: login\nusername: a@nhs.net\n").expect("valid");
        assert_eq!(t.credentials.iter().map(|c| c.value).collect::<Vec<_>>(), ["auth", "username"]);
        assert!(transport("mode: relay\nhost: h\n").expect("valid").credentials.is_empty());
        assert!(transport("mode: submission\nhost: h\npassword_env: A\npassword_file: /x\n").is_err());
        assert!(transport("mode: submission\nhost: h\nauth: xoauth2\npassword_env: A\n").is_err());
        assert!(transport("mode: submission\nhost: h\ntoken_command: get-token\n").is_err());
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(transport("mode: carrier-pigeon\nhost: h\n").is_err());
        assert!(transport("mode: relay\nhost: h\nsource_ip: 10.1.2\n").is_err());
        assert!(transport("mode: relay\nhost: h\nport: 70000\n").is_err());
        assert!(transport("mode: relay\nhost: ' '\n").is_err());
        assert!(transport("mode: relay\nhost: h\ntimeout: 0s\n").is_err(), "a timeout of nothing");
        assert!(transport("mode: relay\nhost: h\nbackoff: 0s\n").is_ok(), "retrying at once is a choice");
    }
}
