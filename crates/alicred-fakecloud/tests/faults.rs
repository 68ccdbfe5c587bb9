//! Every fault kind, as a reqwest client sees it.

mod common;

use alicred_fakecloud::{FaultKind, FaultSpec, Service};
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test]
async fn server_errors_throttling_and_code_failures() {
    let cloud = start().await;
    let a = alice(&cloud);
    let url = cloud.sts_url();
    let cases = [
        (FaultKind::InternalError, 500, "InternalError"),
        (FaultKind::ServiceUnavailable, 503, "ServiceUnavailable"),
        (FaultKind::Throttling, 400, "Throttling.User"),
        (FaultKind::CodeNotSuccess, 400, "Failed"),
    ];
    for (kind, status, code) in cases {
        cloud.set_fault(FaultSpec::new(kind).service(Service::Sts).times(1));
        let p = signed("GET", "2015-04-01", "GetCallerIdentity", &[], Some(&a));
        let resp = client()
            .get(format!("{url}?{}", query(&p)))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status().as_u16(), status, "{kind:?}");
        if kind == FaultKind::Throttling {
            assert_eq!(
                resp.headers()
                    .get("x-acs-retry-after")
                    .and_then(|v| v.to_str().ok()),
                Some("1000")
            );
        }
        let body: Value = resp.json().await.expect("json");
        assert_error_shape(&body, code);
        // The fault was for one request only.
        let (s, _) = sts(&url, "GetCallerIdentity", &[], &a).await;
        assert_eq!(s, 200, "{kind:?} cleared itself");
    }
    assert_eq!(
        cloud.counters().faults.get("sts:GetCallerIdentity"),
        Some(&4)
    );

    // Scoped by action: AssumeRole fails, GetCallerIdentity does not.
    cloud.set_fault(
        FaultSpec::new(FaultKind::InternalError)
            .service(Service::Sts)
            .action("AssumeRole"),
    );
    let (s, _) = sts(&url, "GetCallerIdentity", &[], &a).await;
    assert_eq!(s, 200);
    let (s, _) = sts(
        &url,
        "AssumeRole",
        &[
            ("RoleArn", "acs:ram::1234567890123456:role/admin"),
            ("RoleSessionName", "x1"),
        ],
        &a,
    )
    .await;
    assert_eq!(s, 500);
    cloud.clear_faults();
    assert!(cloud.faults().is_empty());

    // ECS / URI: 200 with Code != Success.
    cloud.set_fault(
        FaultSpec::new(FaultKind::CodeNotSuccess)
            .service(Service::Uri)
            .times(1),
    );
    let resp = client()
        .get(cloud.uri_url("demo"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["Code"], "Failed");
}

#[tokio::test]
async fn connection_reset_truncation_and_hang() {
    let cloud = start().await;
    let uri = cloud.uri_url("demo");

    cloud.set_fault(
        FaultSpec::new(FaultKind::ConnectionReset)
            .service(Service::Uri)
            .times(1),
    );
    let err = client().get(&uri).send().await.expect_err("reset");
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );
    assert!(!err.is_timeout());

    cloud.set_fault(
        FaultSpec::new(FaultKind::TruncatedBody)
            .service(Service::Uri)
            .times(1),
    );
    let resp = client().get(&uri).send().await.expect("headers arrive");
    assert_eq!(resp.status(), 200);
    let err = resp.bytes().await.expect_err("body is cut short");
    assert!(
        err.is_body() || err.is_decode() || err.is_request(),
        "{err:?}"
    );

    cloud.set_fault(
        FaultSpec::new(FaultKind::Hang)
            .service(Service::Uri)
            .times(1),
    );
    let short = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(500))
        .build()
        .expect("client");
    let t0 = Instant::now();
    let err = short.get(&uri).send().await.expect_err("hangs");
    assert!(err.is_timeout(), "{err:?}");
    assert!(t0.elapsed() >= Duration::from_millis(450));

    // The hung request does not block other clients; the server is healthy afterwards.
    let body: Value = client()
        .get(&uri)
        .send()
        .await
        .expect("ok")
        .json()
        .await
        .expect("json");
    assert_eq!(body["Code"], "Success");
}

