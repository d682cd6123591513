//! `nhsmail-lint.yaml`: the sending account, distribution lists, secure domains and
//! per-rule settings, validated with errors that point at the offending line.

use std::collections::BTreeMap;

use miette::Report;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::findings::diagnostic::Severity;
use crate::mail::address::is_valid_address;
use crate::util::yaml::YamlSource;
use directory::{DirectorySettings, DirectorySpec};
use dns::{DnsSettings, DnsSpec};
use mailbox::{MailboxSettings, MailboxSpec};
use transport::{Transport, TransportSpec};

pub(crate) mod connection;
pub(crate) mod directory;
pub mod discover;
pub(crate) mod dns;
pub(crate) mod mailbox;
pub(crate) mod setting;
pub(crate) mod transport;

pub(crate) const DEFAULT_FILE: &str = "nhsmail-lint.yaml";

/// The account `nhsmail-lint init`'s starter names until the user writes theirs: rules
/// that compare with the account are skipped while it is there (every message would fail
/// them), and `account-placeholder` reports it once.
pub(crate) const PLACEHOLDER_ACCOUNT: &str = "application.name@nhs.net";

/// `nhsmail-lint.yaml`: the sending account and set-up, and rule settings (docs/configuration.md).
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigSpec {
    /// The NHSmail application account messages are sent from (`from-account` compares From and Sender with it).
    #[schemars(with = "Option<String>")]
    account: Option<Spanned<String>>,
    /// NHSmail distribution-list addresses: sends to each are spaced by `distribution-list-interval`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    distribution_lists: Vec<Spanned<String>>,
    /// Recipient domains that count as secure for `secure-marker-missing` (default: [nhs.net]).
    #[schemars(with = "Option<Vec<String>>")]
    secure_domains: Option<Vec<Spanned<String>>>,
    /// More non-delivery addresses, as regular expressions (no-reply-address).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    non_delivery: Vec<Spanned<String>>,
    /// Rules disabled or given another severity, by id.
    #[serde(default)]
    rules: RulesSpec,
    /// How messages are sent: SMTP submission or the anonymous relay (docs/preflight.md).
    transport: Option<TransportSpec>,
    /// Resolvers and timeout for the pre-flight's DNS questions.
    #[serde(default)]
    dns: DnsSpec,
    /// The sending mailbox, whose quota the pre-flight reads over IMAP.
    mailbox: Option<MailboxSpec>,
    /// The NHSmail directory (LDAPS) recipients are looked up in.
    directory: Option<DirectorySpec>,
    /// What a person has done for each `attest` requirement: `A1: "account created, INC0123456"`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    attestations: BTreeMap<String, Spanned<String>>,
    /// Per-path ignores: `"templates/legacy/**": [display-name-format]`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    ignore: BTreeMap<String, Vec<Spanned<String>>>,
}

