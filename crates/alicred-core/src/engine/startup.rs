//! Start-up without a stampede: an agent with thousands of profiles would
//! otherwise open thousands of AssumeRole requests in its first millisecond.
//! Workers take a turn here before their first fetch; callers asking for
//! credentials do not wait (they fetch at once), and neither do refreshes,
//! which the jittered schedule already spreads out.

use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

/// First fetches in flight at once, across the process. Enough to keep the
/// upstream busy (a fetch is one round trip), few enough to stay polite.
pub const FIRST_FETCH_CONCURRENCY: usize = 16;

static TURNS: Semaphore = Semaphore::const_new(FIRST_FETCH_CONCURRENCY);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// A turn at a first fetch; the next worker goes when it is dropped.
pub struct FirstFetch {
    _permit: Option<SemaphorePermit<'static>>,
}

impl Drop for FirstFetch {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Wait for a turn.
pub async fn first_fetch() -> FirstFetch {
    // The semaphore is never closed, so this only errs in theory; going
    // ahead then is better than never fetching.
    let permit = TURNS.acquire().await.ok();
    let now = IN_FLIGHT.fetch_add(1, Ordering::Relaxed) + 1;
    PEAK.fetch_max(now, Ordering::Relaxed);
    FirstFetch { _permit: permit }
}

/// The most first fetches ever in flight at once (for the load benchmark).
pub fn peak_first_fetches() -> usize {
    PEAK.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_bound_at_once() {
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                tokio::spawn(async {
                    let _t = first_fetch().await;
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        let peak = peak_first_fetches();
        assert!((2..=FIRST_FETCH_CONCURRENCY).contains(&peak), "peak {peak}");
    }
}