#[tokio::test]
async fn malformed_expired_bad_format_and_latency() {
    let cloud = start().await;
    let uri = cloud.uri_url("demo");

    cloud.set_fault(
        FaultSpec::new(FaultKind::MalformedJson)
            .service(Service::Uri)
            .times(1),
    );
    let resp = client().get(&uri).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.json::<Value>().await.is_err());

    cloud.set_fault(FaultSpec::new(FaultKind::ExpiredCredentials).times(1));
    let body: Value = client()
        .get(&uri)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let exp = body["Expiration"].as_str().expect("exp");
    let exp = chrono::NaiveDateTime::parse_from_str(exp, "%Y-%m-%dT%H:%M:%SZ").expect("format");
    assert!(exp.and_utc() < chrono::Utc::now());
    let c = Creds::from_json(&body);
    let (status, body) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &c).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidSecurityToken.Expired"))
    );

    cloud.set_fault(
        FaultSpec::new(FaultKind::BadExpirationFormat)
            .service(Service::Ecs)
            .times(1),
    );
    let ecs = format!(
        "{}/latest/meta-data/ram/security-credentials/EcsDemoRole",
        cloud.ecs_url()
    );
    let body: Value = client()
        .get(&ecs)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let exp = body["Expiration"].as_str().expect("exp");
    assert_eq!(exp.len(), 19);
    assert_eq!(&exp[10..11], " ", "{exp}");

    // Credential-shaping faults only touch credential-issuing requests.
    cloud.set_fault(
        FaultSpec::new(FaultKind::ExpiredCredentials)
            .service(Service::Sts)
            .times(1),
    );
    let a = alice(&cloud);
    let (status, _) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &a).await;
    assert_eq!(status, 200);
    let (status, body) = sts(
        &cloud.sts_url(),
        "AssumeRole",
        &[
            ("RoleArn", "acs:ram::1234567890123456:role/admin"),
            ("RoleSessionName", "x1"),
        ],
        &a,
    )
    .await;
    assert_eq!(status, 200);
    let exp = body["Credentials"]["Expiration"].as_str().expect("exp");
    let exp = chrono::NaiveDateTime::parse_from_str(exp, "%Y-%m-%dT%H:%M:%SZ").expect("format");
    assert!(exp.and_utc() < chrono::Utc::now());

    cloud.set_fault(
        FaultSpec::new(FaultKind::Latency)
            .service(Service::Uri)
            .latency_ms(400)
            .times(1),
    );
    let t0 = Instant::now();
    let resp = client().get(&uri).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(t0.elapsed() >= Duration::from_millis(380));
}

#[tokio::test]
async fn faults_through_the_admin_api() {
    let cloud = start().await;
    let (status, body) = admin_post(
        &cloud,
        "/faults",
        serde_json::json!({"service": "ecs", "action": "credentials", "kind": "service_unavailable"}),
    )
    .await;
    assert_eq!(status, 200);
    let id = body["id"].as_u64().expect("id");
    let ecs = format!(
        "{}/latest/meta-data/ram/security-credentials/EcsDemoRole",
        cloud.ecs_url()
    );
    let resp = client().get(&ecs).send().await.expect("send");
    assert_eq!(resp.status(), 503);
    let list = client()
        .get(cloud.ecs_url() + "/latest/meta-data/ram/security-credentials/")
        .send()
        .await
        .expect("send");
    assert_eq!(list.status(), 200, "only the credentials path is faulted");
    let (_, faults) = admin_get(&cloud, "/faults").await;
    assert_eq!(faults[0]["id"], id);
    let resp = client()
        .delete(format!("{}/faults/{id}", cloud.admin_url()))
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 200);
    let resp = client().get(&ecs).send().await.expect("send");
    assert_eq!(resp.status(), 200);
}
