//! The end of a grace period: the old key of a rotation waits `Inactive`
//! (`awaiting-delete`) until its `delete_after`, then the running agent or
//! app deletes it by itself, with no restart. The rotation loop
//! ([`Rotator::spawn_due_checks`]) wakes at the earliest `delete_after`.

use super::journal::Step;
use super::{RotationProgress, Rotator};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Only when the journal directory cannot be watched: how often the loop
/// looks for grace periods another process (`alicred rotate`) started.
pub const GRACE_POLL: Duration = Duration::from_secs(60);

impl Rotator {
    /// Delete every old key whose grace period is over (through the usual
    /// resume path, with its guards). Returns the earliest `delete_after`
    /// still in the future, if any.
    pub async fn finish_due_deletions(&self) -> Option<DateTime<Utc>> {
        let names = match self.journals().profiles() {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("cannot list rotation journals: {e}");
                return None;
            }
        };
        let mut next: Option<DateTime<Utc>> = None;
        for name in names {
            let Ok(Some(j)) = self.journals().load(&name) else {
                continue;
            };
            let Some(at) = j.delete_after.filter(|_| j.step == Step::AwaitingDelete) else {
                continue;
            };
            if self.ctx.clock.now() < at {
                next = Some(next.map_or(at, |n| n.min(at)));
                continue;
            }
            let mut log =
                |p: RotationProgress| tracing::info!("rotation of {}: {}", p.profile, p.message);
            match self.resume(&name, &mut log).await {
                Some(Ok(rep)) => tracing::info!("rotation of {name}: {}", rep.message),
                Some(Err(e)) => tracing::warn!("rotation of {name}: {e}"),
                None => {}
            }
        }
        next
    }
}

/// How long to sleep: until the next deletion is due, the next age check,
/// or `poll`, whichever comes first (never less than 100 ms).
pub(crate) fn next_wake(
    now: DateTime<Utc>,
    next_delete: Option<DateTime<Utc>>,
    until_check: Duration,
    poll: Duration,
) -> Duration {
    let mut wait = until_check.min(poll);
    if let Some(at) = next_delete {
        let d = (at - now).to_std().unwrap_or(Duration::ZERO);
        wait = wait.min(d);
    }
    wait.max(Duration::from_millis(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_for_the_earliest_due_time() {
        let now = Utc::now();
        let hour = Duration::from_secs(3600);
        let soon = now + chrono::Duration::seconds(5);
        assert_eq!(
            next_wake(now, Some(soon), hour, GRACE_POLL),
            Duration::from_secs(5)
        );
        assert_eq!(next_wake(now, None, hour, GRACE_POLL), GRACE_POLL);
        assert_eq!(
            next_wake(
                now,
                Some(now - chrono::Duration::seconds(9)),
                hour,
                GRACE_POLL
            ),
            Duration::from_millis(100)
        );
    }
}
