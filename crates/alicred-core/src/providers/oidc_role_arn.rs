//! `oidc-role-arn` (RRSA): AssumeRoleWithOIDC with the platform's token
//! file, re-read at every retrieve because the platform rotates it.

use super::{Provider, ProviderContext, ProviderError, ProviderInfo};
use crate::aliyun::sts::{OidcRequest, assume_role_with_oidc};
use crate::credentials::Credentials;
use crate::profile::{OidcRoleArnProfile, ProfileName};
use crate::sensitive::Sensitive;
use async_trait::async_trait;
use std::sync::Mutex;
use url::Url;

#[derive(Debug)]
pub struct OidcRoleArnProvider {
    name: ProfileName,
    profile: OidcRoleArnProfile,
    sts_endpoint: Url,
    ctx: ProviderContext,
    last_user: Mutex<Option<ProviderInfo>>,
}

impl OidcRoleArnProvider {
    pub fn new(
        name: ProfileName,
        profile: &OidcRoleArnProfile,
        sts_endpoint: Url,
        ctx: &ProviderContext,
    ) -> Self {
        Self {
            name,
            profile: profile.clone(),
            sts_endpoint,
            ctx: ctx.clone(),
            last_user: Mutex::new(None),
        }
    }

    async fn read_token(&self) -> Result<Sensitive, ProviderError> {
        let path = &self.profile.oidc_token_file;
        let text = tokio::fs::read_to_string(path).await.map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "does not exist".to_string()
            } else {
                format!("cannot be read: {e}")
            };
            ProviderError::Config(format!(
                "OIDC token file {} {why} (profile {})",
                path.display(),
                self.name
            ))
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(ProviderError::Config(format!(
                "OIDC token file {} is empty (profile {})",
                path.display(),
                self.name
            )));
        }
        Ok(Sensitive::new(token))
    }
}

#[async_trait]
impl Provider for OidcRoleArnProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let req = OidcRequest {
            role_arn: self.profile.role_arn.clone(),
            oidc_provider_arn: self.profile.oidc_provider_arn.clone(),
            oidc_token: self.read_token().await?,
            session_name: self.profile.session_name.clone(),
            duration_seconds: self.profile.duration_seconds,
            policy: self.profile.policy.clone(),
        };
        let out = assume_role_with_oidc(&self.ctx, &self.sts_endpoint, &req).await?;
        Ok(out.remember_user(&self.last_user))
    }

    fn describe(&self) -> String {
        format!(
            "profile {} assumes {} with the OIDC token in {}",
            self.name,
            self.profile.role_arn,
            self.profile.oidc_token_file.display()
        )
    }

    fn info(&self) -> Option<ProviderInfo> {
        self.last_user.lock().ok().and_then(|s| s.clone())
    }
}
