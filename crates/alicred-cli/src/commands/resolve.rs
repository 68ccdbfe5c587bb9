//! Resolve a profile's credentials in this process (no agent needed).

use crate::error::{CliError, CliResult};
use alicred_core::Credentials;
use alicred_core::clock::SystemClock;
use alicred_core::profile::ProfileName;
use alicred_core::providers::{self, Provider, ProviderContext};
use alicred_core::service::Alicred;
use std::sync::Arc;

pub fn context(app: &Alicred) -> ProviderContext {
    ProviderContext::new(app.secrets().clone(), Arc::new(SystemClock))
}

pub fn provider(
    app: &Alicred,
    name: &ProfileName,
    ctx: &ProviderContext,
) -> CliResult<Arc<dyn Provider>> {
    let file = app.profiles()?;
    file.get(name)?;
    providers::build(name, &file, ctx).map_err(|e| CliError::failed(format!("profile {name}: {e}")))
}

/// Fetch fresh credentials for `name` now.
pub fn credentials(app: &Alicred, name: &ProfileName) -> CliResult<Credentials> {
    let ctx = context(app);
    let p = provider(app, name, &ctx)?;
    super::runtime()?
        .block_on(p.retrieve())
        .map_err(|e| CliError::failed(format!("profile {name}: {e}")))
}
