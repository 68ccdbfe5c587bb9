//! CloudSSO end to end against the emulator: `alicred sso login` (device flow, every
//! page of both lists), the profiles it makes, creds/verify, expiry, revocation,
//! logout, adding by hand, and every bad input (one line, nothing changed). No token
//! is printed or written to a file.

mod common;
mod signin_common;

use alicred_fakecloud::{
    FakeCloud, FakeCloudConfig, FakeCloudHandle, FaultKind, FaultSpec, Service, SsoAccessConfig,
    SsoAssignment,
};
use common::Home;
use serde_json::Value;
use signin_common::{assert_no_token, spawn, text};

fn ac(id: &str, name: &str) -> SsoAccessConfig {
    SsoAccessConfig {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        role_name: None,
    }
}

fn assign(cloud: &FakeCloudHandle, account: &str, name: &str, configs: &[(&str, &str)]) {
    cloud
        .sso_assign(SsoAssignment {
            account_id: account.into(),
            display_name: name.into(),
            access_configurations: configs.iter().map(|(i, n)| ac(i, n)).collect(),
        })
        .expect("assign");
}

fn setup() -> (FakeCloudHandle, Home) {
    let cloud = FakeCloud::start_background(FakeCloudConfig::new()).expect("emulator");
    assign(
        &cloud,
        "1111222233334444",
        "Prod Account",
        &[
            ("ac-admin", "Admin"),
            ("ac-ro", "ReadOnly"),
            ("ac-dev", "Dev"),
        ],
    );
    assign(
        &cloud,
        "2222333344445555",
        "Sandbox",
        &[("ac-admin", "Admin")],
    );
    assign(&cloud, "3333444455556666", "Logs", &[("ac-ro", "ReadOnly")]);
    (cloud, Home::new())
}

/// Runs `sso login`, approving (or denying) the code it prints.
fn login(
    cloud: &FakeCloudHandle,
    home: &Home,
    args: &[&str],
    approve: bool,
) -> (std::process::Output, String) {
    let mut run = spawn(home, args);
    let line = run.wait_line(|l| l.contains("confirm the code: "));
    let code = line.rsplit(' ').next().expect("code").to_string();
    assert!(
        run.stderr
            .iter()
            .any(|l| l.contains("/device?user_code=") && l.contains(&code)),
        "the verification URL with the code is printed: {:?}",
        run.stderr
    );
    assert_eq!(
        cloud.sso_decide(Some(&code), approve),
        1,
        "one pending sign-in with that code"
    );
    run.finish()
}

