//! The agent's `status` file for `alicred prompt`, on tokio's paused clock:
//! news (a failure, a recovery, another active profile) is written within a
//! second; a routine renewal of a profile already shown with a session waits
//! up to `RENEWAL_COALESCE`, and until then the file shows the session
//! before (less time left, never more).

mod common;

use alicred_core::clock::Clock;
use alicred_core::engine::{Engine, EngineOptions, EventKind, TokioClock};
use alicred_core::paths::Paths;
use alicred_core::status_file::{self, Entry, RENEWAL_COALESCE};
use chrono::{DateTime, Duration as CDuration, Utc};
use common::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("t")
        .with_timezone(&Utc)
}

fn line(paths: &Paths, profile: &str) -> Entry {
    status_file::lookup(&paths.status_file(), Some(profile)).expect("a line for the profile")
}

#[tokio::test(start_paused = true)]
async fn renewals_are_gathered_news_is_written_at_once() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(t0()));
    let script: HashMap<String, Arc<Scripted>> = [("a", 1), ("b", 2)]
        .into_iter()
        .map(|(n, h)| {
            let s = Scripted::new(n, clock.clone(), Some(CDuration::hours(h)));
            (n.to_string(), s)
        })
        .collect();
    let engine = Engine::start_with(
        profiles(vec![access_key("a"), access_key("b")], Some("a")),
        ctx(clock.clone()),
        factory(script.clone()),
        EngineOptions {
            rng: Arc::new(|| 0.5),
            ..EngineOptions::default()
        },
    );
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::new(dir.path());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let writer = status_file::spawn_writer(paths.clone(), engine.clone(), stop_rx);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let first = line(&paths, "a");
    assert_eq!(first.state, "fresh");
    assert_eq!(
        status_file::lookup(&paths.status_file(), None),
        Some(first.clone())
    );

    // A routine renewal of `a` (about 35 minutes in): not written at once...
    while script["a"].calls() < 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let renewed = clock.now();
    let now_exp = |c: &Arc<dyn Clock>| (c.now() + CDuration::hours(1)).timestamp();
    assert!(first.expires.expect("expiry") > renewed.timestamp() + 60);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(line(&paths, "a"), first, "a renewal alone waits");
    // ...but within RENEWAL_COALESCE (plus one gathering step).
    tokio::time::sleep(RENEWAL_COALESCE).await;
    let after = line(&paths, "a");
    assert_eq!(after.state, "fresh");
    assert!(
        after.expires.expect("expiry") >= renewed.timestamp() + 3600 - 1
            && after.expires.expect("expiry") <= now_exp(&clock),
        "{after:?}"
    );

    // A failure is news: written within a second.
    script["b"].fail_with(Some(network_error()));
    engine.refresh(Some(&name("b"))).expect("refresh");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(line(&paths, "b").state, "degraded");

    // So is the recovery of a profile shown without a fresh session.
    script["b"].fail_with(None);
    engine.refresh(Some(&name("b"))).expect("refresh");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(line(&paths, "b").state, "fresh");

    // And another active profile.
    engine.set_active(Some(name("b")));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        status_file::lookup(&paths.status_file(), None).map(|e| e.name),
        Some("b".to_string())
    );

    // Renewals never hide news that follows them: `a` renewed, then `b`
    // fails half a second later; both are written within a second of `b`.
    script["b"].fail_with(Some(network_error()));
    engine.refresh(Some(&name("a"))).expect("refresh");
    tokio::time::sleep(Duration::from_millis(500)).await;
    engine.refresh(Some(&name("b"))).expect("refresh");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(line(&paths, "b").state, "degraded");
    assert!(line(&paths, "a").expires > after.expires);

    stop.send(true).expect("stop");
    writer.await.expect("writer ends");
    assert!(
        !paths.status_file().exists(),
        "removed when the agent stops"
    );
    engine.shutdown().await;
}

/// A renewal by a caller (the worker not in the middle of it) goes from
/// fresh to fresh: the `Refreshed` event says so; it is no state change for
/// the log, nor news for the prompt. (Under load, callers renew due profiles
/// while their workers wait for a turn: at 10,000 profiles these made the
/// status file be rewritten in full dozens of times a minute.)
#[tokio::test(start_paused = true)]
async fn a_renewal_by_a_caller_is_not_a_state_change() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(t0()));
    let script: HashMap<String, Arc<Scripted>> = [(
        "a".to_string(),
        Scripted::new("a", clock.clone(), Some(CDuration::hours(1))),
    )]
    .into_iter()
    .collect();
    let engine = Engine::start_with(
        profiles(vec![access_key("a")], Some("a")),
        ctx(clock.clone()),
        factory(script.clone()),
        EngineOptions::default(),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = engine.events_after(None).last().map(|e| e.id);
    engine.refresh_now(&name("a")).await.expect("renewed");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(script["a"].calls(), 2);
    let since: Vec<_> = engine
        .events_after(before)
        .into_iter()
        .map(|e| (e.kind, e.message))
        .collect();
    assert!(
        since.iter().any(|(k, _)| *k == EventKind::Refreshed),
        "{since:?}"
    );
    assert!(
        !since.iter().any(|(k, _)| *k == EventKind::StateChanged),
        "{since:?}"
    );
    engine.shutdown().await;
}
