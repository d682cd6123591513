//! `mailbox:` in `nhsmail-lint.yaml`: the sending mailbox, read over IMAP (or POP) with
//! implicit TLS, for its quota; and the quota to hold it to when the server does not say
//! (`quota:`, a size or an NHSmail service level).

use std::time::Duration;

use miette::Report;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::connection::{Login, Server, ServerKeys};
use super::setting::{Auth, Setting, auth_matches_secret, secret_source, setting, written_or};
use crate::util::units;
use crate::util::yaml::YamlSource;

/// How the mailbox is read: `imap` or `pop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Protocol {
    Imap,
    Pop,
}

impl Protocol {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Pop => "pop",
        }
    }
}

/// The sending mailbox, whose quota the pre-flight reads.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailboxSpec {
    /// The mailbox's IMAP (or POP) host.
    #[schemars(with = "String")]
    host: Spanned<String>,
    /// Its port (default 993 for IMAP, 995 for POP).
    #[schemars(with = "Option<u16>")]
    port: Option<Spanned<u16>>,
    /// `imap` (default) or `pop`.
    #[schemars(with = "Option<Protocol>")]
    protocol: Option<Spanned<Protocol>>,
    /// The mailbox's username: the account.
    #[schemars(with = "String")]
    username: Spanned<String>,
    /// `plain` (default), `login` or `xoauth2`.
    #[schemars(with = "Option<Auth>")]
    auth: Option<Spanned<Auth>>,
    /// The environment variable holding the password.
    #[schemars(with = "Option<String>")]
    password_env: Option<Spanned<String>>,
    /// A file holding the password.
    #[schemars(with = "Option<String>")]
    password_file: Option<Spanned<String>>,
    /// A command that prints an OAuth access token (`auth: xoauth2`).
    #[schemars(with = "Option<String>")]
    token_command: Option<Spanned<String>>,
    /// An extra trusted root certificate (PEM).
    #[schemars(with = "Option<String>")]
    ca_file: Option<Spanned<String>>,
    /// A duration for each step (`10s`), and for counting the mailbox's usage as a whole.
    #[schemars(with = "Option<String>")]
    timeout: Option<Spanned<String>>,
    /// Warn when usage is over this share of the quota.
    #[schemars(with = "Option<u8>")]
    quota_warning_percent: Option<Spanned<u8>>,
    /// The limit where the server has no QUOTA extension (Exchange Online): a size (`4GiB`)
    /// or the NHSmail service level `standard` (4 GiB), `enhanced` or `shared` (50 GiB).
    #[schemars(with = "Option<String>")]
    quota: Option<Spanned<String>>,
}

/// The mailbox's limit as `mailbox.quota` gives it: the bytes, and the words it was
/// written in (shown in findings, so that the user recognises their setting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuotaLimit {
    pub(crate) bytes: u64,
    pub(crate) written: String,
}

/// Why `quota:` cannot be read; said at its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum QuotaError {
    #[error(
        "{0}: `quota` is a size (`4GiB`) or an NHSmail service level (standard = 4 GiB, enhanced = 50 GiB, \
         shared = 50 GiB for shared and resource mailboxes)"
    )]
    NotASize(units::UnitError),
    #[error("a quota of nothing: give the mailbox's size limit (`4GiB`) or its service level")]
    Nothing,
}

/// NHSmail's service levels and their quotas (NHSmail support, "Managing Mailbox
/// Quota"). Exchange counts a GB as 2^30 bytes, so these are GiB.
const SERVICE_LEVELS: &[(&str, u64)] = &[("standard", 4 << 30), ("enhanced", 50 << 30), ("shared", 50 << 30)];

