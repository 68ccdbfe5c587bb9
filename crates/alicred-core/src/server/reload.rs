//! Following outside changes while the agent runs: the profiles file
//! (watched with inotify, see [`crate::fswatch`]) and SIGHUP (sent by
//! `alicred` after it changed profiles or the token).
//!
//! The reloader is supervised ([`supervise`]): an error is logged, kept for
//! the agent's status and told on the event bus; a panic restarts it. It
//! never stops quietly while the agent runs.

use super::token;
use crate::engine::{Engine, EventKind};
use crate::fswatch::DirWatch;
use crate::sensitive::Sensitive;
use crate::store::config::ConfigStore;
use crate::store::secrets::SecretStore;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// What the reloader last ran into (`None`: all well). Shared with the
/// agent's handle, which shows it.
pub type ReloadHealth = Arc<Mutex<Option<String>>>;

/// Follows outside changes: the profiles file and, on Unix, SIGHUP (which
/// re-reads the token and the profiles).
#[derive(Clone)]
pub struct Reloader {
    pub store: ConfigStore,
    pub engine: Engine,
    pub secrets: Arc<dyn SecretStore>,
    pub token: Arc<RwLock<Sensitive>>,
    pub health: ReloadHealth,
}

impl Reloader {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let path = self.store.paths().profiles_file();
        if let Some(dir) = path.parent() {
            let _ = crate::paths::Paths::ensure_private_dir(dir);
        }
        let mut files = match DirWatch::file(&path) {
            Ok(w) => Some(w),
            Err(e) => {
                // SIGHUP (sent by every `alicred` that changes profiles) still works.
                self.problem(format!(
                    "cannot watch {} for changes ({e}); profile edits made outside alicred need a restart",
                    path.display()
                ));
                None
            }
        };
        // The engine read the file before this watch existed: an edit in
        // between (an agent just started, a busy machine) would wait for the
        // next one. Read it once more now that nothing can slip past.
        self.reload_profiles().await;
        let mut hup = hangups();
        loop {
            tokio::select! {
                changed = next_change(&mut files) => {
                    if let Err(e) = changed {
                        self.problem(format!("watching the profiles file: {e}"));
                    }
                }
                _ = next_hangup(&mut hup) => self.reload_token().await,
                _ = stop.changed() => return,
            };
            self.reload_profiles().await;
        }
    }

    /// Parse the file off the async threads, then apply it.
    async fn reload_profiles(&self) {
        let store = self.store.clone();
        let loaded = tokio::task::spawn_blocking(move || store.load()).await;
        match loaded {
            Ok(Ok(file)) => {
                let was_broken = self.set_health(None).is_some();
                if file != self.engine.profiles() {
                    self.engine.reload(file);
                } else if was_broken {
                    // Fixed back to what the engine runs: nothing reloads, but
                    // whoever shows the problem (the dashboard) must hear it is gone.
                    self.engine.bus().emit(
                        chrono::Utc::now(),
                        None,
                        EventKind::ConfigReloaded,
                        "profiles file readable again; nothing changed".to_string(),
                    );
                }
            }
            Ok(Err(e)) => self.problem(format!("profiles file not reloaded: {e}")),
            Err(e) => self.problem(format!("profiles file not reloaded: {e}")),
        }
    }

    async fn reload_token(&self) {
        let secrets = self.secrets.clone();
        let loaded = tokio::task::spawn_blocking(move || token::load_or_create(secrets.as_ref()));
        match loaded.await {
            Ok(Ok(t)) => {
                if let Ok(mut cur) = self.token.write() {
                    *cur = t;
                }
            }
            Ok(Err(e)) => self.problem(format!("endpoint token not reloaded: {e}")),
            Err(e) => self.problem(format!("endpoint token not reloaded: {e}")),
        }
    }

    /// Log it, keep it for the status, tell the event bus, in that order:
    /// whoever hears the event reads the problem at once (the API pushes it
    /// to the dashboard with the event), so it must already be kept.
    fn problem(&self, message: String) {
        tracing::error!("{message}");
        self.set_health(Some(message.clone()));
        self.engine
            .bus()
            .emit(chrono::Utc::now(), None, EventKind::ConfigReloaded, message);
    }

    /// Returns the problem it replaces.
    fn set_health(&self, v: Option<String>) -> Option<String> {
        match self.health.lock() {
            Ok(mut h) => std::mem::replace(&mut *h, v),
            Err(_) => None,
        }
    }
}

/// Run the reloader until `stop`; if it panics, say so and start it again
/// (after a pause, so a panic on every file read cannot spin).
pub async fn supervise(reloader: Reloader, stop: watch::Receiver<bool>) {
    loop {
        let run = tokio::spawn(reloader.clone().run(stop.clone()));
        match run.await {
            Ok(()) => return,
            Err(e) if e.is_panic() => {
                reloader.problem(format!(
                    "the profiles reloader crashed and was restarted: {}",
                    panic_text(e.into_panic())
                ));
                if *stop.borrow() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(_) => return, // cancelled: the agent is stopping
        }
    }
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

async fn next_change(w: &mut Option<DirWatch>) -> Result<(), String> {
    match w {
        Some(w) => match w.changed().await {
            Some(r) => r,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

async fn next_hangup(h: &mut Hangups) {
    #[cfg(unix)]
    if let Some(s) = h
        && s.recv().await.is_some()
    {
        return;
    }
    let _ = h;
    std::future::pending::<()>().await
}
