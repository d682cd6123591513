//! Config selectors (`transport.host`, `mailbox.protocol`, ...): the sending set-up as
//! rule values, each with the bytes of `nhsmail-lint.yaml` it was written in, so config
//! rules point at the offending line. A secret's value is never a value here.

use std::borrow::Cow;

use super::value::{Kind, Value};
use crate::config::Config;
use crate::config::setting::Setting;
use crate::config::transport::Transport;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigField {
    Mode,
    Host,
    Port,
    Tls,
    Username,
    Auth,
    Password,
    Token,
    Secret,
    Credentials,
    SourceIp,
    Source,
    MailboxHost,
    MailboxPort,
    MailboxProtocol,
    MailboxUsername,
    MailboxSecret,
    DirectoryHost,
    DirectoryPort,
    Account,
    DistributionLists,
}

pub(crate) const CATALOGUE: &[(&str, &str)] = &[
    ("transport.mode", "`submission` or `relay`"),
    ("transport.host", "the SMTP host"),
    ("transport.port", "the port (default 587 for submission, 25 for relay)"),
    ("transport.tls", "`starttls` (default), `implicit` or `none`"),
    ("transport.username", "the SMTP username"),
    ("transport.auth", "`plain` (default), `login` or `xoauth2`"),
    ("transport.password", "present when a password is written inline (its value is never read)"),
    ("transport.token", "present when a token is written inline (its value is never read)"),
    (
        "transport.secret",
        "present when a secret source is given (`password_env`, `password_file` or `token_command`): the key",
    ),
    (
        "transport.credentials",
        "each authentication setting written (`username`, `auth`, a secret's source, an inline `password` or \
         `token`): its key",
    ),
    ("transport.source_ip", "the sending IP, when configured"),
    (
        "transport.source",
        "where the sending IP comes from: source_ip, else the host (the local address used to reach it; a host \
         that is an IP address as `[10.1.2.3]`)",
    ),
    ("mailbox.host", "the sending mailbox's IMAP (or POP) host"),
    ("mailbox.port", "its port (default 993 for IMAP, 995 for POP)"),
    ("mailbox.protocol", "`imap` (default) or `pop`"),
    ("mailbox.username", "the mailbox's username"),
    ("mailbox.secret", "present when the mailbox's secret source is given: the key"),
    ("directory.host", "the directory's LDAP host"),
    ("directory.port", "its port (default 636)"),
    (
        "account",
        "the sending account: `account`, else the submission (or mailbox) username when it is a full address; at \
         the top of the file when given by --account",
    ),
    ("distribution_lists", "each configured distribution list"),
];

impl ConfigField {
    pub(crate) fn parse(name: &str) -> Option<ConfigField> {
        Some(match name {
            "transport.mode" => ConfigField::Mode,
            "transport.host" => ConfigField::Host,
            "transport.port" => ConfigField::Port,
            "transport.tls" => ConfigField::Tls,
            "transport.username" => ConfigField::Username,
            "transport.auth" => ConfigField::Auth,
            "transport.password" => ConfigField::Password,
            "transport.token" => ConfigField::Token,
            "transport.secret" => ConfigField::Secret,
            "transport.credentials" => ConfigField::Credentials,
            "transport.source_ip" => ConfigField::SourceIp,
            "transport.source" => ConfigField::Source,
            "mailbox.host" => ConfigField::MailboxHost,
            "mailbox.port" => ConfigField::MailboxPort,
            "mailbox.protocol" => ConfigField::MailboxProtocol,
            "mailbox.username" => ConfigField::MailboxUsername,
            "mailbox.secret" => ConfigField::MailboxSecret,
            "directory.host" => ConfigField::DirectoryHost,
            "directory.port" => ConfigField::DirectoryPort,
            "account" => ConfigField::Account,
            "distribution_lists" => ConfigField::DistributionLists,
            _ => return None,
        })
    }

    pub(crate) fn kind(self) -> Kind {
        match self {
            ConfigField::Port | ConfigField::MailboxPort | ConfigField::DirectoryPort => Kind::Number,
            ConfigField::Username
            | ConfigField::MailboxUsername
            | ConfigField::Account
            | ConfigField::DistributionLists => Kind::Address,
            ConfigField::Password | ConfigField::Token | ConfigField::Secret | ConfigField::MailboxSecret => {
                Kind::Presence
            }
            _ => Kind::Text,
        }
    }

    /// The part of nhsmail-lint.yaml the field is read from (`transport`, `mailbox`, ...),
    /// and whether `config` has it.
    pub(crate) fn block(self, config: &Config) -> (&'static str, bool) {
        match self {
            ConfigField::Account => ("account", config.account.is_some()),
            ConfigField::DistributionLists => ("distribution_lists", !config.distribution_lists.is_empty()),
            ConfigField::MailboxHost
            | ConfigField::MailboxPort
            | ConfigField::MailboxProtocol
            | ConfigField::MailboxUsername
            | ConfigField::MailboxSecret => ("mailbox", config.mailbox.is_some()),
            ConfigField::DirectoryHost | ConfigField::DirectoryPort => ("directory", config.directory.is_some()),
            _ => ("transport", config.transport.is_some()),
        }
    }

