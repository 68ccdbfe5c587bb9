//! The refresh engine (docs/architecture.md): one timer-driven task per profile keeps
//! its credentials fresh; callers get cached, never-expired credentials.

mod build;
pub mod cached;
pub mod error;
pub mod events;
pub mod factory;
mod observe;
pub mod persist;
pub mod policy;
pub mod startup;
pub mod state;
pub mod status;
mod tokio_clock;
#[cfg(test)]
mod ui_fixtures;
pub mod usage;
mod worker;

pub use cached::{CacheMeta, CachedProvider, Rng};
pub use error::EngineError;
pub use events::{EventBus, TimelineBucket};
pub use factory::{BrokenProvider, ProviderFactory, SourceLookup, StandardFactory};
pub use state::{Event, EventData, EventKind, ProfileState, RotationOutcome};
pub use status::{Capabilities, ChainLink, Consumer, ConsumerId, ProfileStatus, SignInView};
pub use tokio_clock::TokioClock;
pub use worker::Stats;

use crate::credentials::Credentials;
use crate::profile::ProfileName;
use crate::providers::{Provider, ProviderContext};
use crate::store::config::ProfilesFile;
use crate::store::secrets::SecretKey;
use status::Usage;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::watch;
use worker::Worker;

#[derive(Clone)]
pub struct EngineOptions {
    /// Fetch every profile at start (and after an invalidation) rather than
    /// on first use.
    pub eager: bool,
    /// Source of the jitter; tests pass a constant.
    pub rng: Rng,
    /// Keep role sessions in the keyring (`SecretKey::Session`) so a restart
    /// does not re-assume every role.
    pub persist_sessions: bool,
    /// Longest wait between two retries of a failing profile (an upstream's
    /// `Retry-After` aside). Tests shorten it to see recovery in seconds.
    pub backoff_cap: chrono::Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            eager: true,
            rng: Arc::new(rand::random::<f64>),
            persist_sessions: false,
            backoff_cap: policy::BACKOFF_CAP,
        }
    }
}

/// Counters for benchmarks and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct EngineStats {
    pub profiles: usize,
    pub timer_wakeups: u64,
    pub idle_wakeups: u64,
    pub fetches: u64,
}

struct Slot {
    cached: Arc<CachedProvider>,
    state: watch::Receiver<ProfileState>,
    /// A refresh asked for: holds at most one pending request, so one asked
    /// for while another is still queued merges into it (see [`Engine::refresh`]).
    /// A `Notify` (a few bytes) rather than a channel (~1 KiB per profile).
    refresh: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

/// A profile's worker ends with its slot (removed, or the engine dropped).
impl Drop for Slot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Inner {
    ctx: ProviderContext,
    factory: Arc<dyn ProviderFactory>,
    opts: EngineOptions,
    bus: Arc<EventBus>,
    stats: Arc<Stats>,
    /// Status reads so far (`ProfileStatus::seq`).
    reads: std::sync::atomic::AtomicU64,
    profiles: RwLock<ProfilesFile>,
    slots: RwLock<HashMap<ProfileName, Slot>>,
    usage: Mutex<HashMap<ProfileName, Usage>>,
    active: watch::Sender<Option<ProfileName>>,
    shut_down: AtomicBool,
    /// The runtime the engine was started on: fetches run there, whichever
    /// runtime asks (the endpoint has its own).
    runtime: tokio::runtime::Handle,
}

/// Cheap to clone; all clones drive the same engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// Start one task per profile on the current tokio runtime.
    pub fn start(
        profiles: ProfilesFile,
        ctx: ProviderContext,
        factory: Arc<dyn ProviderFactory>,
    ) -> Engine {
        Self::start_with(profiles, ctx, factory, EngineOptions::default())
    }

    pub fn start_with(
        profiles: ProfilesFile,
        ctx: ProviderContext,
        factory: Arc<dyn ProviderFactory>,
        opts: EngineOptions,
    ) -> Engine {
        let engine = Engine {
            inner: Arc::new(Inner {
                ctx,
                factory,
                opts,
                bus: Arc::new(EventBus::new()),
                stats: Arc::new(Stats::default()),
                profiles: RwLock::new(ProfilesFile::default()),
                slots: RwLock::new(HashMap::new()),
                usage: Mutex::new(HashMap::new()),
                active: watch::channel(None).0,
                shut_down: AtomicBool::new(false),
                reads: std::sync::atomic::AtomicU64::new(1),
                runtime: tokio::runtime::Handle::current(),
            }),
        };
        engine.reload(profiles);
        engine
    }

