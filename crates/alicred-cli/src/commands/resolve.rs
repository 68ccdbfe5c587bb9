//! Resolve a profile's credentials in this process (no agent needed), through
//! the core's use case like every other shell.

use crate::error::CliResult;
use alicred_core::Credentials;
use alicred_core::profile::ProfileName;
use alicred_core::providers::ProviderContext;
use alicred_core::service::Alicred;
use alicred_core::usecases::UseCases;

pub fn context(app: &Alicred) -> ProviderContext {
    app.provider_context()
}

/// Fetch fresh credentials for `name` now.
pub fn credentials(app: &Alicred, name: &ProfileName) -> CliResult<Credentials> {
    let uc = UseCases::standalone(app.clone());
    Ok(super::runtime()?.block_on(uc.credentials(name))?)
}