fn profiles(home: &Home) -> Vec<Value> {
    let out = home
        .cmd()
        .args(["profile", "list", "--json"])
        .output()
        .expect("list");
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn profiles_file(home: &Home) -> Option<Vec<u8>> {
    std::fs::read(home.file("profiles.toml")).ok()
}

#[test]
fn sign_in_makes_a_profile_per_assignment_and_they_work() {
    let (cloud, home) = setup();
    let url = cloud.sso_sign_in_url();
    let (out, stderr) = login(
        &cloud,
        &home,
        &[
            "sso",
            "login",
            "corp",
            "--sign-in-url",
            &url,
            "--no-browser",
        ],
        true,
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains("signed in to CloudSSO session corp until"),
        "{stdout}"
    );
    for name in [
        "corp-Prod-Account-Admin",
        "corp-Prod-Account-ReadOnly",
        "corp-Prod-Account-Dev",
        "corp-Sandbox-Admin",
        "corp-Logs-ReadOnly",
    ] {
        assert!(
            stdout.contains(&format!("added     {name}")),
            "{name} in {stdout}"
        );
    }
    // The account list has three entries over two pages; all are there.
    let list = profiles(&home);
    let sso: Vec<&Value> = list.iter().filter(|p| p["type"] == "cloud-sso").collect();
    assert_eq!(sso.len(), 5);
    let logs = sso
        .iter()
        .find(|p| p["name"] == "corp-Logs-ReadOnly")
        .expect("logs");
    assert_eq!(logs["account_id"], "3333444455556666");
    assert_eq!(logs["access_config"], "ac-ro");
    assert_eq!(logs["sso_session"], "corp");

    // Credentials, and who they are (GetCallerIdentity says assumed-role).
    let out = home
        .cmd()
        .args(["creds", "corp-Sandbox-Admin", "--json"])
        .output()
        .expect("creds");
    assert!(out.status.success(), "{}", text(&out));
    let c: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        c["AccessKeyId"]
            .as_str()
            .is_some_and(|k| k.starts_with("STS."))
    );
    let out = home
        .cmd()
        .args([
            "verify",
            "corp-Sandbox-Admin",
            "--sts-endpoint",
            &cloud.sts_url(),
        ])
        .output()
        .expect("verify");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("acs:ram::2222333344445555:assumed-role/sso-ac-admin/sso-user"),
        "{}",
        text(&out)
    );

    // exec, env and export work like for any profile.
    for args in [
        &[
            "exec",
            "corp-Sandbox-Admin",
            "--",
            "sh",
            "-c",
            "test -n \"$ALIBABA_CLOUD_SECURITY_TOKEN\"",
        ][..],
        &["env", "corp-Sandbox-Admin"][..],
        &[
            "export",
            "corp-Sandbox-Admin",
            "--format",
            "aliyun-external",
        ][..],
    ] {
        let out = home.cmd().args(args).output().expect("run");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        if args[0] != "exec" {
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("STS."),
                "{args:?}"
            );
        }
    }

    // `sso list` shows the session signed in.
    let out = home
        .cmd()
        .args(["sso", "list", "--json"])
        .output()
        .expect("sso list");
    let sessions: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(sessions[0]["name"], "corp");
    assert_eq!(sessions[0]["signed_in"], true);
    assert_eq!(sessions[0]["profiles"].as_array().map(Vec::len), Some(5));

    // Signing in again adds new assignments and deletes nothing without --prune.
    assign(
        &cloud,
        "2222333344445555",
        "Sandbox",
        &[("ac-ro", "ReadOnly")],
    );
    assign(&cloud, "4444555566667777", "New", &[("ac-admin", "Admin")]);
    let (out, stderr2) = login(
        &cloud,
        &home,
        &["login", "corp-Logs-ReadOnly", "--no-browser"],
        true,
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout2 = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout2.contains("added     corp-New-Admin"), "{stdout2}");
    assert!(
        stdout2.contains("unchanged corp-Logs-ReadOnly"),
        "{stdout2}"
    );
    assert!(
        profiles(&home)
            .iter()
            .any(|p| p["name"] == "corp-Sandbox-Admin"),
        "kept without --prune"
    );
    let (out, stderr3) = login(
        &cloud,
        &home,
        &["sso", "login", "corp", "--no-browser", "--prune"],
        true,
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout3 = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout3.contains("removed   corp-Sandbox-Admin"),
        "{stdout3}"
    );
    assert!(
        !profiles(&home)
            .iter()
            .any(|p| p["name"] == "corp-Sandbox-Admin")
    );

    // Verbose logs carry no token either.
    let out = home
        .cmd()
        .args(["-vvv", "creds", "corp-Logs-ReadOnly", "--json"])
        .output()
        .expect("creds");
    assert!(out.status.success(), "{}", text(&out));
    let verbose = String::from_utf8_lossy(&out.stderr).to_string();

    let tokens = cloud.sign_in_tokens();
    assert_eq!(tokens.len(), 3);
    assert_no_token(
        &home,
        &[
            &stdout, &stdout2, &stdout3, &stderr, &stderr2, &stderr3, &verbose,
        ],
        &tokens,
    );
    cloud.shutdown_blocking();
}

#[test]
fn expired_revoked_and_signed_out_sessions_need_the_user() {
    let (cloud, home) = setup();
    let url = cloud.sso_sign_in_url();
    let (out, _) = login(
        &cloud,
        &home,
        &[
            "sso",
            "login",
            "corp",
            "--sign-in-url",
            &url,
            "--no-browser",
        ],
        true,
    );
    assert!(out.status.success(), "{}", text(&out));
    let creds = |name: &str| {
        home.cmd()
            .args(["creds", name, "--json"])
            .output()
            .expect("creds")
    };
    assert!(creds("corp-Logs-ReadOnly").status.success());

    for (what, revoke) in [("expired", false), ("revoked", true)] {
        cloud.sso_end_tokens(revoke);
        let out = creds("corp-Logs-ReadOnly");
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("alicred sso login corp"), "{what}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{what}: one line: {err}");
        assert!(out.stdout.is_empty());
        let (out, _) = login(
            &cloud,
            &home,
            &["sso", "login", "corp", "--no-browser"],
            true,
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            creds("corp-Logs-ReadOnly").status.success(),
            "{what}: a new sign-in heals it"
        );
    }

    let out = home
        .cmd()
        .args(["sso", "logout", "corp"])
        .output()
        .expect("logout");
    assert!(out.status.success(), "{}", text(&out));
    let out = creds("corp-Prod-Account-Dev");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not signed in"),
        "{}",
        text(&out)
    );
    let out = home.cmd().args(["sso", "list"]).output().expect("list");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not signed in"),
        "{}",
        text(&out)
    );
    cloud.shutdown_blocking();
}

