//! OAuth end to end against the emulator: `alicred login` (PKCE, random state, the
//! loopback callback on 127.0.0.1:12345-12349), the rotating refresh token, expiry,
//! revocation, and every bad input. The callback ports are fixed by the protocol, so
//! the tests here run one at a time.

mod common;
mod signin_common;

use alicred_fakecloud::{FaultKind, FaultSpec, OAuthSettings, Service};
use common::Home;
use serde_json::Value;
use signin_common::{assert_no_token, http_get, spawn, text};
use std::sync::Mutex;

static PORTS: Mutex<()> = Mutex::new(());

/// Starts `alicred login me`, returns it with the authorization URL it printed.
fn start_login(home: &Home) -> (signin_common::Running, String) {
    let mut run = spawn(home, &["login", "me", "--no-browser"]);
    let url = run.wait_line(|l| l.starts_with("http://"));
    (run, url)
}

/// The authorization URL behind the one-shot local URL alicred printed.
fn authorization_url(local: &str) -> String {
    assert!(local.starts_with("http://127.0.0.1:"), "{local}");
    let (status, location, _) = http_get(local);
    assert_eq!(status, 302, "the one-shot local URL redirects");
    location.expect("Location")
}

/// Plays the browser: the one-shot local URL, the authorize page, then its
/// redirect to the callback.
fn browse(local: &str) -> (u16, String) {
    let url = authorization_url(local);
    let (status, location, _) = http_get(&url);
    assert_eq!(status, 302, "the authorize page redirects");
    let location = location.expect("Location");
    assert!(location.starts_with("http://127.0.0.1:1234"), "{location}");
    let (status, _, body) = http_get(&location);
    (status, body)
}

fn creds(home: &Home) -> std::process::Output {
    home.cmd()
        .args(["creds", "me", "--json"])
        .output()
        .expect("creds")
}

fn sign_in(home: &Home) -> (std::process::Output, String) {
    let (run, url) = start_login(home);
    let (status, body) = browse(&url);
    assert_eq!(status, 200, "{body}");
    run.finish()
}

#[test]
fn login_refresh_rotation_expiry_and_revocation() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    // Short access tokens: every use below refreshes first (≤ 20 min left).
    cloud
        .oauth_settings(&OAuthSettings {
            access_token_lifetime_seconds: Some(60),
            ..Default::default()
        })
        .expect("settings");
    let (run, local) = start_login(&home);
    assert!(
        !local.contains("state="),
        "the state stays off the printed URL"
    );
    let url = authorization_url(&local);
    for p in [
        "response_type=code",
        "client_id=4038181954557748008",
        "code_challenge_method=S256",
        "state=",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A1234",
    ] {
        assert!(url.contains(p), "{p} in {url}");
    }
    let (status, location, _) = http_get(&url);
    assert_eq!(status, 302, "the authorize page redirects");
    let (status, _, page) = http_get(&location.expect("Location"));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Signed in"), "{page}");
    let (out, stderr) = run.finish();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(cloud.oauth_live_refresh_tokens(), 1);

    let out = creds(&home);
    assert!(out.status.success(), "{}", text(&out));
    let c: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        c["AccessKeyId"]
            .as_str()
            .is_some_and(|k| k.starts_with("STS."))
    );
    // That refresh spent the first refresh token; the new one was stored, so the next
    // refresh works.
    let tokens_after_first = cloud.sign_in_tokens().len();
    assert_eq!(tokens_after_first, 4, "sign-in pair + one refreshed pair");
    let out = home.cmd().args(["verify", "me"]).output().expect("verify");
    assert!(out.status.success(), "{}", text(&out));
    let verified = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        verified.contains("assumed-role/AliyunCLIOAuthUser/oauth-user"),
        "{verified}"
    );
    assert_eq!(cloud.sign_in_tokens().len(), 6, "a second rotation");
    assert_eq!(cloud.oauth_live_refresh_tokens(), 1);

    // Revoked: one line naming the command, exit 1.
    cloud.oauth_end_tokens(true, true);
    let out = creds(&home);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("alicred login me"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);

    // Signed in again, then everything expires.
    let (out, stderr2) = sign_in(&home);
    assert!(out.status.success(), "{}", text(&out));
    assert!(creds(&home).status.success());
    cloud.oauth_end_tokens(false, true);
    let out = creds(&home);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("alicred login me"));

    let tokens = cloud.sign_in_tokens();
    assert_no_token(&home, &[&stderr, &stderr2, &verified, &url], &tokens);
    cloud.shutdown_blocking();
}

#[test]
fn bad_callbacks_ports_and_token_answers_change_nothing() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    let check = |out: &std::process::Output, says: &str| {
        assert_eq!(out.status.code(), Some(1), "{says}: {}", text(out));
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.trim().lines().last().unwrap_or_default().to_string();
        assert!(last.contains(says), "{says}: {err}");
        // Nothing was stored: the profile still needs a sign-in.
        let c = creds(&home);
        assert_eq!(c.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&c.stderr).contains("not signed in"),
            "{says}: {}",
            text(&c)
        );
    };

    // Wrong state: refused (400) and ignored; the sign-in waits on. Then the
    // user denies in the browser: that answer (with the right state) ends it.
    cloud
        .oauth_settings(&OAuthSettings {
            decision: Some("deny".into()),
            ..Default::default()
        })
        .expect("deny");
    let (run, local) = start_login(&home);
    let url = authorization_url(&local);
    let port = url
        .split("127.0.0.1%3A")
        .nth(1)
        .and_then(|r| r.get(..5))
        .expect("port")
        .to_string();
    let (status, _, _) = http_get(&format!(
        "http://127.0.0.1:{port}/cli/callback?code=abc&state=forged"
    ));
    assert_eq!(status, 400);
    let (status, location, _) = http_get(&url);
    assert_eq!(status, 302);
    let (status, _, _) = http_get(&location.expect("Location"));
    assert_eq!(status, 400);
    let (out, _) = run.finish();
    check(&out, "refused in the browser (access_denied)");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().expect("port"))).is_err(),
        "closed once the sign-in ended"
    );
    cloud
        .oauth_settings(&OAuthSettings {
            decision: Some("approve".into()),
            ..Default::default()
        })
        .expect("approve");

    // A token endpoint that answers garbage.
    cloud.set_fault(
        FaultSpec::new(FaultKind::MalformedJson)
            .service(Service::Oauth)
            .action("token")
            .times(1),
    );
    let (run, url) = start_login(&home);
    let _ = browse(&url);
    let (out, _) = run.finish();
    check(&out, "malformed");

    // All five callback ports taken.
    let held: Vec<_> = (12345..=12349)
        .filter_map(|p| std::net::TcpListener::bind(("127.0.0.1", p)).ok())
        .collect();
    assert_eq!(held.len(), 5, "the test could not take the five ports");
    let out = home
        .cmd()
        .args(["login", "me", "--no-browser"])
        .output()
        .expect("login");
    check(&out, "all five callback ports");
    drop(held);

    // Login on a profile that does not sign in.
    let out = home
        .cmd()
        .args(["profile", "add", "env", "--type", "environment"])
        .output()
        .expect("add");
    assert!(out.status.success());
    let out = home.cmd().args(["login", "env"]).output().expect("login");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("only cloud-sso and oauth profiles sign in")
    );
    cloud.shutdown_blocking();
}
