//! external: scripts in a tempdir printing aliyun CLI External JSON.
#![cfg(unix)]

mod providers_common;

use alicred_core::profile::ExternalProfile;
use alicred_core::providers::{ExternalProvider, Provider, ProviderError};
use providers_common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn script(dir: &Path, file: &str, body: &str) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

/// `sh <script>`: quoted so paths with spaces survive the split.
fn sh(path: &Path) -> String {
    format!("/bin/sh '{}'", path.display())
}

fn provider(command: &str, timeout: u32) -> ExternalProvider {
    ExternalProvider::new(
        name("ext"),
        &ExternalProfile {
            command: command.into(),
            timeout_seconds: timeout,
            endpoints: Default::default(),
        },
        &ctx(),
    )
    .expect("valid command")
}

#[tokio::test]
async fn ak_and_sts_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ak = script(
        dir.path(),
        "ak.sh",
        r#"echo '{"mode":"AK","access_key_id":"LTAIext","access_key_secret":"ext-secret"}'"#,
    );
    // Executed directly (no interpreter named). Another test thread forking
    // while the script was open for writing can make exec fail with
    // ETXTBSY for a moment, so retry that briefly.
    let p = provider(&ak.display().to_string(), 10);
    let mut got = p.retrieve().await;
    for _ in 0..20 {
        match &got {
            Err(ProviderError::Config(m)) if m.contains("busy") => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                got = p.retrieve().await;
            }
            _ => break,
        }
    }
    let c = got.expect("AK");
    assert_eq!(c.access_key_id, "LTAIext");
    assert_eq!(c.access_key_secret.expose(), "ext-secret");
    assert!(c.security_token.is_none() && c.expiration.is_none());

    let sts = script(
        dir.path(),
        "sts.sh",
        r#"cat <<JSON
{"mode":"StsToken","access_key_id":"STS.ext","access_key_secret":"s","sts_token":"tok","expiration":"2999-01-01T00:00:00Z"}
JSON"#,
    );
    let c = provider(&sh(&sts), 10).retrieve().await.expect("StsToken");
    assert_eq!(c.security_token.as_ref().map(|t| t.expose()), Some("tok"));
    assert_eq!(
        c.expiration
            .map(alicred_core::credentials::format_expiration),
        Some("2999-01-01T00:00:00Z".into())
    );
}

#[tokio::test]
async fn arguments_are_split_without_a_shell() {
    // `$HOME` stays literal and the quoted JSON is one argument.
    let cmd = r#"printf '%s' '{"mode":"AK","access_key_id":"$HOME","access_key_secret":"x y"}'"#;
    let c = provider(cmd, 10).retrieve().await.expect("printf");
    assert_eq!(c.access_key_id, "$HOME");
    assert_eq!(c.access_key_secret.expose(), "x y");
}

#[tokio::test]
async fn stdin_is_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // `cat` would wait forever on an open stdin.
    let s = script(
        dir.path(),
        "stdin.sh",
        r#"cat >/dev/null
echo '{"mode":"AK","access_key_id":"a","access_key_secret":"b"}'"#,
    );
    let start = Instant::now();
    provider(&sh(&s), 5).retrieve().await.expect("stdin at EOF");
    assert!(start.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn non_zero_exit_reports_the_last_stderr_line_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = script(
        dir.path(),
        "fail.sh",
        r#"echo '{"mode":"AK","access_key_id":"a","access_key_secret":"STDOUT-SECRET"}'
echo "first problem" >&2
echo "  vault: permission denied  " >&2
echo "" >&2
exit 3"#,
    );
    let e = provider(&sh(&s), 10).retrieve().await.expect_err("exit 3");
    match &e {
        ProviderError::Upstream { code, message, .. } => {
            assert_eq!(code, "exit status 3");
            assert_eq!(message, "vault: permission denied");
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{e} {e:?}").contains("STDOUT-SECRET"));
}

#[tokio::test]
async fn garbage_output_is_malformed_without_echoing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, body) in [
        ("garbage.sh", "echo 'hello GARBAGE-SECRET'"),
        (
            "mode.sh",
            r#"echo '{"mode":"Magic","access_key_id":"a","access_key_secret":"GARBAGE-SECRET"}'"#,
        ),
        (
            "types.sh",
            r#"echo '{"mode":"AK","access_key_id":"a","access_key_secret":42, "x":"GARBAGE-SECRET"}'"#,
        ),
        (
            "missing.sh",
            r#"echo '{"mode":"StsToken","access_key_id":"a","access_key_secret":"GARBAGE-SECRET"}'"#,
        ),
        (
            "badexp.sh",
            r#"echo '{"mode":"AK","access_key_id":"a","access_key_secret":"GARBAGE-SECRET","expiration":"2999-01-01 00:00:00"}'"#,
        ),
    ] {
        let s = script(dir.path(), file, body);
        let e = provider(&sh(&s), 10).retrieve().await.expect_err(file);
        assert!(
            matches!(e, ProviderError::Malformed { .. }),
            "{file}: {e:?}"
        );
        assert!(!e.to_string().contains("GARBAGE-SECRET"), "{file}: {e}");
    }
    let expired = script(
        dir.path(),
        "expired.sh",
        r#"echo '{"mode":"AK","access_key_id":"a","access_key_secret":"b","expiration":"2001-01-01T00:00:00Z"}'"#,
    );
    assert!(matches!(
        provider(&sh(&expired), 10).retrieve().await,
        Err(ProviderError::AlreadyExpired { .. })
    ));
}

#[tokio::test]
async fn timeout_kills_the_command_and_its_children() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("still-running");
    let pid_file = dir.path().join("child.pid");
    let s = script(
        dir.path(),
        "slow.sh",
        &format!(
            "(sleep 3; touch {}) &\necho $! > {}\nsleep 30",
            marker.display(),
            pid_file.display()
        ),
    );
    let start = Instant::now();
    let e = provider(&sh(&s), 1).retrieve().await.expect_err("timeout");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(&e, ProviderError::Network { reason, .. } if reason.contains("killed")),
        "{e:?}"
    );
    assert!(e.is_transient());
    // Wait for the background child itself to be gone (killed: at once;
    // missed: after it touched the marker), not for a while.
    let child = std::fs::read_to_string(&pid_file).expect("the script wrote its child's pid");
    let stat = format!("/proc/{}/stat", child.trim());
    let gone = || {
        std::fs::read_to_string(&stat)
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !gone() {
        assert!(
            Instant::now() < deadline,
            "the background child never ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!marker.exists(), "the background child was killed too");
}

#[tokio::test]
async fn bad_commands_are_config_errors() {
    assert!(matches!(
        ExternalProvider::new(
            name("ext"),
            &ExternalProfile {
                command: "'unterminated".into(),
                timeout_seconds: 60,
                endpoints: Default::default(),
            },
            &ctx()
        ),
        Err(ProviderError::Config(_))
    ));
    let e = provider("/nonexistent/alicred-helper --x", 5)
        .retrieve()
        .await
        .expect_err("missing program");
    assert!(
        matches!(&e, ProviderError::Config(m) if m.contains("/nonexistent/alicred-helper")),
        "{e:?}"
    );
}
