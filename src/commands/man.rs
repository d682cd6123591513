//! `nhsmail-lint man`: the manual pages (roff, clap_mangen) of the command line as clap
//! defines it, `nhsmail-lint(1)` and one a command (`nhsmail-lint-check(1)`, which the first
//! lists), so that they say what `--help` says.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::util::suggest;

/// `man` was given a command nhsmail-lint does not have.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("nhsmail-lint has no command `{name}`")]
#[diagnostic(code(usage), help("{help}"))]
pub struct UnknownCommand {
    name: String,
    help: String,
}

/// The page of nhsmail-lint, or of its command `name`, as roff.
pub fn page(name: Option<&str>) -> Result<Vec<u8>, UnknownCommand> {
    // `help` is no command to read a page about (`--help` is on every page).
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let source = format!("{} {}", top.get_name(), top.get_version().unwrap_or_default());
    let command = match name {
        None => top,
        Some(name) => top.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
            let list = format!("the commands: {}", names.join(", "));
            UnknownCommand { name: name.to_owned(), help: suggest::help(name, names, Some(list)).unwrap_or_default() }
        })?,
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(command).source(source).render(&mut out).expect("a page renders into memory");
    Ok(out)
}