    /// Credentials of `name`: cached, never expired; fetched now if need be.
    pub async fn credentials(&self, name: &ProfileName) -> Result<Credentials, EngineError> {
        if self.inner.shut_down.load(Ordering::Relaxed) {
            return Err(EngineError::ShutDown);
        }
        let cached = self
            .cached(name)
            .ok_or_else(|| EngineError::UnknownProfile(name.to_string()))?;
        cached.retrieve().await.map_err(|e| {
            let reason = e.to_string();
            if !e.is_transient() {
                EngineError::NeedsUser {
                    profile: name.clone(),
                    why: reason,
                }
            } else if cached.meta().has_credentials {
                EngineError::Expired {
                    profile: name.clone(),
                    reason,
                }
            } else {
                EngineError::NotYetAvailable {
                    profile: name.clone(),
                    reason,
                }
            }
        })
    }

    /// [`Self::credentials`] as a task on the engine's runtime: it finishes
    /// (and fills the cache) even if the caller stops waiting.
    pub fn spawn_credentials(
        &self,
        name: &ProfileName,
    ) -> tokio::task::JoinHandle<Result<Credentials, EngineError>> {
        let (engine, name) = (self.clone(), name.clone());
        self.inner
            .runtime
            .spawn(async move { engine.credentials(&name).await })
    }

    /// The active profile's name, if one is set.
    pub fn active(&self) -> Option<ProfileName> {
        self.inner.active.borrow().clone()
    }

    pub fn watch_active(&self) -> watch::Receiver<Option<ProfileName>> {
        self.inner.active.subscribe()
    }

    pub fn set_active(&self, name: Option<ProfileName>) {
        self.inner.active.send_replace(name);
    }

    /// The cached provider of a profile (for chaining outside the engine).
    pub fn cached(&self, name: &ProfileName) -> Option<Arc<CachedProvider>> {
        read(&self.inner.slots).get(name).map(|s| s.cached.clone())
    }

    /// Observe one profile's state.
    pub fn watch_state(&self, name: &ProfileName) -> Option<watch::Receiver<ProfileState>> {
        read(&self.inner.slots).get(name).map(|s| s.state.clone())
    }

    /// Refresh one profile now (`None`: all), in the background. Requests
    /// made while one is still queued merge into it: one fetch serves them.
    pub fn refresh(&self, name: Option<&ProfileName>) -> Result<(), EngineError> {
        let slots = read(&self.inner.slots);
        match name {
            Some(n) => {
                let s = slots
                    .get(n)
                    .ok_or_else(|| EngineError::UnknownProfile(n.to_string()))?;
                s.refresh.notify_one();
            }
            None => slots.values().for_each(|s| s.refresh.notify_one()),
        }
        Ok(())
    }

    /// Refresh one profile now and wait for the outcome.
    pub async fn refresh_now(&self, name: &ProfileName) -> Result<Credentials, EngineError> {
        let cached = self
            .cached(name)
            .ok_or_else(|| EngineError::UnknownProfile(name.to_string()))?;
        let _ = cached.refresh().await;
        self.credentials(name).await
    }

    /// Drop the cached credentials of `name` and of every profile chained on
    /// it (after a rotation); they are fetched again.
    pub fn invalidate(&self, name: &ProfileName) -> Result<(), EngineError> {
        let mut names = read(&self.inner.profiles).dependents_of(name);
        names.insert(0, name.clone());
        let slots = read(&self.inner.slots);
        if !slots.contains_key(name) {
            return Err(EngineError::UnknownProfile(name.to_string()));
        }
        for n in &names {
            if let Some(s) = slots.get(n) {
                s.cached.invalidate();
            }
        }
        let now = self.inner.ctx.clock.now();
        let list: Vec<String> = names.iter().map(ToString::to_string).collect();
        self.inner.bus.emit(
            now,
            Some(name.as_str()),
            EventKind::Invalidated,
            format!("dropped cached credentials of {}", list.join(", ")),
        );
        Ok(())
    }

