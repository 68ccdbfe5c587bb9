//! Hostile or buggy sign-in servers (issue 18): absurd lifetimes, terminal
//! escapes in display names, portals that assign too much. `alicred login` and
//! `sso login` end with a one-line error or a clamped value, never a panic; a
//! rotated refresh token is kept; nothing from the portal reaches the terminal
//! or profiles.toml raw. The OAuth callback ports are fixed by the protocol, so
//! the OAuth tests here run one at a time.

mod common;
mod signin_common;

use alicred_fakecloud::{
    FakeCloud, FakeCloudConfig, FakeCloudHandle, OAuthSettings, SsoAccessConfig, SsoAssignment,
    SsoSettings,
};
use common::Home;
use serde_json::Value;
use signin_common::{http_get, spawn, text};
use std::sync::Mutex;

static PORTS: Mutex<()> = Mutex::new(());

/// What a server may say a token lasts: `i64::MAX` seconds.
const ABSURD: u64 = 9_223_372_036_854_775_807;

fn no_panic(out: &std::process::Output) {
    let all = text(out);
    assert!(
        !all.contains("panicked") && !all.contains("out of bounds"),
        "{all}"
    );
    assert_ne!(out.status.code(), Some(101), "{all}");
}

fn oauth_lifetime(cloud: &FakeCloudHandle, secs: u64) {
    cloud
        .oauth_settings(&OAuthSettings {
            access_token_lifetime_seconds: Some(secs),
            ..Default::default()
        })
        .expect("settings");
}

/// `alicred login me`, playing the browser; the finished run.
fn oauth_login(home: &Home) -> (std::process::Output, String) {
    let mut run = spawn(home, &["login", "me", "--no-browser"]);
    let local = run.wait_line(|l| l.starts_with("http://"));
    // The printed URL is the one-shot local one; it redirects to the authorize page.
    let (status, url, _) = http_get(&local);
    assert_eq!(status, 302, "the one-shot local URL redirects");
    let (status, location, _) = http_get(&url.expect("Location"));
    assert_eq!(status, 302, "the authorize page redirects");
    let (status, _, body) = http_get(&location.expect("Location"));
    assert_eq!(status, 200, "{body}");
    run.finish()
}

fn creds(home: &Home) -> std::process::Output {
    home.cmd()
        .args(["creds", "me", "--json"])
        .output()
        .expect("creds")
}

/// Issue 18 item 5: `expires_in: i64::MAX` panicked `alicred login`
/// (`TimeDelta::seconds out of bounds`), and a refresh that got it spent the
/// refresh token without storing the new one, so the sign-in was lost.
#[test]
fn an_absurd_expires_in_is_clamped_and_the_rotated_refresh_token_is_kept() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    oauth_lifetime(&cloud, ABSURD);
    let (out, _) = oauth_login(&home);
    no_panic(&out);
    assert!(out.status.success(), "{}", text(&out));
    let c = creds(&home);
    no_panic(&c);
    assert!(c.status.success(), "{}", text(&c));

    // A refresh that gets the absurd lifetime: due because the emulator
    // ended the access token; its answer rotates the refresh token.
    cloud.oauth_end_tokens(false, false);
    let c = creds(&home);
    no_panic(&c);
    assert!(c.status.success(), "{}", text(&c));
    assert_eq!(cloud.oauth_live_refresh_tokens(), 1);
    // The new refresh token was stored: one more forced refresh works.
    oauth_lifetime(&cloud, 60);
    cloud.oauth_end_tokens(false, false);
    let c = creds(&home);
    assert!(c.status.success(), "{}", text(&c));
    let j: Value = serde_json::from_slice(&c.stdout).expect("json");
    assert!(
        j["AccessKeyId"]
            .as_str()
            .is_some_and(|k| k.starts_with("STS."))
    );
    cloud.shutdown_blocking();
}

fn assign(cloud: &FakeCloudHandle, account: &str, name: &str, configs: &[(&str, &str)]) {
    cloud
        .sso_assign(SsoAssignment {
            account_id: account.into(),
            display_name: name.into(),
            access_configurations: configs
                .iter()
                .map(|(id, n)| SsoAccessConfig {
                    id: (*id).into(),
                    name: (*n).into(),
                    description: String::new(),
                    role_name: None,
                })
                .collect(),
        })
        .expect("assign");
}

/// `sso login corp` (with `extra` arguments), approving the code it prints.
fn sso_login(
    cloud: &FakeCloudHandle,
    home: &Home,
    extra: &[&str],
) -> (std::process::Output, String) {
    let url = cloud.sso_sign_in_url();
    let mut args = vec![
        "sso",
        "login",
        "corp",
        "--sign-in-url",
        &url,
        "--no-browser",
    ];
    args.extend_from_slice(extra);
    let mut run = spawn(home, &args);
    let line = run.wait_line(|l| l.contains("confirm the code: "));
    let code = line.rsplit(' ').next().expect("code").to_string();
    assert_eq!(cloud.sso_decide(Some(&code), true), 1);
    run.finish()
}

