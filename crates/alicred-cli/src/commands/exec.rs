use super::endpoint;
use super::resolve;
use crate::error::{CliError, CliResult};
use alicred_core::env_vars;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use std::process::{Command, ExitCode};

/// `alicred exec NAME -- CMD…`: alicred becomes CMD, so its exit status is
/// CMD's own. When CMD cannot be run: 127 (not found) or 126, as `env` does.
pub fn exec(
    app: &Alicred,
    name: ProfileName,
    uri_only: bool,
    command: Vec<String>,
) -> CliResult<ExitCode> {
    let profile = app.profiles()?.get(&name)?.clone();
    if let Some(vars) = bearer_token_env(app, &profile, uri_only)? {
        return run(&name, &command, &vars);
    }
    let uri = endpoint::running_url(app, Some(&name))?;
    if uri_only && uri.is_none() {
        return Err(CliError::failed(
            "--uri-only needs a running agent; start one with `alicred agent`",
        ));
    }
    let creds = if uri_only {
        None
    } else {
        Some(resolve::credentials(app, &name)?)
    };
    run(
        &name,
        &command,
        &env_vars::for_tool(creds.as_ref(), uri.as_deref()),
    )
}

/// A `bearer-token` profile's variables (its token, not credentials), or
/// `None` for every other type.
pub fn bearer_token_env(
    app: &Alicred,
    profile: &alicred_core::profile::Profile,
    uri_only: bool,
) -> CliResult<Option<Vec<(&'static str, String)>>> {
    if profile.profile_type() != alicred_core::profile::ProfileType::BearerToken {
        return Ok(None);
    }
    let ctx = resolve::context(app);
    match super::runtime()?.block_on(alicred_core::providers::bearer_token::tool_env_of(
        &ctx, profile,
    )) {
        None => Ok(None),
        Some(_) if uri_only => Err(CliError::usage(format!(
            "--uri-only does not apply: {}",
            alicred_core::providers::bearer_token::not_credentials(&profile.name)
        ))),
        Some(Ok(vars)) => Ok(Some(vars)),
        Some(Err(e)) => Err(CliError::failed(e.to_string())),
    }
}

fn run(name: &ProfileName, command: &[String], vars: &[(&str, String)]) -> CliResult<ExitCode> {
    let Some((program, args)) = command.split_first() else {
        return Err(CliError::usage("give a command after --"));
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    // The tool never sees alicred's keyring passphrase or settings.
    env_vars::scrub_child(&mut cmd);
    for k in env_vars::INHERITED {
        cmd.env_remove(k);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    // `alicred prompt` in a subshell shows the profile it was started with.
    cmd.env("ALICRED_PROFILE", name.as_str());
    // Become the tool (execve): no alicred process holding the passphrase
    // stays behind it, and its exit status (a signal too) is its own.
    let e = alicred_core::usecases::exec::replace_process(cmd);
    if let alicred_core::usecases::UseCaseError::Exec { not_found, .. } = &e {
        eprintln!("alicred: {e}");
        return Ok(ExitCode::from(if *not_found { 127 } else { 126 }));
    }
    Err(e.into())
}
