//! The agent follows the profiles file by itself (inotify, no polling), and a
//! reload that fails is logged, shown in the status and on the event bus, and
//! does not stop later reloads.

use alicred_core::clock::SystemClock;
use alicred_core::engine::{EventKind, StandardFactory};
use alicred_core::paths::Paths;
use alicred_core::profile::ProfileInput;
use alicred_core::providers::ProviderContext;
use alicred_core::sensitive::Sensitive;
use alicred_core::server::{Agent, AgentConfig};
use alicred_core::service::Alicred;
use alicred_core::store::secrets::{MemoryStore, StoredKey};
use std::sync::Arc;
use std::time::Duration;

fn add(app: &Alicred, name: &str) {
    let input = ProfileInput {
        name: name.into(),
        r#type: "access-key".into(),
        ..Default::default()
    };
    let key = StoredKey {
        access_key_id: format!("LTAI{name}0000000"),
        access_key_secret: Sensitive::new("s3cret"),
        security_token: None,
    };
    app.add_profile(&input, Some(key), false).expect("add");
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_followed_and_a_bad_file_is_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tmp");
    let secrets = Arc::new(MemoryStore::default());
    let app = Alicred::with_store(Paths::new(dir.path()), secrets.clone());
    add(&app, "one");
    let ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock));
    let mut cfg = AgentConfig::new(
        app.paths().clone(),
        secrets.clone(),
        ctx,
        Arc::new(StandardFactory),
    );
    cfg.listen = Some("127.0.0.1:0".parse().expect("addr"));
    cfg.rotation = false;
    let agent = Agent::start(cfg).await.expect("agent");
    let mut events = agent.engine().subscribe();
    let names = |a: &alicred_core::server::AgentHandle| a.engine().profiles().profiles.len();

    // Another process adds a profile (no SIGHUP sent): the watch sees it.
    add(&app, "two");
    until("the second profile is loaded", || names(&agent) == 2).await;
    assert_eq!(agent.reload_problem(), None);

    // A broken file: reported, the engine keeps what it had.
    let file = app.paths().profiles_file();
    let good = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, "this is = = not toml").expect("write");
    until("the problem is shown", || agent.reload_problem().is_some()).await;
    assert!(
        agent
            .reload_problem()
            .is_some_and(|p| p.contains("not reloaded")),
        "{:?}",
        agent.reload_problem()
    );
    assert_eq!(names(&agent), 2, "a bad file changes nothing");
    let mut told = false;
    while let Ok(ev) = events.try_recv() {
        told |= ev.kind == EventKind::ConfigReloaded && ev.message.contains("not reloaded");
    }
    assert!(told, "the failure is on the event bus");

    // Fixed again: the reloader is still alive and clears the problem, and
    // says so on the bus although the file is the one the engine runs (the
    // dashboard drops its banner on that event; it does not poll).
    std::fs::write(&file, good).expect("restore");
    until("the problem clears", || agent.reload_problem().is_none()).await;
    let cleared = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(ev) = events.recv().await {
            if ev.kind == EventKind::ConfigReloaded && ev.message.contains("readable again") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(cleared, Ok(true), "the fix is on the event bus");
    add(&app, "three");
    until("the third profile is loaded", || names(&agent) == 3).await;
    agent.shutdown().await;
}

/// An edit made after the engine read the file but before the reloader's
/// watch existed (an agent just started on a busy machine) is not missed:
/// the reloader reads the file once more when its watch is up. Made
/// deterministic here by editing before the reloader runs at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_before_the_watch_exists_is_not_missed() {
    use alicred_core::engine::Engine;
    use alicred_core::server::reload::{Reloader, supervise};
    use alicred_core::store::config::ConfigStore;
    let dir = tempfile::tempdir().expect("tmp");
    let secrets = Arc::new(MemoryStore::default());
    let app = Alicred::with_store(Paths::new(dir.path()), secrets.clone());
    add(&app, "one");
    let ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock));
    let engine = Engine::start(
        app.profiles().expect("file"),
        ctx,
        Arc::new(StandardFactory),
    );
    // The edit lands between the engine's read and the watch.
    add(&app, "two");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let reloader = Reloader {
        store: ConfigStore::new(app.paths().clone()),
        engine: engine.clone(),
        secrets: secrets.clone(),
        token: Arc::new(std::sync::RwLock::new(Sensitive::new("t"))),
        health: Arc::default(),
    };
    let task = tokio::spawn(supervise(reloader, stop_rx));
    until("the second profile is loaded", || {
        engine.profiles().profiles.len() == 2
    })
    .await;
    let _ = stop_tx.send(true);
    let _ = task.await;
    engine.shutdown().await;
}
