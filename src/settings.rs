//! Command-line values and the config file, validated once into the settings a run
//! works from. Nothing after this re-reads a flag or a file of configuration.

use std::path::PathBuf;

use miette::Report;

use crate::cli::{CheckArgs, ColorChoice, FailOn, Format, RuleSourceArgs};
use crate::config::{self, Config};
use crate::diagnostic::Severity;
use crate::rules::{self, Rule, RuleSet};
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
    pub rules: RuleSet,
    pub paths: Vec<PathBuf>,
    pub format: Format,
    /// The least severity that makes the run fail; `None` never fails.
    pub fail_on: Option<Severity>,
    pub jobs: usize,
    pub template: bool,
    pub color: bool,
}

impl Settings {
    pub fn from_args(args: CheckArgs) -> Result<Settings, Report> {
        let loaded = load(&args.sources, args.account.as_deref())?;
        for path in &args.paths {
            if std::fs::symlink_metadata(path).is_err() {
                return Err(miette::miette!(code = "usage", "{}: no such file or directory", path.display()));
            }
        }
        let jobs = match args.jobs {
            Some(0) => return Err(miette::miette!(code = "usage", "--jobs must be at least 1")),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                use std::io::IsTerminal;
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        let mut paths = args.paths;
        paths.sort();
        paths.dedup();
        Ok(Settings {
            rules: loaded.rules,
            paths,
            format: args.format,
            fail_on: match args.fail_on {
                FailOn::Error => Some(Severity::Error),
                FailOn::Warning => Some(Severity::Warning),
                FailOn::Info => Some(Severity::Info),
                FailOn::Never => None,
            },
            jobs,
            template: args.template,
            color,
        })
    }

    pub fn is_active(&self, rule: &Rule) -> bool {
        rule.enabled && rule.unavailable.is_none() && !(self.template && rule.skip_in_templates)
    }

    /// One line for each enabled rule this run cannot apply, and why.
    pub fn notes(&self) -> Vec<String> {
        self.rules
            .rules
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| r.unavailable.as_ref().map(|why| format!("{} skipped: {why}", r.id)))
            .collect()
    }
}
