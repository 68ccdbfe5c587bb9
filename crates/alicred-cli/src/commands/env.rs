use super::resolve::show_prompt;
use crate::cli::Shell;
use crate::error::CliResult;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use alicred_core::usecases::UseCases;

/// `alicred env NAME --shell …`: lines to `eval` in the user's shell.
pub fn env(app: &Alicred, name: Option<ProfileName>, shell: Shell) -> CliResult {
    let uc = UseCases::standalone(app.clone());
    let lines =
        super::runtime()?.block_on(uc.env(name.as_ref(), shell.into(), show_prompt(&uc)))?;
    for line in lines {
        println!("{}", line.expose());
    }
    Ok(())
}
