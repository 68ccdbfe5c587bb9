use crate::error::CliResult;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;

/// The running agent's URL for `name`, if one runs. (Wired to the agent once
/// the endpoint lands.)
pub fn running_url(_app: &Alicred, _name: Option<&ProfileName>) -> CliResult<Option<String>> {
    Ok(None)
}
