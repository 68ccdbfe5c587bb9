//! The tray agent's life: start (one per user), serve, quit cleanly. The
//! host side of the API ([`TrayHost`]): the clipboard, the dashboard, the
//! login item and Quit.

use alicred_core::api::{Api, Event, Host, wire};
use alicred_core::paths::Paths;
use alicred_core::service::Alicred;
use alicred_core::store::lock::FileLock;
use std::sync::Arc;

/// What the API asks of this process.
#[derive(Default)]
pub struct TrayHost {
    /// What "Copy" put on the clipboard stays there while this process runs.
    clipboard: crate::clipboard::Clipboard,
    /// Set by Quit (tray menu, the dashboard): the app shuts down cleanly.
    quit: tokio::sync::Notify,
}

impl Host for TrayHost {
    fn copy(&self, text: &str) -> Result<(), String> {
        self.clipboard.copy(text)
    }
    fn open_dashboard(&self) {
        crate::dashboard::open();
    }
    fn quit(&self) {
        self.quit.notify_one();
    }
    fn autostart(&self) -> Option<bool> {
        crate::autostart::enabled()
    }
    fn set_autostart(&self, on: bool) -> Result<(), String> {
        crate::autostart::set(on)
    }
}

/// Run until Quit or a signal, then exit the process.
pub fn run() -> ! {
    init_logging();
    alicred_core::hardening::keep_others_out_or_warn();
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
            Ok(Some((api, host, demo))) => {
                serve_until_quit(api, host).await;
                if let Some(cloud) = demo {
                    cloud.shutdown().await;
                }
                0
            }
            Ok(None) => 0,
            Err(e) => {
                eprintln!("alicred: {e}");
                let mut note = alicred_core::api::notify::Note::error(&e);
                note.summary = "alicred cannot start".into();
                note.critical = true;
                let _ = tokio::task::spawn_blocking(move || {
                    crate::notify::show_blocking(&note, |_| {})
                })
                .await;
                1
            }
        }
    });
    // Exit with the runtime still up: the agent has shut down cleanly, and
    // dropping the runtime would only wait for tasks still blocked on D-Bus.
    std::process::exit(code)
}

/// Take the one-per-user lock, open the profiles (seeding the demo when
/// wanted), start the API and the control socket. `None`: another tray
/// agent of this user runs already.
async fn start() -> Result<Option<Started>, String> {
    let paths = Paths::from_env()?;
    Paths::ensure_private_dir(paths.base())
        .map_err(|e| format!("cannot create {}: {e}", paths.base().display()))?;
    // The lock keeps its name from before the tray agent was its own
    // process, so an older agent still running keeps a newer one out.
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
    let socket = wire::socket_path(&paths);
    let alicred = Alicred::open(paths).map_err(|e| e.to_string())?;
    let mut demo = None;
    if wants_demo(&alicred) {
        match start_demo(&alicred).await {
            Ok(handle) => demo = Some(handle),
            Err(e) => tracing::warn!("demo not started: {e}"),
        }
    }
    let host = Arc::new(TrayHost::default());
    let api = Api::start(alicred, host.clone()).await?;
    let listener =
        wire::bind(&socket).map_err(|e| format!("cannot listen on {}: {e}", socket.display()))?;
    tokio::spawn(wire::serve(listener, api.clone()));
    // Held for the process's life: it is what makes this the only one.
    std::mem::forget(lock);
    hand_back_heap();
    Ok(Some((api, host, demo)))
}

type Started = (Api, Arc<TrayHost>, Option<alicred_demo::DemoCloud>);

async fn serve_until_quit(api: Api, host: Arc<TrayHost>) {
    spawn_notifications(api.clone());
    tokio::spawn(crate::tray::run(api.clone()));
    let quit = host.quit.notified();
    tokio::select! {
        () = quit => {}
        () = signal() => {}
    }
    api.shutdown().await;
}

/// The notes the core decides on, shown.
fn spawn_notifications(api: Api) {
    let mut rx = api.subscribe();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(Event::Notification { note }) => crate::notify::show(&api, note),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
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
