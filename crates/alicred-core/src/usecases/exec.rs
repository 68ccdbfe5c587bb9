//! `alicred exec NAME -- CMD…`: CMD with the profile's credentials in its
//! environment, run in place of alicred (execve), so no alicred process is
//! left holding the keyring passphrase next to the tool, and the tool's exit
//! status (a code or a signal) is the command's own. Nothing of alicred's
//! needs to run after the tool: the credentials were fetched and nothing
//! was started that needs stopping.

use super::{UseCaseError, UseCases};
use crate::env_vars;
use crate::profile::ProfileName;

/// What `alicred exec` runs.
#[derive(Debug)]
pub struct ExecRequest {
    pub name: ProfileName,
    /// Only `ALIBABA_CLOUD_CREDENTIALS_URI` (and its switches): long-running
    /// tools then fetch fresh credentials themselves. Needs a running agent.
    pub uri_only: bool,
    /// The program and its arguments.
    pub command: Vec<String>,
}

impl UseCases {
    /// The command, ready to run: what [`Self::tool_env`] gives the tool in
    /// its environment, none of alicred's keyring settings, nothing
    /// inherited that the SDKs would prefer to ours, and `ALICRED_PROFILE`
    /// (so `alicred prompt` in a subshell shows this profile).
    pub async fn exec_command(
        &self,
        req: &ExecRequest,
        on_prompt: impl Fn(&super::SignInPrompt) + Send + Sync,
    ) -> Result<std::process::Command, UseCaseError> {
        let Some((program, args)) = req.command.split_first() else {
            return Err(UseCaseError::Internal("no command to run".into()));
        };
        let vars = self.tool_env(&req.name, req.uri_only, on_prompt).await?;
        let mut cmd = std::process::Command::new(program);
        cmd.args(args);
        env_vars::scrub_child(&mut cmd);
        for k in env_vars::INHERITED {
            cmd.env_remove(k);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.env("ALICRED_PROFILE", req.name.as_str());
        Ok(cmd)
    }
}

/// Become `cmd` (execvp). Returns only when that failed, with why.
///
/// This process is marked not dumpable first (it read the passphrase):
/// execve drops the mark, so the tool itself is an ordinary process.
#[cfg(unix)]
pub fn replace_process(mut cmd: std::process::Command) -> UseCaseError {
    use std::os::unix::process::CommandExt;
    if let Err(e) = crate::hardening::keep_others_out() {
        tracing::warn!("cannot mark this process not dumpable: {e}");
    }
    let program = cmd.get_program().to_string_lossy().into_owned();
    let e = cmd.exec();
    UseCaseError::Exec {
        program,
        not_found: e.kind() == std::io::ErrorKind::NotFound,
        reason: e.to_string(),
    }
}
