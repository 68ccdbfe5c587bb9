//! Sign-in profiles through the refresh engine and the endpoint: two profiles of one
//! CloudSSO session share its one token; when the sign-in is revoked the profile goes
//! to needs-user, the endpoint answers 503 (never the stale credentials) and the engine
//! does not keep asking the portal.

use alicred_core::clock::SystemClock;
use alicred_core::engine::{ProfileState, StandardFactory};
use alicred_core::paths::Paths;
use alicred_core::profile::ProfileName;
use alicred_core::providers::ProviderContext;
use alicred_core::server::{Agent, AgentConfig};
use alicred_core::service::Alicred;
use alicred_core::signin;
use alicred_core::store::secrets::{MemoryStore, SecretStore};
use alicred_fakecloud::{FakeCloud, FakeCloudConfig, SsoAccessConfig, SsoAssignment};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn name(s: &str) -> ProfileName {
    s.parse().expect("name")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_sign_in_needs_the_user_and_is_never_served_stale() {
    let cloud = Arc::new(
        FakeCloud::start(FakeCloudConfig::new().lifetime_seconds(20))
            .await
            .expect("emulator"),
    );
    cloud
        .sso_assign(SsoAssignment {
            account_id: "1111222233334444".into(),
            display_name: "Prod".into(),
            access_configurations: vec![
                SsoAccessConfig {
                    id: "ac-admin".into(),
                    name: "Admin".into(),
                    description: String::new(),
                    role_name: None,
                },
                SsoAccessConfig {
                    id: "ac-ro".into(),
                    name: "ReadOnly".into(),
                    description: String::new(),
                    role_name: None,
                },
            ],
        })
        .expect("assign");
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::new(dir.path().join("home"));
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let app = Alicred::with_store(paths.clone(), secrets.clone());
    let mut ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock));
    ctx.env = Arc::new(|_| None);
    let approver = cloud.clone();
    let out = signin::sso_login(
        &app,
        &ctx,
        &name("corp"),
        Some(&cloud.sso_sign_in_url()),
        false,
        move |p| {
            assert_eq!(approver.sso_decide(Some(&p.user_code), true), 1);
        },
    )
    .await
    .expect("signed in");
    assert_eq!(out.profiles.len(), 2);

    let agent_secrets = secrets.clone();
    let mut cfg = AgentConfig::new(paths, secrets, ctx, Arc::new(StandardFactory));
    cfg.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let agent = Agent::start(cfg).await.expect("agent");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    for p in ["corp-Prod-Admin", "corp-Prod-ReadOnly"] {
        let url = agent.url_for(Some(&name(p)));
        let r = http.get(url.expose()).send().await.expect("get");
        assert_eq!(r.status(), 200, "{p}: {:?}", r.text().await);
    }
    assert_eq!(
        cloud.sign_in_tokens().len(),
        1,
        "one session token for both profiles"
    );

    cloud.sso_end_tokens(true);
    let url = agent.url_for(Some(&name("corp-Prod-Admin")));
    let started = Instant::now();
    loop {
        let r = http.get(url.expose()).send().await.expect("get");
        if r.status() == 503 {
            break;
        }
        assert_eq!(r.status(), 200);
        let j: serde_json::Value = r.json().await.expect("json");
        let exp =
            alicred_core::credentials::parse_expiration(j["Expiration"].as_str().expect("exp"))
                .expect("format");
        assert!(exp > chrono::Utc::now(), "stale credentials served");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never went to 503"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let state = agent
        .engine()
        .snapshot()
        .into_iter()
        .find(|s| s.name == "corp-Prod-Admin")
        .expect("status")
        .state;
    match state {
        ProfileState::NeedsUser { why } => {
            assert!(why.contains("alicred sso login corp"), "{why}")
        }
        other => panic!("expected needs-user, got {other:?}"),
    }
    // No hammering: the portal is not asked again and again.
    let asked = |c: &alicred_fakecloud::FakeCloudHandle| -> u64 {
        c.counters()
            .requests
            .get("sso:cloud-credentials")
            .copied()
            .unwrap_or(0)
    };
    let before = asked(&cloud);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let r = http.get(url.expose()).send().await.expect("get");
    assert_eq!(r.status(), 503);
    let after = asked(&cloud);
    assert!(
        after - before <= 2,
        "the engine kept asking the portal: {before} -> {after}"
    );

    // A new sign-in (as `alicred sso login` in another process) heals the running agent.
    let approver = cloud.clone();
    let app2 = Alicred::with_store(Paths::new(dir.path().join("home")), agent_secrets.clone());
    let ctx2 = ProviderContext::new(agent_secrets.clone(), Arc::new(SystemClock));
    signin::sso_login(&app2, &ctx2, &name("corp"), None, false, move |p| {
        assert_eq!(approver.sso_decide(Some(&p.user_code), true), 1);
    })
    .await
    .expect("signed in again");
    let started = Instant::now();
    loop {
        let r = http.get(url.expose()).send().await.expect("get");
        if r.status() == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the agent never tried the new sign-in"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    agent.shutdown().await;
}
