use crate::cli::{Cli, CompletionShell};
use crate::error::{CliError, CliResult};
use clap::CommandFactory;
use clap_complete::Shell;

pub fn completions(shell: CompletionShell) -> CliResult {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
        CompletionShell::Elvish => Shell::Elvish,
    };
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "alicred",
        &mut std::io::stdout(),
    );
    Ok(())
}

pub fn man() -> CliResult {
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout())
        .map_err(|e| CliError::failed(format!("cannot write the man page: {e}")))
}
