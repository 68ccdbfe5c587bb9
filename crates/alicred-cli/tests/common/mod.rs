//! Shared helpers for the CLI tests: a private ALICRED_HOME per test and the
//! secret store under test.

#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Which store the tests use: the real Secret Service when a D-Bus session is
/// there (scripts/test.sh provides one with an unlocked GNOME Keyring),
/// otherwise the passphrase-encrypted file.
pub fn backend() -> &'static str {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        "secret-service"
    } else {
        "encrypted-file"
    }
}

pub struct Home {
    pub dir: TempDir,
    pub backend: &'static str,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Self {
        Self::with_backend(backend())
    }

    pub fn with_backend(backend: &'static str) -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            backend,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `alicred` with this home, the chosen store and a clean credential env.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("alicred").expect("alicred binary");
        c.env("ALICRED_HOME", self.dir.path())
            .env("ALICRED_KEYRING", self.backend)
            .env("ALICRED_KEYRING_PASSPHRASE", "test-passphrase")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
            .env_remove("OSS_ACCESS_KEY_ID")
            .env_remove("OSS_ACCESS_KEY_SECRET")
            .env_remove("OSS_SESSION_TOKEN")
            .env_remove("ALIBABA_CLOUD_PROFILE")
            .env("NO_COLOR", "1");
        c
    }

    /// Every byte alicred wrote under its home, for secret scans.
    pub fn all_written_bytes(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if let Ok(b) = std::fs::read(&p) {
                    out.push((p, b));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out
    }
}

pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}