/// Rule settings: which rules do not run, and other severities.
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RulesSpec {
    /// Rule ids (or former ids) that do not run.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    disable: Vec<Spanned<String>>,
    /// A new severity per rule id: error, warning or info.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Severity>")]
    severity: BTreeMap<String, Spanned<Severity>>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct ListedSpans {
    pub(crate) account: Option<std::ops::Range<usize>>,
    pub(crate) distribution_lists: Vec<std::ops::Range<usize>>,
}

/// A value rules can interpolate as `${config.NAME}`.
pub(crate) enum ConfigValue<'a> {
    Text(Option<&'a str>),
    Number(Option<u64>),
    List(&'a [String]),
}

/// `nhsmail-lint.yaml`, validated: every section and setting with its place in the file.
pub struct Config {
    pub(crate) account: Option<String>,
    /// The setting the account was read from when no `account` is written: the
    /// submission or the mailbox username (`derive_account`).
    pub(crate) account_from: Option<&'static str>,
    /// The NHSmail distribution-list addresses, whose sends are spaced out.
    pub distribution_lists: Vec<String>,
    /// Where the account and each list were written (none for `--account`), for the
    /// set-up rules that look them up in the directory.
    pub(crate) spans: ListedSpans,
    pub(crate) secure_domains: Vec<String>,
    /// Regular expressions of more non-delivery addresses (any case), checked to compile.
    pub(crate) non_delivery: Vec<String>,
    pub(crate) transport: Option<Transport>,
    pub(crate) dns: DnsSettings,
    pub(crate) mailbox: Option<MailboxSettings>,
    /// The NHSmail directory, when the set-up checks may ask it.
    pub directory: Option<DirectorySettings>,
    /// The file it came from: config rules report against it, and errors found later
    /// (unknown rule ids) point into it.
    pub source: Option<YamlSource>,
    /// Rules left out on some paths (`ignore:`), for the scan.
    pub(crate) ignores: Ignores,
    disable: Vec<Spanned<String>>,
    severity: BTreeMap<String, Spanned<Severity>>,
    /// `attestations:`, by requirement id, each with where it was written.
    pub(crate) attestations: BTreeMap<String, Spanned<String>>,
    /// How the file was named (none for the defaults).
    pub(crate) origin: Option<discover::Origin>,
    /// The line each top-level setting was written on, for `nhsmail-lint config`.
    pub(crate) lines: BTreeMap<&'static str, u64>,
}

/// `ignore:`: each glob, and the rules ignored on the paths it matches.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ignores {
    globs: Vec<(globset::GlobMatcher, Vec<Spanned<String>>)>,
    /// The config file's folder and the current folder, both absolute, when they differ:
    /// the globs are written relative to the config file's folder.
    rebase: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Ignores {
    /// Each glob as written, with the rules it switches off (for the reports).
    pub(crate) fn entries(&self) -> Vec<(String, Vec<String>)> {
        let rules = |r: &[Spanned<String>]| r.iter().map(|r| r.value.clone()).collect();
        self.globs.iter().map(|(glob, r)| (glob.glob().glob().to_owned(), rules(r))).collect()
    }

    /// Whether `rule` is ignored on `path` (an mbox message by its file's path).
    pub(crate) fn ignored(&self, path: &std::path::Path, rule: &str) -> bool {
        if self.globs.is_empty() {
            return false;
        }
        let text = path.to_string_lossy();
        let file = text.rsplit_once(":#").map_or(text.as_ref(), |(file, _)| file);
        let file = std::path::Path::new(file.strip_prefix("./").unwrap_or(file));
        let rebased = self.rebase.as_ref().and_then(|(folder, cwd)| discover::relative_to(folder, cwd, file));
        let file = rebased.as_deref().unwrap_or(file);
        self.globs.iter().any(|(glob, rules)| glob.is_match(file) && rules.iter().any(|r| r.value == rule))
    }
}

/// The line of the first value written under each setting.
fn written_lines(spec: &ConfigSpec) -> BTreeMap<&'static str, u64> {
    fn first<'a, T: 'a>(values: impl IntoIterator<Item = &'a Spanned<T>>) -> Option<u64> {
        values.into_iter().next().map(|v| v.referenced.line())
    }
    let sections = [
        ("account", first(&spec.account)),
        ("distribution_lists", first(&spec.distribution_lists)),
        ("secure_domains", spec.secure_domains.as_ref().and_then(first)),
        ("non_delivery", first(&spec.non_delivery)),
        ("rules.disable", first(&spec.rules.disable)),
        ("rules.severity", first(spec.rules.severity.values())),
        ("ignore", first(spec.ignore.values().flatten())),
        ("attestations", first(spec.attestations.values())),
    ];
    sections.into_iter().filter_map(|(key, line)| Some((key, line?))).collect()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            account: None,
            account_from: None,
            distribution_lists: Vec::new(),
            spans: ListedSpans::default(),
            secure_domains: vec!["nhs.net".into()],
            non_delivery: Vec::new(),
            transport: None,
            dns: DnsSettings::default(),
            mailbox: None,
            directory: None,
            source: None,
            ignores: Ignores::default(),
            disable: Vec::new(),
            severity: BTreeMap::new(),
            attestations: BTreeMap::new(),
            origin: None,
            lines: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Reads and validates a config file a user named; errors point into it.
    pub fn load(source: YamlSource) -> Result<Config, Report> {
        Config::load_from(source, discover::Origin::Flag)
    }

    /// Reads and validates a config file named as `origin` says.
    pub(crate) fn load_from(source: YamlSource, origin: discover::Origin) -> Result<Config, Report> {
        let spec: ConfigSpec = if source.text.trim().is_empty() { ConfigSpec::default() } else { source.parse()? };
        let address = |value: &Spanned<String>| -> Result<String, Report> {
            let trimmed = value.value.trim();
            if is_valid_address(trimmed) {
                Ok(trimmed.to_ascii_lowercase())
            } else {
                Err(source.error_at(value, format!("`{}` is not a valid email address", value.value)))
            }
        };
        let lines = written_lines(&spec);
        let account = spec.account.as_ref().map(address).transpose()?;
        let distribution_lists = spec.distribution_lists.iter().map(address).collect::<Result<_, _>>()?;
        let at = |s: &Spanned<String>| source.range(&s.referenced).unwrap_or(0..0);
        let spans = ListedSpans {
            account: spec.account.as_ref().map(at),
            distribution_lists: spec.distribution_lists.iter().map(at).collect(),
        };
        let secure_domains = match &spec.secure_domains {
            None => Config::default().secure_domains,
            Some(domains) => domains
                .iter()
                .map(|d| {
                    let domain = d.value.trim().trim_start_matches('@').to_ascii_lowercase();
                    if is_valid_address(&format!("x@{domain}")) {
                        Ok(domain)
                    } else {
                        Err(source.error_at(d, format!("`{}` is not a valid domain", d.value)))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        let non_delivery = spec
            .non_delivery
            .iter()
            .map(|p| match regex::Regex::new(&p.value) {
                Ok(_) => Ok(p.value.clone()),
                Err(e) => {
                    Err(source.error_at(p, format!("`{}` in `non_delivery` is not a regular expression: {e}", p.value)))
                }
            })
            .collect::<Result<_, _>>()?;
        let mut ignore = Vec::new();
        for (pattern, rules) in spec.ignore {
            let glob = globset::Glob::new(&pattern).map_err(|e| {
                let at = rules.first().map_or(serde_saphyr::Location::UNKNOWN, |r| r.referenced);
                source.error(&at, format!("bad glob `{pattern}` in `ignore`: {e}"), None)
            })?;
            ignore.push((glob.compile_matcher(), rules));
        }
        let transport = spec.transport.map(|t| Transport::from_spec(t, &source)).transpose()?;
        let dns = DnsSettings::from_spec(spec.dns, &source)?;
        let mailbox = spec.mailbox.map(|m| MailboxSettings::from_spec(m, &source)).transpose()?;
        let directory = spec.directory.map(|d| DirectorySettings::from_spec(d, &source)).transpose()?;
        let mut config = Config {
            account,
            account_from: None,
            distribution_lists,
            spans,
            secure_domains,
            non_delivery,
            transport,
            dns,
            mailbox,
            directory,
            ignores: Ignores { globs: ignore, rebase: source.folder().and_then(discover::rebase) },
            disable: spec.rules.disable,
            severity: spec.rules.severity,
            attestations: spec.attestations,
            origin: Some(origin),
            lines,
            source: Some(source),
        };
        config.derive_account();
        Ok(config)
    }

    /// With no `account` written, the login that sends names the account: the submission
    /// username, else the mailbox's, when it is a full address (the relay's username logs
    /// in nowhere, relay-credentials says so). Pointed at where it was read from.
    fn derive_account(&mut self) {
        if self.account.is_some() {
            return;
        }
        let submission = self.transport.as_ref().filter(|t| t.mode.value == transport::Mode::Submission);
        let submission = submission.and_then(|t| t.login.username.as_ref()).map(|u| (u, "transport.username"));
        let mailbox = self.mailbox.as_ref().map(|m| (&m.login.username, "mailbox.username"));
        let Some((username, key)) = submission.into_iter().chain(mailbox).find(|(u, _)| is_valid_address(&u.value))
        else {
            return;
        };
        self.account = Some(username.value.to_ascii_lowercase());
        self.spans.account = Some(username.span.clone());
        self.account_from = Some(key);
    }

    /// A run that fetches secrets (pre-flight, `--send`) refuses a `token_command` in a
    /// file found from the current folder, before anything runs or connects.
    pub(crate) fn refuse_commands(&self) -> Result<(), Report> {
        if self.origin.is_none_or(discover::Origin::may_run_commands) {
            return Ok(());
        }
        let transport = self.transport.as_ref().and_then(|t| t.login.secret.as_ref());
        let secrets = transport.into_iter().chain(self.mailbox.as_ref().and_then(|m| m.login.secret.as_ref()));
        let command = secrets.filter(|s| matches!(s.value, setting::Secret::Command(_))).map(|s| &s.span).next();
        match (command, &self.source) {
            (Some(span), Some(source)) => Err(source.error_span(
                "config-command-refused",
                span.clone(),
                "token_command is not run from a config file found from the current folder",
                format!(
                    "a checkout's own file could run any program with this job's secrets; name the file \
                     to trust it: --config {0} or {1}={0}",
                    source.name,
                    discover::ENV
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Which file this is, and how it was named, for the reports' notes.
    pub(crate) fn used(&self) -> String {
        match (&self.source, self.origin) {
            (Some(source), Some(origin)) => format!("the configuration is {} ({})", source.name, origin.describe()),
            _ => "no configuration file: the built-in defaults apply (`nhsmail-lint init` writes one)".to_owned(),
        }
    }

    /// Says where the account came from when it was not written as `account`.
    pub(crate) fn account_note(&self) -> Option<String> {
        let (account, key) = (self.account.as_deref()?, self.account_from?);
        Some(format!("the sending account is {account}, read from `{key}`: no `account` is configured"))
    }

    /// Whether the account is still the starter's placeholder.
    pub(crate) fn has_placeholder_account(&self) -> bool {
        self.account.as_deref() == Some(PLACEHOLDER_ACCOUNT)
    }

    /// Whether the file describes a sending set-up for the config rules to check.
    pub(crate) fn has_setup(&self) -> bool {
        self.transport.is_some() || self.mailbox.is_some() || self.directory.is_some()
    }

    /// `--account` wins over the file; false (and no change) when it is not an address.
    pub fn override_account(&mut self, account: &str) -> bool {
        let account = account.trim();
        if !is_valid_address(account) {
            return false;
        }
        self.account = Some(account.to_ascii_lowercase());
        self.account_from = None;
        self.spans.account = None;
        true
    }

    pub(crate) fn lookup(&self, key: &str) -> Option<ConfigValue<'_>> {
        Some(match key {
            "account" => ConfigValue::Text(self.account.as_deref().filter(|_| !self.has_placeholder_account())),
            "distribution_lists" => ConfigValue::List(&self.distribution_lists),
            "secure_domains" => ConfigValue::List(&self.secure_domains),
            "non_delivery" => ConfigValue::List(&self.non_delivery),
            "mailbox.quota_warning_percent" => {
                ConfigValue::Number(self.mailbox.as_ref().map(|m| u64::from(m.warning_percent)))
            }
            _ => return None,
        })
    }

    pub(crate) const KEYS: &'static [&'static str] =
        &["account", "distribution_lists", "secure_domains", "non_delivery", "mailbox.quota_warning_percent"];

    /// Checks `attestations:` against the loaded requirements: `unattestable` says why an
    /// id cannot be attested (it names no requirement, or one that rules check), if so.
    pub(crate) fn check_attestations(&self, unattestable: impl Fn(&str) -> Option<String>) -> Result<(), Report> {
        for (id, text) in &self.attestations {
            let problem = match unattestable(id) {
                Some(why) => why,
                None if text.value.trim().is_empty() => {
                    format!("the attestation for `{id}` is empty: say what was done, by whom and when")
                }
                None => continue,
            };
            return Err(match &self.source {
                Some(source) => source.error_at(text, problem),
                None => miette::miette!("{problem}"),
            });
        }
        Ok(())
    }

    /// `rules.disable` and `rules.severity` as written (`id: level`), for `nhsmail-lint config`.
    pub(crate) fn rule_settings_as_written(&self) -> (Vec<String>, Vec<String>) {
        let disabled = self.disable.iter().map(|id| id.value.clone()).collect();
        let severities = self.severity.iter().map(|(id, level)| format!("{id}: {}", level.value.as_str())).collect();
        (disabled, severities)
    }

    /// Rule ids the config disables or re-grades, each resolved by `canonical` to the
    /// rule's id (a former id, an alias, names its rule; `None` when no loaded pack
    /// defines it, an error at its line, with the closest of `known` suggested).
    /// `ignore:` entries are resolved in place.
    pub(crate) fn rule_settings(
        &mut self,
        canonical: impl Fn(&str) -> Option<String>,
        known: &[&str],
    ) -> Result<(Vec<String>, BTreeMap<String, Severity>), Report> {
        let source = &self.source;
        let unknown = |id: &str, at: &Spanned<String>| -> Report {
            let help = crate::util::suggest::help(id, known.iter().copied(), None);
            match (source, help) {
                (Some(source), help) => source.error(&at.referenced, format!("no rule has the id `{id}`"), help),
                (None, Some(help)) => miette::miette!(help = help, "no rule has the id `{id}`"),
                (None, None) => miette::miette!("no rule has the id `{id}`"),
            }
        };
        for id in self.ignores.globs.iter_mut().flat_map(|(_, rules)| rules) {
            id.value = canonical(&id.value).ok_or_else(|| unknown(&id.value, id))?;
        }
        let mut disabled = Vec::new();
        for id in &self.disable {
            disabled.push(canonical(&id.value).ok_or_else(|| unknown(&id.value, id))?);
        }
        let mut severities = BTreeMap::new();
        for (id, level) in &self.severity {
            let Some(rule) = canonical(id) else {
                let at = Spanned::new(id.clone(), level.referenced, level.defined);
                return Err(unknown(id, &at));
            };
            severities.insert(rule, level.value);
        }
        Ok((disabled, severities))
    }
}
