//! The console's one-shot local redirect (docs/console.md, "The Login URL
//! is a secret"), on the core's [`crate::server::oneshot`]: the browser gets
//! `http://127.0.0.1:PORT/<random>`, which answers the user's own
//! connections only, once, for [`ONE_SHOT_LIFETIME`], with a 302 to a Login
//! URL made at that moment (its token lives 30 s, so it is made when the
//! browser arrives, not before).

use super::console::ConsolePlan;
use super::{UseCaseError, UseCases};
use crate::server::oneshot::{OneShot, Outcome};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// How long the local URL waits for the browser.
pub const ONE_SHOT_LIFETIME: Duration = Duration::from_secs(60);

/// How the one-shot ended.
#[derive(Debug)]
pub enum ConsoleOutcome {
    /// The browser came and was sent to the console.
    Opened,
    /// The browser came, but no Login URL could be made (the reason).
    Failed(UseCaseError),
    /// Nobody (of this user) came in time.
    Expired,
}

/// An armed one-shot: give [`Self::url`] to the browser, then [`Self::wait`].
pub struct ConsoleSession {
    /// The local URL (a capability for one use; not a sign-in token).
    pub url: Url,
    shot: OneShot,
    failure: Arc<Mutex<Option<UseCaseError>>>,
}

impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The path is a capability: not in Debug.
        f.debug_struct("ConsoleSession").finish_non_exhaustive()
    }
}

impl UseCases {
    /// Arms the one-shot local URL for `plan`. Nothing is fetched until the
    /// browser arrives. Call inside a Tokio runtime.
    pub async fn console_open(&self, plan: &ConsolePlan) -> Result<ConsoleSession, UseCaseError> {
        let (uc, plan) = (self.clone(), plan.clone());
        let failure: Arc<Mutex<Option<UseCaseError>>> = Arc::default();
        let keep = failure.clone();
        let shot = OneShot::start(ONE_SHOT_LIFETIME, move || async move {
            match uc.console_login_url(&plan).await {
                Ok(url) => Ok(url),
                Err(e) => {
                    let line = e.to_string();
                    if let Ok(mut f) = keep.lock() {
                        *f = Some(e);
                    }
                    Err(line)
                }
            }
        })
        .map_err(|e| UseCaseError::Internal(format!("cannot listen on 127.0.0.1: {e}")))?;
        let url = Url::parse(shot.url().expose())
            .map_err(|e| UseCaseError::Internal(format!("one-shot URL: {e}")))?;
        Ok(ConsoleSession { url, shot, failure })
    }
}

impl ConsoleSession {
    /// Serves until the one use or the deadline; the port is closed after.
    pub async fn wait(mut self) -> ConsoleOutcome {
        match self.shot.finished().await {
            Outcome::Served => ConsoleOutcome::Opened,
            Outcome::Expired => ConsoleOutcome::Expired,
            Outcome::Failed(line) => ConsoleOutcome::Failed(
                self.failure
                    .lock()
                    .ok()
                    .and_then(|mut f| f.take())
                    .unwrap_or(UseCaseError::Internal(line)),
            ),
        }
    }
}
