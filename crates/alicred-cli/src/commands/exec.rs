use super::endpoint;
use super::resolve;
use crate::error::{CliError, CliResult};
use alicred_core::env_vars;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use std::process::{Command, ExitCode};

/// `alicred exec NAME -- CMD…`: the exit code passes through.
pub fn exec(
    app: &Alicred,
    name: ProfileName,
    uri_only: bool,
    command: Vec<String>,
) -> CliResult<ExitCode> {
    app.profiles()?.get(&name)?;
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
    for (k, v) in env_vars::for_tool(creds.as_ref(), uri.as_deref()) {
        cmd.env(k, v);
    }
    // `alicred prompt` in a subshell shows the profile it was started with.
    cmd.env("ALICRED_PROFILE", name.as_str());
    let status = cmd
        .status()
        .map_err(|e| CliError::failed(format!("cannot run {program}: {e}")))?;
    Ok(exit_code(status))
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    if let Some(c) = status.code() {
        return ExitCode::from(u8::try_from(c).unwrap_or(1));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return ExitCode::from(u8::try_from(128 + sig).unwrap_or(1));
        }
    }
    ExitCode::from(1)
}
