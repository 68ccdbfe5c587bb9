//! One sign-in for many callers (README.md, "One sign-in for many
//! callers"). When processes need credentials of a signed-out cloud-sso or
//! oauth profile at the same moment (`alicred export` run by the aliyun CLI
//! and the SDKs, `creds`, `exec`, `env`), one of them starts the sign-in and
//! the others wait for it, then all fetch. The processes meet at a lock file
//! in the home's lock directory, named after what is signed in (a CloudSSO
//! session, or an OAuth profile), so it works with or without an agent; the
//! agent itself never opens a browser (it reports the profile as needing the
//! user, and the tray offers "Sign in").
//!
//! Without a browser (no `$BROWSER`, no display, or `ALICRED_NO_BROWSER`),
//! a caller fails at once with the command to run.

use super::BROWSER_WAIT;
use crate::Credentials;
use crate::profile::{ProfileKind, ProfileName, Remedy};
use crate::providers::EnvFn;
use crate::store::config::ProfilesFile;
use crate::store::lock::FileLock;
use crate::usecases::{SignInPrompt, SignInTarget, UseCaseError, UseCases};
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// How long a caller waits for another process's sign-in: the browser
/// step's limit and some slack for the token exchange.
pub const WAIT_FOR_OTHERS: Duration = Duration::from_secs(BROWSER_WAIT.as_secs() + 30);

/// Is there a browser to sign in with: `$BROWSER`, or a graphical session
/// (`DISPLAY`, `WAYLAND_DISPLAY`; always on macOS), and not switched off
/// with `ALICRED_NO_BROWSER`?
pub fn browser_available(env: &EnvFn) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.trim().is_empty());
    if env(super::NO_BROWSER_ENV).is_some() {
        return false;
    }
    set("BROWSER") || set("DISPLAY") || set("WAYLAND_DISPLAY") || cfg!(target_os = "macos")
}

/// Opens a sign-in page with `$BROWSER` (a command; the URL is its last
/// argument) or the desktop's opener. A failure only means the user opens it.
pub fn open_sign_in_page(env: &EnvFn, url: &url::Url) -> Result<(), String> {
    use crate::usecases::console::{BrowserSource, ConsoleBrowser, launch};
    if env(super::NO_BROWSER_ENV).is_some() {
        return Ok(());
    }
    let browser = env("BROWSER")
        .and_then(|b| crate::shell_words::shell_words_split(&b).ok())
        .filter(|argv| !argv.is_empty())
        .map_or(ConsoleBrowser::Desktop, |argv| ConsoleBrowser::Command {
            argv,
            from: BrowserSource::Environment,
        });
    launch(&browser, url)
}

/// The lock a sign-in of `name` is made under: its CloudSSO session's (one
/// sign-in serves every profile of the session), or its own for OAuth.
/// `None` for profiles that do not sign in.
pub fn sign_in_lock_name(file: &ProfilesFile, name: &ProfileName) -> Option<String> {
    match &file.profiles.get(name)?.kind {
        ProfileKind::CloudSso(c) => Some(format!("signin-sso-{}", c.sso_session)),
        ProfileKind::Oauth(_) => Some(format!("signin-oauth-{name}")),
        _ => None,
    }
}

/// Does this failure mean only a sign-in brings the profile back?
pub fn needs_sign_in(e: &UseCaseError) -> bool {
    matches!(e.remedy(), Some((_, _, Remedy::SignIn)))
}

/// What a caller is to the sign-in.
#[derive(Debug)]
enum Gate {
    /// Nobody else signs in: this process does, holding the lock meanwhile.
    First(FileLock),
    /// Another process was signing in; it has finished (or given up).
    Waited,
}

/// Takes the lock if free, else waits (at most `wait`) for whoever holds it.
async fn enter(dir: PathBuf, name: String, wait: Duration) -> Result<Gate, UseCaseError> {
    match try_first(dir.clone(), name.clone()).await? {
        Some(lock) => Ok(Gate::First(lock)),
        None => wait_for_other(dir, name, wait).await.map(|()| Gate::Waited),
    }
}

fn lock_error(e: std::io::Error) -> UseCaseError {
    UseCaseError::Internal(format!("sign-in lock: {e}"))
}

/// The lock, if nobody holds it.
async fn try_first(dir: PathBuf, name: String) -> Result<Option<FileLock>, UseCaseError> {
    tokio::task::spawn_blocking(move || FileLock::try_exclusive(&dir, &name))
        .await
        .map_err(|e| UseCaseError::Internal(e.to_string()))?
        .map_err(lock_error)
}

