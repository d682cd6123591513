//! Command-line values and the config file, validated once into the settings a run
//! works from. Nothing after this re-reads a flag or a file of configuration.

use std::path::PathBuf;

use miette::Report;

use crate::baseline::Baseline;
use crate::cli::{CheckArgs, ColorChoice, FailOn, Format, MergeArgs, PreflightArgs, RuleSourceArgs, RunArgs};
use crate::config::{self, Config};
use crate::diagnostic::Severity;
use crate::inputs::Selection;
use crate::online::Services;
use crate::report;
use crate::rules::engine::Env;
use crate::rules::spec::Scope;
use crate::rules::{self, Rule, RuleSet};
use crate::send::SendOptions;
use crate::yaml::YamlSource;

/// The configuration and the compiled rules it selects.
pub struct Loaded {
    pub config: Config,
    pub rules: RuleSet,
}

/// Reads the config (explicit, else `./nhsmail-lint.yaml` if present) and the rule
/// packs, compiles the rules and applies the config's rule settings.
pub fn load(sources: &RuleSourceArgs, account: Option<&str>) -> Result<Loaded, Report> {
    let config_file = match &sources.config {
        Some(path) => Some(path.clone()),
        None => {
            let default = PathBuf::from(config::DEFAULT_FILE);
            default.is_file().then_some(default)
        }
    };
    let mut config = match config_file {
        Some(path) => Config::load(YamlSource::read(&path)?)?,
        None => Config::default(),
    };
    if let Some(account) = account {
        config.override_account(account).map_err(|e| miette::miette!(code = "usage", "{e}"))?;
    }
    let mut packs = Vec::new();
    if !sources.no_default_rules {
        packs.push(YamlSource::new(rules::BUILTIN_PACK_NAME, rules::BUILTIN_PACK));
    }
    for path in &sources.rule_packs {
        packs.push(YamlSource::read(path)?);
    }
    let mut rules = rules::compile(&packs, &config)?;
    let (disabled, severities) = config.rule_settings(|id| rules.get(id).is_some())?;
    for rule in &mut rules.rules {
        rule.enabled = !disabled.iter().any(|d| **d == *rule.id);
        if let Some(level) = severities.get(&*rule.id) {
            rule.severity = *level;
        }
    }
    Ok(Loaded { config, rules })
}

pub struct Settings {
    pub config: Config,
    pub rules: RuleSet,
    pub paths: Vec<PathBuf>,
    pub selection: Selection,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub statistics: bool,
    /// The least severity that makes the run fail; `None` never fails.
    pub fail_on: Option<Severity>,
    pub jobs: usize,
    pub template: bool,
    pub color: bool,
    /// The services online rules ask: set for pre-flight, `--send` and `--online`.
    pub online: Option<Services>,
    /// The online set-up rules run too (pre-flight and `--send`, not `check --online`).
    pub setup: bool,
    /// `--send`: deliver what passes.
    pub send: Option<SendOptions>,
    /// A progress bar on stderr: only when stderr is a terminal.
    pub progress: bool,
    pub baseline: Option<Baseline>,
    pub write_baseline: Option<PathBuf>,
}

impl Settings {
    /// `--send` runs the pre-flight too, and needs an account and a transport.
    pub fn for_check(args: CheckArgs) -> Result<Settings, Report> {
        let send = args.send.send.then_some(SendOptions {
            dry_run: args.send.dry_run,
            journal: args.send.journal,
            resend_unknown: args.send.resend_unknown,
            wait: args.send.wait,
        });
        let online = match (send.is_some(), args.online) {
            (true, _) => Online::Setup,
            (false, true) => Online::Messages,
            (false, false) => Online::Off,
        };
        let mut settings = Settings::new(args.run, args.paths, args.template, online)?;
        if send.is_some() && settings.config.transport.is_none() {
            return Err(miette::miette!(
                code = "usage",
                help = "add `transport:` to nhsmail-lint.yaml (README: \"Before you send\")",
                "--send needs a `transport:` in the configuration"
            ));
        }
        if send.is_some() && settings.config.account.is_none() {
            return Err(miette::miette!(code = "usage", "--send needs `account` in the configuration, or --account"));
        }
        settings.send = send;
        Ok(settings)
    }

    /// Merging reads parts, not paths.
    pub fn for_merge(args: MergeArgs) -> Result<(Settings, Vec<PathBuf>), Report> {
        Ok((Settings::new(args.run, Vec::new(), false, Online::Off)?, args.parts))
    }

