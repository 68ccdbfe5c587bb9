use super::endpoint;
use super::resolve;
use crate::error::{CliError, CliResult};
use alicred_core::Credentials;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use std::process::{Command, ExitCode};

/// Variables that would win over what we set (protocols §6): cleared first.
const INHERITED: [&str; 9] = [
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "OSS_ACCESS_KEY_ID",
    "OSS_ACCESS_KEY_SECRET",
    "OSS_SESSION_TOKEN",
    "ALIBABA_CLOUD_CREDENTIALS_URI",
    "ALIBABA_CLOUD_PROFILE",
    "ALIBABA_CLOUD_ROLE_ARN",
];

/// The environment a tool gets for a profile: static credentials and, when an
/// agent runs, the credentials URI plus the switches that make the SDKs'
/// default chains reach it quickly.
pub fn variables(creds: Option<&Credentials>, uri: Option<&str>) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(c) = creds {
        let token = c.security_token.as_ref().map(|t| t.expose().to_string());
        v.push(("ALIBABA_CLOUD_ACCESS_KEY_ID", c.access_key_id.clone()));
        v.push((
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            c.access_key_secret.expose().to_string(),
        ));
        v.push(("OSS_ACCESS_KEY_ID", c.access_key_id.clone()));
        v.push((
            "OSS_ACCESS_KEY_SECRET",
            c.access_key_secret.expose().to_string(),
        ));
        if let Some(t) = token {
            v.push(("ALIBABA_CLOUD_SECURITY_TOKEN", t.clone()));
            v.push(("OSS_SESSION_TOKEN", t));
        }
    }
    if let Some(u) = uri {
        v.push(("ALIBABA_CLOUD_CREDENTIALS_URI", u.to_string()));
        v.push(("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true".into()));
        v.push(("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true".into()));
    }
    v
}

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
    for k in INHERITED {
        cmd.env_remove(k);
    }
    for (k, v) in variables(creds.as_ref(), uri.as_deref()) {
        cmd.env(k, v);
    }
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
