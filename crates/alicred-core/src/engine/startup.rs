//! No stampede: an agent with thousands of profiles would otherwise open
//! thousands of AssumeRole requests in its first millisecond, and again each
//! time their sessions come due together (profiles fetched in the same
//! second at start are due in the same second one session later). Every
//! fetch a worker starts by itself (the first one, scheduled refreshes,
//! refresh requests) takes a turn here; callers asking for credentials do
//! not wait (they fetch at once when nothing valid is cached).

use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Worker fetches in flight at once, across the process. Enough to keep the
/// upstream busy (a fetch is one round trip; ~3,000 a second on loopback),
/// few enough to stay polite and to keep the connection pool small.
pub const FETCH_CONCURRENCY: usize = 16;

static TURNS: Semaphore = Semaphore::const_new(FETCH_CONCURRENCY);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// A turn at a fetch; the next worker goes when it is dropped.
pub struct Turn {
    _permit: Option<SemaphorePermit<'static>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Wait for a turn.
pub async fn turn() -> Turn {
    // The semaphore is never closed, so this only errs in theory; going
    // ahead then is better than never fetching.
    let permit = TURNS.acquire().await.ok();
    let now = IN_FLIGHT.fetch_add(1, Ordering::Relaxed) + 1;
    PEAK.fetch_max(now, Ordering::Relaxed);
    Turn { _permit: permit }
}

/// The most worker fetches ever in flight at once (for the load benchmark).
pub fn peak_fetches() -> usize {
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
                    let _t = turn().await;
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        let peak = peak_fetches();
        assert!((2..=FETCH_CONCURRENCY).contains(&peak), "peak {peak}");
    }
}