impl QuotaLimit {
    /// `standard`, `enhanced`, `shared`, or a size in the config's units (`4GiB`; `4GB`
    /// is 4 x 10^9 bytes, as everywhere in the file).
    fn parse(text: &str) -> Result<QuotaLimit, QuotaError> {
        let written = text.trim().to_owned();
        let level = SERVICE_LEVELS.iter().find(|(name, _)| name.eq_ignore_ascii_case(&written));
        let bytes = match level {
            Some((_, bytes)) => *bytes,
            None => units::parse_size(&written).map_err(QuotaError::NotASize)?,
        };
        if bytes == 0 {
            return Err(QuotaError::Nothing);
        }
        Ok(QuotaLimit { bytes, written })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MailboxSettings {
    /// The IMAP (or POP) server, with implicit TLS; a default port (993, or 995 for POP)
    /// points at `host`. Its timeout also bounds counting the mailbox's usage as a whole.
    pub(crate) server: Server,
    pub(crate) protocol: Setting<Protocol>,
    /// `plain` and `login` log in with LOGIN; `xoauth2` authenticates with a token. A
    /// default `auth` points at `host`.
    pub(crate) login: Login<Setting<String>>,
    pub(crate) warning_percent: u8,
    /// `quota:`: held against the summed usage when the server does not give its quota.
    pub(crate) quota: Option<QuotaLimit>,
}

impl MailboxSettings {
    pub(crate) fn from_spec(spec: MailboxSpec, source: &YamlSource) -> Result<MailboxSettings, Report> {
        for required in [&spec.host, &spec.username] {
            if required.value.trim().is_empty() {
                return Err(source.error_at(required, "must not be empty"));
            }
        }
        // Defaults point at `host`.
        let implied_at = source.range(&spec.host.referenced).unwrap_or(0..0);
        let protocol = written_or(source, &spec.protocol, Protocol::Imap, &implied_at);
        let default_port = match protocol.value {
            Protocol::Imap => 993,
            Protocol::Pop => 995,
        };
        let warning_percent = match &spec.quota_warning_percent {
            Some(p) if !(1..=100).contains(&p.value) => {
                return Err(source.error_at(p, "a percentage from 1 to 100"));
            }
            Some(p) => p.value,
            None => 90,
        };
        let quota = spec
            .quota
            .as_ref()
            .map(|q| QuotaLimit::parse(&q.value).map_err(|why| source.error_at(q, why.to_string())))
            .transpose()?;
        let auth = written_or(source, &spec.auth, Auth::Plain, &implied_at);
        auth_matches_secret(source, auth.value, [&spec.password_env, &spec.password_file, &spec.token_command])?;
        let login = Login {
            username: setting(source, &spec.username),
            auth,
            secret: secret_source(source, &spec.password_env, &spec.password_file, &spec.token_command)?,
        };
        let keys = ServerKeys { host: &spec.host, port: &spec.port, ca_file: &spec.ca_file, timeout: &spec.timeout };
        Ok(MailboxSettings {
            server: keys.read(source, (default_port, &implied_at), Duration::from_secs(30))?,
            protocol,
            login,
            warning_percent,
            quota,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(yaml: &str) -> Result<MailboxSettings, Report> {
        let source = YamlSource::new("c.yaml", yaml);
        MailboxSettings::from_spec(source.parse()?, &source)
    }

    #[test]
    fn defaults_follow_the_protocol() {
        let m = mailbox("host: imap.example.nhs.uk\nusername: a@nhs.net\npassword_env: P\n").expect("valid");
        assert_eq!((m.protocol.value, m.server.port.value, m.warning_percent), (Protocol::Imap, 993, 90));
        let m = mailbox("host: pop.nhs.net\nprotocol: pop\nusername: a@nhs.net\n").expect("valid");
        assert_eq!((m.protocol.value, m.server.port.value), (Protocol::Pop, 995));
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(mailbox("host: h\nusername: a@nhs.net\nquota_warning_percent: 0\n").is_err());
        assert!(mailbox("host: h\nusername: a@nhs.net\nquota_warning_percent: 101\n").is_err());
        assert!(mailbox("host: h\nusername: a@nhs.net\nprotocol: smoke-signals\n").is_err());
        assert!(mailbox("host: ' '\nusername: a@nhs.net\n").is_err());
        assert!(mailbox("host: h\nusername: a@nhs.net\npassword_env: P\npassword_file: /p\n").is_err());
        assert!(mailbox("host: h\nusername: a@nhs.net\ntimeout: 0s\n").is_err());
        assert!(mailbox("host: h\nusername: a@nhs.net\nauth: xoauth2\npassword_env: P\n").is_err());
        assert!(mailbox("host: h\nusername: a@nhs.net\ntoken_command: get-token\n").is_err());
        let m = mailbox("host: h\nusername: a@nhs.net\nauth: xoauth2\ntoken_command: get-token\n").expect("valid");
        assert_eq!(m.login.auth.value, Auth::Xoauth2);
    }

    #[test]
    fn the_quota_is_a_size_or_a_service_level() {
        let quota = |q: &str| mailbox(&format!("host: h\nusername: a@nhs.net\nquota: {q}\n")).map(|m| m.quota);
        let limit = |bytes: u64, written: &str| Some(QuotaLimit { bytes, written: written.into() });
        assert_eq!(quota("standard").expect("level"), limit(4 * 1024 * 1024 * 1024, "standard"));
        assert_eq!(quota("Enhanced").expect("level").map(|q| q.bytes), Some(50 << 30));
        assert_eq!(quota("shared").expect("level").map(|q| q.bytes), Some(50 << 30));
        assert_eq!(quota("4GiB").expect("size"), limit(4 << 30, "4GiB"));
        assert_eq!(quota("4GB").expect("size"), limit(4_000_000_000, "4GB"));
        assert_eq!(quota("1KB").expect("size"), limit(1000, "1KB"));
        assert_eq!(mailbox("host: h\nusername: a@nhs.net\n").expect("valid").quota, None);
        for bad in ["premium", "0", "4 parsecs", "''"] {
            let error = quota(bad).expect_err(bad);
            let text = format!("{error:?}");
            assert!(text.contains("quota") || text.contains("nothing"), "{bad}: {text}");
        }
    }

    #[test]
    fn a_quota_that_cannot_be_read_says_why() {
        assert_eq!(QuotaLimit::parse(" 0 "), Err(QuotaError::Nothing));
        assert_eq!(
            QuotaLimit::parse("premium").map_err(|e| e.to_string()),
            Err("`premium` is not a whole number with an optional unit: `quota` is a size (`4GiB`) or an NHSmail \
                 service level (standard = 4 GiB, enhanced = 50 GiB, shared = 50 GiB for shared and resource \
                 mailboxes)"
                .to_owned())
        );
    }
}
