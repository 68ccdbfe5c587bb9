//! ecs-ram-role (hardened, v1 fallback, v1 disabled, role discovery) and
//! credentials-uri end to end against the emulator.

mod providers_common;

use alicred_core::aliyun::sts::get_caller_identity;
use alicred_core::profile::{EcsRamRoleProfile, Endpoints};
use alicred_core::providers::{
    CredentialsUriProvider, EcsRamRoleProvider, IMDSV1_DISABLED_ENV, METADATA_DISABLED_ENV,
    Provider, ProviderContext, ProviderError,
};
use alicred_fakecloud::{FakeCloudHandle, FaultKind, FaultSpec, Service};
use providers_common::*;

fn ecs(
    cloud: &FakeCloudHandle,
    ctx: &ProviderContext,
    role: Option<&str>,
    v1_disabled: bool,
) -> EcsRamRoleProvider {
    EcsRamRoleProvider::new(
        name("ecs"),
        &EcsRamRoleProfile {
            role_name: role.map(str::to_string),
            imdsv1_disabled: v1_disabled,
            endpoints: Endpoints::default(),
        },
        url(&cloud.ecs_url()),
        ctx,
    )
}

fn token_fault(cloud: &FakeCloudHandle) {
    cloud.set_fault(
        FaultSpec::new(FaultKind::InternalError)
            .service(Service::Ecs)
            .action("token"),
    );
}

#[tokio::test]
async fn ecs_hardened_with_role_discovery() {
    let cloud = cloud().await;
    cloud.set_ecs_hardened(true);
    let ctx = ctx();
    let c = ecs(&cloud, &ctx, None, true)
        .retrieve()
        .await
        .expect("hardened mode works with a token");
    assert!(c.security_token.is_some() && c.expiration.is_some());
    let id = get_caller_identity(&ctx, &url(&cloud.sts_url()), &c)
        .await
        .expect("identity");
    assert!(id.arn.contains("role/EcsDemoRole/"), "{}", id.arn);

    let named = ecs(&cloud, &ctx, Some("EcsDemoRole"), false)
        .retrieve()
        .await
        .expect("named role");
    assert!(named.access_key_id.starts_with("STS."));

    let wrong = ecs(&cloud, &ctx, Some("NoSuchRole"), false)
        .retrieve()
        .await;
    assert!(
        matches!(&wrong, Err(ProviderError::Config(m)) if m.contains("NoSuchRole")),
        "{wrong:?}"
    );
}

