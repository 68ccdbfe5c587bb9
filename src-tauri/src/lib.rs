//! alicred's dashboard: a Tauri window, in a process of its own that starts
//! when the dashboard is opened and ends when it is closed. Everything it
//! shows and does goes through the core's API in the tray agent
//! (`alicred-tray`: the engine, the endpoint, the tray), which it starts if
//! none runs and which keeps running after the window is closed. So
//! WebKit's memory is only spent while the dashboard is on screen.

pub mod commands;
pub mod confirm;
pub mod lifecycle;
pub mod memory;

use alicred_core::api::client::{self as control_client, Client};
use tauri::{AppHandle, Emitter, WindowEvent};

/// The webview's one event channel: every `alicred_core::api::Event`.
pub const EVENT_CHANNEL: &str = "alicred://api";

/// The tray agent, as `call` reaches it.
pub struct Backend(Client);

pub fn run() {
    alicred_tray::app::init_logging();
    // Start at login (`--hidden`): only the tray. Become the tray agent
    // before anything of GTK or WebKit is touched.
    if std::env::args().any(|a| a == "--hidden" || a == "--minimized") {
        exec_tray();
    }
    // The tray agent first, while this process's environment is still the
    // one it was given: the agent (and every dashboard it opens) inherits it,
    // not the settings below that only suit this window.
    let socket = match alicred_core::paths::Paths::from_env()
        .map(|p| alicred_core::api::wire::socket_path(&p))
        .and_then(|s| control_client::ensure_running(&s).map(|()| s))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("alicred: {e}");
            std::process::exit(1);
        }
    };
    #[cfg(target_os = "linux")]
    lifecycle::before_gtk();
    let result = tauri::Builder::default()
        // First: a second launch only focuses the open window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            commands::show_dashboard(app)
        }))
        // Rust-side only (no JS permission): the external-command confirmation.
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![commands::call])
        .setup(move |app| {
            use tauri::Manager as _;
            let client = tauri::async_runtime::block_on(connect(&socket, app.handle().clone()))
                .map_err(|e| -> Box<dyn std::error::Error> {
                    eprintln!("alicred: {e}");
                    e.into()
                })?;
            app.manage(Backend(client));
            commands::show_dashboard(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the dashboard ends this process (and WebKit's with
            // it); the tray agent runs on.
            if let WindowEvent::Destroyed = event
                && window.label() == "main"
            {
                use tauri::Manager as _;
                window.app_handle().exit(0);
            }
        })
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|_app, _event| {}),
        Err(e) => {
            eprintln!("alicred: {e}");
            std::process::exit(1);
        }
    }
}

/// Connect to the tray agent; its events go to the webview, and when it
/// quits (the tray's Quit) the dashboard closes too.
async fn connect(socket: &std::path::Path, app: AppHandle) -> Result<Client, String> {
    let events = app.clone();
    let on_event = move |event: serde_json::Value| {
        let _ = events.emit(EVENT_CHANNEL, event);
    };
    let on_close = move || app.exit(0);
    Client::connect(socket, on_event, on_close)
        .await
        .map_err(|e| {
            format!(
                "cannot reach alicred's tray agent on {}: {e}",
                socket.display()
            )
        })
}

/// Replace this process with the tray agent (same arguments' meaning: no
/// window). Returns only when that fails, after saying why.
fn exec_tray() -> ! {
    use std::os::unix::process::CommandExt as _;
    let err = match control_client::tray_binary() {
        Ok(bin) => {
            let mut cmd = std::process::Command::new(&bin);
            // main() took the keyring passphrase out of the environment.
            alicred_core::store::secrets::passphrase::pass_to(&mut cmd);
            cmd.exec().to_string()
        }
        Err(e) => e,
    };
    eprintln!("alicred: cannot start the tray agent: {err}");
    std::process::exit(1);
}
