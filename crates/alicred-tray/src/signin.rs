//! Signing in from the app. The `sign_in` command, the tray's "Sign in…" and
//! a reminder's "Sign in" action all run [`run`]: the core's sign-in use case,
//! with the prompt kept here (a window opened later still shows the user
//! code) and told to the shell (a Tauri event, the browser), one at a time.

use crate::error::{CmdResult, CommandError, parse_name};
use crate::state::AppState;
use alicred_core::usecases::{SignInDone, SignInPrompt, SignInTarget, UseCaseError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

/// Emitted with a [`SignInPrompt`] before the sign-in waits for the user.
pub const PROMPT_EVENT: &str = "alicred://sign-in-prompt";
/// Emitted with a [`SignInEnded`] when it ends, however it ends.
pub const DONE_EVENT: &str = "alicred://sign-in-done";
/// The message of a cancelled sign-in.
pub const CANCELLED: &str = "sign-in cancelled";

/// How a sign-in ended, for the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignInEnded {
    pub ok: bool,
    pub message: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub profiles: Vec<String>,
}

/// Where a sign-in shows itself: the desktop ([`DesktopShell`]), or a test.
pub trait SignInShell: Send + Sync + 'static {
    fn prompt(&self, prompt: &SignInPrompt);
    fn ended(&self, ended: &SignInEnded);
}

/// The sign-in that is waiting, if any (in [`AppState`]).
#[derive(Default)]
pub struct SignInSlot {
    running: bool,
    cancelled: bool,
    prompt: Option<SignInPrompt>,
    abort: Option<tokio::task::AbortHandle>,
}

/// The dashboard names a profile or a session, not both.
pub fn target(profile: Option<String>, session: Option<String>) -> CmdResult<SignInTarget> {
    match (profile, session) {
        (Some(p), None) => Ok(SignInTarget::Profile(parse_name(&p)?)),
        (None, Some(s)) => Ok(SignInTarget::Session(parse_name(&s)?)),
        _ => Err(CommandError::msg(
            "Sign in to either a profile or a CloudSSO session.",
        )),
    }
}

/// Runs one sign-in to its end. Must run inside the Tokio runtime.
pub async fn run(
    state: Arc<AppState>,
    target: SignInTarget,
    shell: Arc<dyn SignInShell>,
) -> CmdResult<SignInDone> {
    {
        let mut slot = lock(&state);
        if slot.running {
            return Err(UseCaseError::SignInRunning.into());
        }
        *slot = SignInSlot {
            running: true,
            ..SignInSlot::default()
        };
    }
    let (st, sh) = (state.clone(), shell.clone());
    let task = tokio::spawn(async move {
        let keep = st.clone();
        st.uc
            .sign_in(&target, move |p| {
                lock(&keep).prompt = Some(p.clone());
                sh.prompt(p);
            })
            .await
    });
    {
        let mut slot = lock(&state);
        if slot.cancelled {
            task.abort();
        }
        slot.abort = Some(task.abort_handle());
    }
    let result = match task.await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => Err(CommandError::from(e)),
        Err(e) if e.is_cancelled() => Err(CommandError::msg(CANCELLED)),
        Err(e) => Err(CommandError::msg(format!("internal error: {e}"))),
    };
    *lock(&state) = SignInSlot::default();
    shell.ended(&match &result {
        Ok(d) => SignInEnded {
            ok: true,
            message: None,
            expires_at: d.expires_at,
            profiles: d.profiles.clone(),
        },
        Err(e) => SignInEnded {
            ok: false,
            message: Some(e.message.clone()),
            expires_at: None,
            profiles: Vec::new(),
        },
    });
    result
}

/// The prompt of the sign-in that waits, for a window opened after it.
pub fn current_prompt(state: &AppState) -> Option<SignInPrompt> {
    lock(state).prompt.clone()
}

/// Stops the waiting sign-in ([`run`] then ends with [`CANCELLED`]). True
/// when one was running.
pub fn cancel(state: &AppState) -> bool {
    let mut slot = lock(state);
    if !slot.running {
        return false;
    }
    slot.cancelled = true;
    if let Some(a) = &slot.abort {
        a.abort();
    }
    true
}

fn lock(state: &AppState) -> std::sync::MutexGuard<'_, SignInSlot> {
    // A poisoned slot still holds a usable value: the flags are plain data.
    state
        .sign_in
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The desktop: events for the dashboard, the browser, a fresh tray menu.
pub struct DesktopShell(pub Arc<AppState>);

impl SignInShell for DesktopShell {
    fn prompt(&self, prompt: &SignInPrompt) {
        self.0.hub.push(PROMPT_EVENT, prompt);
        if let Err(e) = alicred_core::signin::open_browser(&prompt.url) {
            tracing::warn!("sign-in: {e}; the window shows the URL");
        }
    }

    fn ended(&self, ended: &SignInEnded) {
        self.0.hub.push(DONE_EVENT, ended);
        crate::tray::request_update(&self.0);
        self.0.reminders_wanted.notify_one();
    }
}

/// Starts a sign-in from the tray or a notification: the dashboard shows the
/// prompt; a failure that the window may not see is also a notification.
pub fn start_from_menu(state: &Arc<AppState>, target: SignInTarget) {
    crate::dashboard::open();
    let shell: Arc<dyn SignInShell> = Arc::new(DesktopShell(state.clone()));
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = run(state, target, shell).await
            && e.message != CANCELLED
        {
            crate::notify::show_error(&e.message);
        }
    });
}