#[tokio::test]
async fn ecs_falls_back_to_v1_when_the_token_fails() {
    let cloud = cloud().await;
    cloud.set_ecs_hardened(false);
    token_fault(&cloud);
    let ctx = ctx();
    let c = ecs(&cloud, &ctx, None, false)
        .retrieve()
        .await
        .expect("IMDSv1 fallback");
    assert!(c.security_token.is_some());

    // Hardened server + failing token: the v1 GETs are refused (401).
    cloud.set_ecs_hardened(true);
    let e = ecs(&cloud, &ctx, None, false)
        .retrieve()
        .await
        .expect_err("401 without token");
    assert!(
        matches!(e, ProviderError::Upstream { status: 401, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn ecs_v1_disabled_fails_instead_of_falling_back() {
    let cloud = cloud().await;
    cloud.set_ecs_hardened(false);
    token_fault(&cloud);
    let ctx = ctx();
    let e = ecs(&cloud, &ctx, None, true)
        .retrieve()
        .await
        .expect_err("no fallback");
    assert!(
        matches!(e, ProviderError::Upstream { status: 500, .. }),
        "{e:?}"
    );
    let requests = cloud.counters().requests;
    assert!(
        !requests
            .keys()
            .any(|k| k.starts_with("ecs:") && !k.contains("token")),
        "no v1 request was made: {requests:?}"
    );

    // The same through the environment variable.
    let (env_ctx, _) = ctx_with_env(&[(IMDSV1_DISABLED_ENV, "true")]);
    assert!(ecs(&cloud, &env_ctx, None, false).retrieve().await.is_err());

    let (off, _) = ctx_with_env(&[(METADATA_DISABLED_ENV, "true")]);
    cloud.clear_faults();
    assert!(matches!(
        ecs(&cloud, &off, None, false).retrieve().await,
        Err(ProviderError::Config(_))
    ));
}

#[tokio::test]
async fn ecs_malformed_and_unreachable() {
    let cloud = cloud().await;
    let ctx = ctx();
    cloud.set_fault(
        FaultSpec::new(FaultKind::CodeNotSuccess)
            .service(Service::Ecs)
            .action("credentials")
            .times(1),
    );
    assert!(matches!(
        ecs(&cloud, &ctx, None, false).retrieve().await,
        Err(ProviderError::Upstream { .. })
    ));
    cloud.set_fault(
        FaultSpec::new(FaultKind::BadExpirationFormat)
            .service(Service::Ecs)
            .times(1),
    );
    assert!(matches!(
        ecs(&cloud, &ctx, None, false).retrieve().await,
        Err(ProviderError::Malformed { .. })
    ));
    // Nothing listens: a network error, quickly.
    let dead = EcsRamRoleProvider::new(
        name("dead"),
        &EcsRamRoleProfile {
            role_name: None,
            imdsv1_disabled: false,
            endpoints: Endpoints::default(),
        },
        url("http://127.0.0.1:9"),
        &ctx,
    );
    let start = std::time::Instant::now();
    assert!(matches!(
        dead.retrieve().await,
        Err(ProviderError::Network { .. })
    ));
    assert!(start.elapsed() < std::time::Duration::from_secs(8));
}

#[tokio::test]
async fn ecs_hang_is_cut_by_the_per_request_timeout() {
    let cloud = cloud().await;
    let ctx = ctx();
    cloud.set_fault(
        FaultSpec::new(FaultKind::Hang)
            .service(Service::Ecs)
            .action("credentials"),
    );
    let start = std::time::Instant::now();
    let e = ecs(&cloud, &ctx, None, false)
        .retrieve()
        .await
        .expect_err("hang");
    assert!(
        matches!(&e, ProviderError::Network { reason, .. } if reason == "timed out"),
        "{e:?}"
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn credentials_uri_role_and_user_sources() {
    let cloud = cloud().await;
    let ctx = ctx();
    let p = CredentialsUriProvider::new(url(&cloud.uri_url("demo")), &ctx);
    let c = p.retrieve().await.expect("uri credentials");
    assert!(c.security_token.is_some() && c.expiration.is_some());
    let id = get_caller_identity(&ctx, &url(&cloud.sts_url()), &c)
        .await
        .expect("identity");
    assert!(id.arn.contains("role/readonly/"), "{}", id.arn);

    cloud.create_user("uri-user").expect("user");
    cloud
        .add_uri_source_for_user("longterm", "uri-user")
        .expect("source");
    let lt = CredentialsUriProvider::new(url(&cloud.uri_url("longterm")), &ctx)
        .retrieve()
        .await
        .expect("long-term via uri");
    assert!(lt.security_token.is_none(), "SecurityToken \"\" = no token");
    assert!(lt.expiration.is_some());
}

#[tokio::test]
async fn credentials_uri_is_strict() {
    let cloud = cloud().await;
    let ctx = ctx();
    let p = CredentialsUriProvider::new(url(&cloud.uri_url("demo")), &ctx);
    let fault = |kind| {
        cloud.set_fault(FaultSpec::new(kind).service(Service::Uri).times(1));
    };
    fault(FaultKind::CodeNotSuccess);
    assert!(matches!(
        p.retrieve().await,
        Err(ProviderError::Upstream { status: 200, .. })
    ));
    fault(FaultKind::BadExpirationFormat);
    assert!(matches!(
        p.retrieve().await,
        Err(ProviderError::Malformed { .. })
    ));
    fault(FaultKind::ExpiredCredentials);
    assert!(matches!(
        p.retrieve().await,
        Err(ProviderError::AlreadyExpired { .. })
    ));
    fault(FaultKind::MalformedJson);
    assert!(matches!(
        p.retrieve().await,
        Err(ProviderError::Malformed { .. })
    ));
    fault(FaultKind::InternalError);
    assert!(matches!(
        p.retrieve().await,
        Err(ProviderError::Upstream { status: 500, .. })
    ));
    p.retrieve().await.expect("recovers");

    // Unknown source: 404, and the path (a capability, for alicred's own
    // endpoint) is not in the message.
    let missing = CredentialsUriProvider::new(url(&cloud.uri_url("secret-capability")), &ctx);
    let e = missing.retrieve().await.expect_err("404");
    assert!(
        matches!(e, ProviderError::Upstream { status: 404, .. }),
        "{e:?}"
    );
    let text = format!("{e} {}", missing.describe());
    assert!(!text.contains("secret-capability"), "{text}");
}
