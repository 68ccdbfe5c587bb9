use crate::error::{CliError, CliResult};
use alicred_core::profile::ProfileName;
use alicred_core::server::{agent_file, token};
use alicred_core::service::Alicred;

/// The running agent's URL for `name` (`None`: the active-profile URL), if one runs.
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
        token::rotate(app.secrets().as_ref())
            .map_err(|e| CliError::failed(format!("cannot rotate the endpoint token: {e}")))?;
        if agent_file::notify_reload(app.paths()) {
            eprintln!(
                "endpoint token rotated; the running agent switched to it, old URLs stop working"
            );
        } else {
            eprintln!("endpoint token rotated");
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
