//! `alicred sso login SESSION`: the CloudSSO device flow (PKCE S256), then one
//! `cloud-sso` profile per account × access configuration the user is assigned.

use super::SignInError;
use super::sso_profiles::{ProfileChange, known_sign_in_url, sync_profiles};
use super::tokens::{SsoSessionToken, store};
use crate::aliyun::sso::{Pkce, Poll, SsoClient, portal_base};
use crate::profile::ProfileName;
use crate::providers::{ProviderContext, ProviderError};
use crate::service::Alicred;
use crate::store::secrets::SecretKey;
use chrono::{DateTime, Duration, Utc};
use url::Url;

/// What the user must see to approve the sign-in.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DevicePrompt {
    pub session: String,
    pub user_code: String,
    pub verification_uri: String,
    /// The URL with the code filled in: what the browser opens.
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
}

#[derive(Debug, serde::Serialize)]
pub struct SsoLoginOutcome {
    pub session: ProfileName,
    pub expires_at: DateTime<Utc>,
    pub profiles: Vec<ProfileChange>,
    pub pruned: Vec<ProfileName>,
}

/// Parses a sign-in URL the user typed; only http(s).
pub(crate) fn parse_sign_in_url(s: &str) -> Result<Url, SignInError> {
    let bad = || {
        SignInError::Usage(format!(
            "--sign-in-url {s:?} is not an http(s) URL; copy the user portal's sign-in URL from the CloudSSO console (https://signin-….alibabacloudsso.com/d-…/login)"
        ))
    };
    let u = Url::parse(s.trim()).map_err(|_| bad())?;
    portal_base(&u).map_err(|_| bad())?;
    Ok(u)
}

/// Signs in to `session` (its known URL unless `sign_in_url` is given), keeps the
/// access token in the keyring under the session, and creates or updates the
/// session's profiles. Nothing is deleted unless `prune`.
pub async fn sso_login(
    app: &Alicred,
    ctx: &ProviderContext,
    session: &ProfileName,
    sign_in_url: Option<&str>,
    prune: bool,
    on_prompt: impl FnOnce(&DevicePrompt) + Send,
) -> Result<SsoLoginOutcome, SignInError> {
    let url = match sign_in_url {
        Some(s) => parse_sign_in_url(s)?,
        None => known_sign_in_url(app, ctx, session).await?.ok_or_else(|| {
            SignInError::Usage(format!(
                "unknown CloudSSO session {session}: the first sign-in needs its URL: alicred sso login {session} --sign-in-url URL"
            ))
        })?,
    };
    let client = SsoClient::new(ctx, &url)?;
    let pkce = Pkce::new();
    let device = client.device_authorization(&url, &pkce).await?;
    on_prompt(&DevicePrompt {
        session: session.to_string(),
        user_code: device.user_code.clone(),
        verification_uri: device.verification_uri.clone(),
        verification_uri_complete: device.verification_uri_complete.clone(),
        expires_in: device.expires_in,
    });
    let started = tokio::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(device.expires_in.clamp(1, 3600));
    let mut interval = device.interval.clamp(1, 60);
    let (access_token, expires_in) = loop {
        match client.poll_token(&device, &pkce).await {
            Ok(Poll::Done {
                access_token,
                expires_in,
            }) => break (access_token, expires_in),
            Ok(Poll::Pending) => {}
            Ok(Poll::SlowDown) => interval = (interval + 5).min(60),
            Err(ProviderError::NeedsUser(why)) => {
                return Err(SignInError::Failed(format!(
                    "CloudSSO session {session} is not signed in: {why}"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let next = tokio::time::Instant::now() + std::time::Duration::from_secs(interval);
        if next >= deadline {
            return Err(SignInError::Failed(format!(
                "CloudSSO session {session} is not signed in: the sign-in request expired before it was approved; run `alicred sso login {session}` again"
            )));
        }
        tokio::time::sleep_until(next).await;
    };
    let expires_at =
        ctx.clock.now() + Duration::seconds(i64::try_from(expires_in).unwrap_or(28_800));
    let token = SsoSessionToken {
        sign_in_url: url.clone(),
        access_token,
        expires_at,
    };
    // Assignments first: a sign-in that cannot list them changes nothing.
    let accounts = client.accounts(&token.access_token).await?;
    let mut pairs = Vec::new();
    for a in accounts {
        let configs = client
            .access_configurations(&token.access_token, &a.account_id)
            .await?;
        for c in configs {
            pairs.push((a.clone(), c));
        }
    }
    store(&ctx.secrets, SecretKey::SsoSession(session.clone()), token).await?;
    let (profiles, pruned) = sync_profiles(app, session, &url, &pairs, prune, expires_at)?;
    Ok(SsoLoginOutcome {
        session: session.clone(),
        expires_at,
        profiles,
        pruned,
    })
}
