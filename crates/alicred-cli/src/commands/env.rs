use super::endpoint;
use super::resolve;
use crate::cli::Shell;
use crate::error::CliResult;
use alicred_core::env_vars;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;

/// `alicred env NAME --shell …`: lines to `eval` in the user's shell.
pub fn env(app: &Alicred, name: Option<ProfileName>, shell: Shell) -> CliResult {
    let name = app.resolve_name(name.as_ref())?;
    let profile = app.profiles()?.get(&name)?.clone();
    if let Some(vars) = super::exec::bearer_token_env(app, &profile, false)? {
        for line in render(shell, &vars) {
            println!("{line}");
        }
        return Ok(());
    }
    let creds = resolve::credentials(app, &name)?;
    let uri = endpoint::running_url(app, Some(&name))?;
    for line in render(shell, &env_vars::for_tool(Some(&creds), uri.as_deref())) {
        println!("{line}");
    }
    Ok(())
}

/// Lines setting `vars` in `shell`, quoted by the core's one rule.
pub fn render(shell: Shell, vars: &[(&str, String)]) -> Vec<String> {
    alicred_core::usecases::export::env_lines(shell.into(), vars)
}
