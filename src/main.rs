//! Entry point: parse the command line, run a command, map the outcome to an exit
//! code (0 clean, 1 findings at or above --fail-on, 2 usage, config or rule errors).

// Files are read, never mapped, and nothing else needs `unsafe`.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use nhsmail_lint::cli::{Cli, Command, ListFormat, RulesFormat, SchemaKind};
use nhsmail_lint::commands::{
    bounces, check, completions, explain, fixtures, init, man, matrix, merge, schema, settings, version,
};
use nhsmail_lint::stages::plan::{self, CheckPlan, MergePlan, TestPlan};
use nhsmail_lint::util::{isolate, suggest};
use nhsmail_lint::{report, send};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Report(report)) => {
            // miette panics laying out labels past column 65,535 (a YAML file with one
            // enormous line): then print the message alone.
            let text = isolate::catch(|| format!("{report:?}")).unwrap_or_else(|_| format!("Error: {report}"));
            eprintln!("{text}");
            ExitCode::from(2)
        }
        // A closed pipe (`| head`) is not an error worth a message.
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(e)) => {
            eprintln!("nhsmail-lint: {e}");
            ExitCode::from(2)
        }
    }
}

enum Failure {
    Report(miette::Report),
    Io(io::Error),
}

impl From<miette::Report> for Failure {
    fn from(r: miette::Report) -> Self {
        Failure::Report(r)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

/// A report that could not be written is an I/O failure (a closed pipe is not worth a
/// message); anything else that stopped a run is reported.
impl From<check::RunError> for Failure {
    fn from(e: check::RunError) -> Self {
        match e {
            check::RunError::Report(e) => Failure::Io(e),
            e => Failure::Report(miette::Report::new(e)),
        }
    }
}

impl From<merge::MergeError> for Failure {
    fn from(e: merge::MergeError) -> Self {
        match e {
            merge::MergeError::Report(e) => Failure::Io(e),
            e => Failure::Report(miette::Report::new(e)),
        }
    }
}

fn journal_error(e: send::journal::JournalError) -> miette::Report {
    miette::miette!(code = "journal", "{e}")
}

/// 1 when a run found what fails it, else 0.
fn verdict(failed: bool) -> ExitCode {
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Check(args) => Ok(verdict(check::run(&CheckPlan::for_check(args)?)?)),
        Command::Preflight(args) => Ok(verdict(check::run(&CheckPlan::for_preflight(args)?)?)),
        Command::Rules(args) => {
            let loaded = plan::load(&args.sources, None)?;
            let text = match args.format {
                RulesFormat::Human => explain::rules_table(&loaded.rules),
                RulesFormat::Json => explain::rules_json(&loaded.rules),
                RulesFormat::Markdown => explain::rules_markdown(&loaded.rules),
            };
            io::stdout().write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Requirements(args) => {
            let loaded = plan::load(&args.sources, None)?;
            let setup = loaded.config.source.is_some().then_some(&loaded.config);
            let text = match args.format {
                RulesFormat::Human => matrix::human(&loaded.rules, setup),
                RulesFormat::Json => matrix::json(&loaded.rules, setup),
                RulesFormat::Markdown => matrix::markdown(&loaded.rules, setup),
            };
            io::stdout().write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(args) => {
            let loaded = plan::load(&args.sources, None)?;
            let text = match args.format {
                ListFormat::Human => settings::human(&loaded.config),
                ListFormat::Json => settings::json(&loaded.config),
            };
            io::stdout().write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bounces(args) => {
            let plan = bounces::BouncesPlan::new(args)?;
            Ok(ExitCode::from(bounces::run(&plan)?))
        }
        Command::Merge(args) => Ok(verdict(merge::run(&MergePlan::new(args)?)?)),
        Command::Schema(args) => {
            let text = match args.what {
                SchemaKind::Rules => schema::rules(),
                SchemaKind::Config => schema::config(),
            };
            io::stdout().write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Version(args) => {
            io::stdout().write_all(version::text(args.format).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions(args) => {
            io::stdout().write_all(completions::script(args.shell).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man(args) => {
            io::stdout().write_all(&man::page(args.command.as_deref()).map_err(miette::Report::new)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init(args) => {
            init::write(&args.output).map_err(miette::Report::new)?;
            println!("wrote {}: fill in your account, then `nhsmail-lint preflight`", args.output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Test(args) => {
            let plan = TestPlan::new(args)?;
            let outcome = fixtures::run(&plan).map_err(miette::Report::new)?;
            io::stdout().write_all(outcome.render(plan.format).as_bytes())?;
            Ok(verdict(!outcome.passed()))
        }
        Command::Journal(args) => {
            let cwd = std::env::current_dir().unwrap_or_default();
            let config = nhsmail_lint::config::discover::locate(args.config.as_deref(), false, &cwd);
            let folder = config.as_ref().and_then(|c| c.path.parent());
            let path = send::journal::path(args.journal.as_deref(), folder);
            let journal = send::journal::Journal::open(&path).map_err(journal_error)?;
            let entries = journal.entries().map_err(journal_error)?;
            let text = match args.format {
                ListFormat::Human => report::sends::journal_text(&entries),
                ListFormat::Json => serde_json::to_string_pretty(&entries).expect("entries serialise") + "\n",
            };
            io::stdout().write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => {
            let loaded = plan::load(&args.sources, None)?;
            match explain::explain(&loaded.rules, &args.id) {
                Some(text) => {
                    io::stdout().write_all(text.as_bytes())?;
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    let list = "`nhsmail-lint rules` lists the rule ids".to_owned();
                    let help = suggest::help(&args.id, loaded.rules.ids(), Some(list)).unwrap_or_default();
                    Err(miette::miette!(code = "unknown-rule", help = help, "no rule has the id `{}`", args.id).into())
                }
            }
        }
    }
}
