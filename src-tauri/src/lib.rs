//! alicred desktop: one process runs the refresh engine and the endpoint (the
//! same core as `alicred agent`), a tray icon and the dashboard window.

pub mod agent;
pub mod commands;
pub mod confirm;
pub mod error;
pub mod lifecycle;
pub mod memory;
pub mod notify;
pub mod reminders;
pub mod signin;
pub mod state;
pub mod tray;
pub mod tray_labels;
pub mod tray_model;
pub mod tray_sso;

use crate::agent::DesktopAgent;
use crate::state::AppState;
use alicred_core::paths::Paths;
use alicred_core::service::Alicred;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WindowEvent};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_clipboard_manager::ClipboardExt as _;

/// The dashboard listens for engine events under this name.
pub const EVENT_NAME: &str = "alicred://event";

pub fn run() {
    init_logging();
    #[cfg(target_os = "linux")]
    lifecycle::before_gtk();
    let hidden = std::env::args().any(|a| a == "--hidden" || a == "--minimized");
    let result = tauri::Builder::default()
        // First: a second launch only focuses the running window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            commands::show_dashboard(app)
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_clipboard_manager::init())
        // Rust-side only (no JS permission): the external-command confirmation.
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::list_profiles,
            commands::get_events,
            commands::get_timeline,
            commands::type_guides,
            commands::check_profile,
            commands::add_profile,
            commands::get_profile_input,
            commands::remove_profile,
            commands::set_active,
            commands::refresh,
            commands::verify,
            commands::endpoint_info,
            commands::get_settings,
            commands::set_settings,
            commands::copy_text,
            commands::rotate,
            commands::rotation_status,
            commands::rotate_plan,
            commands::reload_problem,
            commands::sign_in,
            commands::sign_in_prompt,
            commands::cancel_sign_in,
            commands::sso_sessions,
        ])
        .setup(move |app| {
            let state = tauri::async_runtime::block_on(start_state()).map_err(
                |e| -> Box<dyn std::error::Error> {
                    eprintln!("alicred: {e}");
                    notify::show(
                        &notify::Note {
                            summary: "alicred cannot start".into(),
                            body: e.clone(),
                            critical: true,
                            action: None,
                            sign_in: None,
                        },
                        |_| {},
                    );
                    e.into()
                },
            )?;
            let state = Arc::new(state);
            app.manage(state.clone());
            tray::create(app.handle())?;
            spawn_event_loop(app.handle().clone(), state);
            spawn_signal_handler(app.handle().clone());
            memory::hand_back_after_start();
            // With --hidden (start at login) only the tray runs: no webview
            // until the dashboard is opened, which keeps memory low.
            if !hidden {
                commands::show_dashboard(app.handle());
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::Destroyed = event
                && window.label() == "main"
            {
                lifecycle::end_idle_network_process(window.app_handle());
            }
        })
        .build(tauri::generate_context!());
    let app = match result {
        Ok(app) => app,
        Err(e) => {
            eprintln!("alicred: {e}");
            std::process::exit(1);
        }
    };
    app.run(|_app, event| {
        // Closing the dashboard destroys its window and webview (WebKit's
        // web process ends with it): the state lives in the backend and the
        // tray agent runs all day, so it should not carry a hidden page. The
        // last window closing keeps alicred running in the tray; only Quit
        // (an explicit exit code) ends it.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}

/// Open the profiles, seed the first-run demo if wanted, start the agent.
async fn start_state() -> Result<AppState, String> {
    let paths = Paths::from_env()?;
    let alicred = Alicred::open(paths).map_err(|e| e.to_string())?;
    let mut demo = None;
    if wants_demo(&alicred) {
        match start_demo(&alicred).await {
            Ok(handle) => demo = Some(handle),
            Err(e) => tracing::warn!("demo not started: {e}"),
        }
    }
    let agent = DesktopAgent::start(&alicred).await?;
    let state = AppState::new(alicred, agent);
    if let Ok(mut d) = state.demo.lock() {
        *d = demo;
    }
    Ok(state)
}

/// No profiles of the user's own (none, or only the demo's), and the demo not
/// switched off: start the emulator and (re)seed the sample profiles.
fn wants_demo(alicred: &Alicred) -> bool {
    if std::env::var_os("ALICRED_NO_DEMO").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    alicred_demo::may_seed(alicred).unwrap_or(false)
}

async fn start_demo(alicred: &Alicred) -> Result<alicred_demo::DemoCloud, String> {
    // The `external` sample runs the CLI, when it is installed beside us.
    let cli = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("alicred")))
        .filter(|p| p.is_file());
    let addr = alicred_demo::DEMO_EMULATOR_ADDR
        .parse()
        .map_err(|e| format!("{e}"))?;
    let (cloud, names) = alicred_demo::start(alicred, addr, cli)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "demo: seeded {} profiles against the local emulator",
        names.len()
    );
    Ok(cloud)
}

