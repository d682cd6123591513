//! Command-line definitions (clap derive). Doc comments here are the `--help` text;
//! nothing is validated here beyond shape: `settings` turns these into working values.

use std::path::PathBuf;

pub use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// The whole command line: one subcommand and its arguments.
#[derive(Debug, Parser)]
#[command(
    name = "nhsmail-lint",
    version,
    about = "Compliance linter for applications that send automated email through NHSmail"
)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint messages against the rules: .eml files, mbox files, Maildir folders,
    /// directories of them, or `-` for standard input.
    Check(CheckArgs),
    /// Check the sending set-up: the transport, the relay's DNS registration, the
    /// mailbox's quota over IMAP and the account and lists in the NHSmail directory;
    /// given paths, the messages too, with the checks that ask DNS and the directory.
    Preflight(PreflightArgs),
    /// List the rules: id, severity, one-line summary (or every key, `--format json`).
    Rules(RulesArgs),
    /// Explain one rule: what it does, why, an example and its NHSmail source.
    Explain(ExplainArgs),
    /// The compliance matrix: each requirement's id, verb, sentence, coverage and rules;
    /// with a configuration, whether this set-up leaves it unchecked, and its attestation.
    Requirements(RulesArgs),
    /// The configuration a run from here would use: which file (and how it was found),
    /// then each setting with the line it was written on or `default`.
    Config(ConfigArgs),
    /// List what --send sent, failed to send or deferred.
    Journal(JournalArgs),
    /// Read delivery status notifications (bounces): each refusal's recipient, status code
    /// and what it means by the rule pack's status-code table (the requirement it breaches),
    /// and whether the rules would have caught it on the message that came back.
    Bounces(BouncesArgs),
    /// Combine the jsonl parts of a sharded scan into one report, judging the corpus
    /// rules across all of them.
    Merge(MergeArgs),
    /// Run a rule pack's annotated fixtures: each .eml declares the diagnostics it must
    /// produce (`X-Lint-Expect: rule@line` headers or a `.expect` file), strictly, with
    /// both line endings; every rule of the pack needs a fixture it fires on.
    Test(TestArgs),
    /// Print the JSON Schema (draft 2020-12) of rule packs or of nhsmail-lint.yaml, for
    /// editors' completion and checking (docs/configuration.md, "Editor support").
    Schema(SchemaArgs),
    /// Write a commented starter nhsmail-lint.yaml (never over an existing one).
    Init(InitArgs),
    /// Print the version, the commit it was built from, its target and the built-in
    /// pack's digest: what every report's provenance says of the binary.
    Version(VersionArgs),
    /// Print the completion script of a shell (docs/configuration.md, "Shell completion and
    /// the manual").
    Completions(CompletionsArgs),
    /// Print the manual page (roff) of nhsmail-lint, or of one of its commands.
    Man(ManArgs),
}

/// Arguments of `version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`check` gives nhsmail-lint-check(1)) [default:
    /// nhsmail-lint(1), which lists them].
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum)]
    pub what: SchemaKind,
}

/// Which JSON Schema `schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// Rule packs (rules/*.yaml).
    Rules,
    /// The configuration file (nhsmail-lint.yaml).
    Config,
}

/// Arguments of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(long, short = 'o', value_name = "FILE", default_value = crate::config::DEFAULT_FILE)]
    pub output: PathBuf,
}

/// Arguments of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Fixture folders (walked for .eml files) or fixture files [default: the folder
    /// named after each --rules pack, beside it: rules/trust.yaml -> rules/trust/].
    #[arg(value_name = "DIR")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) sources: RuleSourceArgs,
    /// Check the fixtures as templates, as `check --template` does.
    #[arg(long)]
    pub(crate) template: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub(crate) format: ListFormat,
}

