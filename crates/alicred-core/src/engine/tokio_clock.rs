//! A wall clock that follows tokio's clock, so tests using
//! `tokio::time::pause()` move credentials' expiry and the timers together.

use crate::clock::Clock;
use chrono::{DateTime, Utc};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    wall: DateTime<Utc>,
    mono: Instant,
}

impl TokioClock {
    /// Starts at `wall` now (by tokio's clock) and advances with it.
    pub fn starting_at(wall: DateTime<Utc>) -> Self {
        Self {
            wall,
            mono: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let d = Instant::now().saturating_duration_since(self.mono);
        self.wall + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::zero())
    }
}
