//! The tray agent's life: start (one per user), serve, quit cleanly.

use crate::agent::DesktopAgent;
use crate::state::AppState;
use alicred_core::paths::Paths;
use alicred_core::service::Alicred;
use alicred_core::store::lock::FileLock;
use std::sync::Arc;

/// Dashboard events carrying engine events.
pub const EVENT_NAME: &str = "alicred://event";

/// Run until Quit or a signal, then exit the process.
pub fn run() -> ! {
    init_logging();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("alicred: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let code = rt.block_on(async {
        match start().await {
            Ok(Some(state)) => {
                serve_until_quit(state).await;
                0
            }
            Ok(None) => 0,
            Err(e) => {
                eprintln!("alicred: {e}");
                let note = crate::notify::Note {
                    summary: "alicred cannot start".into(),
                    body: e,
                    critical: true,
                    action: None,
                    sign_in: None,
                };
                let _ =
                    tokio::task::spawn_blocking(move || crate::notify::show(&note, |_| {})).await;
                1
            }
        }
    });
    // Exit with the runtime still up: the agent has shut down cleanly, and
    // dropping the runtime would only wait for tasks still blocked on D-Bus.
    std::process::exit(code)
}

/// Take the one-per-user lock, open the profiles (seeding the demo when
/// wanted), start the agent and the control socket. `None`: another tray
/// agent of this user runs already.
async fn start() -> Result<Option<Arc<AppState>>, String> {
    let paths = Paths::from_env()?;
    Paths::ensure_private_dir(paths.base())
        .map_err(|e| format!("cannot create {}: {e}", paths.base().display()))?;
    let lock = FileLock::try_exclusive(&paths.lock_dir(), "desktop").map_err(|e| {
        format!(
            "cannot take the lock in {}: {e}",
            paths.lock_dir().display()
        )
    })?;
    let Some(lock) = lock else {
        eprintln!("alicred: already running (its tray and endpoint are up)");
        return Ok(None);
    };
    let socket = crate::control::socket_path(&paths);
    let alicred = Alicred::open(paths).map_err(|e| e.to_string())?;
    let mut demo = None;
    if wants_demo(&alicred) {
        match start_demo(&alicred).await {
            Ok(handle) => demo = Some(handle),
            Err(e) => tracing::warn!("demo not started: {e}"),
        }
    }
    let agent = DesktopAgent::start(&alicred).await?;
    let state = Arc::new(AppState::new(alicred, agent));
    if let Ok(mut d) = state.demo.lock() {
        *d = demo;
    }
    let listener = crate::control::bind(&socket)
        .map_err(|e| format!("cannot listen on {}: {e}", socket.display()))?;
    tokio::spawn(crate::control::serve(listener, state.clone()));
    // Held for the process's life: it is what makes this the only one.
    std::mem::forget(lock);
    hand_back_heap();
    Ok(Some(state))
}

async fn serve_until_quit(state: Arc<AppState>) {
    spawn_event_loop(state.clone());
    crate::reminders::spawn(state.clone());
    tokio::spawn(crate::tray::run(state.clone()));
    let quit = state.quit.notified();
    tokio::select! {
        () = quit => {}
        () = signal() => {}
    }
    state.agent.shutdown().await;
    let demo = state.demo.lock().ok().and_then(|mut d| d.take());
    if let Some(cloud) = demo {
        cloud.shutdown().await;
    }
}

/// SIGTERM / SIGINT (logout, `kill`, Ctrl-C) quit as cleanly as the menu's Quit.
async fn signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
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

/// Engine events → the dashboards, the notifier and the tray.
pub fn spawn_event_loop(state: Arc<AppState>) {
    let mut rx = state.agent.engine().subscribe();
    tokio::spawn(async move {
        let mut notifier = crate::notify::Notifier::default();
        loop {
            let ev = match rx.recv().await {
                Ok(ev) => ev,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            state.hub.push(EVENT_NAME, &ev);
            crate::tray::request_update(&state);
            // A reload or a refresh may carry a new sign-in end.
            state.reminders_wanted.notify_one();
            // Only a profile that needs the user may get a "Sign in" action.
            let wanted = match ev.data {
                alicred_core::engine::EventData::NeedsUser { .. } => true,
                alicred_core::engine::EventData::Refreshed { .. } => notifier.waits_on_user(),
                _ => false,
            };
            let sign_in = wanted
                .then(|| state.agent.engine().snapshot())
                .and_then(|all| {
                    all.into_iter()
                        .find(|p| ev.profile.as_deref() == Some(p.name.as_str()))
                        .and_then(|p| p.sign_in)
                });
            if let Some(note) = notifier.decide_with(&ev, sign_in.as_ref()) {
                let st = state.clone();
                let rt = tokio::runtime::Handle::current();
                std::thread::spawn(move || {
                    let target = note.sign_in.clone();
                    crate::notify::show(&note, move |action| match target {
                        Some(t) if action == crate::notify::ACTION_SIGN_IN => {
                            let _in_rt = rt.enter();
                            crate::signin::start_from_menu(&st, t)
                        }
                        _ => crate::dashboard::open(),
                    })
                });
            }
        }
    });
}

/// Start-up (the demo's seeding, TLS and keyring set-up) leaves freed heap
/// behind; hand it back, since this process then runs all day.
#[allow(unsafe_code)] // one call into glibc, below
fn hand_back_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Logs go to stderr, or to `ALICRED_LOG_FILE` (handy under tauri-driver);
/// the level comes from `ALICRED_LOG`. Nothing logged carries a secret.
pub fn init_logging() {
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
