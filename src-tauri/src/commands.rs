//! The dashboard's commands: each one only translates between the webview
//! and a core call. Blocking core calls (keyring over D-Bus, file locks) run
//! on the blocking pool so the window never freezes.

use crate::error::{CmdResult, CommandError, parse_name};
use crate::state::{AppState, Settings};
use alicred_core::aliyun::sts;
use alicred_core::engine::{Event, ProfileStatus, TimelineBucket};
use alicred_core::profile::validate::Problem;
use alicred_core::profile::{ProfileInput, ProfileType, TypeGuide};
use alicred_core::sensitive::Sensitive;
use alicred_core::signin::SsoSessionInfo;
use alicred_core::store::secrets::StoredKey;
use alicred_core::usecases::{RotatePlan, RotateRequest, Rotated, SignInDone, SignInPrompt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tauri::{AppHandle, Manager, State};

type AppStateRef<'a> = State<'a, Arc<AppState>>;

/// Run a blocking core call off the main thread.
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&AppState) -> CmdResult<T> + Send + 'static,
) -> CmdResult<T> {
    let s = state.clone();
    tauri::async_runtime::spawn_blocking(move || f(&s))
        .await
        .map_err(|e| CommandError::msg(format!("internal error: {e}")))?
}

#[tauri::command]
pub async fn list_profiles(state: AppStateRef<'_>) -> CmdResult<Vec<ProfileStatus>> {
    Ok(state.agent.engine().snapshot())
}

/// The event log sends only what the dashboard shows: events after the last
/// one it has (`after`), at most `limit` of the newest.
#[tauri::command]
pub async fn get_events(
    state: AppStateRef<'_>,
    after: Option<u64>,
    limit: Option<usize>,
) -> CmdResult<Vec<Event>> {
    Ok(newest(state.agent.engine().events_after(after), limit))
}

/// A profile's timeline, or only its buckets from `since` on (the one the
/// dashboard has last, which may have grown, and any newer): a delta.
#[tauri::command]
pub async fn get_timeline(
    state: AppStateRef<'_>,
    name: String,
    since: Option<DateTime<Utc>>,
) -> CmdResult<Vec<TimelineBucket>> {
    Ok(buckets_since(
        state.agent.engine().timeline(&parse_name(&name)?),
        since,
    ))
}

fn newest<T>(mut items: Vec<T>, limit: Option<usize>) -> Vec<T> {
    if let Some(n) = limit {
        items.drain(..items.len().saturating_sub(n));
    }
    items
}

fn buckets_since(
    mut buckets: Vec<TimelineBucket>,
    since: Option<DateTime<Utc>>,
) -> Vec<TimelineBucket> {
    if let Some(t) = since {
        buckets.retain(|b| b.start >= t);
    }
    buckets
}

#[tauri::command]
pub fn type_guides() -> Vec<TypeGuide> {
    ProfileType::ALL.iter().map(|t| t.guide()).collect()
}

/// Why the agent is not following the profiles file (one line), if it is not.
#[tauri::command]
pub fn reload_problem(state: AppStateRef<'_>) -> Option<String> {
    state.agent.reload_problem()
}

#[tauri::command]
pub async fn check_profile(state: AppStateRef<'_>, input: ProfileInput) -> CmdResult<Vec<Problem>> {
    blocking(&state, move |s| Ok(s.uc.check_profile(&input)?)).await
}

/// The secret as the form sends it: once, never echoed back.
#[derive(Deserialize)]
pub struct SecretInput {
    access_key_id: String,
    access_key_secret: Sensitive,
    #[serde(default)]
    security_token: Option<Sensitive>,
}

impl From<SecretInput> for StoredKey {
    fn from(s: SecretInput) -> Self {
        StoredKey {
            access_key_id: s.access_key_id.trim().to_string(),
            access_key_secret: s.access_key_secret,
            security_token: s.security_token.filter(|t| !t.is_empty()),
        }
    }
}

#[tauri::command]
pub async fn add_profile(
    app: AppHandle,
    state: AppStateRef<'_>,
    input: ProfileInput,
    secret: Option<SecretInput>,
    replace: bool,
) -> CmdResult<Vec<Problem>> {
    let dialog = crate::confirm::NativeDialog(app);
    // Decided here, not in the webview: an external profile runs a command
    // (the native dialog blocks, so it waits off the async threads).
    let asked = input.clone();
    blocking(&state, move |_| {
        crate::confirm::confirm_external(&asked, replace, &dialog)
    })
    .await?;
    Ok(state
        .uc
        .add(input, secret.map(StoredKey::from), replace)
        .await?)
}

