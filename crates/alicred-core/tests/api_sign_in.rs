//! Sign-ins through the API against the demo (its emulator approves by
//! itself): the tray menu's requests, one sign-in at a time, and the one
//! rule for a CloudSSO session's state that the tray menu, the dashboard's
//! groups and `sso_sessions` all follow.

mod api_common;
use alicred_core::api::menu::MenuItem;
use alicred_core::api::{Api, Event, Request, Response};
use alicred_core::engine::ProfileState;
use alicred_core::signin::tokens::SsoSessionToken;
use alicred_core::store::secrets::SecretKey;
use api_common::demo_api;
use chrono::Utc;
use std::time::Duration;

fn demo_token(api: &Api) -> SsoSessionToken {
    api.app()
        .secrets()
        .get_json(&SecretKey::SsoSession("demo".parse().expect("name")))
        .expect("keyring")
        .expect("the demo is signed in")
}

/// The submenu whose label starts with `prefix`.
fn submenu<'a>(menu: &'a [MenuItem], prefix: &str) -> Option<(&'a str, &'a [MenuItem])> {
    menu.iter().find_map(|i| match i {
        MenuItem::Submenu { label, items } if label.starts_with(prefix) => {
            Some((label.as_str(), items.as_slice()))
        }
        _ => None,
    })
}

