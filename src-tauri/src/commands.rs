//! The dashboard's commands. The webview calls them by name; each one is a
//! forward to the tray agent, which runs the core ([`alicred_tray::backend`]),
//! over the control socket. The one decision made here is the one the
//! webview cannot be trusted with: asking before an `external` profile (a
//! command alicred will run) is saved.

use crate::Backend;
use serde_json::{Value, json};
use tauri::{AppHandle, Manager, State};

type Reply = Result<Value, Value>;
type B<'a> = State<'a, Backend>;

#[tauri::command]
pub async fn list_profiles(b: B<'_>) -> Reply {
    b.call("list_profiles", Value::Null).await
}

#[tauri::command]
pub async fn get_events(b: B<'_>, after: Option<u64>, limit: Option<usize>) -> Reply {
    b.call("get_events", json!({ "after": after, "limit": limit }))
        .await
}

#[tauri::command]
pub async fn get_timeline(b: B<'_>, name: String, since: Option<String>) -> Reply {
    b.call("get_timeline", json!({ "name": name, "since": since }))
        .await
}

#[tauri::command]
pub async fn type_guides(b: B<'_>) -> Reply {
    b.call("type_guides", Value::Null).await
}

#[tauri::command]
pub async fn reload_problem(b: B<'_>) -> Reply {
    b.call("reload_problem", Value::Null).await
}

#[tauri::command]
pub async fn check_profile(b: B<'_>, input: Value) -> Reply {
    b.call("check_profile", json!({ "input": input })).await
}

#[tauri::command]
pub async fn add_profile(
    app: AppHandle,
    b: B<'_>,
    input: Value,
    secret: Option<Value>,
    replace: bool,
) -> Reply {
    let asked: alicred_core::profile::ProfileInput = serde_json::from_value(input.clone())
        .map_err(|e| json!({ "message": format!("not a profile: {e}") }))?;
    let dialog = crate::confirm::NativeDialog(app);
    // The native dialog blocks: it waits off the async threads.
    tauri::async_runtime::spawn_blocking(move || {
        alicred_tray::confirm::confirm_external(&asked, replace, &dialog)
    })
    .await
    .map_err(|e| json!({ "message": format!("internal error: {e}") }))?
    .map_err(|e| json!({ "message": e.message }))?;
    b.call(
        "add_profile",
        json!({ "input": input, "secret": secret, "replace": replace }),
    )
    .await
}

#[tauri::command]
pub async fn get_profile_input(b: B<'_>, name: String) -> Reply {
    b.call("get_profile_input", json!({ "name": name })).await
}

#[tauri::command]
pub async fn remove_profile(b: B<'_>, name: String) -> Reply {
    b.call("remove_profile", json!({ "name": name })).await
}

#[tauri::command]
pub async fn set_active(b: B<'_>, name: String) -> Reply {
    b.call("set_active", json!({ "name": name })).await
}

#[tauri::command]
pub async fn refresh(b: B<'_>, name: Option<String>) -> Reply {
    b.call("refresh", json!({ "name": name })).await
}

#[tauri::command]
pub async fn verify(b: B<'_>, name: String) -> Reply {
    b.call("verify", json!({ "name": name })).await
}

#[tauri::command]
pub async fn rotate_plan(b: B<'_>, name: String) -> Reply {
    b.call("rotate_plan", json!({ "name": name })).await
}

#[tauri::command]
pub async fn rotate(b: B<'_>, name: String, delete_inactive: bool) -> Reply {
    b.call(
        "rotate",
        json!({ "name": name, "delete_inactive": delete_inactive }),
    )
    .await
}

#[tauri::command]
pub async fn rotation_status(b: B<'_>, name: String) -> Reply {
    b.call("rotation_status", json!({ "name": name })).await
}

#[tauri::command]
pub async fn sign_in(b: B<'_>, profile: Option<String>, session: Option<String>) -> Reply {
    b.call("sign_in", json!({ "profile": profile, "session": session }))
        .await
}

#[tauri::command]
pub async fn sign_in_prompt(b: B<'_>) -> Reply {
    b.call("sign_in_prompt", Value::Null).await
}

#[tauri::command]
pub async fn cancel_sign_in(b: B<'_>) -> Reply {
    b.call("cancel_sign_in", Value::Null).await
}

#[tauri::command]
pub async fn sso_sessions(b: B<'_>) -> Reply {
    b.call("sso_sessions", Value::Null).await
}

#[tauri::command]
pub async fn endpoint_info(b: B<'_>) -> Reply {
    b.call("endpoint_info", Value::Null).await
}

#[tauri::command]
pub async fn get_settings(b: B<'_>) -> Reply {
    b.call("get_settings", Value::Null).await
}

#[tauri::command]
pub async fn set_settings(b: B<'_>, settings: Value) -> Reply {
    b.call("set_settings", json!({ "settings": settings }))
        .await
}

/// The tray agent copies: on X11 the copier serves the paste, and it runs on
/// after this window is closed.
#[tauri::command]
pub async fn copy_text(b: B<'_>, text: String) -> Reply {
    b.call("copy_text", json!({ "text": text })).await
}

/// Show and focus the dashboard (at start and on a second launch).
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
