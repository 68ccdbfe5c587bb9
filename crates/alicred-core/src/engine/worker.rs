//! One task per profile, driven by timers: it sleeps until the next refresh,
//! retry, warning or expiry, or until told (refresh now, shutdown) or until
//! its cache changed under it (a chained profile or a caller fetched).

use super::cached::CachedProvider;
use super::events::EventBus;
use super::policy;
use super::state::{EventData, EventKind, ProfileState};
use super::status::{derive_state, expiring_soon_at};
use crate::clock::Clock;
use crate::credentials::format_expiration;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::watch;

/// Longest single sleep: a laptop that was suspended catches up within this.
pub const MAX_SLEEP: Duration = Duration::minutes(15);
/// A timer that fires this close before its deadline counts as on time.
const TOLERANCE: Duration = Duration::milliseconds(100);

/// Counters for the benchmark and the diagnostics page.
#[derive(Debug, Default)]
pub struct Stats {
    pub timer_wakeups: AtomicU64,
    /// Timer wake-ups that found nothing to do.
    pub idle_wakeups: AtomicU64,
    pub fetches: AtomicU64,
}

pub struct Worker {
    pub name: String,
    pub cached: Arc<CachedProvider>,
    pub state: watch::Sender<ProfileState>,
    pub bus: Arc<EventBus>,
    pub clock: Arc<dyn Clock>,
    pub stats: Arc<Stats>,
    /// Woken when a refresh is asked for ([`super::Engine::refresh`]).
    pub refresh: Arc<tokio::sync::Notify>,
    /// Fetch as soon as nothing is cached (else wait for the first caller).
    pub eager: bool,
    /// The profile's type renews itself (see `ProfileType::refreshes_itself`).
    pub refreshes_itself: bool,
}

impl Worker {
    /// Serves the profile until the engine drops it. A panic in the loop
    /// (a bug) does not end the profile's refreshes, as it did when a
    /// server's `expires_in` overflowed (issue 18): the worker reports it
    /// and starts again after a back-off.
    pub async fn run(mut self) {
        let mut panics: u32 = 0;
        loop {
            if catch_panic(self.serve()).await.is_ok() {
                return;
            }
            panics = panics.saturating_add(1);
            let delay = policy::backoff(panics, rand::random(), None, policy::BACKOFF_CAP);
            let now = self.clock.now();
            let error = format!(
                "the refresh loop stopped on an internal error (a bug in alicred); restarting it in {} s",
                delay.num_seconds().max(1)
            );
            self.bus.emit(
                now,
                Some(&self.name),
                EventKind::RefreshFailed,
                error.clone(),
            );
            let serving = self.cached.serving_expiry();
            let state = match serving {
                Some(expires) => ProfileState::Degraded {
                    error,
                    retry_at: crate::clamp::after(now, delay),
                    expires,
                },
                None => ProfileState::Expired { error },
            };
            self.publish(state, now);
            tokio::time::sleep(delay.to_std().unwrap_or_default()).await;
        }
    }

