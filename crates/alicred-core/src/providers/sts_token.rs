//! `sts-token`: an STS token the user pasted. It cannot be renewed, so an
//! expired one is the user's to replace.

use super::access_key::load_stored_key;
use super::{Provider, ProviderContext, ProviderError};
use crate::credentials::{Credentials, format_expiration};
use crate::profile::ProfileName;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug)]
pub struct StsTokenProvider {
    name: ProfileName,
    expiration: Option<DateTime<Utc>>,
    ctx: ProviderContext,
}

impl StsTokenProvider {
    pub fn new(
        name: ProfileName,
        expiration: Option<DateTime<Utc>>,
        ctx: &ProviderContext,
    ) -> Self {
        Self {
            name,
            expiration,
            ctx: ctx.clone(),
        }
    }
}

#[async_trait]
impl Provider for StsTokenProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let now = self.ctx.clock.now();
        if let Some(exp) = self.expiration
            && exp <= now
        {
            return Err(ProviderError::NeedsUser(format!(
                "the STS token of profile {} expired at {}: paste a new one",
                self.name,
                format_expiration(exp)
            )));
        }
        let stored = load_stored_key(&self.ctx, &self.name).await?;
        let Some(k) = stored else {
            return Err(ProviderError::NeedsUser(format!(
                "profile {} has no STS token in the keyring: paste one",
                self.name
            )));
        };
        let token = k.security_token.filter(|t| !t.is_empty());
        if k.access_key_id.is_empty() || k.access_key_secret.is_empty() || token.is_none() {
            return Err(ProviderError::NeedsUser(format!(
                "profile {} has an incomplete STS token in the keyring (key, secret and token are needed): paste it again",
                self.name
            )));
        }
        Ok(Credentials {
            access_key_id: k.access_key_id,
            access_key_secret: k.access_key_secret,
            security_token: token,
            expiration: self.expiration,
            issued_at: now,
        })
    }

    fn describe(&self) -> String {
        match self.expiration {
            Some(e) => format!(
                "STS token of profile {} (keyring), expires {}",
                self.name,
                format_expiration(e)
            ),
            None => format!("STS token of profile {} (keyring)", self.name),
        }
    }
}
