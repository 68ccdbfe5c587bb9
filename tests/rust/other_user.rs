//! Run a client as another local user, for the tests of listeners that must
//! refuse everyone but their owner. Include it in a crate's tests with
//! `#[path = "../../../tests/rust/other_user.rs"] mod other_user;`.
//!
//! The client runs under `setpriv --reuid=65534 --regid=65534 --clear-groups`
//! (nobody). That needs root and setpriv. Where they are missing the test may
//! be skipped with a printed reason, except when `ALICRED_TEST_OTHER_UID=required`
//! (scripts/test.sh sets it: CI runs as root): then it fails, so CI never
//! passes without having run the client as another user.
//!
//! nobody cannot read under /root: give it programs from the system (curl,
//! python3, socat) or a copy of ours in a directory it may read
//! ([`readable_copy`]).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The uid and gid the client gets (nobody).
pub const OTHER_UID: u32 = 65534;

/// Why another user cannot be used here, if it cannot.
pub fn unavailable() -> Option<String> {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false);
    if !root {
        return Some("not root: setpriv cannot switch to another user".into());
    }
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("setpriv").is_file()));
    if !found {
        return Some("setpriv is not installed (util-linux)".into());
    }
    None
}

/// `program args…` as uid/gid 65534 with no supplementary groups, or `None`
/// (after printing why) where that is impossible and not required.
/// Panics when it is impossible and `ALICRED_TEST_OTHER_UID=required`.
pub fn as_other_user(program: impl AsRef<Path>, args: &[&str]) -> Option<Command> {
    if let Some(why) = unavailable() {
        if std::env::var("ALICRED_TEST_OTHER_UID").as_deref() == Ok("required") {
            panic!(
                "a client as another user is required here (ALICRED_TEST_OTHER_UID=required), but {why}"
            );
        }
        eprintln!("SKIPPED: the other-user client cannot run: {why}");
        return None;
    }
    let mut c = Command::new("setpriv");
    c.args([
        &format!("--reuid={OTHER_UID}"),
        &format!("--regid={OTHER_UID}"),
        "--clear-groups",
        "--",
    ])
    .arg(program.as_ref())
    .args(args)
    .env_clear()
    .env("PATH", "/usr/local/bin:/usr/bin:/bin")
    .current_dir("/");
    Some(c)
}

/// A copy of `bin` that nobody may run (in a fresh 0755 directory under
/// /tmp; the directory goes with the returned guard).
pub fn readable_copy(bin: &Path) -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("alicred-other-user-")
        .tempdir_in("/tmp")
        .expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod dir");
    let to = dir.path().join(bin.file_name().expect("a file name"));
    std::fs::copy(bin, &to).expect("copy the binary");
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).expect("chmod bin");
    (dir, to)
}
