//! Where the encrypted-file store's passphrase comes from.
//!
//! A process that must not keep the passphrase in its environment (the
//! agent, and every `alicred` command: they start child processes) calls
//! [`capture_from_env`] first thing in `main`, while it has a single thread,
//! and then removes the variables (`std::env::remove_var` is only sound
//! before other threads exist). Without a capture, the environment is read
//! when needed (tests).

use super::SecretError;
use crate::env_vars::{KEYRING_PASSPHRASE, KEYRING_PASSPHRASE_FILE};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zeroize::Zeroizing;

#[derive(Default)]
struct Captured {
    value: Option<Zeroizing<String>>,
    file: Option<PathBuf>,
}

static CAPTURED: OnceLock<Captured> = OnceLock::new();

/// Capture the passphrase (see [`capture_from_env`]) and take its variables
/// out of this process's environment, so nothing later reads them from there
/// and no child inherits them by accident (children are also scrubbed
/// explicitly by `env_vars::scrub_child`). `/proc/PID/environ` still shows the
/// block the process was started with: the kernel keeps it; only a process
/// started without the variable avoids that.
///
/// Call it first thing in `main` of every binary that runs the agent or starts
/// children (the CLI and the desktop app), before any thread exists.
pub fn forget_from_env() {
    for var in capture_from_env() {
        // SAFETY: `remove_var` is unsound only while another thread may read
        // or write the environment. Callers run this first thing in `main`:
        // Rust starts no thread before it, and the tokio runtimes, the D-Bus
        // connection and GTK all come later.
        #[allow(unsafe_code)]
        unsafe {
            std::env::remove_var(var);
        }
    }
}

/// Remember the passphrase (or its file's path) from the environment for
/// the life of the process. Returns the variable names the caller should
/// now remove from its environment.
pub fn capture_from_env() -> [&'static str; 2] {
    CAPTURED.get_or_init(|| Captured {
        value: std::env::var(KEYRING_PASSPHRASE)
            .ok()
            .filter(|p| !p.is_empty())
            .map(Zeroizing::new),
        file: std::env::var_os(KEYRING_PASSPHRASE_FILE)
            .filter(|f| !f.is_empty())
            .map(PathBuf::from),
    });
    [KEYRING_PASSPHRASE, KEYRING_PASSPHRASE_FILE]
}

/// Hand the captured passphrase (or its file's path) to one child that runs
/// the agent itself (the dashboard starting the tray agent), so only that
/// child's environment holds it, not every process started later.
pub fn pass_to(cmd: &mut std::process::Command) {
    if let Some(c) = CAPTURED.get() {
        if let Some(v) = &c.value {
            cmd.env(KEYRING_PASSPHRASE, v.as_str());
        }
        if let Some(f) = &c.file {
            cmd.env(KEYRING_PASSPHRASE_FILE, f);
        }
    }
}

/// The passphrase: the variable wins over the file.
pub(crate) fn get() -> Result<Zeroizing<String>, SecretError> {
    let (value, file) = match CAPTURED.get() {
        Some(c) => (c.value.clone(), c.file.clone()),
        None => (
            std::env::var(KEYRING_PASSPHRASE)
                .ok()
                .filter(|p| !p.is_empty())
                .map(Zeroizing::new),
            std::env::var_os(KEYRING_PASSPHRASE_FILE)
                .filter(|f| !f.is_empty())
                .map(PathBuf::from),
        ),
    };
    if let Some(v) = value {
        return Ok(v);
    }
    match file {
        Some(f) => from_file(&f),
        None => Err(SecretError::NoPassphrase),
    }
}

/// The first line of a file only its owner can read.
pub(crate) fn from_file(path: &Path) -> Result<Zeroizing<String>, SecretError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| {
            SecretError::Other(format!("cannot read {KEYRING_PASSPHRASE_FILE}: {e}"))
        })?;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(SecretError::Other(format!(
                "{KEYRING_PASSPHRASE_FILE} {} can be read or changed by other users (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            )));
        }
    }
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            SecretError::Other(format!("cannot read {KEYRING_PASSPHRASE_FILE}: {e}"))
        })?);
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(SecretError::NoPassphrase);
    }
    Ok(Zeroizing::new(line.to_string()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Run by [`forgetting_keeps_it_in_memory_only`] in a child process (it
    /// changes the environment, which the other tests share).
    #[test]
    fn child_forgets_the_passphrase() {
        if std::env::var_os("ALICRED_TEST_FORGET_CHILD").is_none() {
            return;
        }
        forget_from_env();
        assert!(
            std::env::var_os(KEYRING_PASSPHRASE).is_none(),
            "still in the environment"
        );
        let out = std::process::Command::new("/usr/bin/env")
            .output()
            .expect("env");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("ALICRED_KEYRING_PASSPHRASE"),
            "a child inherited it"
        );
        assert_eq!(get().expect("kept in memory").as_str(), "forget-me-pass");
    }

    #[test]
    fn forgetting_keeps_it_in_memory_only() {
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "store::secrets::passphrase::tests::child_forgets_the_passphrase",
                "--test-threads=1",
                "--nocapture",
            ])
            .env("ALICRED_TEST_FORGET_CHILD", "1")
            .env(KEYRING_PASSPHRASE, "forget-me-pass")
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(
            stdout.contains("1 passed"),
            "the child test did not run: {stdout}"
        );
    }

    #[test]
    fn a_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("pass");
        std::fs::write(&f, "correct horse\n").expect("write");
        for mode in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let msg = from_file(&f).map(drop).expect_err("refused").to_string();
            assert!(msg.contains("chmod 600"), "{mode:o}: {msg}");
            assert!(!msg.contains("correct horse"), "{msg}");
        }
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(from_file(&f).expect("read").as_str(), "correct horse");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        assert_eq!(from_file(&f).expect("read").as_str(), "correct horse");
    }
}
