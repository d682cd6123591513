//! Command-line values, the config file and the rule packs, compiled once into the plan
//! each stage takes: `PreflightPlan` (the set-up checks), `ScanPlan` (inputs, the
//! message rules this command runs, ignores, baseline), `SendPlan` (transport, account,
//! list spacing, journal) and `ReportPlan` (format, output, when to fail). Which rules
//! run is decided here, once; no stage sees the whole configuration or a flag.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{Diagnostic, Report};

use crate::cli::{
    CheckArgs, ColorChoice, FailOn, Format, ListFormat, MergeArgs, PreflightArgs, RuleSourceArgs, RunArgs, SelectArgs,
    TestArgs, WalkArgs,
};
use crate::config::{self, Config};
use crate::findings::diagnostic::Severity;
use crate::inputs::{Inputs, Selection};
use crate::online::Services;
use crate::online::smtp_probe::Request;
use crate::report::ReportPlan;
use crate::report::coverage::{self, Exceptions, Row, RunCoverage, Status};
use crate::report::provenance::Sources;
use crate::rules::spec::{Coverage, Scope};
use crate::rules::{self, Check, Rule, RuleSet};
use crate::send::SendPlan;
use crate::stages::baseline::Baseline;
use crate::stages::preflight::PreflightPlan;
use crate::stages::scan::ScanPlan;
use crate::util::yaml::YamlSource;

