//! Resolve a profile's credentials in this process (no agent needed), through
//! the core's use case like every other shell.

use crate::error::CliResult;
use alicred_core::Credentials;
use alicred_core::clock::SystemClock;
use alicred_core::profile::ProfileName;
use alicred_core::providers::ProviderContext;
use alicred_core::service::Alicred;
use alicred_core::usecases::UseCases;
use std::sync::Arc;

pub fn context(app: &Alicred) -> ProviderContext {
    ProviderContext::new(app.secrets().clone(), Arc::new(SystemClock))
}

/// Fetch fresh credentials for `name` now.
pub fn credentials(app: &Alicred, name: &ProfileName) -> CliResult<Credentials> {
    let uc = UseCases::standalone(app.clone());
    Ok(super::runtime()?.block_on(uc.credentials(name))?)
}