    async fn serve(&mut self) {
        let mut changed = self.cached.subscribe();
        // Boxed, as the fetches below: the task keeps only a small future
        // while it sleeps, which is nearly always (10,000 profiles, 10,000 tasks).
        Box::pin(self.cached.restore()).await;
        let mut warned_for: Option<DateTime<Utc>> = None;
        loop {
            changed.borrow_and_update();
            let now = self.clock.now();
            let meta = self.cached.meta();
            // The expiry of what is served, not a copy of the secrets.
            let serving = self.cached.serving_expiry();
            self.publish(derive_state(&meta, serving, now), now);

            let nothing_yet = !meta.has_credentials && meta.last_error.is_none();
            let due = meta.next_attempt().is_some_and(|t| t <= now + TOLERANCE)
                || (self.eager && nothing_yet && !meta.refreshing);
            if due && !meta.refreshing {
                // Wait for a turn (engine/startup.rs); a caller may fetch meanwhile.
                let _turn = Box::pin(super::startup::turn()).await;
                if self.cached.attempts() != meta.attempts {
                    continue;
                }
                Box::pin(self.fetch(serving.flatten())).await;
                continue;
            }

            let warn_at = expiring_soon_at(&meta).filter(|_| warned_for != meta.expires);
            if let (Some(w), Some(exp)) = (warn_at, meta.expires)
                && w <= now + TOLERANCE
                && serving.is_some()
            {
                warned_for = meta.expires;
                self.bus.emit_data(
                    now,
                    Some(&self.name),
                    EventData::ExpiringSoon {
                        expires: exp,
                        refreshes_itself: self.refreshes_itself,
                    },
                    format!(
                        "credentials expire at {} and have not been renewed",
                        format_expiration(exp)
                    ),
                );
                continue;
            }

            let lapse_at = serving.flatten().map(|e| e - policy::SERVE_MARGIN);
            let deadline = [
                meta.next_attempt().filter(|_| !meta.refreshing),
                warn_at,
                lapse_at,
            ]
            .into_iter()
            .flatten()
            .min()
            .map(|d| d.min(now + MAX_SLEEP));

            let attempts_before = meta.attempts;
            let sleep = async {
                match deadline {
                    Some(d) => {
                        let wait = (d - now).to_std().unwrap_or_default();
                        tokio::time::sleep(wait).await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = sleep => {
                    self.stats.timer_wakeups.fetch_add(1, Ordering::Relaxed);
                    let now = self.clock.now();
                    let (next, attempts) = self.cached.with_meta(|m| (m.next_attempt(), m.attempts));
                    let is_due = next.is_some_and(|t| t <= now + TOLERANCE);
                    let lapsed = lapse_at.is_some_and(|t| t <= now + TOLERANCE);
                    let warn = warn_at.is_some_and(|t| t <= now + TOLERANCE);
                    // A caller may have fetched just before the timer fired.
                    let raced = attempts != attempts_before;
                    if !is_due && !lapsed && !warn && !raced {
                        self.stats.idle_wakeups.fetch_add(1, Ordering::Relaxed);
                    }
                }
                () = self.refresh.notified() => {
                    let _turn = Box::pin(super::startup::turn()).await;
                    // Requests made since this one woke the worker merge into
                    // this fetch (a stored one is taken here, not fetched again).
                    std::pin::pin!(self.refresh.notified()).enable();
                    let exp = self.cached.serving_expiry().flatten();
                    Box::pin(self.fetch(exp)).await;
                }
                r = changed.changed() => if r.is_err() { return },
            }
        }
    }

    async fn fetch(&mut self, expires: Option<DateTime<Utc>>) {
        self.publish(ProfileState::Refreshing { expires }, self.clock.now());
        self.stats.fetches.fetch_add(1, Ordering::Relaxed);
        // The outcome lands in the cache's metadata; the loop reads it.
        let _ = self.cached.refresh().await;
    }

    fn publish(&self, new: ProfileState, now: DateTime<Utc>) {
        let old = self.state.borrow().clone();
        if old == new {
            return;
        }
        // Stored first: whoever hears of the change reads the new state.
        self.state.send_replace(new.clone());
        self.bus.state_changed(&self.name);
        // "Refreshing" flickers on every refresh, and a renewal by a caller
        // goes from fresh to fresh: the `Refreshed` event tells both, so
        // keep them off the log (and out of the prompt's news).
        let quiet = matches!(new, ProfileState::Refreshing { .. })
            || (matches!(
                old,
                ProfileState::Refreshing { .. } | ProfileState::Fresh { .. }
            ) && matches!(new, ProfileState::Fresh { .. }));
        if !quiet {
            self.bus.emit(
                now,
                Some(&self.name),
                EventKind::StateChanged,
                format!("{} -> {}", old.kind_str(), new.kind_str()),
            );
        }
        if let ProfileState::NeedsUser { why } = &new
            && !matches!(old, ProfileState::NeedsUser { .. })
        {
            self.bus.emit_data(
                now,
                Some(&self.name),
                EventData::NeedsUser { why: why.clone() },
                why.clone(),
            );
        }
    }
}

/// `f`, with a panic while it is polled turned into `Err(())` (the panic
/// hook has already printed it). The future is boxed: callers keep only a
/// pointer while it sleeps.
pub(crate) fn catch_panic<F: std::future::Future>(f: F) -> CatchPanic<F> {
    CatchPanic(Box::pin(f))
}

pub(crate) struct CatchPanic<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(Err(())),
        }
    }
}
