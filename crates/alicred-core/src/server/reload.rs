//! Following outside changes while the agent runs: the profiles file and
//! SIGHUP (sent by `alicred` after it changed profiles or the token).

use super::token;
use crate::engine::Engine;
use crate::sensitive::Sensitive;
use crate::store::config::ConfigStore;
use crate::store::secrets::SecretStore;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// How often the profiles file is checked for changes (one `stat`).
pub const WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// Follows outside changes: the profiles file (checked every
/// [`WATCH_INTERVAL`] by size and mtime) and, on Unix, SIGHUP (sent by
/// `alicred` after it changed the profiles or rotated the token), which
/// re-reads both at once.
pub struct Reloader {
    pub store: ConfigStore,
    pub engine: Engine,
    pub secrets: Arc<dyn SecretStore>,
    pub token: Arc<RwLock<Sensitive>>,
}

impl Reloader {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let path = self.store.paths().profiles_file();
        let stamp = |p: &std::path::Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.modified().ok(), m.len()))
        };
        let mut last = stamp(&path);
        let mut tick = tokio::time::interval(WATCH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut hup = hangups();
        loop {
            let hung_up = tokio::select! {
                _ = tick.tick() => false,
                _ = next_hangup(&mut hup) => true,
                _ = stop.changed() => return,
            };
            let now = stamp(&path);
            if hung_up {
                self.reload_token().await;
            } else if now == last {
                continue;
            }
            last = now;
            self.reload_profiles();
        }
    }

    fn reload_profiles(&self) {
        match self.store.load() {
            Ok(file) if file != self.engine.profiles() => self.engine.reload(file),
            Ok(_) => {}
            Err(e) => {
                self.engine.bus().emit(
                    chrono::Utc::now(),
                    None,
                    crate::engine::EventKind::ConfigReloaded,
                    format!("profiles file not reloaded: {e}"),
                );
            }
        }
    }

    async fn reload_token(&self) {
        let secrets = self.secrets.clone();
        let loaded = tokio::task::spawn_blocking(move || token::load_or_create(secrets.as_ref()));
        if let Ok(Ok(t)) = loaded.await
            && let Ok(mut cur) = self.token.write()
        {
            *cur = t;
        }
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
