//! Where alicred keeps its files. `ALICRED_HOME` relocates all of them.

use std::io;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Paths {
    base: PathBuf,
}

impl Paths {
    pub fn new(base: impl Into<PathBuf>) -> Self {
        Self { base: base.into() }
    }

    /// `$ALICRED_HOME`, else the platform config dir (`~/.config/alicred`).
    pub fn from_env() -> Result<Self, String> {
        if let Some(h) = std::env::var_os("ALICRED_HOME").filter(|h| !h.is_empty()) {
            return Ok(Self::new(h));
        }
        dirs::config_dir()
            .map(|d| Self::new(d.join("alicred")))
            .ok_or_else(|| "cannot find a config directory; set ALICRED_HOME".to_string())
    }

    pub fn base(&self) -> &Path {
        &self.base
    }
    pub fn profiles_file(&self) -> PathBuf {
        self.base.join("profiles.toml")
    }
    pub fn lock_dir(&self) -> PathBuf {
        self.base.join("locks")
    }
    /// Address and pid of the running agent (no secret: the token is in the keyring).
    pub fn agent_file(&self) -> PathBuf {
        self.base.join("agent.json")
    }
    /// What `alicred prompt` shows, kept current by the running agent (no secret).
    pub fn status_file(&self) -> PathBuf {
        self.base.join("status")
    }
    pub fn rotation_dir(&self) -> PathBuf {
        self.base.join("rotation")
    }
    pub fn encrypted_secrets_file(&self) -> PathBuf {
        self.base.join("secrets.enc")
    }
    pub fn log_dir(&self) -> PathBuf {
        self.base.join("logs")
    }

    /// Create `dir` (and parents) with mode 0700.
    pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
}

/// Write `data` to `path` atomically: temp file in the same dir, mode 0600,
/// fsync, rename, fsync the dir. A crash leaves the old or the new file, never half.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("path has no parent directory"))?;
    Paths::ensure_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}
