//! The chain builder (recursion, injection, cycles, depth) and the
//! environment provider.

mod providers_common;

use alicred_core::credentials::Credentials;
use alicred_core::profile::{
    AccessKeyProfile, CredentialsUriProfile, EcsRamRoleProfile, Endpoints, EnvironmentProfile,
    ExternalProfile, KmsSecretProfile, PasswordSource, Profile, ProfileKind, RamRoleArnProfile,
};
use alicred_core::providers::{
    EnvironmentProvider, MAX_CHAIN_DEPTH, Provider, ProviderError, build, build_with,
};
use alicred_core::sensitive::Sensitive;
use async_trait::async_trait;
use providers_common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn ak(n: &str) -> Profile {
    profile(
        n,
        ProfileKind::AccessKey(AccessKeyProfile {
            max_key_age_days: None,
            user_name: None,
            endpoints: Endpoints::default(),
        }),
    )
}

fn role(n: &str, source: &str, role_arn: &str, sts: &str) -> Profile {
    profile(
        n,
        ProfileKind::RamRoleArn(RamRoleArnProfile {
            source: name(source),
            role_arn: role_arn.into(),
            session_name: format!("s-{n}"),
            duration_seconds: 3600,
            policy: None,
            external_id: None,
            endpoints: Endpoints {
                sts: Some(url(sts)),
                ..Endpoints::default()
            },
        }),
    )
}

#[tokio::test]
async fn builds_role_role_access_key_chains() {
    let cloud = cloud().await;
    let ctx = ctx();
    store_alice(&ctx, &cloud, "base");
    let sts = cloud.sts_url();
    let file = profiles(vec![
        ak("base"),
        role("mid", "base", &role_arn(&cloud, "admin"), &sts),
        role("top", "mid", &role_arn(&cloud, "readonly"), &sts),
    ]);
    let top = build(&name("top"), &file, &ctx).expect("build");
    let id = alicred_core::aliyun::verify(top.as_ref(), &ctx, &url(&sts))
        .await
        .expect("verify");
    assert!(id.arn.ends_with("role/readonly/s-top"), "{}", id.arn);
}

/// A stand-in for the engine's cached provider.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn Provider>,
    calls: Arc<AtomicUsize>,
}

#[async_trait]
impl Provider for Counting {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.retrieve().await
    }
    fn describe(&self) -> String {
        "cached".into()
    }
}

#[tokio::test]
async fn build_with_uses_injected_sources() {
    let cloud = cloud().await;
    let ctx = ctx();
    store_alice(&ctx, &cloud, "base");
    let sts = cloud.sts_url();
    let file = profiles(vec![
        ak("base"),
        role("mid", "base", &role_arn(&cloud, "admin"), &sts),
        role("top", "mid", &role_arn(&cloud, "readonly"), &sts),
    ]);
    let calls = Arc::new(AtomicUsize::new(0));
    let mid = Arc::new(Counting {
        inner: build(&name("mid"), &file, &ctx).expect("mid"),
        calls: calls.clone(),
    });
    let mut asked = Vec::new();
    let top = build_with(&name("top"), &file, &ctx, &mut |src| {
        asked.push(src.to_string());
        (src.as_str() == "mid").then(|| mid.clone() as Arc<dyn Provider>)
    })
    .expect("build");
    assert_eq!(asked, vec!["mid"], "base is never reached through mid");
    top.retrieve().await.expect("credentials");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // None = build it here, recursively.
    let mut asked = Vec::new();
    build_with(&name("top"), &file, &ctx, &mut |src| {
        asked.push(src.to_string());
        None
    })
    .expect("build");
    assert_eq!(asked, vec!["mid", "base"]);
}

