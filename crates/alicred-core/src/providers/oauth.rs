//! `oauth`: STS credentials exchanged for an OAuth access token, renewed with the
//! rotating refresh token. The new refresh token is stored before the new access token
//! is used, so a crash between the two never loses the sign-in.

use super::{Provider, ProviderContext, ProviderError};
use crate::aliyun::oauth::OAuthClient;
use crate::credentials::Credentials;
use crate::profile::{OauthProfile, ProfileName};
use crate::signin::tokens::{OauthTokens, load_oauth, login_command, store};
use crate::store::lock::FileLock;
use crate::store::secrets::SecretKey;
use async_trait::async_trait;
use chrono::Duration;

/// Refresh the access token when this little of it remains (as the SDK does).
pub const REFRESH_WHEN_LEFT: Duration = Duration::minutes(20);

#[derive(Debug)]
pub struct OauthProvider {
    name: ProfileName,
    profile: OauthProfile,
    ctx: ProviderContext,
    /// One refresh at a time: a spent refresh token cannot be used twice.
    lock: tokio::sync::Mutex<()>,
}

impl OauthProvider {
    pub fn new(name: ProfileName, profile: &OauthProfile, ctx: &ProviderContext) -> Self {
        Self {
            name,
            profile: profile.clone(),
            ctx: ctx.clone(),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    fn sign_in_again(&self, why: &str) -> ProviderError {
        ProviderError::NeedsUser(format!(
            "{why}: sign in to profile {} with `{}`",
            self.name,
            login_command(&self.name)
        ))
    }

    fn client(&self) -> OAuthClient {
        OAuthClient::new(&self.ctx, self.profile.endpoint(), &self.profile.client())
    }

    /// Spends the refresh token and stores the new pair before returning it.
    /// Another process of this home (a CLI beside the agent) may be doing the
    /// same: under the home's lock file, the stored pair is read again, and
    /// when its refresh token is no longer `old`'s, someone else already
    /// spent it and theirs is used instead of spending one twice.
    async fn refresh(&self, old: &OauthTokens) -> Result<OauthTokens, ProviderError> {
        let _across = self.lock_across_processes().await?;
        if let Some(now) = load_oauth(&self.ctx, &self.name).await?
            && now.refresh_token.expose() != old.refresh_token.expose()
            && !now.needs_sign_in
        {
            return Ok(now);
        }
        let fresh = self
            .client()
            .refresh(&old.refresh_token)
            .await
            .map_err(|e| match e {
                ProviderError::NeedsUser(why) => self.sign_in_again(&why),
                other => other,
            })?;
        // Stored before anything else is done with the reply: the old refresh
        // token is spent, so losing the new one would end the sign-in. The
        // expiry was clamped while parsing (crate::clamp), so nothing here
        // can panic first.
        let tokens = OauthTokens {
            access_token: fresh.access_token,
            access_expires_at: fresh.expires_at,
            refresh_token: fresh.refresh_token,
            needs_sign_in: false,
        };
        store(
            &self.ctx.secrets,
            SecretKey::Profile(self.name.clone()),
            tokens.clone(),
        )
        .await?;
        Ok(tokens)
    }

    /// `<home>/locks/oauth-NAME.lock`, held until dropped (none without a
    /// lock directory: tests with a bare context).
    async fn lock_across_processes(&self) -> Result<Option<FileLock>, ProviderError> {
        let Some(dir) = self.ctx.locks.clone() else {
            return Ok(None);
        };
        let name = format!("oauth-{}", self.name);
        tokio::task::spawn_blocking(move || FileLock::exclusive(&dir, &name))
            .await
            .map_err(|e| ProviderError::Config(format!("lock task failed: {e}")))?
            .map(Some)
            .map_err(|e| {
                ProviderError::Config(format!(
                    "cannot lock the OAuth sign-in of profile {} for a refresh: {e}",
                    self.name
                ))
            })
    }
}

#[async_trait]
impl Provider for OauthProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let _one = self.lock.lock().await;
        let Some(mut tokens) = load_oauth(&self.ctx, &self.name).await? else {
            return Err(self.sign_in_again("not signed in"));
        };
        if tokens.needs_sign_in {
            return Err(self.sign_in_again("the imported sign-in had expired"));
        }
        let mut refreshed = false;
        if tokens.access_expires_at - self.ctx.clock.now() <= REFRESH_WHEN_LEFT {
            tokens = self.refresh(&tokens).await?;
            refreshed = true;
        }
        match self.client().exchange(&tokens.access_token).await {
            // The access token may have been revoked early; one refresh tells.
            Err(ProviderError::NeedsUser(_)) if !refreshed => {
                tokens = self.refresh(&tokens).await?;
                self.client()
                    .exchange(&tokens.access_token)
                    .await
                    .map_err(|e| match e {
                        ProviderError::NeedsUser(why) => self.sign_in_again(&why),
                        other => other,
                    })
            }
            Err(ProviderError::NeedsUser(why)) => Err(self.sign_in_again(&why)),
            other => other,
        }
    }

    fn describe(&self) -> String {
        format!(
            "OAuth sign-in of profile {} at {}",
            self.name,
            crate::aliyun::endpoint_label(&self.profile.sign_in_url())
        )
    }
}
