//! The fault matrix: every emulator fault × every refreshing provider, each
//! through the real engine over real HTTP. For each scenario: no expired
//! credential is ever returned, the cached valid credentials keep being
//! returned during the fault, the profile's state and error say what
//! happened, and it recovers by itself once the fault clears.

use alicred_core::clock::SystemClock;
use alicred_core::engine::{Engine, ProfileState, StandardFactory};
use alicred_core::profile::{ProfileInput, ProfileName};
use alicred_core::providers::ProviderContext;
use alicred_core::sensitive::Sensitive;
use alicred_core::store::config::ProfilesFile;
use alicred_core::store::secrets::{MemoryStore, SecretKey, SecretStore, StoredKey};
use alicred_fakecloud::{
    FakeCloud, FakeCloudConfig, FakeCloudHandle, FaultKind, FaultSpec, Service,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
enum Prov {
    RamRoleArn,
    OidcRoleArn,
    EcsRamRole,
    CredentialsUri,
    KmsSecret,
}

const FAULTS: [FaultKind; 11] = [
    FaultKind::InternalError,
    FaultKind::ServiceUnavailable,
    FaultKind::Throttling,
    FaultKind::Hang,
    FaultKind::ConnectionReset,
    FaultKind::MalformedJson,
    FaultKind::TruncatedBody,
    FaultKind::CodeNotSuccess,
    FaultKind::ExpiredCredentials,
    FaultKind::BadExpirationFormat,
    FaultKind::Latency,
];

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn input(name: &str, ty: &str) -> ProfileInput {
    ProfileInput {
        name: name.into(),
        r#type: ty.into(),
        ..Default::default()
    }
}

/// Profiles for `prov` (the one under test is named `target`) and where its fault goes.
fn setup(
    prov: Prov,
    cloud: &FakeCloudHandle,
    dir: &std::path::Path,
    secrets: &Arc<dyn SecretStore>,
) -> (ProfilesFile, Service, String) {
    let seed = cloud.demo().expect("demo seed");
    let sts = Some(cloud.sts_url());
    let mut inputs = Vec::new();
    let (service, action) = match prov {
        Prov::RamRoleArn => {
            inputs.push(ProfileInput {
                sts_endpoint: sts.clone(),
                ..input("alice", "access-key")
            });
            secrets
                .set_json(
                    &SecretKey::Profile("alice".parse().expect("name")),
                    &StoredKey {
                        access_key_id: seed.alice.access_key_id.clone(),
                        access_key_secret: Sensitive::new(seed.alice.access_key_secret.clone()),
                        security_token: None,
                    },
                )
                .expect("store");
            inputs.push(ProfileInput {
                source: Some("alice".into()),
                role_arn: seed.role_arn("admin").map(str::to_string),
                sts_endpoint: sts,
                ..input("target", "ram-role-arn")
            });
            (Service::Sts, "AssumeRole")
        }
        Prov::OidcRoleArn => {
            let token = dir.join("oidc-token");
            std::fs::write(&token, &seed.oidc_token).expect("token");
            inputs.push(ProfileInput {
                role_arn: seed.role_arn("dev").map(str::to_string),
                oidc_provider_arn: Some(seed.oidc_provider_arn.clone()),
                oidc_token_file: Some(token),
                sts_endpoint: sts,
                ..input("target", "oidc-role-arn")
            });
            (Service::Sts, "AssumeRoleWithOIDC")
        }
        Prov::EcsRamRole => {
            inputs.push(ProfileInput {
                metadata_endpoint: Some(cloud.ecs_url()),
                ..input("target", "ecs-ram-role")
            });
            (Service::Ecs, "credentials")
        }
        Prov::CredentialsUri => {
            inputs.push(ProfileInput {
                uri: Some(cloud.uri_url(&seed.uri_source)),
                ..input("target", "credentials-uri")
            });
            (Service::Uri, seed.uri_source.as_str())
        }
        Prov::KmsSecret => {
            inputs.push(ProfileInput {
                secret_name: Some(seed.kms_secret_name.clone()),
                client_key_file: Some(fixture("clientkey/clientKey_demo.json")),
                client_key_password_file: Some(fixture("clientkey/clientKey_demo_password.txt")),
                kms_endpoint: Some(cloud.kms_url()),
                ..input("target", "kms-secret")
            });
            (Service::Kms, "GetSecretValue")
        }
    };
    let mut file = ProfilesFile::default();
    for i in inputs {
        let p = i.into_profile().expect("valid profile");
        file.profiles.insert(p.name.clone(), p);
    }
    (file, service, action.to_string())
}

/// What the error should mention for each fault (any of these words).
fn says(kind: FaultKind) -> &'static [&'static str] {
    match kind {
        FaultKind::InternalError => &["InternalError", "500"],
        FaultKind::ServiceUnavailable => &["ServiceUnavailable", "503"],
        FaultKind::Throttling => &["throttl"],
        FaultKind::Hang => &["timed out", "timeout", "did not answer"],
        FaultKind::ConnectionReset => &["cannot reach", "reset", "closed"],
        FaultKind::MalformedJson => &["malformed"],
        FaultKind::TruncatedBody => &["cannot reach", "malformed", "truncated", "body", "closed"],
        FaultKind::CodeNotSuccess => &["Failed"],
        FaultKind::ExpiredCredentials => &["expired"],
        FaultKind::BadExpirationFormat => &["Expiration"],
        FaultKind::Latency => &[],
    }
}

