//! `nhsmail-lint completions SHELL`: the shell's completion script (clap_complete), made
//! from the command line as clap defines it, so it offers every command and option there is.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, &name, &mut out);
    let script = String::from_utf8_lossy(&out).into_owned();
    match shell {
        // clap_complete 4.6 spells bash's `case` arm for a command as
        // `nhsmail__subcmd__lint__subcmd__check` where its own loop arrives at
        // `nhsmail__lint__subcmd__check` (a hyphen in the program's name: clap-rs/clap#6421),
        // so nothing after a command would complete: spell the arms as the loop does.
        Shell::Bash => script.replace(
            &format!("{}__subcmd__", name.replace('-', "__subcmd__")),
            &format!("{}__subcmd__", name.replace('-', "__")),
        ),
        _ => script,
    }
}
