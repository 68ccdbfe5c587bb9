//! Importing the aliyun CLI config and the SDK credentials file, and the
//! export formats that hand credentials back to those tools.

mod common;
use common::{Home, contains};
use serde_json::Value;
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn json(home: &Home, args: &[&str]) -> Value {
    let out = home.cmd().args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn aliyun_cli_config_imports_every_mappable_mode() {
    let home = Home::new();
    let src = fixture("aliyun-cli/config.json");
    let original = std::fs::read(&src).expect("fixture");

    let dry = json(
        &home,
        &[
            "import",
            "aliyun-cli",
            "--file",
            src.to_str().expect("utf8"),
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(dry["dry_run"], true);
    assert!(
        !home.file("profiles.toml").exists(),
        "a dry run writes nothing"
    );
    let list = json(&home, &["profile", "list", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(0));

    let done = json(
        &home,
        &[
            "import",
            "aliyun-cli",
            "--file",
            src.to_str().expect("utf8"),
            "--json",
        ],
    );
    let types: Vec<(String, String)> = done["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").to_string(),
                p["type"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for (name, ty) in [
        ("ak", "access-key"),
        ("sts", "sts-token"),
        ("role-source", "access-key"),
        ("role", "ram-role-arn"),
        ("chained", "ram-role-arn"),
        ("ecs", "ecs-ram-role"),
        ("oidc", "oidc-role-arn"),
        ("external", "external"),
        ("uri", "credentials-uri"),
    ] {
        assert!(
            types.contains(&(name.to_string(), ty.to_string())),
            "{name} as {ty} missing from {types:?}"
        );
    }
    let skipped: Vec<String> = done["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| format!("{}: {}", s["name"], s["reason"]))
        .collect();
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("sso") && s.contains("CloudSSO")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("old") && s.contains("deprecated")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("broken ak") && s.contains("empty")),
        "{skipped:?}"
    );

    // Chains and fields survive; the source file is untouched; secrets went to the keyring only.
    let role = json(&home, &["profile", "show", "role", "--json"]);
    assert_eq!(role["source"], "role-source");
    assert_eq!(role["duration_seconds"], 3600);
    assert_eq!(role["external_id"], "ext-123");
    assert_eq!(
        json(&home, &["profile", "show", "chained", "--json"])["source"],
        "role"
    );
    assert_eq!(std::fs::read(&src).expect("fixture"), original);
    for (path, bytes) in home.all_written_bytes() {
        for s in [
            "FixtureAkSecret000000000000001",
            "FixtureStsSecret00000000000001",
            "CAISFixtureStsToken0000000001",
            "FixtureRoleSecret0000000000001",
        ] {
            assert!(!contains(&bytes, s), "{s} in {}", path.display());
        }
    }

    // Round trip: what goes back out in External mode is what came in.
    // A key with no expiry is printed with a rolling one (docs/link-aliyun-cli.md), so the
    // SDKs cache it; the rest must be what came in.
    let mut ext = json(&home, &["export", "ak", "--format", "aliyun-external"]);
    let expiration = ext
        .as_object_mut()
        .and_then(|o| o.remove("expiration"))
        .expect("an expiration");
    let expiration = chrono::DateTime::parse_from_rfc3339(expiration.as_str().expect("string"))
        .expect("RFC 3339");
    assert!(expiration > chrono::Utc::now(), "{expiration}");
    assert_eq!(
        ext,
        serde_json::json!({"mode": "AK", "access_key_id": "LTAI5tFixtureAk0001", "access_key_secret": "FixtureAkSecret000000000000001"})
    );
    let ext = json(&home, &["export", "sts", "--format", "aliyun-external"]);
    assert_eq!(ext["mode"], "StsToken");
    assert_eq!(ext["sts_token"], "CAISFixtureStsToken0000000001");
    assert_eq!(ext["expiration"], "3000-01-01T00:00:00Z");

    // Importing again keeps what exists unless told to replace.
    let again = json(
        &home,
        &[
            "import",
            "aliyun-cli",
            "--file",
            src.to_str().expect("utf8"),
            "--json",
        ],
    );
    assert!(
        again["profiles"]
            .as_array()
            .expect("p")
            .iter()
            .all(|p| p["action"] == "keep-existing"),
        "{again}"
    );
}

#[test]
fn sdk_credentials_file_imports_and_reports_what_it_cannot_map() {
    let home = Home::new();
    let src = fixture("ini/credentials.ini");
    let done = json(
        &home,
        &[
            "import",
            "ini",
            "--file",
            src.to_str().expect("utf8"),
            "--json",
        ],
    );
    let names: Vec<&str> = done["profiles"]
        .as_array()
        .expect("p")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for n in ["default", "client1", "client2-source", "client2", "client3"] {
        assert!(names.contains(&n), "{n} missing: {names:?}");
    }
    assert!(
        done["skipped"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("rsa_key_pair")
    );
    let c2 = json(&home, &["profile", "show", "client2", "--json"]);
    assert!(c2["policy"].as_str().unwrap_or("").contains("oss:Get*"));
    let creds = json(&home, &["creds", "default", "--json"]);
    assert_eq!(creds["AccessKeyId"], "LTAI5tFixtureIni0001");

    // The SDK's own variable picks the file when --file is absent.
    let home2 = Home::new();
    let out = home2
        .cmd()
        .args(["import", "ini", "--dry-run"])
        .env("ALIBABA_CLOUD_CREDENTIALS_FILE", &src)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("would add"));
}

#[test]
fn malformed_files_give_one_clear_line() {
    let home = Home::new();
    for (kind, file, says) in [
        (
            "aliyun-cli",
            "aliyun-cli/malformed.json",
            "not valid aliyun CLI config JSON",
        ),
        ("ini", "ini/malformed.ini", "line 3"),
        ("ini", "ini/does-not-exist.ini", "cannot read"),
    ] {
        let out = home
            .cmd()
            .args(["import", kind, "--file"])
            .arg(fixture(file))
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(
            err.contains(says) && err.trim().lines().count() == 1,
            "{file}: {err}"
        );
    }
    assert!(!home.file("profiles.toml").exists());
}

#[test]
fn export_formats() {
    let home = Home::new();
    let out = home
        .cmd()
        .args(["profile", "add", "k", "--type", "access-key"])
        .write_stdin(r#"{"AccessKeyId":"LTAI5tExport0001","AccessKeySecret":"it's-a-secret"}"#)
        .output()
        .expect("add");
    assert!(out.status.success());
    let env = home
        .cmd()
        .args(["export", "k", "--format", "env"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&env.stdout);
    assert!(
        text.contains(r#"export ALIBABA_CLOUD_ACCESS_KEY_SECRET='it'\''s-a-secret'"#),
        "{text}"
    );
    let v = json(&home, &["export", "k", "--format", "json"]);
    assert_eq!(v["Code"], "Success");
    assert_eq!(v["SecurityToken"], "");
}
