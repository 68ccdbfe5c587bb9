//! The sign-in use case as every shell calls it: a CloudSSO session whose
//! sign-in was revoked is signed in again through `UseCases::sign_in`, the
//! shell gets one prompt (user code + URL), the engine running in-process is
//! reloaded at once (fresh without a file watcher), the statuses carry the
//! new sign-in's end, and only one sign-in runs at a time.

use alicred_core::clock::SystemClock;
use alicred_core::engine::{Engine, ProfileState, StandardFactory};
use alicred_core::paths::Paths;
use alicred_core::profile::ProfileName;
use alicred_core::providers::ProviderContext;
use alicred_core::service::Alicred;
use alicred_core::signin;
use alicred_core::store::secrets::{MemoryStore, SecretStore};
use alicred_core::usecases::{SignInPrompt, SignInTarget, UseCaseError, UseCases};
use alicred_fakecloud::{FakeCloud, FakeCloudConfig, SsoAccessConfig, SsoAssignment};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn name(s: &str) -> ProfileName {
    s.parse().expect("name")
}

fn config(id: &str, n: &str) -> SsoAccessConfig {
    SsoAccessConfig {
        id: id.into(),
        name: n.into(),
        description: String::new(),
        role_name: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_heals_the_session_at_once_one_at_a_time() {
    let cloud = Arc::new(
        FakeCloud::start(FakeCloudConfig::new())
            .await
            .expect("emulator"),
    );
    cloud
        .sso_assign(SsoAssignment {
            account_id: "1111222233334444".into(),
            display_name: "Prod".into(),
            access_configurations: vec![config("ac-admin", "Admin"), config("ac-ro", "ReadOnly")],
        })
        .expect("assign");
    let dir = tempfile::tempdir().expect("tmp");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let app = Alicred::with_store(Paths::new(dir.path().join("home")), secrets.clone());
    let mut ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock));
    ctx.env = Arc::new(|_| None);
    let approver = cloud.clone();
    let first = signin::sso_login(
        &app,
        &ctx,
        &name("corp"),
        Some(&cloud.sso_sign_in_url()),
        false,
        move |p| assert_eq!(approver.sso_decide(Some(&p.user_code), true), 1),
    )
    .await
    .expect("first sign-in");

    // A bare engine, no file watcher: only the use case's reload can heal it.
    let engine = Engine::start(
        app.profiles().expect("file"),
        ctx.clone(),
        Arc::new(StandardFactory),
    );
    let uc = UseCases::in_process(app.clone(), ctx.clone(), engine.clone());
    let status = |n: &str| {
        engine
            .snapshot()
            .into_iter()
            .find(|s| s.name == n)
            .expect("status")
    };
    let view = status("corp-Prod-Admin")
        .sign_in
        .expect("a cloud-sso profile has a sign-in");
    assert_eq!(view.session.as_deref(), Some("corp"));
    assert_eq!(view.access_config_id.as_deref(), Some("ac-admin"));
    assert_eq!(view.expires_at, Some(first.expires_at));

    // Fetched first (a refresh asked while the first fetch runs merges into it).
    let t = Instant::now();
    while !matches!(status("corp-Prod-Admin").state, ProfileState::Fresh { .. }) {
        assert!(t.elapsed() < Duration::from_secs(20), "never fresh");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Revoked: the next fetch is refused (the last credentials are still
    // served while valid, so the state is degraded until they expire).
    cloud.sso_end_tokens(true);
    engine.refresh(None).expect("refresh");
    let t = Instant::now();
    while status("corp-Prod-Admin").last_error.is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the revocation went unseen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let s = status("corp-Prod-Admin");
    assert!(
        !matches!(s.state, ProfileState::Fresh { .. }),
        "{:?}",
        s.state
    );
    // Known at once, not only when the last credentials expire.
    assert!(s.capabilities.needs_sign_in && !s.sign_in.expect("view").signed_in);
    tokio::time::sleep(Duration::from_millis(1100)).await; // a later sign-in ends later

    // The shell's prompt; the user approves in the "browser" (the emulator).
    let prompts: Arc<Mutex<Vec<SignInPrompt>>> = Arc::default();
    let (seen_tx, seen_rx) = tokio::sync::oneshot::channel::<String>();
    let seen_tx = Mutex::new(Some(seen_tx));
    let p2 = prompts.clone();
    let uc2 = uc.clone();
    let running = tokio::spawn(async move {
        uc2.sign_in(&SignInTarget::Session(name("corp")), move |p| {
            p2.lock().expect("lock").push(p.clone());
            if let Some(tx) = seen_tx.lock().expect("lock").take() {
                let _ = tx.send(p.user_code.clone().unwrap_or_default());
            }
        })
        .await
    });
    let code = seen_rx.await.expect("prompted");
    // A second sign-in while the first waits: one clear error, nothing started.
    let second = uc
        .sign_in(&SignInTarget::Profile(name("corp-Prod-ReadOnly")), |_| {
            panic!("the second sign-in must not prompt")
        })
        .await;
    assert!(
        matches!(second, Err(UseCaseError::SignInRunning)),
        "{second:?}"
    );
    assert_eq!(
        cloud.sso_pending(),
        vec![code.clone()],
        "only the first asked"
    );
    assert_eq!(cloud.sso_decide(Some(&code), true), 1);
    let done = running.await.expect("task").expect("signed in");
    assert!(
        done.expires_at.expect("ends") > first.expires_at,
        "{done:?}"
    );
    assert_eq!(done.profiles, vec!["corp-Prod-Admin", "corp-Prod-ReadOnly"]);
    let prompts = prompts.lock().expect("lock").clone();
    assert_eq!(prompts.len(), 1, "one prompt");
    assert_eq!(prompts[0].session.as_deref(), Some("corp"));
    assert_eq!(prompts[0].profile, None);
    assert_eq!(prompts[0].user_code.as_deref(), Some(code.as_str()));
    assert!(
        prompts[0].url.starts_with("http://127.0.0.1:"),
        "{}",
        prompts[0].url
    );
    let j = serde_json::to_value(&prompts[0]).expect("json");
    for k in ["profile", "session", "user_code", "url", "expires_in"] {
        assert!(j.get(k).is_some(), "{k} missing from {j}");
    }

    // Reloaded at once: fresh within moments, with the new end in view.
    let t = Instant::now();
    loop {
        let s = status("corp-Prod-Admin");
        if matches!(s.state, ProfileState::Fresh { .. }) {
            let v = s.sign_in.expect("view");
            assert!(v.signed_in && !s.capabilities.needs_sign_in);
            assert_eq!(v.expires_at, done.expires_at);
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "not fresh: {:?}",
            s.state
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sessions = uc.sso_sessions().await.expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].signed_in);
    assert_eq!(sessions[0].expires_at, done.expires_at);

    // The lock is free again; a profile that does not sign in says so.
    let err = uc
        .sign_in(&SignInTarget::Session(name("ghost")), |_| {})
        .await
        .expect_err("unknown session");
    assert!(err.is_usage() && err.to_string().contains("ghost"), "{err}");
    engine.shutdown().await;
}
