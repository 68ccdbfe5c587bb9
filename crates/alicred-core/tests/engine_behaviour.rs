//! The refresh engine against a scripted provider, on tokio's paused clock.

mod common;

use alicred_core::clock::Clock;
use alicred_core::engine::{
    Engine, EngineError, EngineOptions, EventKind, ProfileState, TokioClock,
};
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

struct Rig {
    clock: Arc<dyn Clock>,
    engine: Engine,
    script: HashMap<String, Arc<Scripted>>,
}

impl Rig {
    fn s(&self, n: &str) -> &Arc<Scripted> {
        &self.script[n]
    }
    fn state(&self, n: &str) -> ProfileState {
        self.engine
            .watch_state(&name(n))
            .expect("profile")
            .borrow()
            .clone()
    }
}

fn rig(
    specs: &[(&str, Option<CDuration>)],
    list: Vec<alicred_core::profile::Profile>,
    eager: bool,
) -> Rig {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(t0()));
    let script: HashMap<String, Arc<Scripted>> = specs
        .iter()
        .map(|(n, l)| (n.to_string(), Scripted::new(n, clock.clone(), *l)))
        .collect();
    let opts = EngineOptions {
        eager,
        rng: Arc::new(|| 0.5),
        ..EngineOptions::default()
    };
    let engine = Engine::start_with(
        profiles(list, None),
        ctx(clock.clone()),
        factory(script.clone()),
        opts,
    );
    Rig {
        clock,
        engine,
        script,
    }
}