#[tauri::command]
pub async fn get_profile_input(state: AppStateRef<'_>, name: String) -> CmdResult<ProfileInput> {
    let name = parse_name(&name)?;
    blocking(&state, move |s| Ok(s.uc.profile_input(&name)?)).await
}

#[tauri::command]
pub async fn remove_profile(state: AppStateRef<'_>, name: String) -> CmdResult<()> {
    let name = parse_name(&name)?;
    blocking(&state, move |s| Ok(s.uc.remove_profile(&name)?)).await
}

#[tauri::command]
pub async fn set_active(app: AppHandle, state: AppStateRef<'_>, name: String) -> CmdResult<()> {
    let name = parse_name(&name)?;
    blocking(&state, move |s| Ok(s.uc.use_profile(&name)?)).await?;
    crate::tray::request_rebuild(&app);
    Ok(())
}

#[tauri::command]
pub async fn refresh(state: AppStateRef<'_>, name: Option<String>) -> CmdResult<()> {
    let name = name.as_deref().map(parse_name).transpose()?;
    state.agent.engine().refresh(name.as_ref())?;
    Ok(())
}

#[tauri::command]
pub async fn verify(state: AppStateRef<'_>, name: String) -> CmdResult<sts::CallerIdentity> {
    let name = parse_name(&name)?;
    Ok(state.uc.verify(&name, None).await?)
}

/// How "rotate now" works for a profile (for the confirmation dialog).
#[tauri::command]
pub async fn rotate_plan(state: AppStateRef<'_>, name: String) -> CmdResult<RotatePlan> {
    let name = parse_name(&name)?;
    Ok(state.uc.rotate_plan(&name).await?)
}

/// Rotate a profile now: RAM for access-key, KMS for kms-secret (the core
/// decides). `delete_inactive` is the user's consent to delete an inactive
/// second key first.
#[tauri::command]
pub async fn rotate(
    app: AppHandle,
    state: AppStateRef<'_>,
    name: String,
    delete_inactive: bool,
) -> CmdResult<RotateResult> {
    let name = parse_name(&name)?;
    let req = RotateRequest {
        old_key: None,
        delete_inactive,
    };
    let mut progress = |_p: alicred_core::rotation::RotationProgress| {};
    let rotated = state.uc.rotate(&name, req, &mut progress).await?;
    crate::tray::request_rebuild(&app);
    Ok(RotateResult {
        message: rotated.message(),
        rotated,
    })
}

/// A rotation's outcome: one line for people, and the details.
#[derive(Serialize)]
pub struct RotateResult {
    message: String,
    rotated: Rotated,
}

/// Key age, last rotation and pending step of an access-key profile.
#[tauri::command]
pub async fn rotation_status(
    state: AppStateRef<'_>,
    name: String,
) -> CmdResult<alicred_core::rotation::RotationStatus> {
    let name = parse_name(&name)?;
    state
        .uc
        .rotator()
        .key_status(&name)
        .await
        .map_err(|e| CommandError::msg(e.to_string()))
}

/// Sign in a profile or a CloudSSO session (exactly one of them). Emits
/// `alicred://sign-in-prompt` (user code, URL) and opens the browser, waits
/// for the approval, then emits `alicred://sign-in-done`. One at a time.
#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    state: AppStateRef<'_>,
    profile: Option<String>,
    session: Option<String>,
) -> CmdResult<SignInDone> {
    let target = crate::signin::target(profile, session)?;
    let shell = Arc::new(crate::signin::TauriShell(app));
    crate::signin::run(state.inner().clone(), target, shell).await
}

/// The prompt of the sign-in that is waiting (for a window opened after the
/// prompt event), or null.
#[tauri::command]
pub async fn sign_in_prompt(state: AppStateRef<'_>) -> CmdResult<Option<SignInPrompt>> {
    Ok(crate::signin::current_prompt(&state))
}

/// Stop the waiting sign-in; it ends with "sign-in cancelled".
#[tauri::command]
pub async fn cancel_sign_in(state: AppStateRef<'_>) -> CmdResult<()> {
    crate::signin::cancel(&state);
    Ok(())
}

