//! AccessKey rotation end to end against the emulator: the old key is
//! deactivated then deleted, the new key works, the engine serves it, chained
//! sessions are dropped, the journal records every step and no secret.

mod rotation_common;

use alicred_core::engine::{Engine, EventKind};
use alicred_core::profile::ProfileInput;
use alicred_core::providers;
use alicred_core::rotation::{OldKeyAction, Phase, RotateOptions, RotationError, Step};
use alicred_core::sensitive::Sensitive;
use alicred_core::store::secrets::SecretKey;
use alicred_fakecloud::KeyStatus;
use rotation_common::*;
use std::sync::Arc;
use std::time::Duration;

fn opts(old_key: OldKeyAction) -> RotateOptions {
    RotateOptions {
        old_key,
        delete_inactive: false,
    }
}

#[tokio::test]
async fn rotation_end_to_end_with_delete_now() {
    let w = World::new().await;
    // A role chained on the profile, with a cached session in the keyring.
    let role = ProfileInput {
        name: "admin".into(),
        r#type: "ram-role-arn".into(),
        source: Some("dev".into()),
        role_arn: Some("acs:ram::1234567890123456:role/admin".into()),
        session_name: Some("s1".into()),
        sts_endpoint: Some(w.cloud.sts_url()),
        ..ProfileInput::default()
    };
    w.app.add_profile(&role, None, false).expect("role added");
    let session = SecretKey::Session(name("admin"));
    w.app
        .secrets()
        .set(&session, &Sensitive::new("{}"))
        .expect("session");

    let (lines, mut sink) = collect();
    let report = w
        .rotator()
        .rotate(&w.name, opts(OldKeyAction::DeleteNow), &mut sink)
        .await
        .expect("rotation succeeds");
    assert_eq!(report.step, Step::Done);
    let new = report.new_key_id.clone().expect("new key id");
    assert_ne!(new, w.first_key);
    assert_eq!(w.profile_key().access_key_id, new);
    w.assert_invariants().await;
    // The old key is gone, the new one is the only key.
    let keys = w.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].access_key_id, new);
    // Sessions dropped, pending item gone.
    assert_eq!(*w.sessions.0.lock().expect("lock"), vec!["dev".to_string()]);
    assert!(w.app.secrets().get(&session).expect("get").is_none());
    assert!(w.stored(SecretKey::PendingKey(w.name.clone())).is_none());
    // Every step was reported, in order.
    let started: Vec<Step> = lines
        .lock()
        .expect("lock")
        .iter()
        .filter(|p| p.phase == Phase::Started)
        .map(|p| p.step)
        .collect();
    assert_eq!(
        started,
        vec![
            Step::Listing,
            Step::Creating,
            Step::StoringPending,
            Step::Verifying,
            Step::Switching,
            Step::Invalidating,
            Step::Deactivating,
            Step::Deleting,
            Step::Done
        ]
    );
    // The journal is closed and holds no secret.
    let path = w.rotator().journals().path(&w.name);
    let text = std::fs::read_to_string(&path).expect("journal");
    let secret = w.profile_key().access_key_secret.expose().to_string();
    assert!(!text.contains(&secret), "journal leaks the secret");
    assert!(text.contains(&new) && text.contains(&w.first_key));
    assert_eq!(w.journal_step(), Some(Step::Done));
    // The status shows the new key's age and the last rotation.
    let st = w.rotator().key_status(&w.name).await.expect("status");
    assert_eq!(st.age_days, Some(0));
    assert!(!st.due && st.last_rotation.is_some() && st.pending_step.is_none());
    assert_eq!(st.max_age_days, 90);
}

#[tokio::test]
async fn grace_period_deactivates_then_a_later_start_deletes() {
    let w = World::new().await;
    let mut sink = |_p| {};
    let report = w
        .rotator()
        .rotate(
            &w.name,
            opts(OldKeyAction::DeleteAfter { grace_seconds: 1 }),
            &mut sink,
        )
        .await
        .expect("rotation");
    assert_eq!(report.step, Step::AwaitingDelete);
    assert!(report.delete_after.is_some());
    assert_eq!(w.status_of(&w.first_key), Some(KeyStatus::Inactive));
    w.assert_invariants().await;
    // Before the grace period ends, a start leaves it alone.
    assert!(w.rotator().resume_all(&mut sink).await.is_empty());
    assert_eq!(w.keys().len(), 2);
    let st = w.rotator().key_status(&w.name).await.expect("status");
    assert_eq!(st.pending_step, Some(Step::AwaitingDelete));
    // After it, the next start deletes the old key.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let done = w.rotator().resume_all(&mut sink).await;
    assert_eq!(done.len(), 1);
    let r = done[0].1.as_ref().expect("resumed");
    assert_eq!(r.step, Step::Done);
    assert_eq!(w.status_of(&w.first_key), None, "old key deleted");
    w.assert_invariants().await;
}

