//! The API pushes every state a profile goes through, as the engine holds it
//! when pushed. A refresh that starts and ends well is not logged (it would
//! flood the log), so a push driven by the log alone read the state before
//! the worker stored the new one: the dashboard showed "refreshing" until
//! the next event (the desktop test saw it stay so for five minutes).

mod api_common;
use alicred_core::api::{Api, Event, Request};
use alicred_core::engine::ProfileState;
use alicred_core::profile::ProfileType;
use api_common::demo_api;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Refresh `name` and return the states pushed for it from just before the
/// request until a push says what the engine holds, `Fresh` with a new
/// expiry (or 20 s pass).
async fn refresh_and_watch(api: &Api, name: &str) -> Vec<ProfileState> {
    let before = state(api, name);
    let mut rx = api.subscribe();
    api.call(Request::Refresh {
        name: Some(name.to_string()),
    })
    .await
    .expect("refresh");
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await {
                Ok(Event::Profile { status }) if status.name == name => {
                    let now = state(api, name);
                    let done = fresh(&status.state) && status.state == now && now != before;
                    seen.push(status.state);
                    if done {
                        return;
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    })
    .await;
    seen
}

fn fresh(s: &ProfileState) -> bool {
    matches!(s, ProfileState::Fresh { .. })
}

/// What the engine holds for `name` now.
fn state(api: &Api, name: &str) -> ProfileState {
    api.engine()
        .status_of(name)
        .map(|p| p.state)
        .unwrap_or(ProfileState::Idle)
}

fn is_fresh(api: &Api, name: &str) -> bool {
    fresh(&state(api, name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_push_of_a_refresh_is_what_the_engine_holds() {
    let dir = tempfile::tempdir().expect("tmp");
    let (api, _cloud) = demo_api(dir.path()).await;
    // A role profile: its refresh is a real round trip to the emulator.
    let name = api
        .statuses()
        .into_iter()
        .find(|p| p.r#type == ProfileType::RamRoleArn)
        .map(|p| p.name)
        .expect("the demo has a role profile");
    // Let it settle first (the demo fetches at start).
    for _ in 0..200 {
        if is_fresh(&api, &name) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(is_fresh(&api, &name), "{name} never became fresh");
    for round in 0..5 {
        // The emulator's expiries are whole seconds: a new one each round.
        tokio::time::sleep(Duration::from_millis(1010)).await;
        let before = state(&api, &name);
        let seen = refresh_and_watch(&api, &name).await;
        let now = state(&api, &name);
        assert!(
            fresh(&now) && now != before,
            "round {round}: not refreshed: {now:?}"
        );
        assert_eq!(
            seen.last(),
            Some(&now),
            "round {round}: the last push for {name} is not what the engine holds"
        );
    }
}