/// Issue 18 item 5, CloudSSO: absurd `ExpiresIn` of the token, of the device
/// code end in a clamped sign-in, not a panic (an absurd `Interval` is
/// clamped to 60 s: the fuzz target and the unit tests check that).
#[test]
fn sso_login_clamps_absurd_lifetimes_and_intervals() {
    let cloud = FakeCloud::start_background(FakeCloudConfig::new()).expect("emulator");
    let home = Home::new();
    assign(&cloud, "1111222233334444", "Prod", &[("ac-admin", "Admin")]);
    cloud.sso_settings(&SsoSettings {
        token_lifetime_seconds: Some(u64::MAX),
        device_code_lifetime_seconds: Some(ABSURD),
        ..Default::default()
    });
    let (out, stderr) = sso_login(&cloud, &home, &[]);
    no_panic(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr.contains("up to 3600 s"),
        "the wait is clamped: {stderr}"
    );
    let c = home
        .cmd()
        .args(["creds", "corp-Prod-Admin", "--json"])
        .output()
        .expect("creds");
    assert!(c.status.success(), "{}", text(&c));
    cloud.shutdown_blocking();
}

/// Issue 18 item 10: a portal's display names with terminal escapes were
/// printed raw by `sso login`, saved in profiles.toml and printed again by
/// every `profile list`.
#[test]
fn terminal_escapes_from_the_portal_never_reach_the_terminal_or_the_file() {
    let cloud = FakeCloud::start_background(FakeCloudConfig::new()).expect("emulator");
    let home = Home::new();
    let hostile = "Prod\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}";
    assign(
        &cloud,
        "1111222233334444",
        hostile,
        &[("ac-admin", "Admin\u{1b}[8m\r\nfake line")],
    );
    let (out, stderr) = sso_login(&cloud, &home, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let clean = |what: &str, s: &str| {
        for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\r'] {
            assert!(!s.contains(bad), "{what} holds {bad:?}: {s:?}");
        }
    };
    clean("stdout", &String::from_utf8_lossy(&out.stdout));
    clean("stderr", &stderr);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Prod]0;pwned[2J31m"),
        "the printable rest is kept: {}",
        text(&out)
    );
    let file = std::fs::read_to_string(home.file("profiles.toml")).expect("profiles.toml");
    clean("profiles.toml", &file);
    let lower = file.to_ascii_lowercase();
    for escaped in ["\\u001b", "\\e", "\\u0007", "\\u009b", "\\u202e", "\\r"] {
        assert!(
            !lower.contains(escaped),
            "profiles.toml holds {escaped}: {file}"
        );
    }
    for args in [&["profile", "list"][..], &["profile", "list", "--json"]] {
        let o = home.cmd().args(args).output().expect("list");
        assert!(o.status.success(), "{}", text(&o));
        clean("profile list", &String::from_utf8_lossy(&o.stdout));
    }
    cloud.shutdown_blocking();
}

/// A world of `accounts` accounts with `configs` access configurations each,
/// listed 100 to a page.
fn large_world(accounts: usize, configs: usize) -> (FakeCloudHandle, Home) {
    let cloud = FakeCloud::start_background(FakeCloudConfig::new()).expect("emulator");
    cloud.sso_settings(&SsoSettings {
        page_size: Some(100),
        ..Default::default()
    });
    let list: Vec<(String, String)> = (0..configs)
        .map(|c| (format!("ac-{c:04}"), format!("Role{c:04}")))
        .collect();
    let list: Vec<(&str, &str)> = list.iter().map(|(i, n)| (i.as_str(), n.as_str())).collect();
    for a in 0..accounts {
        assign(
            &cloud,
            &format!("{:016}", 1000 + a),
            &format!("Acct{a:03}"),
            &list,
        );
    }
    (cloud, Home::new())
}

/// Issue 18 item 11: nothing capped what one sign-in creates. 41 accounts × 50
/// access configurations (2,050 pairs) is over the cap of 2,000: the sign-in
/// changes nothing and says how to choose; the filters make it fit.
#[test]
fn a_sign_in_past_the_cap_changes_nothing_and_the_filters_choose() {
    let (cloud, home) = large_world(41, 50);
    let (out, _) = sso_login(&cloud, &home, &[]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let last = err.trim().lines().last().unwrap_or_default().to_string();
    assert!(last.contains("more than 2000"), "{err}");
    assert!(
        last.contains("--account") && last.contains("--access-config"),
        "{err}"
    );
    assert!(
        !home.file("profiles.toml").exists()
            || std::fs::read_to_string(home.file("profiles.toml"))
                .is_ok_and(|t| !t.contains("cloud-sso")),
        "nothing was written"
    );

    // One account by display name (any case), one by id: 100 profiles.
    let (out, _) = sso_login(
        &cloud,
        &home,
        &[
            "--account",
            "acct007",
            "--account",
            "0000000000001010",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    let made = j["profiles"].as_array().expect("profiles");
    assert_eq!(made.len(), 100);
    assert!(made.iter().all(|p| {
        let a = p["account_id"].as_str().unwrap_or_default();
        a == "0000000000001007" || a == "0000000000001010"
    }));

    // One access configuration in every account: 41 profiles.
    let (out, _) = sso_login(&cloud, &home, &["--access-config", "Role0003", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    let made = j["profiles"].as_array().expect("profiles");
    assert_eq!(made.len(), 41);
    assert!(made.iter().all(|p| p["access_config"] == "ac-0003"));

    // A filter that matches nothing: one line, nothing changed.
    let before = std::fs::read(home.file("profiles.toml")).expect("file");
    let (out, _) = sso_login(&cloud, &home, &["--account", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches"));
    assert_eq!(
        std::fs::read(home.file("profiles.toml")).expect("file"),
        before
    );
    cloud.shutdown_blocking();
}
