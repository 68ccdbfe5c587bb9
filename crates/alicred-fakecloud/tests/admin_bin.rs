//! The admin HTTP API and the `alicred-fakecloud` binary.

mod common;

use alicred_fakecloud::{FakeCloud, FakeCloudConfig};
use common::*;
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};

#[tokio::test]
async fn admin_api_round_trip() {
    let cloud = FakeCloud::start(FakeCloudConfig::new())
        .await
        .expect("start");
    assert!(cloud.demo().is_none());
    let (status, _) = admin_get(&cloud, "/demo").await;
    assert_eq!(status, 404);

    let (status, user) = admin_post(&cloud, "/users", json!({"user_name": "carol"})).await;
    assert_eq!(status, 200, "{user}");
    let key = &user["access_key"];
    let carol = Creds::new(
        key["access_key_id"].as_str().expect("id"),
        key["access_key_secret"].as_str().expect("secret"),
    );
    let (status, who) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &carol).await;
    assert_eq!(
        (status, who["UserId"].as_str()),
        (200, user["user_id"].as_str())
    );

    let (status, role) = admin_post(
        &cloud,
        "/roles",
        json!({"role_name": "ops", "max_session_duration": 7200}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(role["arn"], "acs:ram::1234567890123456:role/ops");
    let (status, _) = admin_post(&cloud, "/lifetime", json!({"seconds": 60})).await;
    assert_eq!(status, 200);
    let (status, body) = sts(
        &cloud.sts_url(),
        "AssumeRole",
        &[
            ("RoleArn", "acs:ram::1234567890123456:role/ops"),
            ("RoleSessionName", "s1"),
            ("DurationSeconds", "7200"),
        ],
        &carol,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let (_, issued) = admin_get(&cloud, "/issued").await;
    let issued = issued["issued"].as_array().expect("issued").clone();
    let sts_rec = issued
        .iter()
        .find(|i| i["kind"] == "AssumeRole")
        .expect("sts record");
    assert_eq!(sts_rec["access_key_id"], body["Credentials"]["AccessKeyId"]);
    assert_eq!(sts_rec["expiration"], body["Credentials"]["Expiration"]);

    let (_, keys) = admin_get(&cloud, "/access-keys?user_name=carol").await;
    assert_eq!(keys["access_keys"][0]["status"], "Active");
    let (status, _) = admin_post(&cloud, "/access-keys", json!({"user_name": "carol"})).await;
    assert_eq!(status, 200);
    let (status, body) = admin_post(&cloud, "/access-keys", json!({"user_name": "carol"})).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (409, Some("LimitExceeded.User.AccessKey"))
    );
    let (status, _) = admin_post(
        &cloud,
        &format!("/access-keys/{}/status", carol.id),
        json!({"status": "Inactive"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = sts(&cloud.sts_url(), "GetCallerIdentity", &[], &carol).await;
    assert_eq!(status, 403);

    let (_, counters) = admin_get(&cloud, "/counters").await;
    assert_eq!(counters["requests"]["sts:GetCallerIdentity"], 2);
    assert_eq!(counters["errors"]["sts:GetCallerIdentity"], 1);
    assert_eq!(counters["issued"]["AssumeRole"], 1);

    // OIDC provider, URI source, ECS, secrets, client keys.
    let (status, _) = admin_post(
        &cloud,
        "/oidc-providers",
        json!({"arn": "acs:ram::1234567890123456:oidc-provider/ack", "tokens": ["t1"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = admin_post(
        &cloud,
        "/uri-sources",
        json!({"name": "u1", "role_name": "ops"}),
    )
    .await;
    assert_eq!(status, 200);
    let body: Value = client()
        .get(cloud.uri_url("u1"))
        .send()
        .await
        .expect("uri")
        .json()
        .await
        .expect("json");
    assert_eq!(body["Code"], "Success");
    let (status, ecs) = admin_post(
        &cloud,
        "/ecs",
        json!({"role_name": "NodeRole", "hardened": true}),
    )
    .await;
    assert_eq!((status, ecs["hardened"].as_bool()), (200, Some(true)));
    let (status, secret) = admin_post(
        &cloud,
        "/secrets",
        json!({"secret_name": "s1", "user_name": "svc"}),
    )
    .await;
    assert_eq!(status, 200, "{secret}");
    let (_, versions) = admin_get(&cloud, "/secrets/s1").await;
    assert_eq!(versions["versions"][0]["stages"][0], "ACSCurrent");
    let (status, _) = admin_post(
        &cloud,
        "/client-keys",
        json!({"key_id": "KAAP.x", "public_key_pem": alicred_fakecloud::DEMO_CLIENT_KEY_PUBLIC_PEM}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = admin_post(
        &cloud,
        "/client-keys",
        json!({"key_id": "KAAP.y", "public_key_pem": "nope"}),
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidParameter.PublicKey"))
    );
    cloud.shutdown().await;
}

#[test]
fn background_server_for_sync_callers() {
    let cloud = FakeCloud::start_background(FakeCloudConfig::demo()).expect("start");
    let addr = cloud.addr();
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    use std::io::Write as _;
    s.write_all(b"GET /_admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    cloud.shutdown_blocking();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "listener closed"
    );
}

#[test]
fn library_refuses_non_loopback() {
    let cfg = FakeCloudConfig::new().listen("0.0.0.0:0".parse().expect("addr"));
    let err = FakeCloud::start_background(cfg).expect_err("refused");
    assert!(err.to_string().contains("loopback"));
}

#[test]
fn binary_refuses_non_loopback() {
    let out = Command::new(env!("CARGO_BIN_EXE_alicred-fakecloud"))
        .args(["--listen", "0.0.0.0:18080"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("loopback"));
}

#[test]
fn binary_prints_ready_line_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alicred-fakecloud"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--demo",
            "--lifetime-seconds",
            "60",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().expect("a line").expect("utf8");
    let url = line
        .strip_prefix("alicred-fakecloud listening on ")
        .expect("ready line")
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");

    // The demo world is there; its secret is never printed.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let demo: Value = rt.block_on(async {
        client()
            .get(format!("{url}/_admin/demo"))
            .send()
            .await
            .expect("demo")
            .json()
            .await
            .expect("json")
    });
    let secret = demo["alice"]["access_key_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_eq!(demo["account_id"], "1234567890123456");

    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "{exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(rest.is_empty(), "only one stdout line: {rest:?}");
    assert!(!stderr.contains(&secret) && !line.contains(&secret));
}
