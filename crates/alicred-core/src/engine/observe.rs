//! What the engine shows: status of every profile, events, timeline,
//! counters, and the hand-out accounting the endpoint feeds.

use super::status::{self, ProfileStatus, Usage};
use super::{
    ConsumerId, Engine, EngineStats, Event, EventBus, EventKind, ProfileState, Slot,
    TimelineBucket, lock, read,
};
use crate::profile::{Profile, ProfileName};
use crate::providers::Provider;
use crate::store::config::ProfilesFile;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::broadcast;

impl Engine {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.bus.subscribe()
    }

    /// Names of profiles whose state changed (quiet changes included).
    pub fn subscribe_states(&self) -> broadcast::Receiver<String> {
        self.inner.bus.subscribe_states()
    }

    pub fn events_after(&self, after: Option<u64>) -> Vec<Event> {
        self.inner.bus.events_after(after)
    }

    pub fn timeline(&self, name: &ProfileName) -> Vec<TimelineBucket> {
        self.inner
            .bus
            .timeline(name.as_str(), self.inner.ctx.clock.now())
    }

    pub fn bus(&self) -> &Arc<EventBus> {
        &self.inner.bus
    }

    pub fn stats(&self) -> EngineStats {
        let s = &self.inner.stats;
        EngineStats {
            profiles: read(&self.inner.slots).len(),
            timer_wakeups: s.timer_wakeups.load(Ordering::Relaxed),
            idle_wakeups: s.idle_wakeups.load(Ordering::Relaxed),
            fetches: s.fetches.load(Ordering::Relaxed),
        }
    }

    /// Each profile's state, in name order, without copying the profiles
    /// (the status file is rebuilt from this on every change).
    pub fn for_each_state(&self, mut f: impl FnMut(&ProfileName, &ProfileState)) {
        let profiles = read(&self.inner.profiles);
        let slots = read(&self.inner.slots);
        for name in profiles.profiles.keys() {
            match slots.get(name) {
                Some(s) => f(name, &s.state.borrow()),
                None => f(name, &ProfileState::Idle),
            }
        }
    }

    /// Status of every profile, sorted by name.
    pub fn snapshot(&self) -> Vec<ProfileStatus> {
        // Numbered before anything is read (see `ProfileStatus::seq`).
        let seq = self.next_read();
        let profiles = read(&self.inner.profiles).clone();
        let active = self.active();
        let slots = read(&self.inner.slots);
        let usage = lock(&self.inner.usage);
        let now = self.inner.ctx.clock.now();
        profiles
            .profiles
            .iter()
            .map(|(name, p)| {
                let slot = slots.get(name);
                let u = usage.get(name).cloned().unwrap_or_default();
                status_of(name, p, &profiles, slot, u, active.as_ref(), (now, seq))
            })
            .collect()
    }

    fn next_read(&self) -> u64 {
        self.inner.reads.fetch_add(1, Ordering::SeqCst)
    }

    /// One profile's status now (what [`Engine::snapshot`] holds for it),
    /// without building everyone's: a state change pushes only its own.
    pub fn status_of(&self, name: &str) -> Option<ProfileStatus> {
        let seq = self.next_read();
        let name: ProfileName = name.parse().ok()?;
        let active = self.active();
        let profiles = read(&self.inner.profiles);
        let p = profiles.profiles.get(&name)?;
        let slots = read(&self.inner.slots);
        let u = lock(&self.inner.usage)
            .get(&name)
            .cloned()
            .unwrap_or_default();
        let now = self.inner.ctx.clock.now();
        Some(status_of(
            &name,
            p,
            &profiles,
            slots.get(&name),
            u,
            active.as_ref(),
            (now, seq),
        ))
    }

    /// Count one hand-out of `name` (the endpoint calls this).
    /// The count is announced on the states channel at most once a second
    /// ([`super::usage::USAGE_ANNOUNCE_EVERY`]); the last of a burst is announced
    /// when its second is up, so the dashboard's count ends right.
    pub fn record_handout(&self, name: &ProfileName) {
        let now = self.inner.ctx.clock.now();
        let announce = self.with_usage(name, |u| {
            u.handouts += 1;
            u.announce(now)
        });
        self.inner.bus.count_handout(name.as_str(), now);
        match announce {
            super::usage::Announce::Now => self.inner.bus.state_changed(name.as_str()),
            super::usage::Announce::After(wait) => {
                let (me, name) = (self.clone(), name.clone());
                self.inner.runtime.spawn(async move {
                    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
                    let now = me.inner.ctx.clock.now();
                    me.with_usage(&name, |u| u.announced_late(now));
                    me.inner.bus.state_changed(name.as_str());
                });
            }
            super::usage::Announce::Scheduled => {}
        }
    }

    /// Attribute a hand-out of `name` to a local process.
    pub fn note_consumer(&self, name: &ProfileName, who: &ConsumerId) {
        let now = self.inner.ctx.clock.now();
        let new = self.with_usage(name, |u| u.note_consumer(who, now));
        if new {
            self.inner.bus.emit(
                now,
                Some(name.as_str()),
                EventKind::Handout,
                format!("handed out to {} (pid {})", who.exe, who.pid),
            );
        }
    }

    /// Hot path (every hand-out): no allocation once the profile has an entry.
    fn with_usage<T>(&self, name: &ProfileName, f: impl FnOnce(&mut Usage) -> T) -> T {
        let mut usage = lock(&self.inner.usage);
        if let Some(u) = usage.get_mut(name) {
            return f(u);
        }
        f(usage.entry(name.clone()).or_default())
    }
}

/// What [`Engine::snapshot`] and [`Engine::status_of`] say about one profile.
fn status_of(
    name: &ProfileName,
    p: &Profile,
    profiles: &ProfilesFile,
    slot: Option<&Slot>,
    u: Usage,
    active: Option<&ProfileName>,
    (now, seq): (DateTime<Utc>, u64),
) -> ProfileStatus {
    let meta = slot.map(|s| s.cached.meta()).unwrap_or_default();
    let serving = slot.is_some_and(|s| s.cached.current().is_some());
    let state = slot
        .map(|s| s.state.borrow().clone().as_of(now))
        .unwrap_or(ProfileState::Idle);
    let info = slot.and_then(|s| s.cached.info());
    let (role_arn, next_rotation) = status::from_info(info.as_ref());
    let refused = status::sign_in_refused(&state, meta.last_error.as_ref());
    let sign_in = status::SignInView::of(p, refused, now);
    ProfileStatus {
        name: name.to_string(),
        r#type: p.profile_type(),
        active: active == Some(name),
        capabilities: status::Capabilities::with_sign_in(
            p.profile_type(),
            &state,
            sign_in.as_ref(),
        ),
        sign_in,
        role_arn,
        next_rotation,
        state,
        issued_at: meta.issued_at.filter(|_| serving),
        expires_at: meta.expires.filter(|_| serving),
        refresh_at: meta.next_attempt(),
        last_refresh: meta.last_refresh,
        last_error: meta.last_error.as_ref().map(|e| e.to_string()),
        access_key_id_hint: meta.access_key_id_hint.filter(|_| serving),
        chain: status::chain_of(name, profiles),
        handouts: u.handouts,
        consumers: u.consumers,
        seq,
    }
}