async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn sixty_second_credentials_are_never_served_expired() {
    let r = rig(
        &[("r", Some(CDuration::seconds(60)))],
        vec![access_key("r")],
        true,
    );
    let n = name("r");
    for _ in 0..600 {
        let c = r.engine.credentials(&n).await.expect("creds");
        let left = c.expiration.expect("exp") - r.clock.now();
        assert!(left > CDuration::seconds(5), "served with {left} left");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // refreshed about every 30 s (window = 30 s), by the timer, not the callers
    let calls = r.s("r").calls();
    assert!((18..=24).contains(&calls), "calls {calls}");
    let st = r.engine.stats();
    assert_eq!(st.idle_wakeups, 0, "{st:?}");
    assert!(matches!(r.state("r"), ProfileState::Fresh { .. }));
}

#[tokio::test(start_paused = true)]
async fn long_term_keys_are_fetched_once_and_never_wake_the_engine() {
    let r = rig(&[("ak", None)], vec![access_key("ak")], true);
    settle().await;
    tokio::time::sleep(Duration::from_secs(6 * 3600)).await;
    let c = r.engine.credentials(&name("ak")).await.expect("creds");
    assert_eq!(c.expiration, None);
    assert_eq!(r.s("ak").calls(), 1);
    assert_eq!(r.engine.stats().timer_wakeups, 0);
    assert_eq!(r.state("ak"), ProfileState::Fresh { expires: None });
}

#[tokio::test(start_paused = true)]
async fn failures_keep_serving_the_valid_cache_then_expire_then_recover() {
    let r = rig(
        &[("r", Some(CDuration::hours(1)))],
        vec![access_key("r")],
        true,
    );
    let n = name("r");
    let first = r.engine.credentials(&n).await.expect("creds");
    r.s("r").fail_with(Some(network_error()));
    // past the refresh time (35 min) but before expiry
    tokio::time::sleep(Duration::from_secs(40 * 60)).await;
    let still = r
        .engine
        .credentials(&n)
        .await
        .expect("cached during failure");
    assert_eq!(still.access_key_id, first.access_key_id);
    match r.state("r") {
        ProfileState::Degraded { error, expires, .. } => {
            assert!(error.contains("connection refused"), "{error}");
            assert_eq!(expires, first.expiration);
        }
        s => panic!("expected degraded, got {s:?}"),
    }
    let snap = r.engine.snapshot();
    assert!(
        snap[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("cannot reach"))
    );
    // past expiry: nothing is served, the error says why
    tokio::time::sleep(Duration::from_secs(25 * 60)).await;
    let err = r.engine.credentials(&n).await.expect_err("expired");
    assert!(matches!(err, EngineError::Expired { .. }), "{err}");
    assert!(err.to_string().contains("connection refused"), "{err}");
    assert!(matches!(r.state("r"), ProfileState::Expired { .. }));
    // the fault clears: recovered within one back-off cap, by itself
    r.s("r").fail_with(None);
    tokio::time::sleep(Duration::from_secs(5 * 60 + 1)).await;
    assert!(
        matches!(r.state("r"), ProfileState::Fresh { .. }),
        "{:?}",
        r.state("r")
    );
    let again = r.engine.credentials(&n).await.expect("recovered");
    assert_ne!(again.access_key_id, first.access_key_id);
    assert_eq!(r.engine.snapshot()[0].last_error, None);
}

#[tokio::test(start_paused = true)]
async fn back_off_grows_is_capped_and_resets_after_success() {
    let r = rig(
        &[("r", Some(CDuration::hours(1)))],
        vec![access_key("r")],
        false,
    );
    let n = name("r");
    r.s("r").fail_with(Some(network_error()));
    let e = r.engine.credentials(&n).await.expect_err("fails");
    assert!(matches!(e, EngineError::NotYetAvailable { .. }), "{e}");
    tokio::time::sleep(Duration::from_secs(30 * 60)).await;
    let times = r.s("r").times();
    let gaps: Vec<i64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_milliseconds())
        .collect();
    assert!(gaps.len() >= 8, "{gaps:?}");
    for w in gaps.windows(2) {
        assert!(w[1] >= w[0], "back-off shrank: {gaps:?}");
    }
    assert!(gaps.iter().all(|g| *g <= 300_000 + 200), "capped: {gaps:?}");
    assert!(*gaps.last().expect("gap") >= 140_000, "{gaps:?}");
    // recover; the next failure starts again at the base
    r.s("r").fail_with(None);
    tokio::time::sleep(Duration::from_secs(301)).await;
    assert!(r.engine.credentials(&n).await.is_ok());
    let meta = r.engine.cached(&n).expect("cached").meta();
    assert_eq!(meta.failures, 0);
    r.s("r").fail_with(Some(network_error()));
    let before = r.s("r").calls();
    r.engine.refresh(Some(&n)).expect("known");
    tokio::time::sleep(Duration::from_millis(1)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(r.s("r").calls() >= before + 2, "retried after ~1 s again");
}

#[tokio::test(start_paused = true)]
async fn throttling_retry_after_is_honoured() {
    let r = rig(
        &[("r", Some(CDuration::hours(1)))],
        vec![access_key("r")],
        true,
    );
    r.s("r")
        .fail_with(Some(alicred_core::providers::ProviderError::Throttled {
            service: "STS".into(),
            code: "Throttling.User".into(),
            retry_after: Some(Duration::from_secs(120)),
        }));
    settle().await;
    tokio::time::sleep(Duration::from_secs(119)).await;
    assert_eq!(r.s("r").calls(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(r.s("r").calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn needs_user_says_why() {
    let r = rig(
        &[("t", Some(CDuration::hours(1)))],
        vec![access_key("t")],
        true,
    );
    r.s("t")
        .fail_with(Some(alicred_core::providers::ProviderError::NeedsUser(
            "the STS token expired; paste a new one".into(),
        )));
    let mut events = r.engine.subscribe();
    let e = r
        .engine
        .credentials(&name("t"))
        .await
        .expect_err("needs user");
    assert_eq!(
        e.to_string(),
        "profile t needs you: the STS token expired; paste a new one"
    );
    settle().await;
    assert!(matches!(r.state("t"), ProfileState::NeedsUser { .. }));
    let mut kinds = Vec::new();
    while let Ok(ev) = events.try_recv() {
        assert!(!ev.message.contains(SECRET));
        kinds.push(ev.kind);
    }
    assert!(kinds.contains(&EventKind::NeedsUser), "{kinds:?}");
    let unknown = r
        .engine
        .credentials(&name("nope"))
        .await
        .expect_err("unknown");
    assert!(matches!(unknown, EngineError::UnknownProfile(_)));
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_fetch() {
    let r = rig(
        &[("r", Some(CDuration::hours(1)))],
        vec![access_key("r")],
        false,
    );
    *r.s("r").delay.lock().expect("lock") = Duration::from_secs(1);
    let n = name("r");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (e, n) = (r.engine.clone(), n.clone());
        set.spawn(async move { e.credentials(&n).await.map(|c| c.access_key_id) });
    }
    let mut ids = Vec::new();
    while let Some(x) = set.join_next().await {
        ids.push(x.expect("join").expect("creds"));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(r.s("r").calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn chains_use_the_cached_source_and_invalidate_drops_dependents() {
    let r = rig(
        &[
            ("base", None),
            ("role", Some(CDuration::hours(1))),
            ("role2", Some(CDuration::hours(1))),
        ],
        vec![
            access_key("base"),
            role("role", "base"),
            role("role2", "role"),
        ],
        true,
    );
    let role2 = r.engine.credentials(&name("role2")).await.expect("creds");
    settle().await;
    assert_eq!(r.s("base").calls(), 1, "source fetched once, shared");
    let role1 = r.engine.credentials(&name("role")).await.expect("creds");
    r.engine.invalidate(&name("base")).expect("known");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(r.s("base").calls(), 2);
    let role1b = r.engine.credentials(&name("role")).await.expect("creds");
    let role2b = r.engine.credentials(&name("role2")).await.expect("creds");
    assert_ne!(role1.access_key_id, role1b.access_key_id);
    assert_ne!(role2.access_key_id, role2b.access_key_id);
    let snap = r.engine.snapshot();
    let s2 = snap.iter().find(|s| s.name == "role2").expect("role2");
    let chain: Vec<&str> = s2.chain.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(chain, ["base", "role", "role2"]);
    assert!(s2.chain[1].policy && s2.chain[0].role_arn.is_none());
}

#[tokio::test(start_paused = true)]
async fn reload_adds_removes_and_rebuilds_dependents() {
    let r = rig(
        &[
            ("base", None),
            ("role", Some(CDuration::hours(1))),
            ("other", None),
        ],
        vec![access_key("base"), role("role", "base")],
        true,
    );
    settle().await;
    let before = r.engine.credentials(&name("role")).await.expect("creds");
    let mut next = r.engine.profiles();
    let base = next.profiles.get_mut(&name("base")).expect("base");
    base.description = Some("changed".into());
    next.profiles.insert(name("other"), access_key("other"));
    next.active = Some(name("other"));
    r.engine.reload(next.clone());
    let after = r.engine.credentials(&name("role")).await.expect("creds");
    assert_ne!(
        before.access_key_id, after.access_key_id,
        "dependent rebuilt"
    );
    assert!(r.engine.credentials(&name("other")).await.is_ok());
    assert_eq!(r.engine.active(), Some(name("other")));
    next.profiles.remove(&name("other"));
    next.active = None;
    r.engine.reload(next);
    assert!(matches!(
        r.engine.credentials(&name("other")).await,
        Err(EngineError::UnknownProfile(_))
    ));
    // unchanged profiles keep their cache
    let same = r.engine.credentials(&name("role")).await.expect("creds");
    assert_eq!(same.access_key_id, after.access_key_id);
}

#[tokio::test(start_paused = true)]
async fn status_json_has_the_agreed_shape_and_no_secret() {
    let r = rig(&[("ak", None)], vec![access_key("ak")], true);
    r.engine.set_active(Some(name("ak")));
    r.engine.credentials(&name("ak")).await.expect("creds");
    r.engine.record_handout(&name("ak"));
    settle().await;
    let j = serde_json::to_value(r.engine.snapshot()).expect("json");
    let s = &j[0];
    assert_eq!(s["name"], "ak");
    assert_eq!(s["type"], "access-key");
    assert_eq!(s["active"], true);
    assert_eq!(s["state"]["kind"], "fresh");
    assert_eq!(s["handouts"], 1);
    assert_eq!(s["access_key_id_hint"], "STS.…0001");
    assert!(s["chain"].is_array() && s["consumers"].is_array());
    assert!(s["issued_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(!j.to_string().contains(SECRET));
    assert_eq!(r.engine.timeline(&name("ak"))[0].handouts, 1);
    r.engine.shutdown().await;
    assert_eq!(
        r.engine.credentials(&name("ak")).await,
        Err(EngineError::ShutDown)
    );
}

#[tokio::test(start_paused = true)]
async fn role_sessions_survive_a_restart_through_the_keyring() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(t0()));
    let script: HashMap<String, Arc<Scripted>> =
        [("base", None), ("role", Some(CDuration::hours(1)))]
            .into_iter()
            .map(|(n, l)| (n.to_string(), Scripted::new(n, clock.clone(), l)))
            .collect();
    let list = vec![access_key("base"), role("role", "base")];
    let file = profiles(list, None);
    let ctx = ctx(clock.clone());
    let opts = EngineOptions {
        eager: true,
        rng: Arc::new(|| 0.5),
        persist_sessions: true,
        ..EngineOptions::default()
    };
    let start = |f: alicred_core::store::config::ProfilesFile| {
        Engine::start_with(f, ctx.clone(), factory(script.clone()), opts.clone())
    };
    let e1 = start(file.clone());
    let first = e1.credentials(&name("role")).await.expect("creds");
    settle().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    e1.shutdown().await;
    let calls = script["role"].calls();
    let e2 = start(file.clone());
    settle().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    let again = e2.credentials(&name("role")).await.expect("creds");
    assert_eq!(
        again.access_key_id, first.access_key_id,
        "restored, not re-assumed"
    );
    assert_eq!(script["role"].calls(), calls);
    e2.shutdown().await;
    // a changed chain does not reuse the old session
    let mut changed = file.clone();
    if let Some(p) = changed.profiles.get_mut(&name("role"))
        && let alicred_core::profile::ProfileKind::RamRoleArn(r) = &mut p.kind
    {
        r.session_name = "bob".into();
    }
    let e3 = start(changed);
    let other = e3.credentials(&name("role")).await.expect("creds");
    assert_ne!(other.access_key_id, first.access_key_id);
    // invalidation forgets the saved session
    e3.invalidate(&name("role")).expect("known");
    tokio::time::sleep(Duration::from_millis(10)).await;
    let saved = ctx
        .secrets
        .get(&alicred_core::store::secrets::SecretKey::Session(name(
            "role",
        )))
        .expect("get");
    let refetched = e3.credentials(&name("role")).await.expect("creds");
    assert!(saved.is_none() || !saved.expect("s").expose().contains(&other.access_key_id));
    assert_ne!(refetched.access_key_id, other.access_key_id);
}

#[tokio::test(start_paused = true)]
async fn a_hundred_queued_refresh_requests_make_one_fetch() {
    let r = rig(
        &[("r", Some(CDuration::hours(1)))],
        vec![access_key("r")],
        false,
    );
    settle().await;
    assert_eq!(r.s("r").calls(), 0, "not eager: nothing fetched yet");
    for _ in 0..100 {
        r.engine.refresh(Some(&name("r"))).expect("refresh");
    }
    settle().await;
    assert_eq!(r.s("r").calls(), 1, "queued requests merge into one fetch");
    assert_eq!(r.engine.stats().fetches, 1);
}

#[tokio::test(start_paused = true)]
async fn reload_is_safe_from_a_thread_outside_the_runtime() {
    // The tray's menu handler runs on the GUI thread, not on tokio's.
    let r = rig(&[("a", None), ("b", None)], vec![access_key("a")], true);
    settle().await;
    let engine = r.engine.clone();
    std::thread::spawn(move || {
        engine.reload(profiles(vec![access_key("a"), access_key("b")], None));
    })
    .join()
    .expect("reload from a plain thread does not panic");
    settle().await;
    let c = r.engine.credentials(&name("b")).await.expect("b runs");
    assert_eq!(c.expiration, None);
}

/// Every state the worker stores is announced (the engine stores it first), quiet
/// ones included (a refresh that starts and ends well is not logged): the
/// dashboard shows what it reads when told, so a change it is not told of
/// stays on screen (it showed "refreshing" for minutes).
#[tokio::test(start_paused = true)]
async fn every_state_change_is_announced_quiet_ones_included() {
    let r = rig(
        &[("r", Some(CDuration::minutes(60)))],
        vec![access_key("r")],
        true,
    );
    settle().await;
    assert!(matches!(r.state("r"), ProfileState::Fresh { .. }));
    let mut told = r.engine.subscribe_states();
    let before = r.state("r");
    tokio::time::sleep(Duration::from_secs(2)).await;
    r.engine.refresh(Some(&name("r"))).expect("refresh");
    settle().await;
    let after = r.state("r");
    assert_ne!(before, after, "a refresh gives a new expiry");
    // What a listener reads each time it is told, in order.
    let mut read = Vec::new();
    while let Ok(n) = told.try_recv() {
        assert_eq!(n, "r");
        read.push(r.engine.status_of(&n).expect("status").state);
    }
    assert!(!read.is_empty(), "the refresh was not announced");
    assert_eq!(
        read.last(),
        Some(&after),
        "told before the last state was stored"
    );
}

/// Hand-outs are counted on every call and announced at most once a second
/// per profile, the last of a burst when its second is up: the dashboard's
/// count follows a busy tool without a push per request, and ends right.
#[tokio::test(start_paused = true)]
async fn hand_outs_are_announced_at_most_once_a_second_and_the_last_count_too() {
    let r = rig(&[("r", None)], vec![access_key("r")], true);
    settle().await;
    let mut told = r.engine.subscribe_states();
    let count = |rx: &mut tokio::sync::broadcast::Receiver<String>| {
        std::iter::from_fn(|| rx.try_recv().ok()).count()
    };
    let handouts = |e: &Engine| e.status_of("r").expect("status").handouts;
    for _ in 0..100 {
        r.engine.record_handout(&name("r"));
    }
    assert_eq!(count(&mut told), 1, "a burst is announced at once, once");
    assert_eq!(handouts(&r.engine), 100, "every hand-out is counted");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(&mut told), 0, "nothing more within the second");
    tokio::time::sleep(Duration::from_millis(600)).await;
    settle().await;
    assert_eq!(
        count(&mut told),
        1,
        "the rest of the burst, when the second is up"
    );
    // Quiet since: nothing more is announced.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(count(&mut told), 0);
    r.engine.record_handout(&name("r"));
    assert_eq!(
        count(&mut told),
        1,
        "a new hand-out after a quiet spell, at once"
    );
    assert_eq!(handouts(&r.engine), 101);
}
