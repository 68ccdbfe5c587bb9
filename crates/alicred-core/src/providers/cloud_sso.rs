//! `cloud-sso`: STS credentials for one account × access configuration, from the
//! CloudSSO portal, with the session's access token (shared by the session's profiles).

use super::{Provider, ProviderContext, ProviderError};
use crate::aliyun::sso::SsoClient;
use crate::credentials::Credentials;
use crate::profile::{CloudSsoProfile, ProfileName};
use crate::signin::tokens::{load_sso, sso_login_command};
use async_trait::async_trait;

#[derive(Debug)]
pub struct CloudSsoProvider {
    name: ProfileName,
    profile: CloudSsoProfile,
    ctx: ProviderContext,
}

impl CloudSsoProvider {
    pub fn new(name: ProfileName, profile: &CloudSsoProfile, ctx: &ProviderContext) -> Self {
        Self {
            name,
            profile: profile.clone(),
            ctx: ctx.clone(),
        }
    }

    fn sign_in_again(&self, why: &str) -> ProviderError {
        let s = &self.profile.sso_session;
        ProviderError::NeedsUser(format!(
            "{why}: sign in to CloudSSO session {s} with `{}` (profile {})",
            sso_login_command(s),
            self.name
        ))
    }
}

#[async_trait]
impl Provider for CloudSsoProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let s = &self.profile.sso_session;
        let Some(tok) = load_sso(&self.ctx, s).await? else {
            return Err(self.sign_in_again("not signed in"));
        };
        // Checked here so an expired sign-in never reaches the portal.
        if tok.expires_at <= self.ctx.clock.now() {
            return Err(self.sign_in_again("the sign-in has expired"));
        }
        let client = SsoClient::new(&self.ctx, &self.profile.sign_in_url)?;
        client
            .cloud_credentials(
                &tok.access_token,
                &self.profile.account_id,
                &self.profile.access_config,
            )
            .await
            .map_err(|e| match e {
                ProviderError::NeedsUser(why) => self.sign_in_again(&why),
                other => other,
            })
    }

    fn describe(&self) -> String {
        format!(
            "CloudSSO session {}: account {} as {}",
            self.profile.sso_session,
            self.profile
                .account_name
                .as_deref()
                .unwrap_or(&self.profile.account_id),
            self.profile
                .access_config_name
                .as_deref()
                .unwrap_or(&self.profile.access_config)
        )
    }
}