/// A command line that cannot run as given (exit 2).
#[derive(Debug, thiserror::Error, Diagnostic)]
pub(crate) enum UsageError {
    #[error("{0}: no such file or directory")]
    #[diagnostic(code(usage))]
    NoSuchPath(String),
    #[error("no fixture folder given, and no --rules pack has one beside it ({0})")]
    #[diagnostic(
        code(usage),
        help(
            "name the folders: `nhsmail-lint test --rules trust.yaml fixtures/`, or put them in trust/ beside trust.yaml"
        )
    )]
    NoFixtureFolder(String),
    #[error("--jobs must be at least 1")]
    #[diagnostic(code(usage))]
    NoJobs,
    #[error("--statistics goes with --format human or concise")]
    #[diagnostic(code(usage))]
    StatisticsFormat,
    #[error("--compare adds a section to the html, markdown and json reports: --format {0} cannot carry it")]
    #[diagnostic(code(usage), help("write the comparison with --format html, markdown or json"))]
    CompareFormat(String),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Compare(#[from] crate::report::compare::CompareError),
    #[error("--shard takes K/N with 1 <= K <= N (like 1/4), not `{0}`")]
    #[diagnostic(code(usage))]
    Shard(String),
    #[error("--shard counts from 1: `{0}` names no shard; the first of {1} is 1/{1}")]
    #[diagnostic(
        code(usage),
        help(
            "shards are 1/N to N/N, as cargo nextest's --partition count:K/N (Kubernetes: $((JOB_COMPLETION_INDEX + 1))/N)"
        )
    )]
    ShardZero(String, u64),
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
    #[error(
        "--send needs the sending account: `account` (or a submission `username` that is a full address) in the configuration, or --account"
    )]
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
    Baseline(#[from] crate::stages::baseline::BaselineError),
    #[error("cannot set up the online checks: {0}")]
    #[diagnostic(code(online))]
    Online(#[from] crate::online::SetupError),
}

/// The configuration and the compiled rules it selects.
pub struct Loaded {
    /// The config file, or the defaults.
    pub config: Config,
    /// The rules, compiled.
    pub rules: RuleSet,
    /// Each pack's name and text, for the reports' provenance.
    pub(crate) packs: Vec<(String, Arc<str>)>,
    /// `rules.severity`: each rule the config re-grades, from the pack's severity to its own.
    pub(crate) regraded: Vec<(String, Severity, Severity)>,
}

/// Reads the config (`config::discover` says which) and the rule packs, compiles the rules and applies the config's rule settings.
pub fn load(sources: &RuleSourceArgs, account: Option<&str>) -> Result<Loaded, Report> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut config = match config::discover::locate(sources.config.as_deref(), sources.isolated, &cwd) {
        Some(found) => Config::load_from(YamlSource::read(&found.path)?, found.origin)?,
        None => Config::default(),
    };
    if let Some(account) = account
        && !config.override_account(account)
    {
        return Err(UsageError::Account(account.trim().to_owned()).into());
    }
    let mut packs = Vec::new();
    if !sources.no_default_rules {
        packs.push(rules::builtin_pack());
    }
    for path in &sources.rule_packs {
        packs.push(YamlSource::read(path)?);
    }
    let mut rules = rules::compile(&packs, &config)?;
    config.check_attestations(|id| match rules.requirement(id) {
        None => {
            let guess = crate::util::suggest::closest(id, rules.requirements.iter().map(|r| &*r.id));
            let guess = guess.map_or(String::new(), |g| format!("did you mean `{g}`? "));
            Some(format!("no requirement has the id `{id}` ({guess}`nhsmail-lint requirements` lists them)"))
        }
        Some(r) if !r.coverage.contains(&Coverage::Attest) => Some(format!(
            "requirement `{id}` is checked by rules, not attested: only `attest` requirements take an attestation"
        )),
        Some(_) => None,
    })?;
    let known = rules.ids();
    let (disabled, severities) = config.rule_settings(|id| rules.get(id).map(|r| r.id.to_string()), &known)?;
    let mut regraded = Vec::new();
    for rule in &mut rules.rules {
        rule.enabled = !disabled.iter().any(|d| **d == *rule.id);
        if let Some(level) = severities.get(&*rule.id) {
            regraded.push((rule.id.to_string(), rule.severity, *level));
            rule.severity = *level;
        }
    }
    let packs = packs.into_iter().map(|p| (p.name, p.text)).collect();
    Ok(Loaded { config, rules, packs, regraded })
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
        rule.enabled && rule.applies && !(self.template && rule.skip_in_templates) && self.online_ok(rule)
    }

    /// Whether this run may run `rule` as far as the network goes.
    fn online_ok(&self, rule: &Rule) -> bool {
        let online = match self.online {
            Online::Off => false,
            Online::Messages => rule.scope != Scope::Config,
            Online::Setup => true,
        };
        !rule.online || online
    }

    /// Why this run does not run `rule` (`None`: it runs), for the reports' matrix.
    fn why_not(&self, rule: &Rule, has_setup: bool) -> Option<String> {
        if let Some(why) = coverage::not_run(rule, has_setup) {
            return Some(why);
        }
        if self.template && rule.skip_in_templates {
            return Some("left out for templates (`--template`)".into());
        }
        (!self.online_ok(rule)).then(|| "online: runs with `--online`, `preflight` or `--send`".into())
    }

    /// The run's coverage of each requirement, and the exceptions the config accepted.
    fn coverage(&self, loaded: &Loaded, baseline: Option<&std::path::Path>) -> RunCoverage {
        let (rules, config) = (&loaded.rules, &loaded.config);
        let has_setup = config.has_setup();
        let rows = rules
            .requirements
            .iter()
            .map(|q| {
                let named: Vec<&Rule> = rules.rules_for(&q.id).collect();
                let running = |setup: bool| -> Vec<String> {
                    let runs = |r: &&&Rule| (r.scope == Scope::Config) == setup && self.why_not(r, has_setup).is_none();
                    named.iter().filter(runs).map(|r| r.id.to_string()).collect()
                };
                let (message_rules, setup_rules) = (running(false), running(true));
                let status = if !q.applies {
                    Status::NotApplicable
                } else if !message_rules.is_empty() || !setup_rules.is_empty() {
                    let to_attest = q.coverage.contains(&Coverage::Attest) && !config.attestations.contains_key(&*q.id);
                    Status::Checked { message_rules, setup_rules, to_attest }
                } else if let Some(attested) = config.attestations.get(&*q.id) {
                    Status::Attested(attested.value.trim().to_owned())
                } else if q.coverage.contains(&Coverage::Attest) {
                    Status::Open
                } else if !has_setup && !named.is_empty() && named.iter().all(|r| r.scope == Scope::Config) {
                    Status::NoSetup
                } else {
                    // Without a set-up, its set-up rules' reasons are the same one, said once
                    // where the report folds such rows; the message rules' reasons stay.
                    let why: Vec<String> = named
                        .iter()
                        .filter(|r| has_setup || r.scope != Scope::Config)
                        .filter_map(|r| self.why_not(r, has_setup).map(|why| format!("{}: {why}", r.id)))
                        .collect();
                    Status::NotChecked(if why.is_empty() { "no rule checks it".into() } else { why.join("; ") })
                };
                Row { id: q.id.to_string(), verb: q.verb, sentence: q.reads().to_owned(), status }
            })
            .collect();
        let exceptions = Exceptions {
            disabled: rules.rules.iter().filter(|r| !r.enabled).map(|r| r.id.to_string()).collect(),
            regraded: loaded.regraded.clone(),
            ignores: config.ignores.entries(),
            baseline: baseline.map(|b| b.display().to_string()),
        };
        RunCoverage { rows, exceptions }
    }

    /// The indices of the rules of these scopes that run.
    fn active(&self, rules: &RuleSet, scopes: &[Scope]) -> Vec<usize> {
        let runs = |r: &Rule| {
            scopes.contains(&r.scope) && self.wanted(r) && r.unavailable.is_none() && r.nothing_to_check.is_none()
        };
        rules.rules.iter().enumerate().filter(|(_, r)| runs(r)).map(|(i, _)| i).collect()
    }

    /// One line for each rule this run would apply but cannot, and why. Set-up rules
    /// matter only when there is a set-up to check.
    fn notes(&self, rules: &RuleSet, has_setup: bool) -> Vec<String> {
        self.skipped(rules, has_setup).map(|(rule, why)| format!("{} skipped: {why}", rule.id)).collect()
    }

    /// The rules this run would apply but cannot, and why.
    fn skipped<'r>(&self, rules: &'r RuleSet, has_setup: bool) -> impl Iterator<Item = (&'r Rule, &'r str)> {
        let relevant = move |r: &Rule| self.wanted(r) && (r.scope != Scope::Config || has_setup);
        rules.rules.iter().filter(move |r| relevant(r)).filter_map(|r| Some((r, r.unavailable.as_deref()?)))
    }

    /// `--quiet`'s only notes: a line for each requirement a skipped rule leaves
    /// unchecked, since a skipped rule changes what the run can claim.
    fn unchecked(&self, rules: &RuleSet, has_setup: bool) -> Vec<String> {
        let mut by_requirement: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut lines = Vec::new();
        for (rule, why) in self.skipped(rules, has_setup) {
            let skipped = format!("{} skipped: {why}", rule.id);
            if rule.requirement.is_empty() {
                // A rule of a user's pack that names no requirement: its own line.
                lines.push(skipped.clone());
            }
            for requirement in rule.requirement.iter() {
                by_requirement.entry(requirement).or_default().push(skipped.clone());
            }
        }
        let requirements =
            by_requirement.into_iter().map(|(id, rules)| format!("requirement {id} not checked: {}", rules.join("; ")));
        requirements.chain(lines).collect()
    }
}