/// Returns once whoever holds the lock has let go (at most `wait`).
async fn wait_for_other(dir: PathBuf, name: String, wait: Duration) -> Result<(), UseCaseError> {
    let waited = tokio::time::timeout(
        wait,
        tokio::task::spawn_blocking(move || FileLock::exclusive(&dir, &name)),
    )
    .await
    .map_err(|_| {
        UseCaseError::Internal(format!(
            "another alicred process's sign-in did not finish within {} s",
            wait.as_secs()
        ))
    })?
    .map_err(|e| UseCaseError::Internal(e.to_string()))?
    .map_err(lock_error)?;
    // Only the waiting mattered: whoever signed in has let go.
    drop(waited);
    Ok(())
}

impl UseCases {
    /// Credentials of `name` from `fetch`; when they fail because the
    /// profile is signed out, sign it in once across processes (with a
    /// browser; without one, fail at once) and fetch again. `on_prompt` shows
    /// the sign-in page (and opens it) in the one process that signs in.
    pub async fn credentials_signing_in_once<F, Fut>(
        &self,
        name: &ProfileName,
        fetch: F,
        on_prompt: impl Fn(&SignInPrompt) + Send + Sync,
    ) -> Result<Credentials, UseCaseError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Credentials, UseCaseError>>,
    {
        let e = match fetch().await {
            Ok(c) => return Ok(c),
            Err(e) if !needs_sign_in(&e) => return Err(e),
            Err(e) => e,
        };
        let file = self.profiles().await?;
        let Some(lock) = sign_in_lock_name(&file, name) else {
            return Err(e);
        };
        if !browser_available(&*self.ctx().env) {
            // Its message names the command that signs in.
            return Err(e);
        }
        let dir = self.app().paths().lock_dir();
        match enter(dir, lock, WAIT_FOR_OTHERS).await? {
            Gate::First(held) => {
                // Someone may have finished between the first fetch and the lock.
                match fetch().await {
                    Ok(c) => return Ok(c),
                    Err(e) if !needs_sign_in(&e) => return Err(e),
                    Err(_) => {}
                }
                self.sign_in(&SignInTarget::Profile(name.clone()), on_prompt)
                    .await?;
                drop(held);
                fetch().await
            }
            // One sign-in for all: when it did not work, the others do not
            // open a browser again; they say so.
            Gate::Waited => fetch().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_is_browser_or_a_display_unless_switched_off() {
        let with = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(browser_available(&with(&[("BROWSER", "firefox")])));
        assert!(browser_available(&with(&[("DISPLAY", ":0")])));
        assert!(browser_available(&with(&[(
            "WAYLAND_DISPLAY",
            "wayland-0"
        )])));
        assert!(!browser_available(&with(&[
            ("BROWSER", "firefox"),
            ("ALICRED_NO_BROWSER", "1")
        ])));
        if !cfg!(target_os = "macos") {
            assert!(!browser_available(&with(&[])));
            assert!(!browser_available(&with(&[("BROWSER", " ")])));
        }
    }

    #[tokio::test]
    async fn the_first_caller_signs_in_and_the_others_wait_for_it() {
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path().to_path_buf();
        let p = || "signin-oauth-p".to_string();
        let first = enter(d.clone(), p(), Duration::from_secs(5))
            .await
            .expect("enter");
        assert!(matches!(first, Gate::First(_)));
        // Held: a second caller is not first, and waits.
        assert!(try_first(d.clone(), p()).await.expect("try").is_none());
        let waiter = tokio::spawn(wait_for_other(d.clone(), p(), Duration::from_secs(30)));
        // Another name is not held up.
        let other = enter(d.clone(), "signin-oauth-q".into(), Duration::from_secs(5))
            .await
            .expect("enter");
        assert!(matches!(other, Gate::First(_)));
        drop(first);
        waiter
            .await
            .expect("join")
            .expect("the wait ends when the lock is let go");
        // Free again: the next caller goes first (and re-checks before signing in).
        let again = enter(d.clone(), p(), Duration::from_secs(5))
            .await
            .expect("enter");
        assert!(matches!(again, Gate::First(_)));
        // A holder that never lets go: the wait ends with one line.
        let e = wait_for_other(d, p(), Duration::from_millis(50))
            .await
            .expect_err("timed out");
        assert!(e.to_string().contains("did not finish"), "{e}");
    }
}