#[test]
fn add_by_hand_checks_the_assignment() {
    let (cloud, home) = setup();
    let url = cloud.sso_sign_in_url();
    let (out, _) = login(
        &cloud,
        &home,
        &[
            "sso",
            "login",
            "corp",
            "--sign-in-url",
            &url,
            "--no-browser",
        ],
        true,
    );
    assert!(out.status.success(), "{}", text(&out));
    let add = |account: &str, config: &str| {
        home.cmd()
            .args([
                "profile",
                "add",
                "mine",
                "--type",
                "cloud-sso",
                "--sso-session",
                "corp",
            ])
            .args(["--account-id", account, "--access-config", config])
            .output()
            .expect("add")
    };
    let before = profiles_file(&home);
    for (account, config, says) in [
        (
            "9999888877776666",
            "ac-admin",
            "not assigned account 9999888877776666",
        ),
        (
            "2222333344445555",
            "ac-ro",
            "not assigned access configuration ac-ro",
        ),
        ("12ab", "ac-admin", "account-id"),
    ] {
        let out = add(account, config);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{says}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert_eq!(profiles_file(&home), before, "nothing changed");
    }
    let out = home
        .cmd()
        .args([
            "profile",
            "add",
            "x",
            "--type",
            "cloud-sso",
            "--sso-session",
            "ghost",
        ])
        .args([
            "--account-id",
            "2222333344445555",
            "--access-config",
            "ac-admin",
        ])
        .output()
        .expect("add");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown CloudSSO session ghost"));

    let out = add("2222333344445555", "ac-admin");
    assert!(out.status.success(), "{}", text(&out));
    let mine = profiles(&home)
        .into_iter()
        .find(|p| p["name"] == "mine")
        .expect("added");
    assert_eq!(mine["account_name"], "Sandbox");
    assert!(
        home.cmd()
            .args(["creds", "mine", "--json"])
            .output()
            .expect("creds")
            .status
            .success()
    );
    cloud.shutdown_blocking();
}

#[test]
fn bad_sign_ins_say_one_line_and_change_nothing() {
    let (cloud, home) = setup();
    let url = cloud.sso_sign_in_url();
    let check = |out: &std::process::Output, code: i32, says: &str| {
        assert_eq!(out.status.code(), Some(code), "{says}: {}", text(out));
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.trim().lines().last().unwrap_or_default().to_string();
        assert!(last.contains(says), "{says}: {err}");
        assert!(
            profiles_file(&home).is_none(),
            "{says}: no profiles file was written"
        );
    };
    for bad in ["ftp://127.0.0.1/x", "not a url", "file:///etc/passwd"] {
        let out = home
            .cmd()
            .args(["sso", "login", "corp", "--sign-in-url", bad, "--no-browser"])
            .output()
            .expect("run");
        check(&out, 2, "is not an http(s) URL");
    }
    let out = home
        .cmd()
        .args(["sso", "login", "ghost", "--no-browser"])
        .output()
        .expect("run");
    check(&out, 2, "unknown CloudSSO session ghost");
    let out = home
        .cmd()
        .args(["sso", "logout", "ghost"])
        .output()
        .expect("run");
    check(&out, 2, "unknown CloudSSO session ghost");

    let args = [
        "sso",
        "login",
        "corp",
        "--sign-in-url",
        url.as_str(),
        "--no-browser",
    ];
    let (out, _) = login(&cloud, &home, &args, false);
    check(&out, 1, "denied");

    let mut run = spawn(&home, &args);
    run.wait_line(|l| l.contains("confirm the code: "));
    cloud.sso_expire_device_codes();
    let (out, _) = run.finish();
    check(&out, 1, "expired before it was approved");

    cloud.set_fault(
        FaultSpec::new(FaultKind::MalformedJson)
            .service(Service::Sso)
            .action("token")
            .times(1),
    );
    let mut run = spawn(&home, &args);
    run.wait_line(|l| l.contains("confirm the code: "));
    let (out, _) = run.finish();
    check(&out, 1, "malformed");
    cloud.shutdown_blocking();
}
