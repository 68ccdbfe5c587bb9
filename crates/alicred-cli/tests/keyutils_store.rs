//! The kernel keyutils store (headless machines): secrets live in the login
//! session's keyring. `keyctl session -` gives the test a session keyring of
//! its own, as a login (pam_keyinit) would.

use std::process::Command;

#[test]
fn keyutils_keeps_secrets_in_the_session_keyring() {
    let bin = assert_cmd::cargo::cargo_bin("alicred");
    let home = tempfile::tempdir().expect("tempdir");
    let script = r#"
echo '{"AccessKeyId":"LTAI5tKeyutils0001","AccessKeySecret":"keyutils-test-secret"}' | "$BIN" profile add k --type access-key || exit 90
"$BIN" creds k --json
"#;
    let out = Command::new("keyctl")
        .args(["session", "-", "bash", "-c", script])
        .env("BIN", &bin)
        .env("ALICRED_HOME", home.path())
        .env("ALICRED_KEYRING", "keyutils")
        .output()
        .expect("keyctl (apt install keyutils)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("\"AccessKeySecret\": \"keyutils-test-secret\""),
        "{stdout}"
    );
    // Nothing on disk: the secret is only in the kernel.
    for e in walk(home.path()) {
        let bytes = std::fs::read(&e).unwrap_or_default();
        assert!(
            !bytes.windows(20).any(|w| w == b"keyutils-test-secret"),
            "{}",
            e.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