/// Wait (on the API's events, not a timer) until `done` holds.
async fn until(api: &Api, what: &str, mut done: impl FnMut(&Api) -> bool) {
    let mut rx = api.subscribe();
    tokio::time::timeout(Duration::from_secs(20), async {
        while !done(api) {
            let _ = rx.recv().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_menu_signs_in_and_switches_through_the_api() {
    let dir = tempfile::tempdir().expect("tmp");
    let (api, cloud) = demo_api(dir.path()).await;
    let menu = api.menu(Utc::now());
    let (_, session) =
        submenu(&menu, "demo — signed in").unwrap_or_else(|| panic!("no demo session in {menu:?}"));
    assert_eq!(
        session.len(),
        4,
        "sign in, separator, two accounts: {session:?}"
    );

    // Clicking an access configuration sends SetActive, as a profile's does.
    let click = session
        .iter()
        .filter_map(|i| match i {
            MenuItem::Submenu { items, .. } => Some(items),
            _ => None,
        })
        .flatten()
        .find_map(|i| match i {
            MenuItem::Check { action, .. }
                if *action
                    == (Request::SetActive {
                        name: "demo-Sandbox-Developer".into(),
                    }) =>
            {
                Some(action.clone())
            }
            _ => None,
        })
        .expect("the Sandbox Developer entry");
    api.call(click).await.expect("set active");
    assert!(
        api.statuses()
            .iter()
            .any(|p| p.name == "demo-Sandbox-Developer" && p.active)
    );
    assert!(format!("{:?}", api.menu(Utc::now())).contains("Sandbox (active)"));

    // "Sign in again…" signs the session in anew.
    let before = demo_token(&api);
    // The emulator's token times are whole seconds.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut events = api.subscribe();
    let Response::SignIn(done) = api
        .call(Request::SignIn {
            profile: None,
            session: Some("demo".into()),
        })
        .await
        .expect("signed in")
    else {
        panic!("not a sign-in answer")
    };
    let after = demo_token(&api);
    assert!(after.expires_at > before.expires_at);
    assert_ne!(after.access_token.expose(), before.access_token.expose());
    assert_eq!(done.expires_at, Some(after.expires_at));
    assert_eq!(done.profiles.len(), 3, "{done:?}");
    // The prompt and the end were pushed as events, in that order.
    let mut seen = Vec::new();
    while let Ok(ev) = events.try_recv() {
        match ev {
            Event::SignInPrompt { prompt } => seen.push(format!("prompt {:?}", prompt.session)),
            Event::SignInDone { ended } => seen.push(format!("done {}", ended.ok)),
            _ => {}
        }
    }
    assert_eq!(seen, ["prompt Some(\"demo\")", "done true"]);
    assert_eq!(
        api.call(Request::SignInPrompt).await.expect("prompt"),
        Response::SignInPrompt(None),
        "cleared"
    );
    api.shutdown().await;
    cloud.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sign_in_at_a_time_its_prompt_kept_and_cancel_ends_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let (api, cloud) = demo_api(dir.path()).await;
    // The user has not approved yet.
    cloud.sso_settings(&alicred_fakecloud::SsoSettings {
        auto_approve: Some(false),
        ..Default::default()
    });
    let mut events = api.subscribe();
    let first = {
        let api = api.clone();
        tokio::spawn(async move {
            api.call(Request::SignIn {
                profile: Some("demo-Production-ReadOnly".into()),
                session: None,
            })
            .await
        })
    };
    let prompt = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Ok(Event::SignInPrompt { prompt }) = events.recv().await {
                break prompt;
            }
        }
    })
    .await
    .expect("a prompt");
    assert_eq!(prompt.profile.as_deref(), Some("demo-Production-ReadOnly"));
    assert_eq!(prompt.session.as_deref(), Some("demo"));
    assert_eq!(
        cloud.sso_pending(),
        vec![prompt.user_code.clone().expect("code")]
    );
    assert_eq!(
        api.call(Request::SignInPrompt).await.expect("kept"),
        Response::SignInPrompt(Some(prompt))
    );
    let second = api
        .call(Request::SignIn {
            profile: None,
            session: Some("demo".into()),
        })
        .await
        .expect_err("one at a time");
    assert!(second.message.contains("already"), "{}", second.message);
    assert_eq!(
        api.call(Request::CancelSignIn).await.expect("cancel"),
        Response::CancelSignIn(true)
    );
    let err = first.await.expect("task").expect_err("cancelled");
    assert_eq!(err.message, "sign-in cancelled");
    assert_eq!(
        api.call(Request::CancelSignIn).await.expect("cancel"),
        Response::CancelSignIn(false),
        "nothing left to cancel"
    );
    let bad = api
        .call(Request::SignIn {
            profile: Some("a".into()),
            session: Some("b".into()),
        })
        .await
        .expect_err("both");
    assert!(bad.message.contains("either"), "{}", bad.message);
    api.shutdown().await;
    cloud.shutdown().await;
}

/// The review's case: the portal refuses one access configuration's fetch
/// (the session's token was revoked; only that profile has asked since).
/// The tray used to say "signed in" (some profile still is) and the
/// dashboard "Sign in needed" (some profile needs one). Now one rule, and
/// the tray's menu, the dashboard's groups and `sso_sessions` all say it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refused_access_configuration_every_shell_says_sign_in_needed() {
    let dir = tempfile::tempdir().expect("tmp");
    let (api, cloud) = demo_api(dir.path()).await;
    let refused = "demo-Production-ReadOnly";
    until(&api, "the demo's profiles to be fresh", |a| {
        a.statuses()
            .iter()
            .filter(|p| p.sign_in.as_ref().is_some_and(|v| v.session.is_some()))
            .all(|p| matches!(p.state, ProfileState::Fresh { .. }))
    })
    .await;
    assert!(submenu(&api.menu(Utc::now()), "demo — signed in").is_some());

    assert!(cloud.sso_end_tokens(true) > 0, "a token to revoke");
    api.call(Request::Refresh {
        name: Some(refused.into()),
    })
    .await
    .expect("refresh");
    until(&api, "the refusal", |a| {
        a.statuses()
            .iter()
            .any(|p| p.name == refused && p.capabilities.needs_sign_in)
    })
    .await;
    let statuses = api.statuses();
    assert!(
        statuses
            .iter()
            .any(|p| p.name != refused && p.sign_in.as_ref().is_some_and(|v| v.signed_in)),
        "the other access configurations have not asked yet: {statuses:?}"
    );

    // The tray.
    let menu = api.menu(Utc::now());
    assert!(
        submenu(&menu, "demo — sign in needed").is_some(),
        "{menu:?}"
    );
    // The dashboard.
    let Response::SignInGroups(groups) = api.call(Request::SignInGroups).await.expect("groups")
    else {
        panic!("not groups")
    };
    let demo = groups.iter().find(|g| g.session == "demo").expect("demo");
    assert!(!demo.signed_in, "{demo:?}");
    // `alicred sso list`'s view, through the API.
    let Response::SsoSessions(sessions) = api.call(Request::SsoSessions).await.expect("sessions")
    else {
        panic!("not sessions")
    };
    let demo = sessions
        .iter()
        .find(|s| s.name.as_str() == "demo")
        .expect("demo");
    assert!(!demo.signed_in, "{demo:?}");
    api.shutdown().await;
    cloud.shutdown().await;
}
