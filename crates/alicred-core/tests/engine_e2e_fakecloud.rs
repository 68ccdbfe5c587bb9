//! End to end: a chained ram-role-arn profile whose STS credentials live 60 s,
//! refreshed by the engine against the emulator and served by the endpoint,
//! never expired, also through an STS outage shorter than the lifetime.

use alicred_core::clock::SystemClock;
use alicred_core::credentials::parse_expiration;
use alicred_core::engine::StandardFactory;
use alicred_core::paths::Paths;
use alicred_core::profile::{
    AccessKeyProfile, Endpoints, Profile, ProfileKind, ProfileName, RamRoleArnProfile,
};
use alicred_core::providers::ProviderContext;
use alicred_core::sensitive::Sensitive;
use alicred_core::server::{Agent, AgentConfig};
use alicred_core::store::config::{ConfigError, ConfigStore};
use alicred_core::store::secrets::{MemoryStore, SecretKey, SecretStore, StoredKey};
use alicred_fakecloud::{FakeCloud, FakeCloudConfig, FaultKind, FaultSpec, Service};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn name(s: &str) -> ProfileName {
    s.parse().expect("name")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_second_role_sessions_are_served_fresh_through_an_outage() {
    let cloud = FakeCloud::start(FakeCloudConfig::demo().lifetime_seconds(60))
        .await
        .expect("emulator");
    let seed = cloud.demo().expect("seed").clone();
    let sts: url::Url = cloud.sts_url().parse().expect("url");
    let endpoints = Endpoints {
        sts: Some(sts),
        ..Endpoints::default()
    };
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::new(dir.path().join("home"));
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    secrets
        .set_json(
            &SecretKey::Profile(name("alice")),
            &StoredKey {
                access_key_id: seed.alice.access_key_id.clone(),
                access_key_secret: Sensitive::new(seed.alice.access_key_secret.clone()),
                security_token: None,
            },
        )
        .expect("store");
    let role_arn = seed.role_arn("admin").expect("admin role").to_string();
    ConfigStore::new(paths.clone())
        .update(|f| {
            for p in [
                Profile::new(
                    name("alice"),
                    ProfileKind::AccessKey(AccessKeyProfile {
                        max_key_age_days: None,
                        user_name: None,
                        endpoints: endpoints.clone(),
                    }),
                ),
                Profile::new(
                    name("admin"),
                    ProfileKind::RamRoleArn(RamRoleArnProfile {
                        source: name("alice"),
                        role_arn: role_arn.clone(),
                        session_name: "e2e".into(),
                        duration_seconds: 900,
                        policy: None,
                        external_id: None,
                        endpoints: endpoints.clone(),
                    }),
                ),
            ] {
                f.profiles.insert(p.name.clone(), p);
            }
            f.active = Some(name("admin"));
            Ok::<_, ConfigError>(())
        })
        .expect("profiles");
    let mut ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock));
    ctx.env = Arc::new(|_| None);
    let mut cfg = AgentConfig::new(paths, secrets, ctx, Arc::new(StandardFactory));
    cfg.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let agent = Agent::start(cfg).await.expect("agent");
    let url = agent.url_for(None);
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");

    let started = Instant::now();
    let mut ids = std::collections::BTreeSet::new();
    let mut fault: Option<u64> = None;
    let mut outage_done = false;
    while started.elapsed() < Duration::from_secs(75) {
        let t = started.elapsed();
        if fault.is_none() && !outage_done && t > Duration::from_secs(20) {
            // 20 s of STS errors: shorter than the 30 s left at refresh time
            let mut spec = FaultSpec::new(FaultKind::InternalError);
            spec.service = Service::Sts;
            spec.action = Some("AssumeRole".into());
            fault = Some(cloud.set_fault(spec));
        }
        if let Some(id) = fault
            && t > Duration::from_secs(40)
        {
            cloud.clear_fault(id);
            fault = None;
            outage_done = true;
        }
        let r = http.get(url.expose()).send().await.expect("get");
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
        let j: serde_json::Value = r.json().await.expect("json");
        let exp = parse_expiration(j["Expiration"].as_str().expect("exp")).expect("format");
        let left = exp - chrono::Utc::now();
        assert!(
            left > chrono::Duration::seconds(5),
            "served with {left} left"
        );
        assert!(j["AccessKeyId"].as_str().expect("id").starts_with("STS."));
        ids.insert(j["AccessKeyId"].as_str().expect("id").to_string());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ids.len() >= 2, "refreshed at least twice: {ids:?}");
    let snap = agent.engine().snapshot();
    let admin = snap.iter().find(|s| s.name == "admin").expect("admin");
    assert!(admin.handouts >= 100);
    let failures = cloud.counters().errors.values().sum::<u64>();
    assert!(failures >= 1, "the outage was seen");
    agent.shutdown().await;
    cloud.shutdown().await;
}
