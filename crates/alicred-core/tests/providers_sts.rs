//! access-key, sts-token, ram-role-arn (chains) and oidc-role-arn end to end
//! against the emulator, plus how RPC failures map onto ProviderError.

mod providers_common;

use alicred_core::aliyun::endpoints;
use alicred_core::aliyun::sts::{AssumeRoleRequest, assume_role, get_caller_identity};
use alicred_core::aliyun::verify;
use alicred_core::credentials::Credentials;
use alicred_core::profile::{
    AccessKeyProfile, Endpoints, OidcRoleArnProfile, ProfileKind, RamRoleArnProfile,
    StsTokenProfile,
};
use alicred_core::providers::{
    AccessKeyProvider, OidcRoleArnProvider, Provider, ProviderError, ProviderInfo,
    StsTokenProvider, build,
};
use alicred_core::sensitive::Sensitive;
use alicred_fakecloud::{FaultKind, FaultSpec, Service};
use chrono::Utc;
use providers_common::*;
use std::time::Duration;

fn ak_profile(n: &str) -> alicred_core::profile::Profile {
    profile(
        n,
        ProfileKind::AccessKey(AccessKeyProfile {
            max_key_age_days: None,
            user_name: None,
            endpoints: Endpoints::default(),
        }),
    )
}

