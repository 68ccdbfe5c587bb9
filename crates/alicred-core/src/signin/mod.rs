//! Signing in instead of pasting keys: the CloudSSO device flow and the OAuth
//! authorization-code flow, as whole user actions the CLI and the app share.
//!
//! The shells only show what these hand them (a user code, a URL) and open a browser;
//! everything else — PKCE, polling, the loopback callback, tokens in the keyring,
//! profiles per assignment — is decided here.

mod browser;
mod loopback;
mod oauth_login;
pub mod reminders;
pub mod shared;
mod sso_login;
mod sso_profiles;
pub mod tokens;

pub use browser::{Browser, NO_BROWSER_ENV, open_browser};
pub use loopback::{CALLBACK_PATH, CALLBACK_PORTS};
pub use oauth_login::{BROWSER_WAIT, oauth_login};
pub use sso_login::{
    DevicePrompt, MAX_SIGN_IN_PROFILES, SsoFilter, SsoLoginOutcome, sso_login, sso_login_filtered,
};
pub use sso_profiles::{
    ProfileChange, SsoSessionInfo, add_sso_profile, note_sign_in_end, safe_profile_name,
    sso_logout, sso_sessions,
};

use crate::profile::{ProfileKind, ProfileName};
use crate::providers::{ProviderContext, ProviderError};
use crate::service::{Alicred, ServiceError};
use chrono::{DateTime, Utc};

/// Why a sign-in did not happen. One line each; `Usage` is what the user typed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::config::ConfigError> for SignInError {
    fn from(e: crate::store::config::ConfigError) -> Self {
        SignInError::Service(e.into())
    }
}

/// What `alicred login NAME` did.
#[derive(Debug)]
pub enum LoginOutcome {
    CloudSso(SsoLoginOutcome),
    Oauth { expires_at: DateTime<Utc> },
}

/// Signs in whatever profile `name` needs: its CloudSSO session's device flow, or the
/// OAuth authorization-code flow. `on_device` shows the user code; `on_url` the
/// authorization URL.
pub async fn login(
    app: &Alicred,
    ctx: &ProviderContext,
    name: &ProfileName,
    on_device: impl FnOnce(&DevicePrompt) + Send,
    on_url: impl FnOnce(&url::Url) + Send,
) -> Result<LoginOutcome, SignInError> {
    let file = app.profiles()?;
    let p = file.get(name)?;
    match &p.kind {
        ProfileKind::CloudSso(c) => {
            let session = c.sso_session.clone();
            let out = sso_login(app, ctx, &session, None, false, on_device).await?;
            Ok(LoginOutcome::CloudSso(out))
        }
        ProfileKind::Oauth(_) => {
            let expires_at = oauth_login(app, ctx, name, on_url).await?;
            Ok(LoginOutcome::Oauth { expires_at })
        }
        _ => Err(SignInError::Usage(format!(
            "profile {name} is a {} profile: only cloud-sso and oauth profiles sign in",
            p.profile_type()
        ))),
    }
}

/// When a CloudSSO profile's sign-in ends, if it is signed in (for the UI). OAuth
/// sign-ins renew themselves; their end is not announced.
pub async fn sign_in_expiry(ctx: &ProviderContext, kind: &ProfileKind) -> Option<DateTime<Utc>> {
    match kind {
        ProfileKind::CloudSso(c) => tokens::load_sso(ctx, &c.sso_session)
            .await
            .ok()
            .flatten()
            .map(|t| t.expires_at),
        _ => None,
    }
}
