//! Signing in through the API. The dashboard's `sign_in`, the tray's
//! "Sign in…" and a notification's "Sign in" all run [`run`]: the sign-in
//! use case, one at a time, with its prompt kept (a window opened later still
//! shows the user code) and pushed as an event, and the browser opened.

use super::error::{ApiError, ApiResult, parse_name};
use super::notify::Note;
use super::{Api, Event, SignInEnded};
use crate::usecases::{SignInDone, SignInPrompt, SignInTarget, UseCaseError};

/// The message of a cancelled sign-in.
pub const CANCELLED: &str = "sign-in cancelled";

/// The sign-in that is waiting, if any.
#[derive(Default)]
pub(crate) struct Slot {
    running: bool,
    cancelled: bool,
    prompt: Option<SignInPrompt>,
    abort: Option<tokio::task::AbortHandle>,
}

/// A request names a profile or a session, not both.
pub(crate) fn target(profile: Option<String>, session: Option<String>) -> ApiResult<SignInTarget> {
    match (profile, session) {
        (Some(p), None) => Ok(SignInTarget::Profile(parse_name(&p)?)),
        (None, Some(s)) => Ok(SignInTarget::Session(parse_name(&s)?)),
        _ => Err(ApiError::msg(
            "Sign in to either a profile or a CloudSSO session.",
        )),
    }
}

/// Runs one sign-in to its end. Must run inside the Tokio runtime.
pub(crate) async fn run(api: &Api, target: SignInTarget) -> ApiResult<SignInDone> {
    {
        let mut slot = lock(api);
        if slot.running {
            return Err(UseCaseError::SignInRunning.into());
        }
        *slot = Slot {
            running: true,
            ..Slot::default()
        };
    }
    let me = api.clone();
    let task = tokio::spawn(async move {
        let keep = me.clone();
        me.inner
            .uc
            .sign_in(&target, move |p| {
                lock(&keep).prompt = Some(p.clone());
                keep.emit(Event::SignInPrompt { prompt: p.clone() });
                if let Err(e) = crate::signin::open_browser(&p.url) {
                    tracing::warn!("sign-in: {e}; the window shows the URL");
                }
            })
            .await
    });
    {
        let mut slot = lock(api);
        if slot.cancelled {
            task.abort();
        }
        slot.abort = Some(task.abort_handle());
    }
    let result = match task.await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => Err(ApiError::from(e)),
        Err(e) if e.is_cancelled() => Err(ApiError::msg(CANCELLED)),
        Err(e) => Err(ApiError::msg(format!("internal error: {e}"))),
    };
    *lock(api) = Slot::default();
    let ended = match &result {
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
    };
    api.emit(Event::SignInDone { ended });
    api.inner.reminders_wanted.notify_one();
    result
}

/// A sign-in started from the tray or a notification: the dashboard opens
/// to show the prompt; a failure the window may not show is a notification.
pub(crate) fn start(api: &Api, target: SignInTarget) {
    api.host().open_dashboard();
    let api = api.clone();
    tokio::spawn(async move {
        if let Err(e) = run(&api, target).await
            && e.message != CANCELLED
        {
            api.emit(Event::Notification {
                note: Note::error(&e.message),
            });
        }
    });
}

/// The prompt of the sign-in that waits, for a window opened after it.
pub(crate) fn current_prompt(api: &Api) -> Option<SignInPrompt> {
    lock(api).prompt.clone()
}

/// Stops the waiting sign-in ([`run`] then ends with [`CANCELLED`]). True
/// when one was running.
pub(crate) fn cancel(api: &Api) -> bool {
    let mut slot = lock(api);
    if !slot.running {
        return false;
    }
    slot.cancelled = true;
    if let Some(a) = &slot.abort {
        a.abort();
    }
    true
}

fn lock(api: &Api) -> std::sync::MutexGuard<'_, Slot> {
    // A poisoned slot still holds a usable value: the flags are plain data.
    api.inner
        .sign_in
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
