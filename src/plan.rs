//! Command-line values, the config file and the rule packs, compiled once into the plan
//! each stage takes: `PreflightPlan` (the set-up checks), `ScanPlan` (inputs, the
//! message rules this command runs, ignores, baseline), `SendPlan` (transport, account,
//! list spacing, journal) and `ReportPlan` (format, output, when to fail). Which rules
//! run is decided here, once; no stage sees the whole configuration or a flag.

use std::path::PathBuf;
use std::sync::Arc;

use miette::{Diagnostic, Report};

use crate::baseline::Baseline;
use crate::cli::{CheckArgs, ColorChoice, FailOn, Format, MergeArgs, PreflightArgs, RuleSourceArgs, RunArgs};
use crate::config::{self, Config};
use crate::diagnostic::Severity;
use crate::inputs::{Inputs, Selection};
use crate::online::Services;
use crate::online::smtp_probe::Request;
use crate::preflight::PreflightPlan;
use crate::report::ReportPlan;
use crate::rules::spec::{Coverage, Scope};
use crate::rules::{self, Check, Rule, RuleSet};
use crate::scan::ScanPlan;
use crate::send::SendPlan;
use crate::yaml::YamlSource;

/// A command line that cannot run as given (exit 2).
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum UsageError {
    #[error("{0}: no such file or directory")]
    #[diagnostic(code(usage))]
    NoSuchPath(String),
    #[error("--jobs must be at least 1")]
    #[diagnostic(code(usage))]
    NoJobs,
    #[error("--statistics goes with --format human or concise")]
    #[diagnostic(code(usage))]
    StatisticsFormat,
    #[error("--shard takes K/N with 0 <= K < N (like 0/4), not `{0}`")]
    #[diagnostic(code(usage))]
    Shard(String),
    #[error("--shard writes a part for `merge`: use it with --format jsonl")]
    #[diagnostic(code(usage))]
    ShardFormat,
    #[error(transparent)]
    #[diagnostic(code(usage))]
    Glob(#[from] crate::inputs::GlobError),
    #[error("--account `{0}` is not a valid email address")]
    #[diagnostic(code(usage))]
    Account(String),
    #[error("--rcpt `{0}` is not a valid email address")]
    #[diagnostic(code(usage))]
    Rcpt(String),
    #[error("--send needs a `transport:` in the configuration")]
    #[diagnostic(code(usage), help("add `transport:` to nhsmail-lint.yaml (docs/sending.md)"))]
    NoTransport,
    #[error("--send needs `account` in the configuration, or --account")]
    #[diagnostic(code(usage))]
    NoAccount,
    #[error(
        "preflight needs a sending set-up to check: it found no `transport:`, `mailbox:` or `directory:` in the \
         configuration"
    )]
    #[diagnostic(
        code(usage),
        help("add `transport:`, `mailbox:` or `directory:` to nhsmail-lint.yaml (docs/preflight.md)")
    )]
    NoSetup,
    #[error("{0}")]
    #[diagnostic(code(baseline))]
    Baseline(#[from] crate::baseline::BaselineError),
    #[error("cannot set up the online checks: {0}")]
    #[diagnostic(code(online))]
    Online(#[from] crate::online::SetupError),
}

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
    if let Some(account) = account
        && !config.override_account(account)
    {
        return Err(UsageError::Account(account.trim().to_owned()).into());
    }
    let mut packs = Vec::new();
    if !sources.no_default_rules {
        packs.push(YamlSource::new(rules::BUILTIN_PACK_NAME, rules::BUILTIN_PACK));
    }
    for path in &sources.rule_packs {
        packs.push(YamlSource::read(path)?);
    }
    let mut rules = rules::compile(&packs, &config)?;
    config.check_attestations(|id| match rules.requirement(id) {
        None => Some(format!("no requirement has the id `{id}` (`nhsmail-lint requirements` lists them)")),
        Some(r) if !r.coverage.contains(&Coverage::Attest) => Some(format!(
            "requirement `{id}` is checked by rules, not attested: only `attest` requirements take an attestation"
        )),
        Some(_) => None,
    })?;
    let (disabled, severities) = config.rule_settings(|id| rules.get(id).map(|r| r.id.to_string()))?;
    for rule in &mut rules.rules {
        rule.enabled = !disabled.iter().any(|d| **d == *rule.id);
        if let Some(level) = severities.get(&*rule.id) {
            rule.severity = *level;
        }
    }
    Ok(Loaded { config, rules })
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

/// Which rules a command runs, worked out once from how it runs.
struct Selecting {
    template: bool,
    online: Online,
    /// What the SMTP probe does beyond connecting (`--login`, `--rcpt`; `--send` logs in).
    probe: Request,
    /// List the open attestations (`preflight` only: `check` and `--send` leave them out).
    attestations: bool,
}

impl Selecting {
    /// Whether `rule` runs, unavailable rules aside: enabled, applying to this
    /// configuration, right for templates, and offline unless this run is online
    /// (online set-up rules: only a pre-flight's).
    fn wanted(&self, rule: &Rule) -> bool {
        let online = match self.online {
            Online::Off => false,
            Online::Messages => rule.scope != Scope::Config,
            Online::Setup => true,
        };
        rule.enabled && rule.applies && !(self.template && rule.skip_in_templates) && (!rule.online || online)
    }

    /// The indices of the rules of these scopes that run.
    fn active(&self, rules: &RuleSet, scopes: &[Scope]) -> Vec<usize> {
        let runs = |r: &Rule| scopes.contains(&r.scope) && self.wanted(r) && r.unavailable.is_none();
        rules.rules.iter().enumerate().filter(|(_, r)| runs(r)).map(|(i, _)| i).collect()
    }

    /// One line for each rule this run would apply but cannot, and why. Set-up rules
    /// matter only when there is a set-up to check.
    fn notes(&self, rules: &RuleSet, has_setup: bool) -> Vec<String> {
        let relevant = |r: &Rule| self.wanted(r) && (r.scope != Scope::Config || has_setup);
        let skipped = rules.rules.iter().filter(|r| relevant(r));
        skipped.filter_map(|r| r.unavailable.as_ref().map(|why| format!("{} skipped: {why}", r.id))).collect()
    }
}

/// What `check` and `preflight` run.
pub struct CheckPlan {
    pub rules: Arc<RuleSet>,
    /// The set-up checks, when the config describes a sending set-up.
    pub preflight: Option<PreflightPlan>,
    pub scan: ScanPlan,
    pub send: Option<SendPlan>,
    pub report: ReportPlan,
    /// `--write-baseline`.
    pub record_baseline: Option<PathBuf>,
    /// Rules this run would apply but cannot, and why.
    pub notes: Vec<String>,
    /// The config file, named in the summary when its set-up was checked.
    pub setup_source: Option<String>,
}

impl CheckPlan {
    /// `--send` runs the pre-flight too, and needs an account and a transport.
    pub fn for_check(args: CheckArgs) -> Result<CheckPlan, Report> {
        let online = match (args.send.send, args.online) {
            (true, _) => Online::Setup,
            (false, true) => Online::Messages,
            (false, false) => Online::Off,
        };
        let loaded = load(&args.run.sources, args.run.account.as_deref())?;
        if args.send.send {
            if loaded.config.transport.is_none() {
                return Err(UsageError::NoTransport.into());
            }
            if loaded.config.account.is_none() {
                return Err(UsageError::NoAccount.into());
            }
        }
        let send = args.send.send.then_some(args.send);
        CheckPlan::new(
            loaded,
            args.run,
            args.paths,
            Selecting {
                template: args.template,
                online,
                // A dry run needs no secret, so it does not log in.
                probe: Request { login: send.as_ref().is_some_and(|s| !s.dry_run), rcpt: None },
                attestations: false,
            },
            send,
        )
    }

    /// Pre-flight needs a set-up to check.
    pub fn for_preflight(args: PreflightArgs) -> Result<CheckPlan, Report> {
        let loaded = load(&args.run.sources, args.run.account.as_deref())?;
        if !loaded.config.has_setup() {
            return Err(UsageError::NoSetup.into());
        }
        if let Some(rcpt) = &args.rcpt
            && rcpt.parse::<lettre::Address>().is_err()
        {
            return Err(UsageError::Rcpt(rcpt.clone()).into());
        }
        let probe = Request { login: args.login, rcpt: args.rcpt };
        CheckPlan::new(
            loaded,
            args.run,
            args.paths,
            Selecting { template: false, online: Online::Setup, probe, attestations: true },
            None,
        )
    }

    fn new(
        loaded: Loaded,
        run: RunArgs,
        paths: Vec<PathBuf>,
        selecting: Selecting,
        send: Option<crate::cli::SendArgs>,
    ) -> Result<CheckPlan, Report> {
        for path in &paths {
            if path.as_os_str() != "-" && std::fs::symlink_metadata(path).is_err() {
                return Err(UsageError::NoSuchPath(path.display().to_string()).into());
            }
        }
        let Loaded { config, rules } = loaded;
        let services = match selecting.online {
            Online::Off => None,
            Online::Messages | Online::Setup => {
                Some(Arc::new(Services::new(&config, selecting.probe.clone()).map_err(UsageError::from)?))
            }
        };
        let jobs = match run.jobs {
            Some(0) => return Err(UsageError::NoJobs.into()),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let selection = Selection {
            include: Selection::globs(&run.include).map_err(UsageError::from)?,
            exclude: Selection::globs(&run.exclude).map_err(UsageError::from)?,
            hidden: run.hidden,
            shard: run.shard.as_deref().map(parse_shard).transpose()?,
        };
        let shard = selection.shard.is_some();
        let report = report_plan(&run, shard)?;
        let mut paths = paths;
        paths.sort();
        paths.dedup();
        let rules = Arc::new(rules);
        let message_rules = selecting.active(&rules, &[Scope::Message, Scope::Corpus]);
        let notes = selecting.notes(&rules, config.has_setup());
        let baseline = run.baseline.as_deref().map(Baseline::load).transpose().map_err(UsageError::from)?;
        let send = send.map(|args| SendPlan {
            transport: config.transport.clone().expect("checked: --send has a transport"),
            account: config.account.clone().expect("checked: --send has an account"),
            spacing: spacing_rules(&rules, &message_rules),
            recheck: message_rules.clone(),
            rules: rules.clone(),
            services: services.clone(),
            journal: args.journal,
            dry_run: args.dry_run,
            resend_unknown: args.resend_unknown,
            wait: args.wait,
        });
        let scan = ScanPlan {
            inputs: Inputs { paths, selection },
            rules: rules.clone(),
            active: message_rules,
            ignores: config.ignores.clone(),
            fingerprints: baseline.is_some() || run.write_baseline.is_some(),
            baseline,
            jobs,
            services: services.clone(),
        };
        let setup_source = config.transport.as_ref().and(config.source.as_ref()).map(|s| s.name.clone());
        let config_rules = selecting.active(&rules, &[Scope::Config]);
        let attestations = selecting.attestations;
        let preflight = config.has_setup().then(|| PreflightPlan {
            rules: rules.clone(),
            active: config_rules,
            attestations,
            config,
            services,
        });
        Ok(CheckPlan { rules, preflight, scan, send, report, record_baseline: run.write_baseline, notes, setup_source })
    }
}

/// The corpus rules that space sends (`distribution-list-interval` in the NHSmail
/// pack): `--send` keeps to each one's own `min_interval` for the keys it groups by.
fn spacing_rules(rules: &RuleSet, active: &[usize]) -> Vec<usize> {
    active.iter().copied().filter(|&i| matches!(rules.rules[i].check, Check::Interval(_))).collect()
}

/// What `merge` runs: the corpus rules across the parts, and how to report.
pub struct MergePlan {
    pub rules: Arc<RuleSet>,
    pub parts: Vec<PathBuf>,
    pub report: ReportPlan,
    pub notes: Vec<String>,
}

impl MergePlan {
    pub fn new(args: MergeArgs) -> Result<MergePlan, Report> {
        let loaded = load(&args.run.sources, args.run.account.as_deref())?;
        let report = report_plan(&args.run, false)?;
        let selecting =
            Selecting { template: false, online: Online::Off, probe: Request::default(), attestations: false };
        let notes = selecting.notes(&loaded.rules, loaded.config.has_setup());
        Ok(MergePlan { rules: Arc::new(loaded.rules), parts: args.parts, report, notes })
    }
}

fn report_plan(run: &RunArgs, shard: bool) -> Result<ReportPlan, UsageError> {
    use std::io::IsTerminal;
    if run.statistics && !matches!(run.format, Format::Human | Format::Concise) {
        return Err(UsageError::StatisticsFormat);
    }
    if shard && run.format != Format::Jsonl {
        return Err(UsageError::ShardFormat);
    }
    Ok(ReportPlan {
        format: run.format,
        output: run.output.clone(),
        statistics: run.statistics,
        fail_on: match run.fail_on {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        },
        facts: shard,
        color: match run.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        },
        progress: std::io::stderr().is_terminal(),
    })
}

/// `K/N` with 0 <= K < N.
fn parse_shard(text: &str) -> Result<(u64, u64), UsageError> {
    let bad = || UsageError::Shard(text.to_owned());
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || k >= n {
        return Err(bad());
    }
    Ok((k, n))
}