/// Where rules and configuration come from.
#[derive(Debug, Args)]
pub struct RuleSourceArgs {
    /// Configuration file [default: $NHSMAIL_LINT_CONFIG, else the nearest nhsmail-lint.yaml
    /// or .nhsmail-lint.yaml from the current folder up to the repository's root, else
    /// $XDG_CONFIG_HOME/nhsmail-lint/nhsmail-lint.yaml]
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Read no configuration file at all: the built-in defaults only.
    #[arg(long, conflicts_with = "config")]
    pub(crate) isolated: bool,
    /// An extra rule pack (YAML); repeat for several.
    #[arg(long = "rules", value_name = "FILE")]
    pub(crate) rule_packs: Vec<PathBuf>,
    /// Leave out the built-in NHSmail pack.
    #[arg(long)]
    pub(crate) no_default_rules: bool,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to check: a directory is walked for .eml and .mbox files
    /// (either gzipped) and Maildir messages; `-` reads one message from standard input.
    /// With none, the current folder (`.`), its files shown without `./`.
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
    /// The files are templates: skip rules marked skip_in_templates (placeholders,
    /// Date, Message-ID).
    #[arg(long, conflicts_with = "send")]
    pub(crate) template: bool,
    /// Also run the online message rules: recipients looked up in the NHSmail
    /// directory (`directory:`), Reply-To domains in DNS. (--send always does.)
    #[arg(long)]
    pub(crate) online: bool,
    /// Apply the safe fixes to the .eml files checked (each written in place, atomically),
    /// then check them again and report what is left (mbox, Maildir, gzipped files and
    /// standard input are never edited).
    #[arg(long, conflicts_with_all = ["send", "diff"])]
    pub(crate) fix: bool,
    /// Print the fixes --fix would make as a unified diff, and change nothing; exits 1 when
    /// there is one.
    #[arg(long, conflicts_with = "send")]
    pub(crate) diff: bool,
    /// With --fix or --diff: the unsafe fixes too (they change what the recipient reads).
    #[arg(long)]
    pub(crate) unsafe_fixes: bool,
    #[command(flatten)]
    pub(crate) send: SendArgs,
}

/// Delivery: `check --send` lints, runs the pre-flight, then sends what passed.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Deliver the messages with no error (after the pre-flight), each exactly once.
    #[arg(long)]
    pub(crate) send: bool,
    /// With --send: show what would be sent (envelope, size, transport), send nothing.
    #[arg(long, requires = "send")]
    pub(crate) dry_run: bool,
    /// The send journal [default: .nhsmail-lint/journal.sqlite beside the config file in
    /// use, else in the current folder]
    #[arg(long, value_name = "PATH")]
    pub(crate) journal: Option<PathBuf>,
    /// Send again a message whose earlier send has an unknown outcome.
    #[arg(long, requires = "send")]
    pub(crate) resend_unknown: bool,
    /// Wait out a distribution list's interval instead of deferring the message.
    #[arg(long, requires = "send")]
    pub wait: bool,
}

/// Arguments of `preflight`.
#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// Messages to check as well (optional): files and directories, as for `check`.
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Also log in to the SMTP server with the configured secret (then QUIT without
    /// sending), as every `check --send` does before it sends.
    #[arg(long)]
    pub(crate) login: bool,
    /// Also ask the SMTP server whether it takes mail for ADDRESS (MAIL FROM the account,
    /// RCPT TO ADDRESS, then RSET: nothing is sent). In submission mode it logs in first.
    #[arg(long, value_name = "ADDRESS")]
    pub(crate) rcpt: Option<String>,
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
}

/// What `check` and `preflight` share: where rules come from, and how to report.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub(crate) sources: RuleSourceArgs,
    /// The application account messages are sent from (overrides `account` in the config).
    #[arg(long, value_name = "ADDRESS")]
    pub(crate) account: Option<String>,
    /// Report format.
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Count diagnostics per rule instead of listing them (human and concise formats).
    #[arg(long)]
    pub(crate) statistics: bool,
    /// Report only findings this baseline does not know (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Record this run's findings as a baseline, by rule and message fingerprint.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,
    /// Compare with an earlier JSON report (of `check` or `merge`): new and fixed findings,
    /// requirements whose share compliant moved. Repeat for a trend, oldest first (html,
    /// markdown and json formats).
    #[arg(long, value_name = "PREVIOUS.json")]
    pub(crate) compare: Vec<PathBuf>,
    /// Exit 1 when a diagnostic is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub(crate) fail_on: FailOn,
    /// Exit 0 whatever the findings (as --fail-on never): a run that could not read
    /// everything still exits 2.
    #[arg(long, conflicts_with = "fail_on")]
    pub(crate) exit_zero: bool,
    /// Print the findings only, and one line for each requirement this run could not check
    /// (a rule it skipped): no notes, no summary.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

