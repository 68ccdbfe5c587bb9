//! `ecs-ram-role`: the instance RAM role's credentials from the metadata
//! service, hardened (IMDSv2 token) first.

use super::{Provider, ProviderContext, ProviderError};
use crate::aliyun::metadata::MetadataClient;
use crate::credentials::Credentials;
use crate::profile::{EcsRamRoleProfile, ProfileName};
use async_trait::async_trait;
use url::Url;

pub const IMDSV1_DISABLED_ENV: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
pub const METADATA_DISABLED_ENV: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";

#[derive(Debug)]
pub struct EcsRamRoleProvider {
    name: ProfileName,
    profile: EcsRamRoleProfile,
    client: MetadataClient,
    ctx: ProviderContext,
}

impl EcsRamRoleProvider {
    pub fn new(
        name: ProfileName,
        profile: &EcsRamRoleProfile,
        metadata_endpoint: Url,
        ctx: &ProviderContext,
    ) -> Self {
        Self {
            name,
            profile: profile.clone(),
            client: MetadataClient::new(ctx, metadata_endpoint),
            ctx: ctx.clone(),
        }
    }

    fn env_true(&self, var: &str) -> bool {
        (self.ctx.env)(var).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    fn imdsv1_allowed(&self) -> bool {
        !self.profile.imdsv1_disabled && !self.env_true(IMDSV1_DISABLED_ENV)
    }
}

#[async_trait]
impl Provider for EcsRamRoleProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        if self.env_true(METADATA_DISABLED_ENV) {
            return Err(ProviderError::Config(format!(
                "profile {}: ECS metadata is disabled by {METADATA_DISABLED_ENV}=true in the agent's environment",
                self.name
            )));
        }
        let token = match self.client.token().await {
            Ok(t) => Some(t),
            // Older instances and some proxies lack IMDSv2: go on without
            // a token unless the user forbade it.
            Err(e) if self.imdsv1_allowed() => {
                tracing::debug!(profile = %self.name, error = %e, "IMDSv2 token failed; trying IMDSv1");
                None
            }
            Err(e) => return Err(e),
        };
        let role = match &self.profile.role_name {
            Some(r) if !r.is_empty() => r.clone(),
            _ => self.client.role_name(token.as_ref()).await?,
        };
        self.client.credentials(&role, token.as_ref()).await
    }

    fn describe(&self) -> String {
        match &self.profile.role_name {
            Some(r) => format!("instance RAM role {r} (ECS metadata)"),
            None => "the instance's RAM role (ECS metadata)".into(),
        }
    }
}
