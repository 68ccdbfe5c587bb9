//! The dashboard's one command: `call`, a typed [`Request`] forwarded to the
//! tray agent, which runs the core's API, over the control socket. The one
//! thing done here first is what the webview cannot be trusted with: asking
//! the person, with a native dialog, when the core says a request needs a
//! yes (an `external` profile: a command alicred will run); the yes travels
//! beside the request, where the webview cannot put one.

use crate::Backend;
use alicred_core::api::{Request, confirm};
use serde_json::{Value, json};
use tauri::{AppHandle, Manager, State};

#[tauri::command]
pub async fn call(app: AppHandle, b: State<'_, Backend>, request: Request) -> Result<Value, Value> {
    let confirmed = match confirm::question(&request) {
        None => None,
        Some(_) => {
            let (dialog, asked) = (crate::confirm::NativeDialog(app), request.clone());
            // The native dialog blocks: it waits off the async threads.
            tauri::async_runtime::spawn_blocking(move || confirm::ask(&asked, &dialog))
                .await
                .map_err(|e| json!({ "message": format!("internal error: {e}") }))?
                .map_err(|e| json!({ "message": e.message }))?
        }
    };
    b.0.call(request, confirmed).await
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
