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

/// Waits (at most 10 s) until the profile's state is one `want` accepts.
async fn wait_state(
    rx: &mut tokio::sync::watch::Receiver<ProfileState>,
    want: impl FnMut(&ProfileState) -> bool,
) {
    let ok = tokio::time::timeout(Duration::from_secs(10), rx.wait_for(want))
        .await
        .is_ok_and(|r| r.is_ok());
    assert!(ok, "state: {:?}", rx.borrow().clone());
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
    let status = agent
        .engine()
        .snapshot()
        .into_iter()
        .find(|s| s.name == "corp-Prod-Admin")
        .expect("status");
    match &status.state {
        ProfileState::NeedsUser { why } => {
            assert!(why.contains("alicred sso login corp"), "{why}")
        }
        other => panic!("expected needs-user, got {other:?}"),
    }
    // No hammering: the next attempt is the back-off cap away (a refusal is
    // not retried like a network error), and callers asking meanwhile get
    // the refusal without the portal being asked.
    let next = status.refresh_at.expect("a next attempt is scheduled");
    assert!(
        next - chrono::Utc::now() >= chrono::Duration::minutes(4),
        "the next attempt is at {next}: too soon for a refused sign-in"
    );
    let asked = |c: &alicred_fakecloud::FakeCloudHandle| -> u64 {
        c.counters()
            .requests
            .get("sso:cloud-credentials")
            .copied()
            .unwrap_or(0)
    };
    let before = asked(&cloud);
    for _ in 0..20 {
        let r = http.get(url.expose()).send().await.expect("get");
        assert_eq!(r.status(), 503);
    }
    let after = asked(&cloud);
    assert_eq!(
        after, before,
        "callers made the engine ask the portal: {before} -> {after}"
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

/// Issue 18 item 5, in the agent: a refresh whose `expires_in` is `i64::MAX`
/// panicked the profile's worker; the endpoint answered 503, the state stayed
/// "refreshing" forever, and the spent refresh token's successor was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_expires_in_in_the_agent_is_clamped_served_and_kept() {
    use alicred_core::profile::ProfileInput;
    use alicred_core::sensitive::Sensitive;
    use alicred_core::signin::tokens::OauthTokens;
    use alicred_core::store::secrets::SecretKey;
    use alicred_fakecloud::{OAUTH_CLIENT_IDS, OAuthSettings};

    let cloud = FakeCloud::start(FakeCloudConfig::new())
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::new(dir.path().join("home"));
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let app = Alicred::with_store(paths.clone(), secrets.clone());
    let input = ProfileInput {
        name: "me".into(),
        r#type: "oauth".into(),
        oauth_sign_in_url: Some(cloud.base_url()),
        oauth_endpoint: Some(cloud.base_url()),
        client_id: Some(OAUTH_CLIENT_IDS[0].into()),
        sts_endpoint: Some(cloud.sts_url()),
        ..Default::default()
    };
    app.add_profile(&input, None, false).expect("add");
    // Signed in, with an access token due for a refresh.
    let (access, refresh) = cloud.oauth_issue_tokens();
    secrets
        .set_json(
            &SecretKey::Profile(name("me")),
            &OauthTokens {
                access_token: Sensitive::new(access),
                access_expires_at: chrono::Utc::now(),
                refresh_token: Sensitive::new(refresh.clone()),
                needs_sign_in: false,
            },
        )
        .expect("tokens");
    cloud
        .oauth_settings(&OAuthSettings {
            access_token_lifetime_seconds: Some(9_223_372_036_854_775_807),
            ..Default::default()
        })
        .expect("settings");

    let mut ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock));
    ctx.env = Arc::new(|_| None);
    let mut cfg = AgentConfig::new(paths, secrets.clone(), ctx, Arc::new(StandardFactory));
    cfg.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let agent = Agent::start(cfg).await.expect("agent");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let r = http
        .get(agent.url_for(Some(&name("me"))).expose())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let mut state = agent.engine().watch_state(&name("me")).expect("profile");
    wait_state(&mut state, |s| matches!(s, ProfileState::Fresh { .. })).await;

    // The rotated refresh token was stored, and the access token's end clamped.
    let kept: OauthTokens = secrets
        .get_json(&SecretKey::Profile(name("me")))
        .expect("keyring")
        .expect("tokens");
    assert_ne!(
        kept.refresh_token.expose(),
        refresh,
        "the new refresh token is kept"
    );
    assert_eq!(cloud.oauth_live_refresh_tokens(), 1);
    let ahead = kept.access_expires_at - chrono::Utc::now();
    assert!(
        ahead <= alicred_core::clamp::MAX_LIFETIME && ahead > chrono::Duration::days(300),
        "{ahead}"
    );
    agent.shutdown().await;
}