/// Which files `check` and `preflight` read, and how (`merge` reads its parts only, so it
/// takes none of these).
#[derive(Debug, Args)]
pub(crate) struct WalkArgs {
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// Check only share K of N (1 <= K <= N, like 1/4 ... 4/4) of the inputs, split by a
    /// stable hash of each path: for N workers of a batch engine, with `--format jsonl`
    /// and `merge`.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<String>,
    /// A name shared by the shards of one scan (the scheduler's: `$SLURM_ARRAY_JOB_ID`, the
    /// Kubernetes Job's name), recorded in each part: `merge` refuses parts of two scans.
    #[arg(long, value_name = "ID", requires = "shard")]
    pub(crate) run_id: Option<String>,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Exit 0 when no message is found to check (by default a run that read nothing fails
    /// with exit 2 and says why: an empty folder, no file matching --include).
    #[arg(long)]
    pub(crate) allow_empty: bool,
    /// List the files the walk passed over as not mail, by extension.
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,
}

/// Which walked files are read (`check`, `preflight` and `bounces`).
#[derive(Debug, Args)]
pub(crate) struct SelectArgs {
    /// Check only walked files whose path (relative to the folder given) matches GLOB; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub(crate) include: Vec<String>,
    /// Skip walked files whose path matches GLOB; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
    /// Walk hidden files and folders too (and VCS folders such as .git).
    #[arg(long)]
    pub(crate) hidden: bool,
    /// Walk what the walked folders' .gitignore files leave out too (build output...).
    #[arg(long)]
    pub(crate) no_ignore: bool,
    /// The name standard input (`-`) is reported as, and matched by `ignore:` as.
    #[arg(long, value_name = "PATH")]
    pub(crate) stdin_filename: Option<PathBuf>,
}

/// Arguments of `bounces`.
#[derive(Debug, Args)]
pub struct BouncesArgs {
    /// Delivery reports to read: files and directories, as for `check` (.eml, mbox,
    /// Maildir, gzipped); `-` reads one from standard input. With none, the current folder.
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) sources: RuleSourceArgs,
    /// The application account the messages were sent from (overrides `account` in the
    /// config), for the rules that judge the returned messages.
    #[arg(long, value_name = "ADDRESS")]
    pub(crate) account: Option<String>,
    /// Report format: human, json or jsonl (the others are not written for bounces yet).
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) select: SelectArgs,
}

/// Arguments of `rules` and `requirements`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// The rule packs and config to read.
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
}

/// Arguments of `config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The rule packs and config to read.
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id, as `nhsmail-lint rules` lists it.
    pub id: String,
    /// The rule packs and config to read.
    #[command(flatten)]
    pub sources: RuleSourceArgs,
}

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The parts: each shard's `--format jsonl` output.
    #[arg(required = true, value_name = "PART")]
    pub(crate) parts: Vec<PathBuf>,
    /// Merge the parts given though shards are missing (or a part was cut short): the report
    /// lists each missing shard as not checked, and the run exits 2 (incomplete).
    #[arg(long)]
    pub(crate) allow_partial: bool,
    /// The same rules and configuration the shards used, and how to report.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Arguments of `journal`.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// The send journal [default: .nhsmail-lint/journal.sqlite beside the config file in
    /// use, else in the current folder]
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Configuration file whose folder holds the journal [default: found as `check` finds it]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Output formats of `journal`, `test`, `config` and `version`.
// A variant's doc comment would be shown in `--help` beside its value.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

/// Output formats of `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    // A doc comment would be shown in `--help` beside the value, where none stands now.
    #[allow(missing_docs)]
    Human,
    /// Every key of every rule (docs included) and what the configuration makes of it.
    Json,
    /// A Markdown table, as in docs/rules.md.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Error,
    Warning,
    Info,
    /// Always exit 0 unless the run itself fails.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}
