//! `alicred import aliyun-cli` maps CloudSSO and OAuth profiles and moves their tokens
//! into the keyring (not into any file); an expired sign-in is imported and asks for a
//! sign-in.

mod common;
mod signin_common;

use alicred_fakecloud::{FakeCloud, FakeCloudConfig, SsoAccessConfig, SsoAssignment};
use common::Home;
use serde_json::{Value, json};
use signin_common::{assert_no_token, text};

#[test]
fn cloud_sso_and_oauth_profiles_import_with_their_tokens() {
    let cloud = FakeCloud::start_background(FakeCloudConfig::new()).expect("emulator");
    cloud
        .sso_assign(SsoAssignment {
            account_id: "1111222233334444".into(),
            display_name: "Prod".into(),
            access_configurations: vec![SsoAccessConfig {
                id: "ac-admin".into(),
                name: "Admin".into(),
                description: String::new(),
                role_name: None,
            }],
        })
        .expect("assign");
    let sso_token = cloud.sso_issue_token();
    let (access, refresh) = cloud.oauth_issue_tokens();
    let now = chrono::Utc::now().timestamp();
    let url = format!("{}/d-imported/login", cloud.base_url());
    let old_url = format!("{}/d-old/login", cloud.base_url());
    let config = json!({"current": "sso", "profiles": [
        {"name": "sso", "mode": "CloudSSO", "cloud_sso_sign_in_url": url,
         "cloud_sso_access_token": sso_token, "cloud_sso_access_token_expire": now + 3600,
         "cloud_sso_account_id": "1111222233334444", "cloud_sso_access_config": "ac-admin",
         "sts_endpoint": cloud.sts_url()},
        {"name": "sso-two", "mode": "CloudSSO", "cloud_sso_sign_in_url": url,
         "cloud_sso_access_token": "older-token-value-5678", "cloud_sso_access_token_expire": now + 60,
         "cloud_sso_account_id": "1111222233334444", "cloud_sso_access_config": "ac-admin"},
        {"name": "sso-old", "mode": "CloudSSO", "cloud_sso_sign_in_url": old_url,
         "cloud_sso_access_token": "expired-token-value-1234", "cloud_sso_access_token_expire": now - 60,
         "cloud_sso_account_id": "1111222233334444", "cloud_sso_access_config": "ac-admin"},
        {"name": "me", "mode": "OAuth", "oauth_site_type": "CN",
         "oauth_access_token": access, "oauth_refresh_token": refresh,
         "oauth_access_token_expire": now + 7200},
    ]});
    let home = Home::new();
    let file = home.file("aliyun-config.json");
    std::fs::write(&file, config.to_string()).expect("write");
    let out = home
        .cmd()
        .args([
            "import",
            "aliyun-cli",
            "--file",
            file.to_str().expect("utf8"),
            "--json",
        ])
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", text(&out));
    let done: Value = serde_json::from_slice(&out.stdout).expect("json");
    let imported: Vec<(String, String)> = done["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").into(),
                p["type"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    for (name, ty) in [
        ("sso", "cloud-sso"),
        ("sso-two", "cloud-sso"),
        ("sso-old", "cloud-sso"),
        ("me", "oauth"),
    ] {
        assert!(
            imported.contains(&(name.into(), ty.into())),
            "{name} in {imported:?}"
        );
    }
    std::fs::remove_file(&file).expect("the source file is ours to remove for the scan");

    // The OAuth profile keeps the site defaults; point it at the emulator for the check.
    let list: Vec<Value> = serde_json::from_slice(
        &home
            .cmd()
            .args(["profile", "list", "--json"])
            .output()
            .expect("list")
            .stdout,
    )
    .expect("json");
    let sso = list.iter().find(|p| p["name"] == "sso").expect("sso");
    assert_eq!(sso["sso_session"], "aliyun-d-imported");
    assert_eq!(sso["account_id"], "1111222233334444");
    let me = list.iter().find(|p| p["name"] == "me").expect("me");
    assert_eq!(me["site"], "cn");
    // The sign-in's end is noted on the session's profiles (the tray, the
    // reminders and the status read it): the longer-lived token's, for both.
    let ends = |n: &str| {
        let p = list.iter().find(|p| p["name"] == n).expect("profile");
        chrono::DateTime::parse_from_rfc3339(p["sign_in_expires"].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{n}: no sign_in_expires ({e}): {p}"))
            .timestamp()
    };
    assert_eq!(ends("sso"), now + 3600);
    assert_eq!(ends("sso-two"), now + 3600);
    assert_eq!(ends("sso-old"), now - 60);

    // Profiles of one session share its token (the longer-lived one was kept).
    for name in ["sso", "sso-two"] {
        let out = home
            .cmd()
            .args(["creds", name, "--json"])
            .output()
            .expect("creds");
        assert!(out.status.success(), "{name}: {}", text(&out));
    }
    // An expired sign-in was imported, and asks for a sign-in naming the command.
    let out = home
        .cmd()
        .args(["creds", "sso-old", "--json"])
        .output()
        .expect("creds");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(err.contains("alicred sso login aliyun-d-old"), "{err}");
    // ...and the OAuth tokens are in the keyring (the site's real URLs are not
    // reachable here, so the profile is re-pointed at the emulator).
    let out = home
        .cmd()
        .args(["profile", "add", "me", "--type", "oauth", "--replace"])
        .args([
            "--oauth-sign-in-url",
            &cloud.base_url(),
            "--oauth-endpoint",
            &cloud.base_url(),
        ])
        .output()
        .expect("re-point");
    assert!(out.status.success(), "{}", text(&out));
    let out = home
        .cmd()
        .args(["creds", "me", "--json"])
        .output()
        .expect("creds");
    assert!(out.status.success(), "{}", text(&out));
    assert_no_token(
        &home,
        &[&String::from_utf8_lossy(&out.stdout), &err],
        &[
            sso_token,
            access,
            refresh,
            "expired-token-value-1234".into(),
            "older-token-value-5678".into(),
        ],
    );
    cloud.shutdown_blocking();
}