/// Engine events → the dashboard, the notifier and the tray.
fn spawn_event_loop(app: AppHandle, state: Arc<AppState>) {
    let mut rx = state.agent.engine().subscribe();
    let a = app.clone();
    let st = state.clone();
    tauri::async_runtime::spawn(async move {
        let mut notifier = notify::Notifier::default();
        loop {
            let ev = match rx.recv().await {
                Ok(ev) => ev,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            let _ = a.emit(EVENT_NAME, &ev);
            tray::request_rebuild(&a);
            // A reload or a refresh may carry a new sign-in end.
            st.reminders_wanted.notify_one();
            // Only a profile that needs the user may get a "Sign in" action.
            let wanted = match ev.data {
                alicred_core::engine::EventData::NeedsUser { .. } => true,
                alicred_core::engine::EventData::Refreshed { .. } => notifier.waits_on_user(),
                _ => false,
            };
            let sign_in = wanted
                .then(|| st.agent.engine().snapshot())
                .and_then(|all| {
                    all.into_iter()
                        .find(|p| ev.profile.as_deref() == Some(p.name.as_str()))
                        .and_then(|p| p.sign_in)
                });
            if let Some(note) = notifier.decide_with(&ev, sign_in.as_ref()) {
                let app2 = a.clone();
                std::thread::spawn(move || {
                    let target = note.sign_in.clone();
                    notify::show(&note, move |action| match target {
                        Some(t) if action == notify::ACTION_SIGN_IN => {
                            signin::start_from_menu(&app2, t)
                        }
                        _ => commands::show_dashboard(&app2),
                    })
                });
            }
        }
    });
    reminders::spawn(app.clone(), state.clone());
    spawn_tray_loop(app, state);
}

/// The menu is rebuilt when asked ([`tray::request_rebuild`]: events, menu
/// clicks) and when a time-left label changes; otherwise the loop sleeps.
fn spawn_tray_loop(app: AppHandle, state: Arc<AppState>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let next = tray::next_label_change(&state.agent.engine().snapshot(), Utc::now());
            let label_due = async {
                match next.and_then(|t| (t - Utc::now()).to_std().ok()) {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = state.tray_wanted.notified() => {
                    // A burst of events makes one rebuild.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                () = label_due => {}
            }
            let a = app.clone();
            let _ = app.run_on_main_thread(move || tray::rebuild(&a));
        }
    });
}

pub fn copy_to_clipboard(app: &AppHandle, text: &str) -> Result<(), String> {
    app.clipboard()
        .write_text(text.to_string())
        .map_err(|e| format!("could not reach the clipboard: {e}"))
}

pub fn autostart_enabled(app: &AppHandle) -> Option<bool> {
    app.autolaunch().is_enabled().ok()
}

pub fn set_autostart(app: &AppHandle, on: bool) -> Result<(), String> {
    let l = app.autolaunch();
    let now = l.is_enabled().unwrap_or(false);
    if now == on {
        return Ok(());
    }
    if on { l.enable() } else { l.disable() }
        .map_err(|e| format!("could not change start at login: {e}"))
}

/// SIGTERM / SIGINT (logout, `kill`, Ctrl-C) quit as cleanly as the menu's Quit.
fn spawn_signal_handler(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        quit(&app);
    });
}

/// Quit: stop the agent (and the demo emulator) cleanly, then exit.
pub fn quit(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<Arc<AppState>>().inner().clone();
        state.agent.shutdown().await;
        let demo = state.demo.lock().ok().and_then(|mut d| d.take());
        if let Some(cloud) = demo {
            cloud.shutdown().await;
        }
        app.exit(0);
    });
}

/// Logs go to stderr, or to `ALICRED_LOG_FILE` (handy under tauri-driver);
/// the level comes from `ALICRED_LOG`. Nothing logged carries a secret.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALICRED_LOG")
        .unwrap_or_else(|_| "warn,alicred=info".into());
    let file = std::env::var_os("ALICRED_LOG_FILE").and_then(|p| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .ok()
    });
    let _ = match file {
        Some(f) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(f))
            .try_init(),
        None => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init(),
    };
}
