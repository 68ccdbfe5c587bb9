//! `alicred exec` becomes the command (execve) once the credentials are in
//! its environment, so no alicred process holding the keyring passphrase is
//! left for the tool to read; its exit status is the tool's own. And every
//! alicred process that holds the passphrase (the agent here) is not
//! dumpable: another process of the same user cannot read its
//! /proc/PID/environ.

mod common;
use common::{AgentProc, Home, add_access_key, as_nobody, contains, other_user_unavailable};
use std::os::unix::process::ExitStatusExt;

const PASSPHRASE: &str = "test-passphrase";

fn home_with_key() -> Home {
    let home = Home::with_backend("encrypted-file");
    add_access_key(
        &home,
        "ak",
        "LTAI5tExecInPlace1",
        "ExecInPlaceSecret00000000000001",
    );
    home
}

#[test]
fn the_tool_replaces_alicred_so_no_parent_holds_the_passphrase() {
    let home = home_with_key();
    let out = home
        .cmd()
        .args(["exec", "ak", "--", "sh", "-c"])
        .arg(r#"echo "$PPID"; tr '\0' '\n' < /proc/$PPID/environ"#)
        .output()
        .expect("exec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let ppid = text.lines().next().unwrap_or_default();
    assert_eq!(
        ppid,
        std::process::id().to_string(),
        "the tool's parent is whoever ran alicred: no alicred in between"
    );
    if std::env::var_os("ALICRED_KEYRING_PASSPHRASE").is_none() {
        assert!(!text.contains(PASSPHRASE), "{text}");
        assert!(!text.contains("ALICRED_KEYRING_PASSPHRASE="), "{text}");
    }
}

#[test]
fn the_tools_exit_status_is_its_own() {
    let home = home_with_key();
    let run = |script: &str| {
        home.cmd()
            .args(["exec", "ak", "--", "sh", "-c", script])
            .output()
            .expect("exec")
            .status
    };
    assert_eq!(run("exit 7").code(), Some(7));
    // A signal stays a signal (a wrapper could only exit 128+N).
    assert_eq!(run("kill -TERM $$").signal(), Some(15));
    // The tool starts with SIGPIPE at its default, like any program.
    let out = home
        .cmd()
        .args(["exec", "ak", "--", "grep", "SigIgn", "/proc/self/status"])
        .output()
        .expect("exec");
    let ignored = String::from_utf8_lossy(&out.stdout);
    let mask = u64::from_str_radix(ignored.split_whitespace().nth(1).unwrap_or("x"), 16)
        .expect("SigIgn mask");
    assert_eq!(mask & (1 << 12), 0, "SIGPIPE ignored: {ignored}");
    // A command that cannot be run: 127 as `env` does, with one line.
    let out = home
        .cmd()
        .args(["exec", "ak", "--", "/nonexistent/tool"])
        .output()
        .expect("exec");
    assert_eq!(out.status.code(), Some(127));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot run /nonexistent/tool"), "{err}");
}

/// The agent holds the passphrase; another process of its user (not root)
/// cannot read its environment. Both run as uid 65534: root could (it has
/// CAP_SYS_PTRACE), which docs/security.md states.
#[test]
fn another_process_of_the_user_cannot_read_the_agents_environ() {
    if let Some(why) = other_user_unavailable() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    let home = home_with_key();
    // uid 65534 must reach the binary (the target dir is under /root) and
    // own the home.
    let bin_dir = tempfile::tempdir().expect("tempdir");
    let bin = bin_dir.path().join("alicred");
    std::fs::copy(assert_cmd::cargo::cargo_bin("alicred"), &bin).expect("copy");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin_dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let chown = std::process::Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(home.path())
        .status()
        .expect("chown");
    assert!(chown.success());

    let mut cmd = as_nobody(&bin);
    cmd.env("ALICRED_HOME", home.path())
        .env("HOME", home.path())
        .env("ALICRED_KEYRING", "encrypted-file")
        .env("ALICRED_KEYRING_PASSPHRASE", PASSPHRASE);
    let agent = AgentProc::start(cmd);
    let proc_file = |f: &str| format!("/proc/{}/{f}", agent.pid());

    // The reader sees the process (cmdline is public)...
    let cmdline = as_nobody("cat")
        .arg(proc_file("cmdline"))
        .output()
        .expect("cat");
    assert!(cmdline.status.success(), "{cmdline:?}");
    assert!(contains(&cmdline.stdout, "agent"));
    // ...but not its environment.
    let environ = as_nobody("cat")
        .arg(proc_file("environ"))
        .output()
        .expect("cat");
    assert!(
        !environ.status.success(),
        "uid 65534 read the agent's environ"
    );
    assert!(!contains(&environ.stdout, PASSPHRASE));
    assert!(String::from_utf8_lossy(&environ.stderr).contains("Permission denied"));
    let mem = as_nobody("head")
        .args(["-c", "1"])
        .arg(proc_file("mem"))
        .output()
        .expect("head");
    assert!(!mem.status.success(), "uid 65534 opened the agent's memory");
}