    /// Pre-flight needs a set-up to check.
    pub fn for_preflight(args: PreflightArgs) -> Result<Settings, Report> {
        let settings = Settings::new(args.run, args.paths, false, Online::Setup)?;
        if !settings.config.has_setup() {
            return Err(miette::miette!(
                code = "usage",
                help =
                    "add `transport:`, `mailbox:` or `directory:` to nhsmail-lint.yaml (README: \"Before you send\")",
                "preflight needs a sending set-up to check: it found no `transport:`, `mailbox:` or `directory:` \
                 in the configuration"
            ));
        }
        Ok(settings)
    }

    fn new(run: RunArgs, paths: Vec<PathBuf>, template: bool, online: Online) -> Result<Settings, Report> {
        let loaded = load(&run.sources, run.account.as_deref())?;
        for path in &paths {
            if path.as_os_str() != "-" && std::fs::symlink_metadata(path).is_err() {
                return Err(miette::miette!(code = "usage", "{}: no such file or directory", path.display()));
            }
        }
        let services = match online {
            Online::Off => None,
            Online::Messages | Online::Setup => {
                Some(Services::new(&loaded.config).map_err(|e| miette::miette!(code = "online", "{e}"))?)
            }
        };
        let jobs = match run.jobs {
            Some(0) => return Err(miette::miette!(code = "usage", "--jobs must be at least 1")),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let color = match run.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                use std::io::IsTerminal;
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        if run.statistics && !matches!(run.format, Format::Human | Format::Concise) {
            return Err(miette::miette!(code = "usage", "--statistics goes with --format human or concise"));
        }
        let usage = |e: String| miette::miette!(code = "usage", "{e}");
        let selection = Selection {
            include: Selection::globs(&run.include).map_err(usage)?,
            exclude: Selection::globs(&run.exclude).map_err(usage)?,
            hidden: run.hidden,
            shard: run.shard.as_deref().map(parse_shard).transpose().map_err(usage)?,
        };
        if selection.shard.is_some() && run.format != Format::Jsonl {
            return Err(usage("--shard writes a part for `merge`: use it with --format jsonl".into()));
        }
        let mut paths = paths;
        paths.sort();
        paths.dedup();
        Ok(Settings {
            config: loaded.config,
            rules: loaded.rules,
            paths,
            selection,
            format: run.format,
            output: run.output,
            statistics: run.statistics,
            fail_on: match run.fail_on {
                FailOn::Error => Some(Severity::Error),
                FailOn::Warning => Some(Severity::Warning),
                FailOn::Info => Some(Severity::Info),
                FailOn::Never => None,
            },
            jobs,
            template,
            color,
            online: services,
            setup: online == Online::Setup,
            send: None,
            baseline: run
                .baseline
                .as_deref()
                .map(Baseline::load)
                .transpose()
                .map_err(|e| miette::miette!(code = "baseline", "{e}"))?,
            write_baseline: run.write_baseline,
            progress: {
                use std::io::IsTerminal;
                std::io::stderr().is_terminal()
            },
        })
    }

    /// Whether `rule` runs, skipped rules aside: enabled, right for templates, and
    /// offline unless this run is online (online set-up rules: only a pre-flight's).
    fn wanted(&self, rule: &Rule) -> bool {
        let online = self.online.is_some() && (rule.scope != Scope::Config || self.setup);
        rule.enabled && !(self.template && rule.skip_in_templates) && (!rule.online || online)
    }

    pub fn is_active(&self, rule: &Rule) -> bool {
        self.wanted(rule) && rule.unavailable.is_none()
    }

    pub fn report_options(&self) -> report::Options {
        report::Options {
            format: self.format,
            statistics: self.statistics,
            fail_on: self.fail_on,
            facts: self.selection.shard.is_some(),
        }
    }

    /// Whether files need their fingerprint (for a baseline, read or written).
    pub fn fingerprints(&self) -> bool {
        self.baseline.is_some() || self.write_baseline.is_some()
    }

    pub fn env(&self) -> Env<'_> {
        Env { config: &self.config, online: self.online.as_ref() }
    }

    /// One line for each rule this run would apply but cannot, and why. Set-up rules
    /// matter only when there is a set-up to check.
    pub fn notes(&self) -> Vec<String> {
        self.rules
            .rules
            .iter()
            .filter(|r| self.wanted(r) && (r.scope != Scope::Config || self.config.has_setup()))
            .filter_map(|r| r.unavailable.as_ref().map(|why| format!("{} skipped: {why}", r.id)))
            .collect()
    }
}

/// How much of the network a run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Online {
    Off,
    /// `check --online`: the online message rules (recipients in the directory, DNS).
    Messages,
    /// Pre-flight and `--send`: those and the online set-up rules (relay registration,
    /// the mailbox's quota).
    Setup,
}

/// `K/N` with 0 <= K < N.
fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard takes K/N with 0 <= K < N (like 0/4), not `{text}`");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || k >= n {
        return Err(bad());
    }
    Ok((k, n))
}