/// Every CloudSSO session with its sign-in state.
#[tauri::command]
pub async fn sso_sessions(state: AppStateRef<'_>) -> CmdResult<Vec<SsoSessionInfo>> {
    Ok(state.uc.sso_sessions().await?)
}

#[derive(Serialize)]
pub struct EndpointInfo {
    url: Option<String>,
    export_line: Option<String>,
    listen: Option<String>,
    running: bool,
    error: Option<String>,
}

#[tauri::command]
pub async fn endpoint_info(state: AppStateRef<'_>) -> CmdResult<EndpointInfo> {
    Ok(match state.endpoint_lines() {
        Ok((url, export)) => EndpointInfo {
            url: Some(url),
            export_line: Some(export),
            listen: state.agent.listen(),
            running: true,
            error: None,
        },
        Err(e) => EndpointInfo {
            url: None,
            export_line: None,
            listen: state.agent.listen(),
            running: false,
            error: Some(e),
        },
    })
}

#[tauri::command]
pub async fn get_settings(app: AppHandle, state: AppStateRef<'_>) -> CmdResult<Settings> {
    let mut s = state.settings();
    s.autostart = crate::autostart_enabled(&app).unwrap_or(s.autostart);
    Ok(s)
}

#[tauri::command]
pub async fn set_settings(
    app: AppHandle,
    state: AppStateRef<'_>,
    settings: Settings,
) -> CmdResult<Settings> {
    crate::set_autostart(&app, settings.autostart).map_err(CommandError::msg)?;
    let s = settings.clone();
    blocking(&state, move |st| {
        st.save_settings(s).map_err(CommandError::msg)
    })
    .await?;
    Ok(settings)
}

#[tauri::command]
pub async fn copy_text(app: AppHandle, text: String) -> CmdResult<()> {
    crate::copy_to_clipboard(&app, &text).map_err(CommandError::msg)
}

/// Show and focus the dashboard (used by the tray and a second launch too).
/// The window is created on first use (not at a `--hidden` start).
pub fn show_dashboard(app: &AppHandle) {
    let w = match app.get_webview_window("main") {
        Some(w) => w,
        None => {
            let Some(cfg) = app.config().app.windows.iter().find(|w| w.label == "main") else {
                return;
            };
            crate::memory::before_first_webview();
            match tauri::WebviewWindowBuilder::from_config(app, cfg).and_then(|b| b.build()) {
                Ok(w) => {
                    tune_webview(&w);
                    w
                }
                Err(e) => {
                    tracing::warn!("cannot open the dashboard: {e}");
                    return;
                }
            }
        }
    };
    let _ = w.unminimize();
    let _ = w.show();
    let _ = w.set_focus();
}

/// The dashboard is a small document: no GPU compositing (under a software
/// GL that alone costs ~100 MB in the web process) and document-sized caches.
/// `ALICRED_WEBVIEW_ACCEL=1` keeps WebKit's defaults.
fn tune_webview(w: &tauri::WebviewWindow) {
    if crate::lifecycle::webview_accel() {
        return;
    }
    #[cfg(target_os = "linux")]
    let _ = w.with_webview(|wv| {
        use webkit2gtk::{SettingsExt, WebContextExt, WebViewExt};
        let view = wv.inner();
        if let Some(settings) = view.settings() {
            settings
                .set_hardware_acceleration_policy(webkit2gtk::HardwareAccelerationPolicy::Never);
        }
        if let Some(ctx) = view.context() {
            ctx.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
        }
    });
    #[cfg(not(target_os = "linux"))]
    let _ = w;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0).expect("time")
    }

    #[test]
    fn the_event_log_sends_only_the_newest_it_shows() {
        assert_eq!(
            newest((1..=500).collect(), Some(200)),
            (301..=500).collect::<Vec<_>>()
        );
        assert_eq!(newest(vec![1, 2], Some(200)), vec![1, 2]);
        assert_eq!(newest(vec![1, 2], None), vec![1, 2]);
    }

    #[test]
    fn a_timeline_delta_holds_the_last_bucket_and_newer() {
        let day: Vec<TimelineBucket> = (0..3)
            .map(|i| TimelineBucket {
                start: at(i * 10),
                refreshes: 1,
                ..Default::default()
            })
            .collect();
        let delta = buckets_since(day.clone(), Some(at(10)));
        assert_eq!(delta, day[1..].to_vec());
        assert_eq!(buckets_since(day.clone(), None), day);
    }
}
