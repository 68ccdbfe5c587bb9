use crate::error::{CliError, CliResult};
use alicred_core::profile::ProfileName;
use alicred_core::server::probe::{self, OldUrl, Rotated};
use alicred_core::server::{agent_file, token};
use alicred_core::service::Alicred;

/// The running agent's URL for `name` (`None`: the active-profile URL), if
/// one runs. Each URL carries the capability for that URL only
/// (`token::endpoint_url`).
pub fn running_url(app: &Alicred, name: Option<&ProfileName>) -> CliResult<Option<String>> {
    let Some(info) = agent_file::running_agent(app.paths()) else {
        return Ok(None);
    };
    let t = token::load_or_create(app.secrets().as_ref())
        .map_err(|e| CliError::failed(format!("cannot read the endpoint token: {e}")))?;
    Ok(Some(
        token::endpoint_url(&info.url_base, &t, name)
            .expose()
            .to_string(),
    ))
}

/// `alicred endpoint [NAME] [--rotate-token]`
pub fn endpoint(app: &Alicred, name: Option<ProfileName>, rotate: bool) -> CliResult {
    if let Some(n) = &name {
        app.profiles()?.get(n)?;
    }
    if rotate {
        let done = probe::rotate_and_confirm(app.paths(), app.secrets().as_ref())
            .map_err(|e| CliError::failed(format!("cannot rotate the endpoint token: {e}")))?;
        match done {
            Rotated::Confirmed { pid } => eprintln!(
                "endpoint token rotated; the running agent (pid {pid}) now refuses the old URLs (checked: 401)"
            ),
            Rotated::NoAgent => {
                eprintln!("endpoint token rotated; no agent is running, the next one uses it")
            }
            Rotated::Stale { pid } => eprintln!(
                "endpoint token rotated; agent.json names pid {pid}, which is not an alicred agent (a stale file), so nothing was signalled"
            ),
            Rotated::NotConfirmed { pid, old_url } => {
                let seen = match old_url {
                    OldUrl::StillAnswers(s) => format!("still answers the old URL (HTTP {s})"),
                    OldUrl::NoAnswer | OldUrl::Refused => "did not answer".into(),
                };
                return Err(CliError::failed(format!(
                    "endpoint token rotated in the keyring, but the running agent (pid {pid}) {seen} after {} s, so old URLs may still work; restart the agent",
                    probe::SWITCH_WAIT.as_secs()
                )));
            }
            Rotated::SignalFailed { pid, reason } => {
                return Err(CliError::failed(format!(
                    "endpoint token rotated in the keyring, but the running agent (pid {pid}) could not be told ({reason}), so old URLs still work; restart the agent"
                )));
            }
        }
    }
    match running_url(app, name.as_ref())? {
        Some(url) => {
            println!("{url}");
            Ok(())
        }
        None if rotate => Ok(()),
        None => Err(CliError::failed(
            "no alicred agent is running; start one with `alicred agent` (or open the desktop app)",
        )),
    }
}
