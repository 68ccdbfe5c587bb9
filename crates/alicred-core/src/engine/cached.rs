//! `CachedProvider`: serves a provider's credentials from a cache while they
//! are valid and not due, fetches otherwise; one fetch at a time
//! (single-flight); never returns expired credentials; on failure keeps
//! serving a still-valid cache and records the error and the back-off.

use super::events::EventBus;
use super::persist::SessionStore;
use super::policy;
use super::state::EventData;
pub use super::status::key_hint;
use crate::clock::Clock;
use crate::credentials::{Credentials, format_expiration};
use crate::providers::{Provider, ProviderError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// A uniform random number in `[0, 1)`; injectable for tests.
pub type Rng = Arc<dyn Fn() -> f64 + Send + Sync>;

/// What the cache knows, without the secret.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CacheMeta {
    pub has_credentials: bool,
    pub issued_at: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub access_key_id_hint: Option<String>,
    /// Next planned refresh (`None` for long-term keys or nothing cached).
    pub refresh_at: Option<DateTime<Utc>>,
    /// Next retry after a failure.
    pub retry_at: Option<DateTime<Utc>>,
    pub last_refresh: Option<DateTime<Utc>>,
    pub last_error: Option<ProviderError>,
    /// Consecutive failures (0 after a success).
    pub failures: u32,
    pub refreshing: bool,
    /// Fetch attempts so far.
    pub attempts: u64,
}

impl CacheMeta {
    /// When the next fetch should start, if any.
    pub fn next_attempt(&self) -> Option<DateTime<Utc>> {
        if self.failures > 0 {
            self.retry_at
        } else {
            self.refresh_at
        }
    }
}

#[derive(Default)]
struct Cache {
    creds: Option<Credentials>,
    meta: CacheMeta,
    /// Bumped by `invalidate`; a fetch that started before is discarded.
    epoch: u64,
}

pub struct CachedProvider {
    name: String,
    inner: Arc<dyn Provider>,
    clock: Arc<dyn Clock>,
    rng: Rng,
    backoff_cap: chrono::Duration,
    bus: Option<Arc<EventBus>>,
    persist: Option<SessionStore>,
    cache: Mutex<Cache>,
    flight: tokio::sync::Mutex<()>,
    changed: watch::Sender<u64>,
}

