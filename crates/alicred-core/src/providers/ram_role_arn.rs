//! `ram-role-arn`: AssumeRole with a source profile's credentials. The
//! source may itself be a role (chaining): its SecurityToken is signed along.

use super::{Provider, ProviderContext, ProviderError, ProviderInfo};
use crate::aliyun::signer::RpcAuth;
use crate::aliyun::sts::{AssumeRoleRequest, assume_role_as};
use crate::credentials::Credentials;
use crate::profile::{ProfileName, RamRoleArnProfile};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use url::Url;

#[derive(Debug)]
pub struct RamRoleArnProvider {
    name: ProfileName,
    request: AssumeRoleRequest,
    source_name: ProfileName,
    source: Arc<dyn Provider>,
    sts_endpoint: Url,
    ctx: ProviderContext,
    last_user: Mutex<Option<ProviderInfo>>,
}

impl RamRoleArnProvider {
    pub fn new(
        name: ProfileName,
        profile: &RamRoleArnProfile,
        source: Arc<dyn Provider>,
        sts_endpoint: Url,
        ctx: &ProviderContext,
    ) -> Self {
        Self {
            name,
            request: AssumeRoleRequest {
                role_arn: profile.role_arn.clone(),
                session_name: profile.session_name.clone(),
                duration_seconds: profile.duration_seconds,
                policy: profile.policy.clone(),
                external_id: profile.external_id.clone(),
            },
            source_name: profile.source.clone(),
            source,
            sts_endpoint,
            ctx: ctx.clone(),
            last_user: Mutex::new(None),
        }
    }

    pub fn source(&self) -> &Arc<dyn Provider> {
        &self.source
    }
}

#[async_trait]
impl Provider for RamRoleArnProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let auth = RpcAuth::from_owned(self.source.retrieve().await?);
        let out = assume_role_as(&self.ctx, &self.sts_endpoint, &auth, &self.request).await?;
        Ok(out.remember_user(&self.last_user))
    }

    fn describe(&self) -> String {
        format!(
            "profile {} assumes {} as {} with credentials of profile {}",
            self.name, self.request.role_arn, self.request.session_name, self.source_name
        )
    }

    fn info(&self) -> Option<ProviderInfo> {
        self.last_user.lock().ok().and_then(|s| s.clone())
    }
}
