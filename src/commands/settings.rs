//! `nhsmail-lint config`: the configuration a run would use, setting by setting, each
//! with where it came from (a line of the file, the built-in default, or the setting it
//! was read from), as `ruff check --show-settings` and ESLint's `--print-config` say.

use serde::Serialize;

use crate::config::Config;

/// One setting as the run would use it.
#[derive(Debug, Serialize)]
pub struct Row {
    key: &'static str,
    value: String,
    /// `FILE:LINE`, `default`, or what it was read from.
    from: String,
}

/// Every setting of `config`, in the order docs/configuration.md gives them.
pub fn rows(config: &Config) -> Vec<Row> {
    let file = config.source.as_ref().map(|s| s.name.as_str());
    let at = |line: u64| format!("{}:{line}", file.unwrap_or_default());
    let written = |key: &str| config.lines.get(key).map(|line| at(*line));
    let listed = |values: &[String]| if values.is_empty() { "(none)".to_owned() } else { values.join(", ") };
    let mut rows = Vec::new();
    let mut row = |key: &'static str, value: String, from: Option<String>| {
        rows.push(Row { key, value, from: from.unwrap_or_else(|| "default".to_owned()) });
    };
    let account_from = match (config.account_from, &config.spans.account, &config.source) {
        (Some(key), Some(span), Some(source)) => Some(format!("{key}, {}", at(source.line_at(span.start)))),
        _ => written("account"),
    };
    row("account", config.account.clone().unwrap_or_else(|| "(none)".to_owned()), account_from);
    row("distribution_lists", listed(&config.distribution_lists), written("distribution_lists"));
    row("secure_domains", listed(&config.secure_domains), written("secure_domains"));
    row("non_delivery", listed(&config.non_delivery), written("non_delivery"));
    let (disabled, severities) = config.rule_settings_as_written();
    row("rules.disable", listed(&disabled), written("rules.disable"));
    row("rules.severity", listed(&severities), written("rules.severity"));
    let ignores: Vec<String> =
        config.ignores.entries().into_iter().map(|(glob, rules)| format!("{glob}: {}", rules.join(" "))).collect();
    row("ignore", listed(&ignores), written("ignore"));
    row("attestations", listed(&config.attestations.keys().cloned().collect::<Vec<_>>()), written("attestations"));
    let line_of = |span: &std::ops::Range<usize>| config.source.as_ref().map(|s| at(s.line_at(span.start)));
    let server = |s: &crate::config::connection::Server| format!("{}:{}", s.host.value, s.port.value);
    let (transport, from) = match &config.transport {
        Some(t) => {
            let secret =
                t.login.secret.as_ref().map_or("no secret".to_owned(), |s| format!("secret from {}", s.value.key()));
            let what = format!(
                "{} {}, tls {}, auth {}, {secret}",
                t.mode.value.as_str(),
                server(&t.server),
                t.tls.value.as_str(),
                t.login.auth.value.as_str()
            );
            (what, line_of(&t.mode.span))
        }
        None => ("(none)".to_owned(), None),
    };
    row("transport", transport, from);
    let (mailbox, from) = match &config.mailbox {
        Some(m) => {
            let what = format!(
                "{} {}, user {}, auth {}",
                m.protocol.value.as_str(),
                server(&m.server),
                m.login.username.value,
                m.login.auth.value.as_str()
            );
            (what, line_of(&m.server.host.span))
        }
        None => ("(none)".to_owned(), None),
    };
    row("mailbox", mailbox, from);
    let (directory, from) = match &config.directory {
        Some(d) => (format!("{}, base {}", server(&d.server), d.base_dn), line_of(&d.server.host.span)),
        None => ("(none)".to_owned(), None),
    };
    row("directory", directory, from);
    let resolvers = match config.dns.nameservers.as_slice() {
        [] => "the system's resolvers".to_owned(),
        servers => servers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
    };
    row("dns", format!("{resolvers}, timeout {}s", config.dns.timeout.as_secs()), None);
    let journal = crate::send::journal::path(None, config.source.as_ref().and_then(|s| s.folder()));
    let beside = config.source.as_ref().map(|_| "beside the config file".to_owned());
    row("journal", journal.display().to_string(), beside);
    rows
}

/// The rows as text: which file, then a line a setting.
pub fn human(config: &Config) -> String {
    let rows = rows(config);
    let width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    let value_width = rows.iter().map(|r| r.value.chars().count()).max().unwrap_or(0).min(60);
    let mut out = format!("{}\n", config.used());
    for r in rows {
        out.push_str(&format!("{:<width$}  {:<value_width$}  {}\n", r.key, r.value, r.from));
    }
    out
}

/// The rows as JSON, with the file and how it was named.
pub fn json(config: &Config) -> String {
    let file = config.source.as_ref().map(|s| serde_json::json!({ "path": s.name, "found": config.origin }));
    let value = serde_json::json!({ "config": file, "settings": rows(config) });
    serde_json::to_string_pretty(&value).expect("settings serialise") + "\n"
}