#[tokio::test]
async fn the_rotation_loop_deletes_the_old_key_when_the_grace_period_ends() {
    let w = World::new().await;
    // The loop runs first, as in a running agent; the rotation comes later
    // (as from `alicred rotate` in another process): its journal wakes the
    // loop through the directory watch (the loop does not poll).
    let lp = w.rotator().spawn_due_checks(Duration::from_secs(3600));
    let mut sink = |_p| {};
    // The grace period starts during the rotation, so not before this.
    let started = std::time::Instant::now();
    let report = w
        .rotator()
        .rotate(
            &w.name,
            opts(OldKeyAction::DeleteAfter { grace_seconds: 2 }),
            &mut sink,
        )
        .await
        .expect("rotation");
    assert_eq!(report.step, Step::AwaitingDelete);
    assert_eq!(
        w.status_of(&w.first_key),
        Some(KeyStatus::Inactive),
        "kept (inactive) as the grace period starts"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while w.status_of(&w.first_key).is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the old key was not deleted after its grace period without a restart"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Seen gone only after it was deleted: a deletion before the grace period
    // ended would be seen before 2 s from the start.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "deleted {:?} after the rotation began, within its 2-s grace period",
        started.elapsed()
    );
    // The journal records the deletion right after the call returns.
    while w.journal_step() != Some(Step::Done) {
        assert!(
            std::time::Instant::now() < deadline,
            "the journal never recorded the deletion: {:?}",
            w.journal_step()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.assert_invariants().await;
    lp.abort();
}

#[tokio::test]
async fn keep_inactive_and_a_second_rotation_needs_consent() {
    let w = World::new().await;
    let mut sink = |_p| {};
    let r = w
        .rotator()
        .rotate(&w.name, opts(OldKeyAction::KeepInactive), &mut sink)
        .await
        .expect("rotation");
    assert_eq!(r.step, Step::Done);
    assert_eq!(w.status_of(&w.first_key), Some(KeyStatus::Inactive));
    // Two keys now: a new rotation stops and names both.
    let e = w
        .rotator()
        .rotate(&w.name, opts(OldKeyAction::DeleteNow), &mut sink)
        .await
        .expect_err("two keys");
    let msg = e.to_string();
    assert!(
        matches!(&e, RotationError::TwoKeys { deletable: Some(k), .. } if *k == w.first_key),
        "{e:?}"
    );
    assert!(
        msg.contains(&w.first_key) && msg.contains("Inactive"),
        "{msg}"
    );
    assert!(
        msg.contains(r.new_key_id.as_deref().unwrap_or("?")),
        "{msg}"
    );
    w.assert_invariants().await;
    // With consent the inactive key makes room.
    let r2 = w
        .rotator()
        .rotate(
            &w.name,
            RotateOptions {
                old_key: OldKeyAction::DeleteNow,
                delete_inactive: true,
            },
            &mut sink,
        )
        .await
        .expect("rotation with consent");
    assert_eq!(r2.step, Step::Done);
    assert_eq!(w.keys().len(), 1);
    w.assert_invariants().await;
}

#[tokio::test]
async fn an_active_second_key_is_never_deleted() {
    let w = World::new().await;
    let other = w.cloud.create_access_key(Some(USER)).expect("second key");
    let mut sink = |_p| {};
    let e = w
        .rotator()
        .rotate(
            &w.name,
            RotateOptions {
                old_key: OldKeyAction::DeleteNow,
                delete_inactive: true,
            },
            &mut sink,
        )
        .await
        .expect_err("refused");
    let msg = e.to_string();
    assert!(
        msg.contains(&other.access_key_id) && msg.contains("Active"),
        "{msg}"
    );
    assert!(msg.contains("will not delete it"), "{msg}");
    assert_eq!(w.keys().len(), 2);
    assert_eq!(w.profile_key().access_key_id, w.first_key);
    assert_eq!(w.journal_step(), Some(Step::RolledBack));
    w.assert_invariants().await;
}

#[tokio::test]
async fn the_engine_serves_the_new_key_after_rotation() {
    let w = World::new().await;
    let engine = Engine::start(
        w.app.profiles().expect("profiles"),
        w.ctx.clone(),
        Arc::new(providers::build_with),
    );
    let before = engine.credentials(&w.name).await.expect("old creds");
    assert_eq!(before.access_key_id, w.first_key);
    let mut events = engine.subscribe();
    let rotator = alicred_core::rotation::Rotator::with_context(
        w.app.clone(),
        w.ctx.clone(),
        Arc::new(engine.clone()),
    )
    .with_settings(fast())
    .with_events(engine.bus().clone());
    let mut sink = |_p| {};
    let r = rotator
        .rotate(&w.name, opts(OldKeyAction::DeleteNow), &mut sink)
        .await
        .expect("rotation");
    let after = engine.credentials(&w.name).await.expect("new creds");
    assert_eq!(Some(after.access_key_id), r.new_key_id);
    let mut kinds = Vec::new();
    while let Ok(ev) = events.try_recv() {
        kinds.push(ev.kind);
    }
    assert!(kinds.contains(&EventKind::Invalidated), "{kinds:?}");
    assert!(kinds.contains(&EventKind::Rotation), "{kinds:?}");
    engine.shutdown().await;
}

#[tokio::test]
async fn one_rotation_per_profile_at_a_time() {
    let w = World::new().await;
    let lock = alicred_core::store::lock::FileLock::try_exclusive(
        &w.app.paths().lock_dir(),
        "rotation-dev",
    )
    .expect("lock")
    .expect("free");
    let mut sink = |_p| {};
    let e = w
        .rotator()
        .rotate(&w.name, RotateOptions::default(), &mut sink)
        .await
        .expect_err("busy");
    assert!(matches!(e, RotationError::Busy(_)), "{e:?}");
    assert!(e.to_string().contains("already running"), "{e}");
    drop(lock);
    assert_eq!(w.keys().len(), 1);
}

#[tokio::test]
async fn due_keys_raise_a_key_due_event() {
    let w = World::new().await;
    // A policy of 1 day, and two days pass (for alicred and the emulator).
    let mut input = ProfileInput {
        name: "dev".into(),
        r#type: "access-key".into(),
        sts_endpoint: Some(w.cloud.sts_url()),
        ram_endpoint: Some(w.cloud.ram_url()),
        ..ProfileInput::default()
    };
    input.max_key_age_days = Some(1);
    w.app.add_profile(&input, None, true).expect("replace");
    let clock = Arc::new(alicred_core::clock::ManualClock::new(chrono::Utc::now()));
    clock.advance(chrono::Duration::days(2));
    w.cloud.set_clock_offset(2 * 86_400);
    let mut ctx = w.ctx.clone();
    ctx.clock = clock;
    let bus = Arc::new(alicred_core::engine::EventBus::new());
    let mut rx = bus.subscribe();
    let statuses =
        alicred_core::rotation::Rotator::with_context(w.app.clone(), ctx, w.sessions.clone())
            .with_events(bus)
            .check_due()
            .await;
    assert_eq!(statuses.len(), 1);
    assert!(statuses[0].due, "{:?}", statuses[0]);
    let ev = rx.try_recv().expect("an event");
    assert_eq!(ev.kind, EventKind::KeyDue);
    assert!(
        ev.message.contains("2 days old (policy: 1 days)"),
        "{}",
        ev.message
    );
    let json = serde_json::to_value(&statuses[0]).expect("json");
    assert_eq!(json["due"], true);
    assert_eq!(json["age_days"], 2);
    assert_eq!(json["max_age_days"], 1);
}

#[test]
fn rotate_future_is_send() {
    fn is_send<T: Send>(_: &T) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    let app = alicred_core::service::Alicred::with_store(
        alicred_core::paths::Paths::new("/nonexistent"),
        Arc::new(alicred_core::store::secrets::MemoryStore::default()),
    );
    let r = alicred_core::rotation::Rotator::new(app, Arc::new(alicred_core::rotation::NoSessions));
    let n = name("x");
    let mut sink = |_p| {};
    let fut = r.rotate(&n, RotateOptions::default(), &mut sink);
    is_send(&fut);
    drop(fut);
    drop(rt);
}

#[tokio::test]
async fn a_running_engine_picks_up_a_rotation_made_by_another_process() {
    let w = World::new().await;
    let engine = Engine::start(
        w.app.profiles().expect("profiles"),
        w.ctx.clone(),
        Arc::new(providers::build_with),
    );
    let watch =
        alicred_core::rotation::spawn_journal_watch(w.app.paths(), Arc::new(engine.clone()));
    let before = engine.credentials(&w.name).await.expect("old creds");
    assert_eq!(before.access_key_id, w.first_key);
    // "Another process": a rotator that knows nothing of the engine.
    let other = alicred_core::rotation::Rotator::with_context(
        w.app.clone(),
        w.ctx.clone(),
        Arc::new(alicred_core::rotation::NoSessions),
    )
    .with_settings(fast());
    let mut sink = |_p| {};
    let r = other
        .rotate(&w.name, opts(OldKeyAction::DeleteNow), &mut sink)
        .await
        .expect("rotation");
    let new = r.new_key_id.expect("new key");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let c = engine.credentials(&w.name).await.expect("creds");
        if c.access_key_id == new {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "engine still serves the old key"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    watch.abort();
    engine.shutdown().await;
}

#[tokio::test]
async fn an_old_key_reactivated_during_the_grace_period_is_kept() {
    let w = World::new().await;
    let mut sink = |_p| {};
    w.rotator()
        .rotate(
            &w.name,
            opts(OldKeyAction::DeleteAfter { grace_seconds: 1 }),
            &mut sink,
        )
        .await
        .expect("rotation");
    w.cloud
        .set_access_key_status(&w.first_key, KeyStatus::Active)
        .expect("re-activate");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let done = w.rotator().resume_all(&mut sink).await;
    let r = done[0].1.as_ref().expect("resumed");
    assert_eq!(r.step, Step::Done);
    assert!(r.message.contains("re-activated"), "{}", r.message);
    assert_eq!(w.status_of(&w.first_key), Some(KeyStatus::Active));
    w.assert_invariants().await;
}

#[tokio::test]
async fn an_interrupted_rotation_is_resumed_and_a_busy_one_left_alone() {
    let w = World::new().await;
    // Interrupt in `deactivating`: UpdateAccessKey hangs, the future is dropped.
    w.cloud.set_fault(
        alicred_fakecloud::FaultSpec::new(alicred_fakecloud::FaultKind::Hang)
            .service(alicred_fakecloud::Service::Ram)
            .action("UpdateAccessKey"),
    );
    let rotator = w.rotator();
    let mut sink = |_p| {};
    let run = rotator.rotate(&w.name, opts(OldKeyAction::DeleteNow), &mut sink);
    tokio::select! {
        _ = run => panic!("the rotation should hang"),
        _ = async {
            while w.journal_step() != Some(Step::Deactivating) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        } => {}
    }
    w.cloud.clear_faults();
    w.assert_invariants().await;
    // Another process holds the lock: resume_all reports it busy.
    let lock = alicred_core::store::lock::FileLock::try_exclusive(
        &w.app.paths().lock_dir(),
        "rotation-dev",
    )
    .expect("lock")
    .expect("free");
    let busy = w.rotator().resume_all(&mut sink).await;
    assert!(matches!(busy[0].1, Err(RotationError::Busy(_))), "{busy:?}");
    assert_eq!(w.journal_step(), Some(Step::Deactivating));
    drop(lock);
    let done = w.rotator().resume_all(&mut sink).await;
    let r = done[0].1.as_ref().expect("resumed");
    assert_eq!(
        (r.step, r.resumed_from),
        (Step::Done, Some(Step::Deactivating))
    );
    assert_eq!(w.keys().len(), 1);
    w.assert_invariants().await;
}

#[tokio::test]
async fn the_agent_endpoint_serves_the_new_key_after_a_cli_rotation() {
    use alicred_core::server::{Agent, AgentConfig};
    let w = World::new().await;
    let mut cfg = AgentConfig::new(
        w.app.paths().clone(),
        w.app.secrets().clone(),
        w.ctx.clone(),
        Arc::new(alicred_core::engine::StandardFactory),
    );
    cfg.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let agent = Agent::start(cfg).await.expect("agent starts");
    // What `alicred agent` does at start (see the CLI's on_agent_start).
    let watch = alicred_core::rotation::spawn_journal_watch(
        w.app.paths(),
        Arc::new(agent.engine().clone()),
    );
    let url = agent.url_for(Some(&w.name)).expose().to_string();
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let served = || async {
        let v: serde_json::Value = http
            .get(&url)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("json");
        v["AccessKeyId"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(served().await, w.first_key);
    // `alicred rotate` in another process: no engine of its own.
    let cli = alicred_core::rotation::Rotator::with_context(
        w.app.clone(),
        w.ctx.clone(),
        Arc::new(alicred_core::rotation::NoSessions),
    )
    .with_settings(fast());
    let mut sink = |_p| {};
    let r = cli
        .rotate(&w.name, opts(OldKeyAction::DeleteNow), &mut sink)
        .await
        .expect("rotation");
    let new = r.new_key_id.expect("new key");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while served().await != new {
        assert!(
            std::time::Instant::now() < deadline,
            "the endpoint still serves the old key"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(w.status_of(&w.first_key), None, "old key deleted");
    watch.abort();
    agent.shutdown().await;
}