fn role_profile(
    n: &str,
    source: &str,
    role_arn: &str,
    session: &str,
    sts: &str,
) -> alicred_core::profile::Profile {
    profile(
        n,
        ProfileKind::RamRoleArn(RamRoleArnProfile {
            source: name(source),
            role_arn: role_arn.into(),
            session_name: session.into(),
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

fn long_term(id: &str, secret: &str) -> Credentials {
    Credentials::long_term(id, Sensitive::new(secret), Utc::now())
}

#[tokio::test]
async fn access_key_from_keyring_verifies() {
    let cloud = cloud().await;
    let ctx = ctx();
    store_alice(&ctx, &cloud, "alice");
    let p = AccessKeyProvider::new(name("alice"), &ctx);
    let c = p.retrieve().await.expect("credentials");
    assert_eq!(c.access_key_id, "LTAI5tDemoAliceKey000001");
    assert!(c.security_token.is_none() && c.expiration.is_none());
    let id = verify(&p, &ctx, &url(&cloud.sts_url()))
        .await
        .expect("verify");
    assert_eq!(id.identity_type, "RAMUser");
    assert_eq!(id.account_id, "1234567890123456");
    assert!(id.arn.ends_with(":user/alice"), "{}", id.arn);
    let json = serde_json::to_value(&id).expect("serialize");
    assert_eq!(json["account_id"], "1234567890123456");
}

#[tokio::test]
async fn access_key_missing_asks_the_user() {
    let ctx = ctx();
    let p = AccessKeyProvider::new(name("nokey"), &ctx);
    assert_eq!(
        p.retrieve().await,
        Err(ProviderError::NeedsUser(
            "profile nokey has no AccessKey in the keyring: store one".into()
        ))
    );
}

#[tokio::test]
async fn sts_token_serves_until_its_expiration() {
    let cloud = cloud().await;
    let ctx = ctx();
    let demo = cloud.demo().expect("demo");
    let sts = url(&cloud.sts_url());
    let issued = assume_role(
        &ctx,
        &sts,
        &long_term(&demo.alice.access_key_id, &demo.alice.access_key_secret),
        &AssumeRoleRequest {
            role_arn: role_arn(&cloud, "readonly"),
            session_name: "pasted".into(),
            duration_seconds: 3600,
            policy: None,
            external_id: None,
        },
    )
    .await
    .expect("assume");
    let c = &issued.credentials;
    store_key(
        &ctx,
        "pasted",
        &c.access_key_id,
        c.access_key_secret.expose(),
        c.security_token.as_ref().map(Sensitive::expose),
    );
    let p = StsTokenProvider::new(name("pasted"), c.expiration, &ctx);
    let id = verify(&p, &ctx, &sts).await.expect("verify");
    assert_eq!(id.identity_type, "AssumedRoleUser");
    assert!(id.arn.ends_with("role/readonly/pasted"), "{}", id.arn);

    let expired = StsTokenProvider::new(
        name("pasted"),
        Some(Utc::now() - chrono::Duration::seconds(5)),
        &ctx,
    );
    match expired.retrieve().await {
        Err(ProviderError::NeedsUser(m)) => {
            assert!(m.contains("expired") && m.contains("pasted"), "{m}")
        }
        other => panic!("expected NeedsUser, got {other:?}"),
    }
    // A key without a token is not an sts-token.
    store_key(&ctx, "half", "id", "secret", None);
    let half = StsTokenProvider::new(name("half"), None, &ctx);
    assert!(matches!(
        half.retrieve().await,
        Err(ProviderError::NeedsUser(_))
    ));
}

#[tokio::test]
async fn role_chain_of_depth_two_with_policy_external_id_and_duration() {
    let cloud = cloud().await;
    let ctx = ctx();
    let sts = cloud.sts_url();
    store_alice(&ctx, &cloud, "base");
    let mut r1 = role_profile("r1", "base", &role_arn(&cloud, "admin"), "first", &sts);
    let mut r2 = role_profile("r2", "r1", &role_arn(&cloud, "dev"), "second@x", &sts);
    if let ProfileKind::RamRoleArn(p) = &mut r1.kind {
        p.external_id = Some("ext-id:42".into());
    }
    if let ProfileKind::RamRoleArn(p) = &mut r2.kind {
        p.duration_seconds = 1800;
        // Spaces and `*` exercise the %20 / %2A encoding in the signature.
        p.policy = Some(
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#
                .into(),
        );
    }
    let file = profiles(vec![ak_profile("base"), r1, r2]);
    let provider = build(&name("r2"), &file, &ctx).expect("build");
    let before = Utc::now();
    let c = provider.retrieve().await.expect("chained credentials");
    assert!(c.access_key_id.starts_with("STS."), "{}", c.access_key_id);
    let left = c.expiration.expect("temporary") - before;
    assert!(
        (1790..=1810).contains(&left.num_seconds()),
        "duration {left}"
    );
    let id = get_caller_identity(&ctx, &url(&sts), &c)
        .await
        .expect("identity");
    assert!(id.arn.ends_with("role/dev/second@x"), "{}", id.arn);
    assert!(matches!(
        provider.info(),
        Some(ProviderInfo::AssumedRole { ref arn, .. }) if arn.ends_with("role/dev/second@x")
    ));
    assert!(provider.describe().contains("profile r1"));
    let issued = cloud.issued();
    assert_eq!(
        issued.iter().filter(|i| i.kind == "AssumeRole").count(),
        2,
        "one AssumeRole per link"
    );
}

#[tokio::test]
async fn assume_role_params_reach_sts() {
    let cloud = cloud().await;
    let ctx = ctx();
    let demo = cloud.demo().expect("demo");
    let src = long_term(&demo.alice.access_key_id, &demo.alice.access_key_secret);
    let sts = url(&cloud.sts_url());
    let req = |policy: Option<&str>, ext: Option<&str>, duration: u32| AssumeRoleRequest {
        role_arn: role_arn(&cloud, "admin"),
        session_name: "s1".into(),
        duration_seconds: duration,
        policy: policy.map(str::to_string),
        external_id: ext.map(str::to_string),
    };
    // Each bad value is refused, so each was sent (and signed correctly).
    let bad_policy = assume_role(&ctx, &sts, &src, &req(Some("not json"), None, 3600)).await;
    assert!(
        matches!(&bad_policy, Err(ProviderError::Upstream { code, status: 400, .. }) if code == "InvalidParameter.PolicyGrammar"),
        "{bad_policy:?}"
    );
    let bad_ext = assume_role(&ctx, &sts, &src, &req(None, Some("a b"), 3600)).await;
    assert!(
        matches!(&bad_ext, Err(ProviderError::Upstream { code, .. }) if code == "InvalidParameter.ExternalId"),
        "{bad_ext:?}"
    );
    let too_long = assume_role(&ctx, &sts, &src, &req(None, None, 7200)).await;
    assert!(
        matches!(&too_long, Err(ProviderError::Upstream { code, .. }) if code == "InvalidParameter.DurationSeconds"),
        "{too_long:?}"
    );
    let ok = assume_role(
        &ctx,
        &sts,
        &src,
        &req(Some(r#"{"Statement": []}"#), Some("ok-id"), 900),
    )
    .await
    .expect("valid request");
    let u = ok.assumed_role_user.expect("AssumedRoleUser");
    assert!(u.arn.ends_with("role/admin/s1"));
}

#[tokio::test]
async fn rpc_failures_map_to_provider_errors() {
    let cloud = cloud().await;
    let mut ctx = ctx();
    ctx.http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let demo = cloud.demo().expect("demo");
    let src = long_term(&demo.alice.access_key_id, &demo.alice.access_key_secret);
    let sts = url(&cloud.sts_url());
    let call = || get_caller_identity(&ctx, &sts, &src);
    let fault = |kind| {
        cloud.set_fault(
            FaultSpec::new(kind)
                .service(Service::Sts)
                .action("GetCallerIdentity")
                .times(1),
        );
    };

    fault(FaultKind::Throttling);
    match call().await {
        Err(e @ ProviderError::Throttled { .. }) => {
            assert_eq!(e.retry_after(), Some(Duration::from_millis(1000)));
            assert!(e.is_transient());
        }
        other => panic!("throttling: {other:?}"),
    }
    fault(FaultKind::InternalError);
    match call().await {
        Err(e @ ProviderError::Upstream { status: 500, .. }) => assert!(e.is_transient()),
        other => panic!("500: {other:?}"),
    }
    fault(FaultKind::MalformedJson);
    assert!(matches!(call().await, Err(ProviderError::Malformed { .. })));
    fault(FaultKind::TruncatedBody);
    assert!(
        matches!(call().await, Err(ProviderError::Network { .. })),
        "truncated body"
    );
    fault(FaultKind::ConnectionReset);
    assert!(matches!(call().await, Err(ProviderError::Network { .. })));
    fault(FaultKind::Hang);
    match call().await {
        Err(ProviderError::Network { reason, endpoint }) => {
            assert_eq!(reason, "timed out");
            assert!(endpoint.ends_with("/sts"), "{endpoint}");
        }
        other => panic!("hang: {other:?}"),
    }
    cloud.clear_faults();
    call().await.expect("recovers when the fault clears");

    // An expired key's credentials are refused before anyone sees them.
    cloud.set_fault(
        FaultSpec::new(FaultKind::ExpiredCredentials)
            .service(Service::Sts)
            .times(1),
    );
    let req = AssumeRoleRequest {
        role_arn: role_arn(&cloud, "admin"),
        session_name: "exp".into(),
        duration_seconds: 3600,
        policy: None,
        external_id: None,
    };
    assert!(matches!(
        assume_role(&ctx, &sts, &src, &req).await,
        Err(ProviderError::AlreadyExpired { .. })
    ));
    cloud.set_fault(
        FaultSpec::new(FaultKind::BadExpirationFormat)
            .service(Service::Sts)
            .times(1),
    );
    assert!(matches!(
        assume_role(&ctx, &sts, &src, &req).await,
        Err(ProviderError::Malformed { .. })
    ));
}

#[tokio::test]
async fn errors_never_carry_secrets() {
    let cloud = cloud().await;
    let ctx = ctx();
    let sts = url(&cloud.sts_url());
    let demo = cloud.demo().expect("demo");
    // Wrong secret: the gateway answers SignatureDoesNotMatch with its
    // string-to-sign, which holds the request (and a token, if any).
    let mut bad = long_term(&demo.alice.access_key_id, "wrong-secret-value");
    bad.security_token = Some(Sensitive::new("TOKEN-secret-value+/="));
    let e = get_caller_identity(&ctx, &sts, &bad)
        .await
        .expect_err("bad signature");
    let text = format!("{e} {e:?}");
    assert!(matches!(&e, ProviderError::Upstream { code, .. } if code == "SignatureDoesNotMatch"));
    assert!(!text.contains("wrong-secret-value"), "{text}");
    assert!(!text.contains("TOKEN-secret"), "{text}");
    assert!(
        !text.contains("TOKEN%2Dsecret") && !text.contains("GET&"),
        "{text}"
    );

    let unknown = long_term("LTAI-nope", "x");
    let e = get_caller_identity(&ctx, &sts, &unknown)
        .await
        .expect_err("unknown key");
    assert!(
        matches!(&e, ProviderError::Upstream { status: 404, code, .. } if code == "InvalidAccessKeyId.NotFound"),
        "{e:?}"
    );
    assert!(!e.is_transient());
}

#[tokio::test]
async fn oidc_rereads_the_token_file_each_time() {
    let cloud = cloud().await;
    let ctx = ctx();
    let provider_arn = "acs:ram::1234567890123456:oidc-provider/rrsa";
    cloud
        .register_oidc_provider(provider_arn, &["token-one", "token-two"])
        .expect("oidc provider");
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "token-one\n").expect("write token");
    let p = OidcRoleArnProvider::new(
        name("rrsa"),
        &OidcRoleArnProfile {
            role_arn: role_arn(&cloud, "readonly"),
            oidc_provider_arn: provider_arn.into(),
            oidc_token_file: token_file.clone(),
            session_name: "pod".into(),
            duration_seconds: 900,
            policy: None,
            endpoints: Endpoints::default(),
        },
        url(&cloud.sts_url()),
        &ctx,
    );
    let c = p.retrieve().await.expect("first token accepted");
    assert!(c.security_token.is_some());

    // The platform rotates the file: an unknown token is now refused...
    std::fs::write(&token_file, "token-revoked").expect("write");
    let e = p.retrieve().await.expect_err("revoked token refused");
    assert!(matches!(e, ProviderError::Upstream { .. }), "{e:?}");
    assert!(!e.to_string().contains("token-revoked"), "{e}");
    // ...and the new one accepted, without rebuilding the provider.
    std::fs::write(&token_file, "token-two").expect("write");
    let c2 = p.retrieve().await.expect("second token accepted");
    assert_ne!(c.access_key_id, c2.access_key_id);
    let id = get_caller_identity(&ctx, &url(&cloud.sts_url()), &c2)
        .await
        .expect("identity");
    assert!(id.arn.ends_with("role/readonly/pod"), "{}", id.arn);
    assert_eq!(
        cloud
            .issued()
            .iter()
            .filter(|i| i.kind == "AssumeRoleWithOIDC")
            .count(),
        2
    );

    std::fs::remove_file(&token_file).expect("rm");
    match p.retrieve().await {
        Err(ProviderError::Config(m)) => {
            assert!(m.contains(&token_file.display().to_string()), "{m}")
        }
        other => panic!("missing file: {other:?}"),
    }
}

#[tokio::test]
async fn sts_endpoint_for_profiles() {
    let ctx = ctx();
    let mut p = ak_profile("x");
    p.region = Some("cn-shanghai".into());
    assert_eq!(
        endpoints::sts_for_profile(&p, &ctx).map(String::from),
        Ok("https://sts.cn-shanghai.aliyuncs.com/".into())
    );
    let t = profile(
        "t",
        ProfileKind::StsToken(StsTokenProfile {
            expiration: None,
            endpoints: Endpoints {
                sts: Some(url("http://127.0.0.1:9/sts")),
                ..Endpoints::default()
            },
        }),
    );
    assert_eq!(
        endpoints::sts_for_profile(&t, &ctx).map(String::from),
        Ok("http://127.0.0.1:9/sts".into())
    );
}
