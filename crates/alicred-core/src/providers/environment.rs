//! `environment`: `ALIBABA_CLOUD_*` (else `OSS_*`) variables of the agent's
//! process, as Function Compute injects them. No network.
//!
//! There is no common variable for an expiration (Function Compute sets
//! none), so these credentials carry none.

use super::{Provider, ProviderContext, ProviderError};
use crate::credentials::Credentials;
use crate::sensitive::Sensitive;
use async_trait::async_trait;

const FAMILIES: [[&str; 3]; 2] = [
    [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ],
    [
        "OSS_ACCESS_KEY_ID",
        "OSS_ACCESS_KEY_SECRET",
        "OSS_SESSION_TOKEN",
    ],
];

#[derive(Debug)]
pub struct EnvironmentProvider {
    ctx: ProviderContext,
}

impl EnvironmentProvider {
    pub fn new(ctx: &ProviderContext) -> Self {
        Self { ctx: ctx.clone() }
    }

    fn var(&self, name: &str) -> Option<String> {
        (self.ctx.env)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

#[async_trait]
impl Provider for EnvironmentProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        for [id, secret, token] in FAMILIES {
            // A family counts only when it is complete: mixing an ID of one
            // with the secret of the other would only fail upstream.
            if let (Some(id), Some(secret)) = (self.var(id), self.var(secret)) {
                let mut c =
                    Credentials::long_term(id, Sensitive::new(secret), self.ctx.clock.now());
                c.security_token = self.var(token).map(Sensitive::new);
                return Ok(c);
            }
        }
        Err(ProviderError::NeedsUser(
            "no credentials in the environment: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS), or OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN, in the agent's environment".into(),
        ))
    }

    fn describe(&self) -> String {
        "ALIBABA_CLOUD_* / OSS_* variables of the agent's process".into()
    }
}
