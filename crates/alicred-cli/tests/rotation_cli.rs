//! The `alicred rotate` contract: exit codes, one-line reasons, the two-key
//! rule, kms-secret profiles, and no secret in its output or on disk.

mod common;

use alicred_fakecloud::{
    AccessKeyPair, FakeCloud, FakeCloudConfig, FakeCloudHandle, FaultKind, FaultSpec, KeyStatus,
    Service,
};
use common::{Home, SecretScan, contains};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

const USER: &str = "rotator";

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn setup() -> (FakeCloudHandle, Home, AccessKeyPair) {
    let cloud = FakeCloud::start_background(FakeCloudConfig::demo()).expect("emulator");
    let first = cloud.create_user(USER).expect("user");
    let home = Home::new();
    let out = home
        .cmd()
        .args(["profile", "add", "dev", "--type", "access-key"])
        .args(["--sts-endpoint", &cloud.sts_url()])
        .args(["--ram-endpoint", &cloud.ram_url()])
        .write_stdin(format!(
            r#"{{"AccessKeyId":"{}","AccessKeySecret":"{}"}}"#,
            first.access_key_id, first.access_key_secret
        ))
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out));
    (cloud, home, first)
}

fn rotate(home: &Home, args: &[&str]) -> Output {
    home.cmd()
        .args(["rotate"])
        .args(args)
        .output()
        .expect("rotate runs")
}

fn creds(home: &Home) -> Value {
    let out = home
        .cmd()
        .args(["creds", "dev", "--json"])
        .output()
        .expect("creds");
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn rotation_prints_steps_and_leaves_no_secret_behind() {
    let (cloud, home, first) = setup();
    let out = rotate(&home, &["dev", "--yes", "--delete-old"]);
    assert!(out.status.success(), "{}", text(&out));
    let all = text(&out);
    for step in [
        "[listing]",
        "[creating]",
        "[verifying]",
        "[switching]",
        "[deleting]",
    ] {
        assert!(all.contains(step), "{step} missing: {all}");
    }
    let c = creds(&home);
    let new_secret = c["AccessKeySecret"].as_str().expect("secret").to_string();
    let new_id = c["AccessKeyId"].as_str().expect("id").to_string();
    assert_ne!(new_id, first.access_key_id);
    assert!(!all.contains(&new_secret) && !all.contains(&first.access_key_secret));
    for (path, bytes) in home.all_written_bytes() {
        assert!(
            !contains(&bytes, &new_secret) && !contains(&bytes, &first.access_key_secret),
            "{} holds a secret in plain text",
            path.display()
        );
    }
    let keys = cloud.list_access_keys(Some(USER)).expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].access_key_id, new_id);
    let v = home.cmd().args(["verify", "dev"]).output().expect("verify");
    assert!(v.status.success(), "{}", text(&v));
    // Every secret the emulator issued (the deleted key's too) is absent
    // from what these children printed and from every file.
    let scan = SecretScan::default();
    scan.record("rotate dev --yes --delete-old", &out, false);
    scan.record("verify dev", &v, false);
    scan.assert_clean(&home, &cloud);
}

#[test]
fn default_keeps_the_old_key_inactive_for_the_grace_period() {
    let (cloud, home, first) = setup();
    let out = rotate(&home, &["dev", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("will be deleted after"),
        "{}",
        text(&out)
    );
    let keys = cloud.list_access_keys(Some(USER)).expect("keys");
    let old = keys.iter().find(|k| k.access_key_id == first.access_key_id);
    assert_eq!(old.map(|k| k.status), Some(KeyStatus::Inactive));
    // A second rotation with --yes may delete that scheduled, inactive key.
    let out = rotate(&home, &["dev", "--yes", "--delete-old"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(cloud.list_access_keys(Some(USER)).expect("keys").len(), 1);
}

#[test]
fn an_active_second_key_stops_the_rotation() {
    let (cloud, home, first) = setup();
    let other = cloud.create_access_key(Some(USER)).expect("second key");
    let out = rotate(&home, &["dev", "--yes", "--delete-old"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&other.access_key_id) && err.contains(&first.access_key_id),
        "{err}"
    );
    assert_eq!(cloud.list_access_keys(Some(USER)).expect("keys").len(), 2);
}

#[test]
fn an_inactive_second_key_is_deleted_with_yes() {
    let (cloud, home, _first) = setup();
    let other = cloud.create_access_key(Some(USER)).expect("second key");
    cloud
        .set_access_key_status(&other.access_key_id, KeyStatus::Inactive)
        .expect("deactivate");
    let out = rotate(&home, &["dev", "--yes", "--delete-old"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("deleting the inactive key"),
        "{}",
        text(&out)
    );
    let keys = cloud.list_access_keys(Some(USER)).expect("keys");
    assert_eq!(keys.len(), 1);
    assert_ne!(keys[0].access_key_id, other.access_key_id);
}

#[test]
fn no_permission_is_one_line_that_says_what_to_do() {
    let (cloud, home, first) = setup();
    cloud.set_fault(
        FaultSpec::new(FaultKind::CodeNotSuccess)
            .service(Service::Ram)
            .action("CreateAccessKey")
            .code("NoPermission"),
    );
    let out = rotate(&home, &["dev", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("lacks ram:CreateAccessKey"), "{err}");
    assert!(err.contains("AliyunRAMFullAccess"), "{err}");
    assert_eq!(creds(&home)["AccessKeyId"], first.access_key_id.as_str());
}

#[test]
fn only_access_key_and_kms_secret_profiles_rotate() {
    let (_cloud, home, _first) = setup();
    let out = home
        .cmd()
        .args(["profile", "add", "env", "--type", "environment"])
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out));
    let out = rotate(&home, &["env", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("environment profile"), "{}", text(&out));
    let out = rotate(&home, &["nosuch", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn kms_secret_rotate_now() {
    let (cloud, home, _first) = setup();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/clientkey");
    let out = home
        .cmd()
        .args(["profile", "add", "kms", "--type", "kms-secret"])
        .args(["--secret-name", "demo-ram-secret"])
        .arg("--client-key-file")
        .arg(fixtures.join("clientKey_demo.json"))
        .arg("--client-key-password-file")
        .arg(fixtures.join("clientKey_demo_password.txt"))
        .args(["--kms-endpoint", &cloud.kms_url()])
        .args(["--sts-endpoint", &cloud.sts_url()])
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out));
    let out = rotate(&home, &["kms", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("KMS secret demo-ram-secret rotated"), "{all}");
    assert!(all.contains("next rotation"), "{all}");
    let out = rotate(&home, &["kms", "--yes", "--delete-old"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
