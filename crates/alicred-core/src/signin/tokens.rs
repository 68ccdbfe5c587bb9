//! Sign-in tokens as kept in the keyring (and only there): a CloudSSO session's access
//! token under the session, an OAuth profile's access and refresh tokens under the profile.

use crate::profile::ProfileName;
use crate::providers::{ProviderContext, ProviderError};
use crate::sensitive::{Sensitive, serialize_exposed};
use crate::store::secrets::{SecretKey, SecretStore};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use url::Url;

/// A CloudSSO session's sign-in. There is no refresh token: when it expires the user
/// signs in again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SsoSessionToken {
    pub sign_in_url: Url,
    #[serde(serialize_with = "serialize_exposed")]
    pub access_token: Sensitive,
    pub expires_at: DateTime<Utc>,
}

/// An OAuth profile's tokens. The refresh token rotates: each refresh spends it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OauthTokens {
    #[serde(serialize_with = "serialize_exposed")]
    pub access_token: Sensitive,
    pub access_expires_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_exposed")]
    pub refresh_token: Sensitive,
    /// Set by an import whose tokens had already expired: sign in before use.
    #[serde(default)]
    pub needs_sign_in: bool,
}

fn secret_err(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Secret(e.to_string())
}

/// Reads a JSON keyring item off the async threads (keyring calls block).
pub(crate) async fn load<T: for<'de> Deserialize<'de> + Send + 'static>(
    secrets: &Arc<dyn SecretStore>,
    key: SecretKey,
) -> Result<Option<T>, ProviderError> {
    let store = secrets.clone();
    tokio::task::spawn_blocking(move || store.get_json::<T>(&key))
        .await
        .map_err(|e| secret_err(format!("keyring task failed: {e}")))?
        .map_err(secret_err)
}

/// Writes a JSON keyring item off the async threads.
pub(crate) async fn store<T: Serialize + Send + Sync + 'static>(
    secrets: &Arc<dyn SecretStore>,
    key: SecretKey,
    value: T,
) -> Result<(), ProviderError> {
    let store = secrets.clone();
    tokio::task::spawn_blocking(move || store.set_json(&key, &value))
        .await
        .map_err(|e| secret_err(format!("keyring task failed: {e}")))?
        .map_err(secret_err)
}

pub async fn load_sso(
    ctx: &ProviderContext,
    session: &ProfileName,
) -> Result<Option<SsoSessionToken>, ProviderError> {
    load(&ctx.secrets, SecretKey::SsoSession(session.clone())).await
}

pub async fn load_oauth(
    ctx: &ProviderContext,
    profile: &ProfileName,
) -> Result<Option<OauthTokens>, ProviderError> {
    load(&ctx.secrets, SecretKey::Profile(profile.clone())).await
}

/// The command that signs a CloudSSO session in again.
pub fn sso_login_command(session: &ProfileName) -> String {
    format!("alicred sso login {session}")
}

/// The command that signs a profile in again.
pub fn login_command(profile: &ProfileName) -> String {
    format!("alicred login {profile}")
}

/// Sign-in tokens an import moves into the keyring.
#[derive(Clone, Debug)]
pub enum ImportedSignIn {
    Sso {
        session: ProfileName,
        token: SsoSessionToken,
    },
    Oauth {
        profile: ProfileName,
        tokens: OauthTokens,
    },
}

impl ImportedSignIn {
    /// Writes the tokens (blocking: imports run outside async code).
    pub fn store(
        &self,
        secrets: &Arc<dyn SecretStore>,
    ) -> Result<(), crate::store::secrets::SecretError> {
        match self {
            ImportedSignIn::Sso { session, token } => {
                // Profiles of one session share one token: keep the one that lasts longer.
                let key = SecretKey::SsoSession(session.clone());
                let kept = secrets.get_json::<SsoSessionToken>(&key).ok().flatten();
                if kept.is_some_and(|k| k.expires_at >= token.expires_at) {
                    return Ok(());
                }
                secrets.set_json(&key, token)
            }
            ImportedSignIn::Oauth { profile, tokens } => {
                secrets.set_json(&SecretKey::Profile(profile.clone()), tokens)
            }
        }
    }
}
