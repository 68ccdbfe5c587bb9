//! Profiles whose sessions come due together do not all refresh at once:
//! scheduled refreshes wait for a turn, as first fetches do (issue 13,
//! 10,000 profiles: the refresh bursts opened thousands of connections).
//! Its own test binary: the bound is process-wide.

mod common;

use alicred_core::clock::Clock;
use alicred_core::engine::{Engine, EngineOptions, ProfileState, TokioClock, startup};
use chrono::{DateTime, Duration as CDuration, Utc};
use common::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn refreshes_due_together_take_turns() {
    let t0: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("t")
        .with_timezone(&Utc);
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(t0));
    let n = 4 * startup::FETCH_CONCURRENCY;
    let names: Vec<String> = (0..n).map(|i| format!("p{i:03}")).collect();
    let script: HashMap<String, Arc<Scripted>> = names
        .iter()
        .map(|p| {
            let s = Scripted::new(p, clock.clone(), Some(CDuration::seconds(60)));
            (p.clone(), s)
        })
        .collect();
    let engine = Engine::start_with(
        profiles(names.iter().map(|p| access_key(p)).collect(), None),
        ctx(clock.clone()),
        factory(script.clone()),
        EngineOptions {
            rng: Arc::new(|| 0.5),
            ..EngineOptions::default()
        },
    );
    // First fetches take no time: all sessions start, and come due, together.
    for p in &names {
        let mut w = engine.watch_state(&name(p)).expect("profile");
        w.wait_for(|s| matches!(s, ProfileState::Fresh { .. }))
            .await
            .expect("fresh");
    }
    let started = clock.now();
    // Refreshes take 2 s each.
    for s in script.values() {
        *s.delay.lock().expect("lock") = Duration::from_secs(2);
    }
    tokio::time::sleep(Duration::from_secs(45)).await;

    let starts: Vec<DateTime<Utc>> = script
        .values()
        .flat_map(|s| s.times())
        .filter(|t| *t > started)
        .collect();
    assert_eq!(starts.len(), n, "every profile refreshed once: {starts:?}");
    let most_at_once = starts
        .iter()
        .map(|t| {
            starts
                .iter()
                .filter(|u| **u >= *t && **u < *t + CDuration::seconds(2))
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(
        most_at_once <= startup::FETCH_CONCURRENCY,
        "{most_at_once} refreshes in flight at once (bound {})",
        startup::FETCH_CONCURRENCY
    );
    // Nobody was served expired credentials meanwhile.
    for p in &names {
        let c = engine.credentials(&name(p)).await.expect("creds");
        assert!(c.expiration.expect("exp") - clock.now() > CDuration::seconds(5));
    }
    engine.shutdown().await;
}
