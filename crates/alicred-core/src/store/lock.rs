//! Advisory file locks, shared by the app, the agent and the CLI.

use crate::paths::Paths;
use std::fs::File;
use std::io;
use std::path::Path;

/// Held while alive; the OS releases it if the process dies.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Block until the lock named `name` under `dir` is ours.
    pub fn exclusive(dir: &Path, name: &str) -> io::Result<Self> {
        let file = open(dir, name)?;
        file.lock()?;
        Ok(Self { _file: file })
    }

    /// Take the lock if free; `Ok(None)` when someone else holds it.
    pub fn try_exclusive(dir: &Path, name: &str) -> io::Result<Option<Self>> {
        let file = open(dir, name)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

fn open(dir: &Path, name: &str) -> io::Result<File> {
    Paths::ensure_private_dir(dir)?;
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{name}.lock")))
}
