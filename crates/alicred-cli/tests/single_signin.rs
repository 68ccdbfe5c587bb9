//! One sign-in for many callers: 20 concurrent `alicred export NAME --format
//! aliyun-external` on a signed-out OAuth profile open the browser once (the browser
//! is a script that counts its runs and completes the emulator's OAuth flow), and all
//! 20 print credentials. Without a browser they fail at once with the command to run.
//! The OAuth callback ports are fixed by the protocol: the tests run one at a time.

mod common;
mod signin_common;

use signin_common::{std_cmd, text};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;

static PORTS: Mutex<()> = Mutex::new(());

/// Counts its runs (one line each), then plays the browser: the authorize page
/// redirects to alicred's loopback callback, which it follows.
fn browser(dir: &Path) -> PathBuf {
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> '{d}/runs'\ncurl -sS -L -o '{d}/page' \"$1\" 2>>'{d}/err'\n",
            d = dir.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

#[test]
fn twenty_callers_one_browser_all_get_credentials() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    let dir = tempfile::tempdir().expect("dir");
    let script = browser(dir.path());
    let children: Vec<_> = (0..20)
        .map(|_| {
            std_cmd(&home)
                .args(["export", "me", "--format", "aliyun-external"])
                .env("BROWSER", &script)
                .env_remove("ALICRED_NO_BROWSER")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect();
    for out in &outs {
        assert!(out.status.success(), "{}", text(out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["mode"], "StsToken", "{v}");
        assert!(
            v["access_key_id"]
                .as_str()
                .is_some_and(|k| k.starts_with("STS."))
        );
    }
    let runs = std::fs::read_to_string(dir.path().join("runs")).unwrap_or_default();
    assert_eq!(runs.lines().count(), 1, "the browser opened {runs:?}");
    // One sign-in: one access/refresh pair handed out.
    assert_eq!(cloud.sign_in_tokens().len(), 2);
    let page = std::fs::read_to_string(dir.path().join("page")).unwrap_or_default();
    assert!(page.contains("Signed in"), "{page}");
    let prompts = outs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("signing in profile me"))
        .count();
    assert_eq!(prompts, 1, "only the signing-in process says so");
    signin_common::assert_no_token(
        &home,
        &outs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr).to_string())
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &cloud.sign_in_tokens(),
    );
}

#[test]
fn without_a_browser_callers_fail_at_once_with_the_command() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    for env in [
        vec![("ALICRED_NO_BROWSER", "1"), ("BROWSER", "/bin/false")],
        vec![],
    ] {
        let mut c = std_cmd(&home);
        c.args(["export", "me", "--format", "aliyun-external"])
            .env_remove("BROWSER")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("ALICRED_NO_BROWSER");
        for (k, v) in env {
            c.env(k, v);
        }
        let started = std::time::Instant::now();
        let out = c.output().expect("export");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains("alicred login me"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
    assert!(cloud.sign_in_tokens().is_empty());
}
