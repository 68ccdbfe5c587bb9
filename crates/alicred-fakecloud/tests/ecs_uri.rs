//! ECS metadata (IMDSv1/v2, hardened mode) and credentials-URI sources over real HTTP.

mod common;

use common::*;
use serde_json::Value;

const CREDS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

#[tokio::test]
async fn ecs_unhardened_and_hardened() {
    let cloud = start().await;
    let http = client();
    let ecs = cloud.ecs_url();

    let role = http
        .get(format!("{ecs}{CREDS_PATH}"))
        .send()
        .await
        .expect("get");
    assert_eq!(role.status(), 200);
    assert_eq!(role.text().await.expect("text").trim(), "EcsDemoRole");

    let resp = http
        .get(format!("{ecs}{CREDS_PATH}EcsDemoRole"))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["Code"], "Success");
    for f in [
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
        "Expiration",
        "LastUpdated",
    ] {
        assert!(body[f].is_string(), "{f} in {body}");
    }
    let c = Creds::from_json(&body);
    let (status, who) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &c).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(who["IdentityType"], "AssumedRoleUser");

    // The same credentials are served again while fresh.
    let again: Value = http
        .get(format!("{ecs}{CREDS_PATH}EcsDemoRole"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(again["AccessKeyId"], body["AccessKeyId"]);

    // The same service without the /ecs prefix, for clients that only change the host.
    let alias = http
        .get(format!("{}{CREDS_PATH}", cloud.base_url()))
        .send()
        .await
        .expect("get");
    assert_eq!(alias.text().await.expect("text"), "EcsDemoRole");

    let missing = http
        .get(format!("{ecs}{CREDS_PATH}OtherRole"))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), 404);

    // Hardened: no token → 401, bad token → 403, valid token → 200.
    cloud.set_ecs_hardened(true);
    let resp = http
        .get(format!("{ecs}{CREDS_PATH}"))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 401);
    let resp = http
        .get(format!("{ecs}{CREDS_PATH}EcsDemoRole"))
        .header("X-aliyun-ecs-metadata-token", "forged")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 403);
    let token = http
        .put(format!("{ecs}/latest/api/token"))
        .header("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")
        .send()
        .await
        .expect("put");
    assert_eq!(token.status(), 200);
    let token = token.text().await.expect("token");
    let resp = http
        .get(format!("{ecs}{CREDS_PATH}EcsDemoRole"))
        .header("X-aliyun-ecs-metadata-token", &token)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 200);
    let resp = http
        .put(format!("{ecs}/latest/api/token"))
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), 400, "ttl header is required");
    assert_eq!(cloud.counters().requests.get("ecs:credentials"), Some(&5));
}

#[tokio::test]
async fn ecs_credentials_follow_lifetime_override() {
    let cloud = start().await;
    cloud.set_lifetime(Some(2));
    let http = client();
    let url = format!("{}{CREDS_PATH}EcsDemoRole", cloud.ecs_url());
    let first: Value = http
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let second: Value = http
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_ne!(
        first["AccessKeyId"], second["AccessKeyId"],
        "renewed past half-life"
    );
}

#[tokio::test]
async fn uri_sources() {
    let cloud = start().await;
    let http = client();
    let body: Value = http
        .get(cloud.uri_url("demo"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(body["Code"], "Success");
    let c = Creds::from_json(&body);
    assert!(c.id.starts_with("STS."));
    let (status, who) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &c).await;
    assert_eq!(status, 200);
    assert!(
        who["Arn"]
            .as_str()
            .is_some_and(|a| a.starts_with("acs:ram::1234567890123456:assumed-role/readonly/"))
    );

    let resp = http.get(cloud.uri_url("nope")).send().await.expect("get");
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.expect("json");
    assert_ne!(body["Code"], "Success");

    cloud
        .add_uri_source_for_user("static", "alice")
        .expect("source");
    let body: Value = http
        .get(cloud.uri_url("static"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(body["SecurityToken"], "");
    assert_eq!(body["AccessKeyId"], alicred_fakecloud::DEMO_ALICE_KEY_ID);
}