#[test]
fn cycles_depth_and_missing_profiles_are_config_errors() {
    let ctx = ctx();
    let sts = "http://127.0.0.1:9/sts";
    let arn = "acs:ram::1234567890123456:role/x";
    let cyc = profiles(vec![
        role("a", "b", arn, sts),
        role("b", "c", arn, sts),
        role("c", "a", arn, sts),
    ]);
    match build(&name("a"), &cyc, &ctx) {
        Err(ProviderError::Config(m)) => {
            assert!(m.contains("a → b → c → a") && m.contains("cycle"), "{m}")
        }
        other => panic!("cycle: {other:?}"),
    }
    let selfref = profiles(vec![role("me", "me", arn, sts)]);
    assert!(matches!(
        build(&name("me"), &selfref, &ctx),
        Err(ProviderError::Config(_))
    ));

    // A chain of MAX_CHAIN_DEPTH + 1 roles over one key is too deep; one
    // of exactly MAX_CHAIN_DEPTH profiles is fine.
    let mut list = vec![ak("r0")];
    for i in 1..=MAX_CHAIN_DEPTH {
        list.push(role(&format!("r{i}"), &format!("r{}", i - 1), arn, sts));
    }
    let deep = profiles(list);
    assert!(build(&name(&format!("r{}", MAX_CHAIN_DEPTH - 1)), &deep, &ctx).is_ok());
    match build(&name(&format!("r{MAX_CHAIN_DEPTH}")), &deep, &ctx) {
        Err(ProviderError::Config(m)) => assert!(m.contains("deeper"), "{m}"),
        other => panic!("depth: {other:?}"),
    }

    let dangling = profiles(vec![role("lost", "gone", arn, sts)]);
    match build(&name("lost"), &dangling, &ctx) {
        Err(ProviderError::Config(m)) => assert!(m.contains("gone"), "{m}"),
        other => panic!("missing source: {other:?}"),
    }
}

#[test]
fn every_type_builds() {
    let ctx = ctx();
    let mut kms = profile(
        "kms",
        ProfileKind::KmsSecret(KmsSecretProfile {
            secret_name: "s".into(),
            client_key_file: "/x/ck.json".into(),
            client_key_password: PasswordSource::Env("PW".into()),
            endpoints: Endpoints::default(),
        }),
    );
    let file = profiles(vec![
        ak("ak"),
        profile(
            "env",
            ProfileKind::Environment(EnvironmentProfile::default()),
        ),
        profile(
            "ecs",
            ProfileKind::EcsRamRole(EcsRamRoleProfile {
                role_name: None,
                imdsv1_disabled: false,
                endpoints: Endpoints::default(),
            }),
        ),
        profile(
            "uri",
            ProfileKind::CredentialsUri(CredentialsUriProfile {
                uri: url("http://127.0.0.1:9/creds"),
                endpoints: Default::default(),
            }),
        ),
        profile(
            "ext",
            ProfileKind::External(ExternalProfile {
                command: "helper --json".into(),
                timeout_seconds: 60,
                endpoints: Default::default(),
            }),
        ),
        kms.clone(),
    ]);
    for n in ["ak", "env", "ecs", "uri", "ext"] {
        let p = build(&name(n), &file, &ctx).unwrap_or_else(|e| panic!("{n}: {e}"));
        assert!(!p.describe().is_empty());
    }
    // KMS is regional: no region and no endpoint is a configuration error.
    assert!(matches!(
        build(&name("kms"), &file, &ctx),
        Err(ProviderError::Config(_))
    ));
    kms.region = Some("cn-hangzhou".into());
    let file = profiles(vec![kms]);
    assert!(build(&name("kms"), &file, &ctx).is_ok());
}

#[tokio::test]
async fn environment_reads_alibaba_then_oss_variables() {
    let (ctx, env) = ctx_with_env(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
        ("OSS_ACCESS_KEY_ID", "LTAIoss"),
        ("OSS_ACCESS_KEY_SECRET", "oss-secret"),
        ("OSS_SESSION_TOKEN", "oss-token"),
    ]);
    let p = EnvironmentProvider::new(&ctx);
    let c = p.retrieve().await.expect("env");
    assert_eq!(c.access_key_id, "LTAIenv");
    assert_eq!(c.access_key_secret, Sensitive::new("env-secret"));
    assert!(c.security_token.is_none() && c.expiration.is_none());

    env.lock()
        .expect("env")
        .insert("ALIBABA_CLOUD_SECURITY_TOKEN".into(), "fc-token".into());
    let c = p.retrieve().await.expect("env with token");
    assert_eq!(c.security_token, Some(Sensitive::new("fc-token")));
    assert!(c.is_temporary());

    // An incomplete ALIBABA_CLOUD_* family falls through to OSS_*.
    env.lock()
        .expect("env")
        .remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    let c = p.retrieve().await.expect("oss");
    assert_eq!(c.access_key_id, "LTAIoss");
    assert_eq!(c.security_token, Some(Sensitive::new("oss-token")));

    env.lock().expect("env").clear();
    match p.retrieve().await {
        Err(ProviderError::NeedsUser(m)) => assert!(m.contains("ALIBABA_CLOUD_ACCESS_KEY_ID")),
        other => panic!("empty env: {other:?}"),
    }
}