impl std::fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedProvider")
            .field("name", &self.name)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl CachedProvider {
    pub fn new(name: impl Into<String>, inner: Arc<dyn Provider>, clock: Arc<dyn Clock>) -> Self {
        Self {
            name: name.into(),
            inner,
            clock,
            rng: Arc::new(rand::random::<f64>),
            backoff_cap: policy::BACKOFF_CAP,
            bus: None,
            persist: None,
            cache: Mutex::new(Cache::default()),
            flight: tokio::sync::Mutex::new(()),
            changed: watch::channel(0).0,
        }
    }

    pub fn with_bus(mut self, bus: Arc<EventBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    pub fn with_rng(mut self, rng: Rng) -> Self {
        self.rng = rng;
        self
    }

    /// Longest retry delay (an upstream's `Retry-After` aside).
    pub fn with_backoff_cap(mut self, cap: chrono::Duration) -> Self {
        self.backoff_cap = cap;
        self
    }

    /// Keep sessions in the keyring and start from the saved one ([`Self::restore`]).
    pub fn with_persistence(mut self, store: Option<SessionStore>) -> Self {
        self.persist = store;
        self
    }

    /// Seed an empty cache with the session saved in the keyring, if it is
    /// for this chain, valid and not yet due. Returns whether it did.
    pub async fn restore(&self) -> bool {
        let Some(store) = self.persist.clone() else {
            return false;
        };
        let epoch = self.lock().epoch;
        let Ok(Some(cr)) = tokio::task::spawn_blocking(move || store.load()).await else {
            return false;
        };
        let now = self.clock.now();
        let refresh_at = policy::next_refresh(&cr, now, (self.rng)());
        if !policy::serveable(&cr, now) || policy::due(refresh_at, now) {
            return false;
        }
        let Some(exp) = cr.expiration else {
            return false;
        };
        {
            let mut c = self.lock();
            if c.creds.is_some() || c.epoch != epoch || c.meta.refreshing {
                return false;
            }
            let m = &mut c.meta;
            m.has_credentials = true;
            m.issued_at = Some(cr.issued_at);
            m.expires = cr.expiration;
            m.access_key_id_hint = Some(key_hint(&cr.access_key_id));
            m.refresh_at = refresh_at;
            c.creds = Some(cr);
        }
        self.changed.send_modify(|v| *v += 1);
        if let Some(bus) = &self.bus {
            bus.emit_data(
                now,
                Some(&self.name),
                EventData::Refreshed {
                    expires: Some(exp),
                    restored: true,
                },
                format!(
                    "restored the saved session from the keyring; expires at {}",
                    format_expiration(exp)
                ),
            );
        }
        true
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn inner(&self) -> &Arc<dyn Provider> {
        &self.inner
    }

    /// Bumped after every fetch attempt and invalidation.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub fn meta(&self) -> CacheMeta {
        self.lock().meta.clone()
    }

    /// The cached credentials if they may be handed out now.
    pub fn current(&self) -> Option<Credentials> {
        let now = self.clock.now();
        self.lock()
            .creds
            .as_ref()
            .filter(|c| policy::serveable(c, now))
            .cloned()
    }

    /// `f` of the credentials that may be handed out now, under the cache's
    /// lock and without copying them (the endpoint writes its body so).
    pub fn with_current<T>(&self, f: impl FnOnce(&Credentials, DateTime<Utc>) -> T) -> Option<T> {
        let now = self.clock.now();
        let c = self.lock();
        c.creds
            .as_ref()
            .filter(|c| policy::serveable(c, now))
            .map(|cr| f(cr, now))
    }

    /// When the credentials that may be handed out now expire: `None` when
    /// there are none, `Some(None)` for long-term ones. [`Self::current`]
    /// without copying the secrets (the worker asks on every wake-up).
    pub fn serving_expiry(&self) -> Option<Option<DateTime<Utc>>> {
        let now = self.clock.now();
        self.lock()
            .creds
            .as_ref()
            .filter(|c| policy::serveable(c, now))
            .map(|c| c.expiration)
    }

    /// Fetch attempts so far ([`CacheMeta::attempts`] without a copy of the rest).
    pub fn attempts(&self) -> u64 {
        self.lock().meta.attempts
    }

    /// `f` of the metadata, read in place rather than copied.
    pub fn with_meta<R>(&self, f: impl FnOnce(&CacheMeta) -> R) -> R {
        f(&self.lock().meta)
    }

    /// Drop the cached credentials (e.g. the source key was rotated).
    pub fn invalidate(&self) {
        {
            let mut c = self.lock();
            c.epoch += 1;
            c.creds = None;
            let attempts = c.meta.attempts;
            c.meta = CacheMeta {
                attempts,
                ..CacheMeta::default()
            };
        }
        if let Some(store) = self.persist.clone() {
            store.bump();
            background(move || store.forget());
        }
        self.changed.send_modify(|v| *v += 1);
    }

    /// Fetch now, even if the cache is fresh (unless another fetch finished
    /// while this one waited its turn). Returns what would be handed out.
    pub async fn refresh(&self) -> Result<Credentials, ProviderError> {
        let seen = self.lock().meta.attempts;
        self.fetch(seen).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn served_or(&self, err: ProviderError) -> Result<Credentials, ProviderError> {
        self.current().ok_or(err)
    }

    async fn fetch(&self, seen: u64) -> Result<Credentials, ProviderError> {
        let _turn = self.flight.lock().await;
        let epoch = {
            let mut c = self.lock();
            if c.meta.attempts != seen {
                // Someone else fetched while we waited: share their result.
                let err = c.meta.last_error.clone();
                drop(c);
                return match err {
                    Some(e) => self.served_or(e),
                    None => self.served_or(not_cached()),
                };
            }
            c.meta.refreshing = true;
            c.epoch
        };
        self.changed.send_modify(|v| *v += 1);
        let generation = self.persist.as_ref().map(SessionStore::generation);
        let mut in_flight = InFlight {
            owner: self,
            armed: true,
        };
        // A provider that panics (a bug, or a server's value no check foresaw)
        // is an error like any other: recorded, retried with back-off, and
        // the worker and a caller waiting on this fetch carry on.
        let result = super::worker::catch_panic(self.inner.retrieve())
            .await
            .unwrap_or_else(|()| {
                Err(ProviderError::Internal(format!(
                    "refreshing from {} stopped on an internal error (a bug in alicred); retrying",
                    self.inner.describe()
                )))
            });
        in_flight.armed = false;
        let now = self.clock.now();
        let result = result.and_then(|cr| {
            if policy::serveable(&cr, now) {
                Ok(cr)
            } else {
                Err(ProviderError::AlreadyExpired {
                    service: self.inner.describe(),
                    expiration: cr.expiration.map(format_expiration).unwrap_or_default(),
                })
            }
        });
        let event = {
            let mut c = self.lock();
            c.meta.refreshing = false;
            c.meta.attempts += 1;
            if c.epoch != epoch {
                None // invalidated meanwhile: the result belongs to the old source
            } else {
                Some(self.record(&mut c, &result, now))
            }
        };
        self.changed.send_modify(|v| *v += 1);
        if let (Some(_), Ok(cr), Some(store), Some(g)) =
            (&event, &result, self.persist.clone(), generation)
        {
            let cr = cr.clone();
            background(move || store.save(&cr, g));
        }
        if let (Some((data, msg)), Some(bus)) = (event, &self.bus) {
            bus.emit_data(now, Some(&self.name), data, msg);
        }
        match result {
            Ok(cr) => Ok(cr),
            Err(e) => self.served_or(e),
        }
    }

    fn record(
        &self,
        c: &mut Cache,
        result: &Result<Credentials, ProviderError>,
        now: DateTime<Utc>,
    ) -> (EventData, String) {
        match result {
            Ok(cr) => {
                let m = &mut c.meta;
                // The same credentials again (a pasted token): their lifetime
                // started when first seen, not now.
                let mut kept = cr.clone();
                if kept.expiration.is_some() && kept.expiration == m.expires {
                    kept.issued_at = m.issued_at.unwrap_or(kept.issued_at).min(kept.issued_at);
                }
                let cr = &kept;
                m.has_credentials = true;
                m.issued_at = Some(cr.issued_at);
                m.expires = cr.expiration;
                m.access_key_id_hint = Some(key_hint(&cr.access_key_id));
                m.refresh_at = policy::next_refresh(cr, now, (self.rng)());
                m.retry_at = None;
                m.last_refresh = Some(now);
                m.last_error = None;
                m.failures = 0;
                let expires = cr.expiration;
                c.creds = Some(kept);
                let msg = match expires {
                    Some(e) => format!("refreshed; expires at {}", format_expiration(e)),
                    None => "loaded long-term credentials".to_string(),
                };
                let data = EventData::Refreshed {
                    expires,
                    restored: false,
                };
                (data, msg)
            }
            Err(e) => {
                let m = &mut c.meta;
                m.failures = m.failures.saturating_add(1);
                let delay = if e.is_transient() {
                    policy::backoff(m.failures, (self.rng)(), e.retry_after(), self.backoff_cap)
                } else {
                    self.backoff_cap
                };
                let serving = c.creds.as_ref().filter(|cr| policy::serveable(cr, now));
                let retry_at = policy::retry_before_lapse(
                    now + delay,
                    now,
                    serving.and_then(|cr| cr.expiration),
                    e.retry_after().is_some(),
                );
                m.retry_at = Some(retry_at);
                m.last_error = Some(e.clone());
                let tail = match serving.and_then(|cr| cr.expiration) {
                    Some(exp) => format!(
                        "; serving cached credentials until {}",
                        format_expiration(exp)
                    ),
                    None if serving.is_some() => "; serving the cached key".to_string(),
                    None => String::new(),
                };
                let msg = format!(
                    "refresh failed: {e}; retrying at {}{tail}",
                    format_expiration(retry_at)
                );
                let data = EventData::RefreshFailed {
                    error: e.to_string(),
                    transient: e.is_transient(),
                    retry_at,
                    serving: serving.is_some(),
                };
                (data, msg)
            }
        }
    }
}

/// Clears `refreshing` if a fetch is cancelled (its caller went away), so
/// the worker and the next caller do not wait for it forever.
struct InFlight<'a> {
    owner: &'a CachedProvider,
    armed: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.owner.lock().meta.refreshing = false;
            self.owner.changed.send_modify(|v| *v += 1);
        }
    }
}

/// Keyring calls block: run them off the async threads, when there is a runtime.
fn background(f: impl FnOnce() + Send + 'static) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn_blocking(f);
    }
}

fn not_cached() -> ProviderError {
    ProviderError::Config("credentials were dropped while fetching; try again".into())
}

#[async_trait]
impl Provider for CachedProvider {
    /// Cached credentials while valid and not due; otherwise fetch (shared
    /// with concurrent callers). Respects the back-off after a failure.
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let now = self.clock.now();
        let seen = {
            let c = self.lock();
            let serving = c.creds.as_ref().filter(|cr| policy::serveable(cr, now));
            let m = &c.meta;
            let backing_off = m.failures > 0 && m.retry_at.is_some_and(|r| r > now);
            if let Some(cr) = serving
                && (!policy::due(m.refresh_at, now) || backing_off || m.refreshing)
            {
                return Ok(cr.clone());
            }
            if serving.is_none()
                && backing_off
                && !m.refreshing
                && let Some(e) = &m.last_error
            {
                return Err(e.clone());
            }
            m.attempts
        };
        self.fetch(seen).await
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn info(&self) -> Option<crate::providers::ProviderInfo> {
        self.inner.info()
    }
}
