//! Where the encrypted-file store's passphrase comes from.
//!
//! A process that must not keep the passphrase in its environment (the
//! agent, and every `alicred` command: they start child processes) calls
//! [`capture_from_env`] first thing in `main`, while it has a single thread,
//! and then removes the variables (`std::env::remove_var` is only sound
//! before other threads exist). Without a capture, the environment is read
//! when needed (tests, the desktop app).

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