/// What `check` and `preflight` run.
pub struct CheckPlan {
    pub(crate) rules: Arc<RuleSet>,
    /// The set-up checks, when the config describes a sending set-up.
    pub(crate) preflight: Option<PreflightPlan>,
    pub(crate) scan: ScanPlan,
    pub(crate) send: Option<SendPlan>,
    pub(crate) report: ReportPlan,
    /// `--write-baseline`.
    pub(crate) record_baseline: Option<PathBuf>,
    /// Rules this run would apply but cannot, and why.
    pub(crate) notes: Vec<String>,
    /// The config file, named in the summary when its set-up was checked.
    pub(crate) setup_source: Option<String>,
    /// `--allow-empty`: a run given paths that reads no message is not an error.
    pub(crate) allow_empty: bool,
    /// `--verbose`: the files passed over as not mail are listed by extension.
    pub(crate) verbose: bool,
    /// `--fix` or `--diff`.
    pub(crate) fix: Option<crate::stages::fix::FixPlan>,
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
        let fix = (args.fix || args.diff)
            .then_some(crate::stages::fix::FixPlan { diff: args.diff, unsafe_fixes: args.unsafe_fixes });
        let (paths, implicit_root) = match args.paths.is_empty() {
            true => (vec![PathBuf::from(".")], true),
            false => (args.paths, false),
        };
        let plan = CheckPlan::new(
            "check",
            loaded,
            (args.run, args.walk, implicit_root),
            paths,
            Selecting {
                template: args.template,
                online,
                // A dry run needs no secret, so it does not log in.
                probe: Request { login: send.as_ref().is_some_and(|s| !s.dry_run), rcpt: None },
                attestations: false,
            },
            send,
        )?;
        Ok(CheckPlan { fix, ..plan })
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
            "preflight",
            loaded,
            (args.run, args.walk, false),
            args.paths,
            Selecting { template: false, online: Online::Setup, probe, attestations: true },
            None,
        )
    }

    fn new(
        command: &'static str,
        loaded: Loaded,
        (run, walk, implicit_root): (RunArgs, WalkArgs, bool),
        paths: Vec<PathBuf>,
        selecting: Selecting,
        send: Option<crate::cli::SendArgs>,
    ) -> Result<CheckPlan, Report> {
        for path in &paths {
            if path.as_os_str() != "-" && std::fs::symlink_metadata(path).is_err() {
                return Err(UsageError::NoSuchPath(path.display().to_string()).into());
            }
        }
        let inputs = paths.iter().map(|p| p.display().to_string()).collect();
        let mut report = report_plan(&run, walk.shard.is_some(), (&loaded, &selecting), (command, inputs))?;
        let shard = walk.shard.as_deref().map(parse_shard).transpose()?;
        report.provenance.shard = shard.map(|(k, n)| format!("{}/{n}", k + 1));
        report.provenance.run_id = walk.run_id.clone();
        let Loaded { config, rules, .. } = loaded;
        // Only the set-up checks and sending fetch secrets (the directory lookups of
        // --online do not): that is where a found file's program would run.
        if selecting.online == Online::Setup {
            config.refuse_commands()?;
        }
        let services = match selecting.online {
            Online::Off => None,
            Online::Messages | Online::Setup => Some(Arc::new(
                Services::new(&config, report.progress, selecting.probe.clone()).map_err(UsageError::from)?,
            )),
        };
        let jobs = match walk.jobs {
            Some(0) => return Err(UsageError::NoJobs.into()),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let selection = Selection { shard, ..select_files(&walk.select, implicit_root)? };
        let mut paths = paths;
        paths.sort();
        paths.dedup();
        let rules = Arc::new(rules);
        let message_rules = selecting.active(&rules, &[Scope::Message, Scope::Corpus]);
        let (notes, baseline) = notes_and_baseline(&run, &selecting, &rules, &config)?;
        let send = send.map(|args| SendPlan {
            transport: config.transport.clone().expect("checked: --send has a transport"),
            account: config.account.clone().expect("checked: --send has an account"),
            spacing: spacing_rules(&rules, &message_rules),
            recheck: message_rules.clone(),
            rules: rules.clone(),
            services: services.clone(),
            journal: crate::send::journal::path(
                args.journal.as_deref(),
                config.source.as_ref().and_then(|s| s.folder()),
            ),
            dry_run: args.dry_run,
            resend_unknown: args.resend_unknown,
            wait: args.wait,
        });
        let scan = ScanPlan {
            inputs: Inputs { paths, selection },
            rules: rules.clone(),
            active: message_rules,
            ignores: config.ignores.clone(),
            bodies: report.facts,
            baseline,
            jobs,
            services: services.clone(),
            detail: report.wants_detail(),
            names: report.wants_names(),
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
        Ok(CheckPlan {
            rules,
            preflight,
            scan,
            send,
            report,
            record_baseline: run.write_baseline,
            notes,
            setup_source,
            allow_empty: walk.allow_empty,
            verbose: walk.verbose,
            fix: None,
        })
    }
}

/// Which walked files a run reads, from `--include`, `--exclude` and the rest (no shard).
pub(crate) fn select_files(select: &SelectArgs, implicit_root: bool) -> Result<Selection, UsageError> {
    Ok(Selection {
        include: Selection::globs(&select.include)?,
        exclude: Selection::globs(&select.exclude)?,
        hidden: select.hidden,
        gitignore: !select.no_ignore,
        implicit_root,
        stdin_name: select.stdin_filename.clone(),
        shard: None,
    })
}

/// The corpus rules that space sends (`distribution-list-interval` in the NHSmail
/// pack): `--send` keeps to each one's own `min_interval` for the keys it groups by.
fn spacing_rules(rules: &RuleSet, active: &[usize]) -> Vec<usize> {
    let spaces =
        |i: &usize| matches!(&rules.rules[*i].check, Check::Interval(interval) if interval.min_seconds.is_some());
    active.iter().copied().filter(spaces).collect()
}

/// What `test` runs: the fixtures, the message and corpus rules that run over them, and
/// which rules must each have a fixture they fire on.
pub struct TestPlan {
    pub(crate) rules: Arc<RuleSet>,
    /// Indices of the message and corpus rules that run (as `check` would run them).
    pub(crate) active: Vec<usize>,
    pub(crate) ignores: config::Ignores,
    pub(crate) jobs: usize,
    /// Fixture folders and files.
    pub(crate) paths: Vec<PathBuf>,
    /// Indices of the rules under test (those of the `--rules` packs, else the built-in
    /// pack's) that fixtures can exercise: each needs a fixture it fires on.
    pub(crate) tested: Vec<usize>,
    /// The other rules under test, and why no fixture can exercise them with this set-up.
    pub(crate) untestable: Vec<(Arc<str>, String)>,
    /// How the results are written.
    pub format: ListFormat,
}

impl TestPlan {
    /// The plan of `test`, from its arguments.
    pub fn new(args: TestArgs) -> Result<TestPlan, Report> {
        let loaded = load(&args.sources, None)?;
        let paths = if args.paths.is_empty() {
            let beside = args.sources.rule_packs.iter().map(|pack| pack.with_extension(""));
            let found: Vec<PathBuf> = beside.filter(|dir| dir.is_dir()).collect();
            if found.is_empty() {
                let looked = args.sources.rule_packs.iter().map(|p| p.with_extension("").display().to_string());
                let looked = looked.collect::<Vec<_>>();
                return Err(UsageError::NoFixtureFolder(if looked.is_empty() {
                    "no --rules pack given".to_owned()
                } else {
                    format!("looked for {}", looked.join(", "))
                })
                .into());
            }
            found
        } else {
            args.paths
        };
        for path in &paths {
            if std::fs::symlink_metadata(path).is_err() {
                return Err(UsageError::NoSuchPath(path.display().to_string()).into());
            }
        }
        let selecting =
            Selecting { template: args.template, online: Online::Off, probe: Request::default(), attestations: false };
        let active = selecting.active(&loaded.rules, &[Scope::Message, Scope::Corpus]);
        let under_test: Vec<String> = if args.sources.rule_packs.is_empty() {
            vec![rules::BUILTIN_PACK_NAME.to_owned()]
        } else {
            args.sources.rule_packs.iter().map(|p| p.display().to_string()).collect()
        };
        let (mut tested, mut untestable) = (Vec::new(), Vec::new());
        for (index, rule) in loaded.rules.rules.iter().enumerate() {
            if !under_test.contains(&rule.pack) {
                continue;
            }
            let why = if rule.scope == Scope::Config {
                Some("a config rule: `preflight` checks it against the configuration".to_owned())
            } else if rule.online {
                Some("an online rule: it asks the network, which `test` never does".to_owned())
            } else if !rule.enabled {
                Some("disabled in the configuration".to_owned())
            } else if !rule.applies {
                Some("its `when`/`unless` on the configuration leave it out".to_owned())
            } else if let Some(why) = &rule.unavailable {
                Some(format!("cannot run: {why}"))
            } else if args.template && rule.skip_in_templates {
                Some("skipped with --template".to_owned())
            } else {
                None
            };
            match why {
                None => tested.push(index),
                Some(why) => untestable.push((rule.id.clone(), why)),
            }
        }
        let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(TestPlan {
            active,
            ignores: loaded.config.ignores.clone(),
            rules: Arc::new(loaded.rules),
            jobs,
            paths,
            tested,
            untestable,
            format: args.format,
        })
    }
}

/// The `--baseline` file, with a note when it is in the old format.
/// The notes a report ends with (which config, the rules skipped and why, where the
/// account was read from, the baseline), and the baseline; with `--quiet` only a line for
/// each requirement left unchecked.
fn notes_and_baseline(
    run: &RunArgs,
    selecting: &Selecting,
    rules: &RuleSet,
    config: &Config,
) -> Result<(Vec<String>, Option<Baseline>), UsageError> {
    let mut baseline_notes = Vec::new();
    let baseline = load_baseline(run.baseline.as_deref(), &mut baseline_notes)?;
    if run.quiet {
        return Ok((selecting.unchecked(rules, config.has_setup()), baseline));
    }
    let mut notes = vec![config.used()];
    notes.extend(selecting.notes(rules, config.has_setup()));
    notes.extend(config.account_note());
    notes.extend(baseline_notes);
    Ok((notes, baseline))
}

fn load_baseline(path: Option<&std::path::Path>, notes: &mut Vec<String>) -> Result<Option<Baseline>, UsageError> {
    let baseline = path.map(Baseline::load).transpose()?;
    if baseline.as_ref().is_some_and(Baseline::is_legacy) {
        notes.push(
            "the baseline is in the version 1 format (matched by rule and message, so a new finding of the same rule in the same message is hidden; `merge` cannot apply it to corpus findings): rewrite it with --write-baseline".to_owned(),
        );
    }
    Ok(baseline)
}

/// What `merge` runs: the corpus rules across the parts, and how to report.
pub struct MergePlan {
    pub(crate) rules: Arc<RuleSet>,
    pub(crate) parts: Vec<PathBuf>,
    pub(crate) report: ReportPlan,
    pub(crate) notes: Vec<String>,
    /// Missing shards are reported as not checked, not refused.
    pub(crate) allow_partial: bool,
    /// Applied to what the merge judges (the corpus findings), and again to the parts'.
    pub(crate) baseline: Option<Baseline>,
    pub(crate) record_baseline: Option<PathBuf>,
}

impl MergePlan {
    /// The plan of `merge`, from its arguments.
    pub fn new(args: MergeArgs) -> Result<MergePlan, Report> {
        let loaded = load(&args.run.sources, args.run.account.as_deref())?;
        let selecting =
            Selecting { template: false, online: Online::Off, probe: Request::default(), attestations: false };
        let inputs = args.parts.iter().map(|p| p.display().to_string()).collect();
        let report = report_plan(&args.run, false, (&loaded, &selecting), ("merge", inputs))?;
        let (notes, baseline) = notes_and_baseline(&args.run, &selecting, &loaded.rules, &loaded.config)?;
        Ok(MergePlan {
            rules: Arc::new(loaded.rules),
            parts: args.parts,
            report,
            notes,
            allow_partial: args.allow_partial,
            baseline,
            record_baseline: args.run.write_baseline,
        })
    }
}

/// How to report: the format and its options, what the provenance names (the packs and
/// config file, hashed at the end of the run and only by the formats that show them; the
/// command and its inputs) and, for the HTML and Markdown reports, the run's coverage.
fn report_plan(
    run: &RunArgs,
    shard: bool,
    (loaded, selecting): (&Loaded, &Selecting),
    (command, inputs): (&'static str, Vec<String>),
) -> Result<ReportPlan, UsageError> {
    use std::io::IsTerminal;
    if run.statistics && !matches!(run.format, Format::Human | Format::Concise) {
        return Err(UsageError::StatisticsFormat);
    }
    if shard && run.format != Format::Jsonl {
        return Err(UsageError::ShardFormat);
    }
    if !run.compare.is_empty() && !matches!(run.format, Format::Html | Format::Markdown | Format::Json) {
        let format = clap::ValueEnum::to_possible_value(&run.format).map(|v| v.get_name().to_owned());
        return Err(UsageError::CompareFormat(format.unwrap_or_default()));
    }
    let compare = match run.compare.is_empty() {
        true => None,
        false => Some(Arc::new(crate::report::compare::Earlier::load(&run.compare)?)),
    };
    Ok(ReportPlan {
        format: run.format,
        output: run.output.clone(),
        statistics: run.statistics,
        quiet: run.quiet,
        fail_on: match run.fail_on {
            _ if run.exit_zero => None,
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
        provenance: Sources {
            command,
            packs: loaded.packs.clone(),
            // Hashed as shown (secrets masked): a hash of an inline password would let a
            // reader of the report test guesses of it.
            config: loaded.config.source.as_ref().map(|s| (s.name.clone(), s.shown())),
            config_found: loaded.config.origin,
            inputs,
            shard: None,
            run_id: None,
        },
        // The JSON report's `requirements` come from the same matrix.
        coverage: matches!(run.format, Format::Html | Format::Markdown | Format::Json)
            .then(|| Arc::new(selecting.coverage(loaded, run.baseline.as_deref()))),
        compare,
    })
}

/// `K/N` with 1 <= K <= N, as the test runners count shards; the walk takes the
/// 0-based share `K - 1`.
fn parse_shard(text: &str) -> Result<(u64, u64), UsageError> {
    let bad = || UsageError::Shard(text.to_owned());
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k == 0 && n > 0 {
        return Err(UsageError::ShardZero(text.to_owned(), n));
    }
    if n == 0 || k > n {
        return Err(bad());
    }
    Ok((k - 1, n))
}
