//! Sign-in from any shell: a profile's (its CloudSSO session's device flow,
//! or OAuth's authorization code) or a whole CloudSSO session's. The shell
//! gets one [`SignInPrompt`] to show (and a browser to open), and when the
//! sign-in is approved the engine running here is reloaded at once, so the
//! session's profiles are fresh without waiting for a file watcher.

use super::{UseCaseError, UseCases};
use crate::profile::ProfileName;
use crate::signin::{self, LoginOutcome, SsoSessionInfo};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What to sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInTarget {
    /// A cloud-sso profile (its session) or an oauth profile.
    Profile(ProfileName),
    /// A CloudSSO session, with all its profiles.
    Session(ProfileName),
}

impl std::fmt::Display for SignInTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignInTarget::Profile(p) => write!(f, "profile {p}"),
            SignInTarget::Session(s) => write!(f, "CloudSSO session {s}"),
        }
    }
}

/// What the user must see while the sign-in waits: the page to open and,
/// for CloudSSO, the code to confirm there. Holds no secret (the URL carries
/// the user code or the OAuth `state` and PKCE challenge, never a token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SignInPrompt {
    pub profile: Option<String>,
    pub session: Option<String>,
    pub user_code: Option<String>,
    pub url: String,
    /// Seconds the request waits for the user.
    pub expires_in: Option<u64>,
}

/// A finished sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SignInDone {
    /// When the CloudSSO sign-in ends (`None` for OAuth: it renews itself).
    pub expires_at: Option<DateTime<Utc>>,
    /// The profiles that now work again.
    pub profiles: Vec<String>,
}

impl UseCases {
    /// Sign in `target`; `on_prompt` is called once, before the wait. One
    /// sign-in at a time per [`UseCases`] (a second gets
    /// [`UseCaseError::SignInRunning`]); dropping the future cancels it.
    pub async fn sign_in(
        &self,
        target: &SignInTarget,
        on_prompt: impl Fn(&SignInPrompt) + Send + Sync,
    ) -> Result<SignInDone, UseCaseError> {
        let _one = self
            .sign_in_lock
            .try_lock()
            .map_err(|_| UseCaseError::SignInRunning)?;
        let profile = match target {
            SignInTarget::Profile(p) => Some(p.to_string()),
            SignInTarget::Session(_) => None,
        };
        let on_device = |d: &signin::DevicePrompt| {
            on_prompt(&SignInPrompt {
                profile: profile.clone(),
                session: Some(d.session.clone()),
                user_code: Some(d.user_code.clone()),
                url: d
                    .verification_uri_complete
                    .clone()
                    .unwrap_or_else(|| d.verification_uri.clone()),
                expires_in: Some(d.expires_in),
            })
        };
        let outcome = match target {
            SignInTarget::Profile(name) => {
                let on_url = |u: &url::Url| {
                    on_prompt(&SignInPrompt {
                        profile: profile.clone(),
                        session: None,
                        user_code: None,
                        url: u.to_string(),
                        expires_in: Some(signin::BROWSER_WAIT.as_secs()),
                    })
                };
                signin::login(&self.app, &self.ctx, name, on_device, on_url).await?
            }
            SignInTarget::Session(s) => LoginOutcome::CloudSso(
                signin::sso_login(&self.app, &self.ctx, s, None, false, on_device).await?,
            ),
        };
        let done = match outcome {
            LoginOutcome::CloudSso(o) => SignInDone {
                expires_at: Some(o.expires_at),
                profiles: o
                    .profiles
                    .iter()
                    .filter(|c| c.change != "skipped")
                    .map(|c| c.name.to_string())
                    .collect(),
            },
            LoginOutcome::Oauth { .. } => SignInDone {
                expires_at: None,
                profiles: profile.into_iter().collect(),
            },
        };
        let this = self.clone();
        super::blocking(move || this.reload()).await?;
        Ok(done)
    }

    /// Every CloudSSO session that has profiles, with its sign-in state.
    pub async fn sso_sessions(&self) -> Result<Vec<SsoSessionInfo>, UseCaseError> {
        Ok(signin::sso_sessions(&self.app, &self.ctx).await?)
    }
}