    pub(crate) fn for_each(self, config: &Config, f: &mut dyn FnMut(Value<'_>)) {
        let address = |a: &str, span: Option<&std::ops::Range<usize>>| {
            Value::text(Cow::Owned(a.to_owned()), span.cloned().unwrap_or(0..0), true)
        };
        let (m, t, d) = (config.mailbox.iter(), config.transport.iter(), config.directory.iter());
        match self {
            ConfigField::Account => config.account.iter().for_each(|a| f(address(a, config.spans.account.as_ref()))),
            ConfigField::DistributionLists => {
                let spans = &config.spans.distribution_lists;
                config.distribution_lists.iter().zip(spans).for_each(|(a, span)| f(address(a, Some(span))));
            }
            ConfigField::MailboxHost => m.for_each(|m| f(text(&m.server.host))),
            ConfigField::MailboxPort => m.for_each(|m| f(port(&m.server.port))),
            ConfigField::MailboxProtocol => m.for_each(|m| f(word(m.protocol.value.as_str(), &m.protocol.span))),
            ConfigField::MailboxUsername => m.for_each(|m| f(text(&m.login.username))),
            ConfigField::MailboxSecret => m.flat_map(|m| &m.login.secret).for_each(|s| f(word(s.value.key(), &s.span))),
            ConfigField::DirectoryHost => d.for_each(|d| f(text(&d.server.host))),
            ConfigField::DirectoryPort => d.for_each(|d| f(port(&d.server.port))),
            ConfigField::Mode => t.for_each(|t| f(word(t.mode.value.as_str(), &t.mode.span))),
            ConfigField::Host => t.for_each(|t| f(text(&t.server.host))),
            ConfigField::Port => t.for_each(|t| f(port(&t.server.port))),
            ConfigField::Tls => t.for_each(|t| f(word(t.tls.value.as_str(), &t.tls.span))),
            ConfigField::Username => t.flat_map(|t| &t.login.username).for_each(|u| f(text(u))),
            ConfigField::Auth => t.for_each(|t| f(word(t.login.auth.value.as_str(), &t.login.auth.span))),
            ConfigField::Password => t.flat_map(|t| &t.inline_password).for_each(|span| f(word("(hidden)", span))),
            ConfigField::Token => t.flat_map(|t| &t.inline_token).for_each(|span| f(word("(hidden)", span))),
            ConfigField::Secret => t.flat_map(|t| &t.login.secret).for_each(|s| f(word(s.value.key(), &s.span))),
            ConfigField::Credentials => t.flat_map(|t| &t.credentials).for_each(|c| f(word(c.value, &c.span))),
            ConfigField::SourceIp => t.flat_map(|t| &t.source_ip).for_each(|ip| f(source_ip(ip))),
            ConfigField::Source => t.for_each(|t| f(source(t))),
        }
    }

    /// Where a value that is not there is reported: a transport setting at `mode:`, a
    /// mailbox or directory setting at its `host:` (the top of the file otherwise).
    pub(crate) fn missing(self, config: &Config) -> std::ops::Range<usize> {
        use ConfigField::*;
        let span = match self {
            DirectoryHost | DirectoryPort => config.directory.as_ref().map(|d| d.server.host.span.clone()),
            MailboxHost | MailboxPort | MailboxProtocol | MailboxUsername | MailboxSecret => {
                config.mailbox.as_ref().map(|m| m.server.host.span.clone())
            }
            Account | DistributionLists => None,
            _ => config.transport.as_ref().map(|t| t.mode.span.clone()),
        };
        span.unwrap_or(0..0)
    }
}

fn text(s: &Setting<String>) -> Value<'static> {
    Value::text(Cow::Owned(s.value.clone()), s.span.clone(), true)
}

fn word(s: &'static str, span: &std::ops::Range<usize>) -> Value<'static> {
    Value::text(Cow::Borrowed(s), span.clone(), false)
}

fn port(p: &Setting<u16>) -> Value<'static> {
    Value { text: Cow::Owned(p.value.to_string()), ..Value::number(p.value.into(), p.span.clone()) }
}

fn source_ip(ip: &Setting<std::net::IpAddr>) -> Value<'static> {
    Value::text(Cow::Owned(ip.value.to_string()), ip.span.clone(), false)
}

/// The sending IP, else the relay's host (the sending IP is then the local address used
/// to reach it). A host written as a bare IP address is given as an address literal,
/// `[10.1.2.3]`, as SMTP writes one: a bare address here means the sending IP.
fn source(t: &Transport) -> Value<'static> {
    let host = &t.server.host;
    match &t.source_ip {
        Some(ip) => source_ip(ip),
        None if host.value.parse::<std::net::IpAddr>().is_ok() => {
            Value::text(Cow::Owned(format!("[{}]", host.value)), host.span.clone(), false)
        }
        None => Value::text(Cow::Owned(host.value.clone()), host.span.clone(), true),
    }
}