fn status(engine: &Engine, name: &ProfileName) -> (ProfileState, Option<String>) {
    let s = engine
        .snapshot()
        .into_iter()
        .find(|s| s.name == name.as_str())
        .expect("status");
    (s.state, s.last_error)
}

async fn scenario(prov: Prov, kind: FaultKind) -> Result<(), String> {
    let cloud = FakeCloud::start(FakeCloudConfig::demo())
        .await
        .map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let (file, service, action) = setup(prov, &cloud, dir.path(), &secrets);
    let mut ctx = ProviderContext::new(secrets, Arc::new(SystemClock));
    ctx.env = Arc::new(|_| None);
    // A hung upstream must cost seconds here, not the default 15 s.
    ctx.http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let engine = Engine::start(file, ctx, Arc::new(StandardFactory));
    let target: ProfileName = "target".parse().map_err(|e: String| e)?;
    let now = || chrono::Utc::now();

    let first = engine
        .credentials(&target)
        .await
        .map_err(|e| format!("first fetch: {e}"))?;
    let mut spec = FaultSpec::new(kind).service(service).action(action);
    if kind == FaultKind::Latency {
        spec = spec.latency_ms(300);
    }
    cloud.set_fault(spec);

    // During the fault: refreshes fail (the engine retries with back-off, so
    // the state moves between refreshing and degraded), yet the valid cached
    // credentials are what every read returns.
    engine.refresh(Some(&target)).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let served = engine
            .credentials(&target)
            .await
            .map_err(|e| format!("during the fault nothing was served: {e}"))?;
        if served.is_expired_at(now()) {
            return Err("an expired credential was returned".into());
        }
        if kind != FaultKind::Latency && served != first {
            return Err("the cached credentials were not the ones served during the fault".into());
        }
        let (state, error) = status(&engine, &target);
        match (&state, kind) {
            (ProfileState::Fresh { .. }, FaultKind::Latency)
                if cloud.counters().faults.values().sum::<u64>() > 0 =>
            {
                break;
            }
            (ProfileState::Degraded { error: e, .. }, k) if k != FaultKind::Latency => {
                let msg = error.unwrap_or_default();
                if !says(kind)
                    .iter()
                    .any(|w| msg.to_lowercase().contains(&w.to_lowercase()))
                {
                    return Err(format!(
                        "error {msg:?} does not say what happened (expected one of {:?})",
                        says(kind)
                    ));
                }
                if msg.lines().count() != 1 || e.lines().count() != 1 {
                    return Err(format!("error is not one line: {msg:?}"));
                }
                break;
            }
            (
                ProfileState::Degraded { .. }
                | ProfileState::Expired { .. }
                | ProfileState::NeedsUser { .. },
                FaultKind::Latency,
            ) => {
                return Err(format!(
                    "added latency alone must not degrade: {state:?} {error:?}"
                ));
            }
            (ProfileState::Expired { .. } | ProfileState::NeedsUser { .. }, _) => {
                return Err(format!("valid cached credentials but state {state:?}"));
            }
            _ => {}
        }
        if Instant::now() > deadline {
            return Err(format!(
                "state never said what happened: {state:?} {error:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The fault clears: the profile recovers by itself (no restart, no user action).
    cloud.clear_faults();
    let _ = engine.refresh_now(&target).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let c = engine
            .credentials(&target)
            .await
            .map_err(|e| format!("after the fault: {e}"))?;
        if c.is_expired_at(now()) {
            return Err("an expired credential was returned after the fault".into());
        }
        let (state, error) = status(&engine, &target);
        match state {
            ProfileState::Fresh { .. } if error.is_none() => break,
            // A retry is under way: let it finish rather than pile on.
            ProfileState::Refreshing { .. } => {}
            _ => engine.refresh(Some(&target)).map_err(|e| e.to_string())?,
        }
        if Instant::now() > deadline {
            return Err(format!("did not recover: {state:?} {error:?}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    engine.shutdown().await;
    cloud.shutdown().await;
    Ok(())
}

fn applies(prov: Prov, kind: FaultKind) -> bool {
    // A KMS secret holds a long-term AccessKey: its answer has no Expiration to expire or misformat.
    !matches!(
        (prov, kind),
        (
            Prov::KmsSecret,
            FaultKind::ExpiredCredentials | FaultKind::BadExpirationFormat
        )
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_against_every_refreshing_provider() {
    let provs = [
        Prov::RamRoleArn,
        Prov::OidcRoleArn,
        Prov::EcsRamRole,
        Prov::CredentialsUri,
        Prov::KmsSecret,
    ];
    let mut ran = 0;
    let mut failures = Vec::new();
    for prov in provs {
        for kind in FAULTS {
            if !applies(prov, kind) {
                continue;
            }
            ran += 1;
            if let Err(e) = scenario(prov, kind).await {
                failures.push(format!("{prov:?} × {kind:?}: {e}"));
            }
        }
    }
    assert!(
        ran >= 50,
        "the matrix must cover at least 50 scenarios, ran {ran}"
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} scenarios failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
