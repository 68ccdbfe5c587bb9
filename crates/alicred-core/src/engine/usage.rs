//! Who was handed a profile's credentials, and how often: the counts the
//! endpoint feeds and the dashboard shows ("used by"), and when a new count
//! is worth announcing.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Keep at most this many consumers per profile (the most recent).
pub const MAX_CONSUMERS: usize = 32;

/// A local process that was handed credentials.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ConsumerId {
    pub pid: u32,
    pub exe: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Consumer {
    pub pid: u32,
    pub exe: String,
    pub count: u64,
    pub last_seen: DateTime<Utc>,
}

/// Hand-out accounting of one profile.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub handouts: u64,
    pub consumers: Vec<Consumer>,
    /// When the count was last announced, and whether a later announcement
    /// is already scheduled ([`Usage::announce`]).
    announced: Option<DateTime<Utc>>,
    trailing: bool,
}

/// Hand-out counts are announced at most this often per profile: a tool
/// asking a hundred times a second makes one push a second, not a hundred.
pub const USAGE_ANNOUNCE_EVERY: chrono::Duration = chrono::Duration::seconds(1);

/// What to do about a new hand-out count.
#[derive(Debug, PartialEq, Eq)]
pub enum Announce {
    Now,
    /// Once this much time has passed (the count at that moment).
    After(chrono::Duration),
    /// A later announcement is scheduled already.
    Scheduled,
}

impl Usage {
    /// Whether the count should be announced now, later, or is already to be.
    pub fn announce(&mut self, now: DateTime<Utc>) -> Announce {
        match self.announced {
            Some(t) if now >= t && now - t < USAGE_ANNOUNCE_EVERY => {
                if self.trailing {
                    Announce::Scheduled
                } else {
                    self.trailing = true;
                    Announce::After(USAGE_ANNOUNCE_EVERY - (now - t))
                }
            }
            _ => {
                self.announced = Some(now);
                Announce::Now
            }
        }
    }

    /// The scheduled announcement is made now.
    pub fn announced_late(&mut self, now: DateTime<Utc>) {
        self.trailing = false;
        self.announced = Some(now);
    }

    /// Count one hand-out to `who`; true when this consumer is new.
    pub fn note_consumer(&mut self, who: &ConsumerId, at: DateTime<Utc>) -> bool {
        if let Some(c) = self
            .consumers
            .iter_mut()
            .find(|c| c.pid == who.pid && c.exe == who.exe)
        {
            c.count += 1;
            c.last_seen = at;
            return false;
        }
        if self.consumers.len() >= MAX_CONSUMERS
            && let Some((i, _)) = self
                .consumers
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.last_seen)
        {
            self.consumers.remove(i);
        }
        self.consumers.push(Consumer {
            pid: who.pid,
            exe: who.exe.clone(),
            count: 1,
            last_seen: at,
        });
        true
    }
}
