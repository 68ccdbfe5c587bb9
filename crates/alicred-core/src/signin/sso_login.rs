//! `alicred sso login SESSION`: the CloudSSO device flow (PKCE S256), then one
//! `cloud-sso` profile per account × access configuration the user is assigned.

use super::SignInError;
use super::sso_profiles::{ProfileChange, known_sign_in_url, sync_profiles};
use super::tokens::{SsoSessionToken, store};
use crate::aliyun::sso::{
    AccessConfiguration, Account, MAX_POLL_INTERVAL, Pkce, Poll, SsoClient, portal_base,
};
use crate::profile::ProfileName;
use crate::providers::{ProviderContext, ProviderError};
use crate::service::Alicred;
use crate::store::secrets::SecretKey;
use chrono::{DateTime, Utc};
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

fn too_many(session: &ProfileName, filter: &SsoFilter) -> SignInError {
    let narrower = if filter.is_empty() {
        "choose with --account ACCOUNT and --access-config CONFIG"
    } else {
        "narrow --account/--access-config further"
    };
    SignInError::Failed(format!(
        "CloudSSO session {session} assigns you more than {MAX_SIGN_IN_PROFILES} account × access-configuration pairs, one profile each; nothing was changed: {narrower} (each repeatable, an id or a name)"
    ))
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

/// Most profiles one sign-in creates or updates. A portal may assign thousands
/// of accounts × access configurations (or a hostile one claim to): past this
/// the sign-in changes nothing and asks for `--account`/`--access-config`.
pub const MAX_SIGN_IN_PROFILES: usize = 2000;

/// Which assignments a sign-in makes profiles for (`sso login --account
/// --access-config`). An empty list takes every one; a value matches an id or
/// a display name (case-insensitively).
#[derive(Clone, Debug, Default)]
pub struct SsoFilter {
    pub accounts: Vec<String>,
    pub access_configs: Vec<String>,
}

impl SsoFilter {
    fn matches(list: &[String], id: &str, name: &str) -> bool {
        list.is_empty()
            || list
                .iter()
                .any(|v| v.trim() == id || v.trim().eq_ignore_ascii_case(name.trim()))
    }

    fn account(&self, a: &Account) -> bool {
        Self::matches(&self.accounts, &a.account_id, &a.display_name)
    }

    fn access_config(&self, c: &AccessConfiguration) -> bool {
        Self::matches(
            &self.access_configs,
            &c.access_configuration_id,
            &c.access_configuration_name,
        )
    }

    fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.access_configs.is_empty()
    }
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
    let all = SsoFilter::default();
    sso_login_filtered(app, ctx, session, sign_in_url, prune, &all, on_prompt).await
}

/// [`sso_login`] making profiles only for the assignments `filter` takes (with
/// `prune`, the session's other profiles are removed).
pub async fn sso_login_filtered(
    app: &Alicred,
    ctx: &ProviderContext,
    session: &ProfileName,
    sign_in_url: Option<&str>,
    prune: bool,
    filter: &SsoFilter,
    on_prompt: impl FnOnce(&DevicePrompt) + Send,
) -> Result<SsoLoginOutcome, SignInError> {
    if prune && !filter.is_empty() {
        // Which profiles would a filtered prune remove: those left out, or
        // only those no longer assigned? Neither is safe to guess.
        return Err(SignInError::Usage(
            "--prune removes every profile of the session this sign-in does not make; it cannot be combined with --account or --access-config".into(),
        ));
    }
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
        expires_in: device.wait().as_secs(),
    });
    let started = tokio::time::Instant::now();
    let deadline = started + device.wait();
    let mut interval = device.poll_interval();
    let (access_token, expires_at) = loop {
        match client.poll_token(&device, &pkce).await {
            Ok(Poll::Done {
                access_token,
                expires_at,
            }) => break (access_token, expires_at),
            Ok(Poll::Pending) => {}
            Ok(Poll::SlowDown) => {
                interval = (interval + std::time::Duration::from_secs(5)).min(MAX_POLL_INTERVAL)
            }
            Err(ProviderError::NeedsUser(why)) => {
                return Err(SignInError::Failed(format!(
                    "CloudSSO session {session} is not signed in: {why}"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let next = tokio::time::Instant::now() + interval;
        if next >= deadline {
            return Err(SignInError::Failed(format!(
                "CloudSSO session {session} is not signed in: the sign-in request expired before it was approved; run `alicred sso login {session}` again"
            )));
        }
        tokio::time::sleep_until(next).await;
    };
    let token = SsoSessionToken {
        sign_in_url: url.clone(),
        access_token,
        expires_at,
    };
    // Assignments first: a sign-in that cannot list them changes nothing.
    let accounts = client.accounts(&token.access_token).await?;
    let accounts: Vec<Account> = accounts.into_iter().filter(|a| filter.account(a)).collect();
    // One list request per account: more accounts than profiles allowed is
    // already too many (and would be that many requests).
    if accounts.len() > MAX_SIGN_IN_PROFILES {
        return Err(too_many(session, filter));
    }
    let mut pairs = Vec::new();
    for a in accounts {
        let configs = client
            .access_configurations(&token.access_token, &a.account_id)
            .await?;
        for c in configs.into_iter().filter(|c| filter.access_config(c)) {
            if pairs.len() == MAX_SIGN_IN_PROFILES {
                return Err(too_many(session, filter));
            }
            pairs.push((a.clone(), c));
        }
    }
    if pairs.is_empty() && !filter.is_empty() {
        return Err(SignInError::Usage(format!(
            "no assignment of CloudSSO session {session} matches --account/--access-config; nothing was changed (run without them to see every assignment)"
        )));
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
