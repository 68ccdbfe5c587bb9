//! A locked Secret Service: a clear one-line error, exit 1, nothing lost.
//! Runs in its own D-Bus session and GNOME Keyring, so locking it cannot
//! disturb other tests.

use std::process::Command;

#[test]
fn a_locked_keyring_is_a_clear_error_and_loses_nothing() {
    let bin = assert_cmd::cargo::cargo_bin("alicred");
    let dir = tempfile::tempdir().expect("tempdir");
    let script = r#"
set -u
export XDG_DATA_HOME="$T/data" XDG_RUNTIME_DIR="$T/run" ALICRED_HOME="$T/home" ALICRED_KEYRING=secret-service
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
echo '{"AccessKeyId":"LTAI5tLocked0001","AccessKeySecret":"locked-test-secret"}' | "$BIN" profile add k --type access-key || exit 90
cp "$ALICRED_HOME/profiles.toml" "$T/before.toml"
# secret-tool may crash after locking (seen with libsecret 0.20.5); the lock holds.
secret-tool lock --collection=login >/dev/null 2>&1 || true
"$BIN" creds k --json > "$T/creds.out" 2> "$T/creds.err"; echo "creds=$?"
echo '{"AccessKeyId":"LTAI5tLocked0002","AccessKeySecret":"x"}' | "$BIN" profile add k2 --type access-key 2> "$T/add.err"; echo "add=$?"
cmp -s "$ALICRED_HOME/profiles.toml" "$T/before.toml" && echo same=yes
# Unlock again: the stored key is still there.
printf pw | gnome-keyring-daemon --unlock --replace --components=secrets --daemonize >/dev/null
"$BIN" creds k --json | grep -q LTAI5tLocked0001 && echo kept=yes
pkill -P $$ gnome-keyring-d >/dev/null 2>&1 || true
"#;
    let out = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", script])
        .env("T", dir.path())
        .env("BIN", &bin)
        .output()
        .expect("dbus-run-session (apt install dbus gnome-keyring libsecret-tools)");
    let stdout = format!(
        "{}\n--- stderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
    assert!(stdout.contains("creds=1"), "{stdout}");
    assert!(stdout.contains("add=1"), "{stdout}");
    for err in [read("creds.err"), read("add.err")] {
        assert!(err.contains("the keyring is locked"), "{err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("alicred:")).count(),
            1,
            "{err}"
        );
    }
    assert!(!read("creds.out").contains("locked-test-secret"));
    assert!(
        stdout.contains("same=yes"),
        "a failed add changed the profiles file: {stdout}"
    );
    assert!(
        stdout.contains("kept=yes"),
        "the stored key did not survive the lock: {stdout}"
    );
}