    /// Apply a new profiles file: start added profiles, stop removed ones,
    /// rebuild changed ones and every profile chained on them.
    pub fn reload(&self, new: ProfilesFile) {
        let old = read(&self.inner.profiles).clone();
        let mut rebuild: BTreeSet<ProfileName> = BTreeSet::new();
        let mut removed = Vec::new();
        for (n, p) in &new.profiles {
            if old.profiles.get(n) != Some(p) {
                rebuild.insert(n.clone());
                rebuild.extend(new.dependents_of(n));
            }
        }
        for n in old.profiles.keys() {
            if !new.profiles.contains_key(n) {
                removed.push(n.clone());
                rebuild.extend(new.dependents_of(n));
            }
        }
        let mut slots = write(&self.inner.slots);
        for n in rebuild.iter().chain(&removed) {
            if let Some(s) = slots.remove(n) {
                s.task.abort();
            }
        }
        for n in &removed {
            lock(&self.inner.usage).remove(n);
            self.inner.bus.forget(n.as_str());
            if self.inner.opts.persist_sessions {
                let (secrets, key) = (
                    self.inner.ctx.secrets.clone(),
                    SecretKey::Session(n.clone()),
                );
                self.inner
                    .runtime
                    .spawn_blocking(move || secrets.delete(&key));
            }
        }
        let keep = slots
            .iter()
            .map(|(n, s)| (n.clone(), s.cached.clone()))
            .collect();
        let mut b = build::Builder::new(
            &new,
            &self.inner.ctx,
            self.inner.factory.as_ref(),
            &self.inner.bus,
            &self.inner.opts.rng,
            self.inner.opts.persist_sessions,
            keep,
        );
        b.backoff_cap = self.inner.opts.backoff_cap;
        for n in &rebuild {
            b.get(n);
        }
        for (n, cached) in std::mem::take(&mut b.built) {
            let refreshes_itself = new
                .profiles
                .get(&n)
                .is_none_or(|p| p.profile_type().refreshes_itself());
            slots.insert(n.clone(), self.spawn(n, cached, refreshes_itself));
        }
        drop(slots);
        drop(b);
        let first = old.profiles.is_empty() && old.active.is_none();
        let active = new.active.clone();
        // Moved, not copied: with 10,000 profiles a copy is ~5 MiB.
        *write(&self.inner.profiles) = new;
        self.inner.active.send_replace(active);
        let now = self.inner.ctx.clock.now();
        if !first {
            self.inner.bus.emit(
                now,
                None,
                EventKind::ConfigReloaded,
                format!(
                    "profiles reloaded: {} rebuilt, {} removed",
                    rebuild.len(),
                    removed.len()
                ),
            );
        }
    }

    /// The profiles the engine runs.
    pub fn profiles(&self) -> ProfilesFile {
        read(&self.inner.profiles).clone()
    }

    /// Stop every task. Credentials are no longer served afterwards.
    pub async fn shutdown(&self) {
        self.inner.shut_down.store(true, Ordering::Relaxed);
        let mut slots: Vec<Slot> = write(&self.inner.slots).drain().map(|(_, s)| s).collect();
        for s in &slots {
            s.task.abort();
        }
        for s in &mut slots {
            let _ = (&mut s.task).await;
        }
    }

    fn spawn(
        &self,
        name: ProfileName,
        cached: Arc<CachedProvider>,
        refreshes_itself: bool,
    ) -> Slot {
        let (state_tx, state_rx) = watch::channel(ProfileState::Idle);
        let refresh = Arc::new(tokio::sync::Notify::new());
        let worker = Worker {
            name: name.to_string(),
            cached: cached.clone(),
            state: state_tx,
            bus: self.inner.bus.clone(),
            clock: self.inner.ctx.clock.clone(),
            stats: self.inner.stats.clone(),
            refresh: refresh.clone(),
            eager: self.inner.opts.eager,
            refreshes_itself,
        };
        Slot {
            cached,
            state: state_rx,
            refresh,
            // The engine's runtime, not the caller's: reload may be called from
            // any thread (the tray's menu runs on the GUI thread).
            task: self.inner.runtime.spawn(worker.run()),
        }
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

fn lock<T>(l: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    l.lock().unwrap_or_else(|p| p.into_inner())
}
