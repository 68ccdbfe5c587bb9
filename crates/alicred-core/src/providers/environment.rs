//! `environment`: `ALIBABA_CLOUD_*` (else `OSS_*`) variables of the agent's
//! process, as Function Compute injects them. No network.
//!
//! There is no common variable for an expiration (Function Compute sets
//! none), so these credentials carry none.

use super::{Provider, ProviderContext, ProviderError};
use crate::credentials::Credentials;
use async_trait::async_trait;

#[derive(Debug)]
pub struct EnvironmentProvider {
    ctx: ProviderContext,
}

impl EnvironmentProvider {
    pub fn new(ctx: &ProviderContext) -> Self {
        Self { ctx: ctx.clone() }
    }
}

#[async_trait]
impl Provider for EnvironmentProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        if let Some((id, secret, token)) = crate::env_vars::read_key(self.ctx.env.as_ref()) {
            let mut c = Credentials::long_term(id, secret, self.ctx.clock.now());
            c.security_token = token;
            return Ok(c);
        }
        Err(ProviderError::NeedsUser(
            "no credentials in the environment: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS), or OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN, in the agent's environment".into(),
        ))
    }

    fn describe(&self) -> String {
        "ALIBABA_CLOUD_* / OSS_* variables of the agent's process".into()
    }
}
