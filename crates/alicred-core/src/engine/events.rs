//! The event bus: a `broadcast` for live listeners, a bounded in-memory log
//! and a 24-hour per-profile timeline (10-minute buckets) for the dashboard.

use super::state::{Event, EventData, EventKind};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::broadcast;

pub const LOG_CAPACITY: usize = 2_000;
pub const BUCKET: Duration = Duration::minutes(10);
pub const TIMELINE_SPAN: Duration = Duration::hours(24);

/// Counts for one 10-minute slice of one profile's day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TimelineBucket {
    pub start: DateTime<Utc>,
    pub refreshes: u32,
    pub failures: u32,
    pub handouts: u32,
}

#[derive(Debug)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
    /// Names of profiles whose state (or hand-out count) changed, sent after
    /// the new value is stored: quiet changes (fresh → refreshing → fresh, a
    /// hand-out) are not logged, but whoever shows them must still hear.
    states: broadcast::Sender<String>,
    next_id: AtomicU64,
    log: Mutex<VecDeque<Event>>,
    timelines: Mutex<HashMap<String, VecDeque<TimelineBucket>>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Self {
            tx,
            states: broadcast::channel(1024).0,
            next_id: AtomicU64::new(1),
            log: Mutex::new(VecDeque::with_capacity(256)),
            timelines: Mutex::new(HashMap::new()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Names of profiles whose state changed, from now on.
    pub fn subscribe_states(&self) -> broadcast::Receiver<String> {
        self.states.subscribe()
    }

    /// `profile`'s new state (or count) is stored: tell the state listeners.
    pub fn state_changed(&self, profile: &str) {
        // No receivers is fine.
        let _ = self.states.send(profile.to_owned());
    }

    /// Record and broadcast one event with no facts beyond its kind.
    pub fn emit(
        &self,
        at: DateTime<Utc>,
        profile: Option<&str>,
        kind: EventKind,
        message: impl Into<String>,
    ) -> Event {
        self.record(at, profile, kind, EventData::None, message.into())
    }

    /// Record and broadcast one event with its facts; the kind follows them.
    pub fn emit_data(
        &self,
        at: DateTime<Utc>,
        profile: Option<&str>,
        data: EventData,
        message: impl Into<String>,
    ) -> Event {
        let kind = data.kind().unwrap_or(EventKind::Agent);
        self.record(at, profile, kind, data, message.into())
    }

    fn record(
        &self,
        at: DateTime<Utc>,
        profile: Option<&str>,
        kind: EventKind,
        data: EventData,
        message: String,
    ) -> Event {
        let ev = Event {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            at,
            profile: profile.map(str::to_owned),
            kind,
            data,
            message,
        };
        if let Ok(mut log) = self.log.lock() {
            if log.len() >= LOG_CAPACITY {
                log.pop_front();
            }
            log.push_back(ev.clone());
        }
        match kind {
            EventKind::Refreshed => self.count(profile, at, |b| b.refreshes += 1),
            EventKind::RefreshFailed => self.count(profile, at, |b| b.failures += 1),
            _ => {}
        }
        // No receivers is fine.
        let _ = self.tx.send(ev.clone());
        ev
    }

    /// A hand-out for the timeline only (hand-outs are too many to log each).
    pub fn count_handout(&self, profile: &str, at: DateTime<Utc>) {
        self.count(Some(profile), at, |b| b.handouts += 1);
    }

    /// Logged events with an id greater than `after` (all when `None`), oldest first.
    pub fn events_after(&self, after: Option<u64>) -> Vec<Event> {
        let Ok(log) = self.log.lock() else {
            return Vec::new();
        };
        log.iter()
            .filter(|e| after.is_none_or(|a| e.id > a))
            .cloned()
            .collect()
    }

    /// The last 24 h of `profile`, oldest bucket first (empty buckets omitted).
    pub fn timeline(&self, profile: &str, now: DateTime<Utc>) -> Vec<TimelineBucket> {
        let Ok(t) = self.timelines.lock() else {
            return Vec::new();
        };
        t.get(profile)
            .map(|q| {
                q.iter()
                    .filter(|b| b.start > now - TIMELINE_SPAN)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn forget(&self, profile: &str) {
        if let Ok(mut t) = self.timelines.lock() {
            t.remove(profile);
        }
    }

    fn count(&self, profile: Option<&str>, at: DateTime<Utc>, f: impl FnOnce(&mut TimelineBucket)) {
        let Some(profile) = profile else { return };
        let start = at.duration_trunc(BUCKET).unwrap_or(at);
        let Ok(mut t) = self.timelines.lock() else {
            return;
        };
        if !t.contains_key(profile) {
            t.insert(profile.to_owned(), VecDeque::new());
        }
        let Some(q) = t.get_mut(profile) else {
            return;
        };
        while q.front().is_some_and(|b| b.start <= at - TIMELINE_SPAN) {
            q.pop_front();
        }
        if q.back().is_none_or(|b| b.start != start) {
            q.push_back(TimelineBucket {
                start,
                ..Default::default()
            });
        }
        if let Some(b) = q.back_mut() {
            f(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("t")
            .with_timezone(&Utc)
    }

    #[test]
    fn log_is_bounded_and_ids_increase() {
        let bus = EventBus::new();
        let now = t("2026-01-01T00:00:00Z");
        for i in 0..(LOG_CAPACITY + 10) {
            bus.emit(now, None, EventKind::Agent, format!("e{i}"));
        }
        let all = bus.events_after(None);
        assert_eq!(all.len(), LOG_CAPACITY);
        assert_eq!(all[0].message, "e10");
        let tail = bus.events_after(Some(all[all.len() - 2].id));
        assert_eq!(tail.len(), 1);
    }

    #[test]
    fn timeline_buckets_by_ten_minutes_and_keeps_a_day() {
        let bus = EventBus::new();
        bus.emit(
            t("2026-01-01T00:01:00Z"),
            Some("p"),
            EventKind::Refreshed,
            "ok",
        );
        bus.emit(
            t("2026-01-01T00:09:59Z"),
            Some("p"),
            EventKind::RefreshFailed,
            "no",
        );
        bus.count_handout("p", t("2026-01-01T00:10:00Z"));
        let tl = bus.timeline("p", t("2026-01-01T00:15:00Z"));
        assert_eq!(tl.len(), 2);
        assert_eq!((tl[0].refreshes, tl[0].failures, tl[0].handouts), (1, 1, 0));
        assert_eq!(tl[1].handouts, 1);
        bus.count_handout("p", t("2026-01-02T00:12:00Z"));
        let tl = bus.timeline("p", t("2026-01-02T00:12:00Z"));
        assert_eq!(tl.len(), 1, "older than 24 h dropped: {tl:?}");
    }
}