/// A provider that panics (a bug, or a server value nothing foresaw) is an
/// error like any other: the caller gets one line, the state says so (not
/// "refreshing" forever) and the profile recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_panics_is_reported_and_the_profile_recovers() {
    use alicred_core::Credentials;
    use alicred_core::engine::{Engine, EngineOptions, ProviderFactory};
    use alicred_core::profile::{AccessKeyProfile, Profile, ProfileKind};
    use alicred_core::providers::{Provider, ProviderError};
    use alicred_core::store::config::ProfilesFile;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[derive(Debug)]
    struct Panicky(Arc<AtomicBool>);
    #[async_trait::async_trait]
    impl Provider for Panicky {
        async fn retrieve(&self) -> Result<Credentials, ProviderError> {
            if self.0.load(Ordering::SeqCst) {
                panic!("a test provider panics");
            }
            let now = chrono::Utc::now();
            Ok(Credentials {
                access_key_id: "STS.panicky".into(),
                access_key_secret: alicred_core::Sensitive::new("s"),
                security_token: Some(alicred_core::Sensitive::new("t")),
                expiration: Some(now + chrono::Duration::hours(1)),
                issued_at: now,
            })
        }
        fn describe(&self) -> String {
            "a test provider".into()
        }
    }
    let panics = Arc::new(AtomicBool::new(true));
    let flag = panics.clone();
    let factory: Arc<dyn ProviderFactory> = Arc::new(
        move |_: &ProfileName,
              _: &ProfilesFile,
              _: &ProviderContext,
              _: &mut dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>>|
              -> Result<Arc<dyn Provider>, ProviderError> {
            Ok(Arc::new(Panicky(flag.clone())) as Arc<dyn Provider>)
        },
    );
    let mut file = ProfilesFile::default();
    file.profiles.insert(
        name("p"),
        Profile::new(
            name("p"),
            ProfileKind::AccessKey(AccessKeyProfile {
                max_key_age_days: None,
                user_name: None,
                endpoints: Default::default(),
            }),
        ),
    );
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let ctx = ProviderContext::new(secrets, Arc::new(SystemClock));
    let opts = EngineOptions {
        eager: true,
        backoff_cap: chrono::Duration::seconds(1),
        ..EngineOptions::default()
    };
    let engine = Engine::start_with(file, ctx, factory, opts);
    let err = tokio::time::timeout(Duration::from_secs(10), engine.credentials(&name("p")))
        .await
        .expect("an answer, not a hang")
        .expect_err("the provider panicked");
    assert!(err.to_string().contains("internal error"), "{err}");
    let mut state = engine.watch_state(&name("p")).expect("profile");
    wait_state(
        &mut state,
        |s| matches!(s, ProfileState::Expired { error } if error.contains("internal error")),
    )
    .await;
    // Fixed: the next retry (a back-off of at most a second) serves.
    panics.store(false, Ordering::SeqCst);
    wait_state(&mut state, |s| matches!(s, ProfileState::Fresh { .. })).await;
    engine.shutdown().await;
}
