//! Writing files alicred does not own (the aliyun CLI's `config.json`, or
//! whatever `ALIBABA_CLOUD_CONFIG_FILE` names), without damaging them or
//! their directory (docs/link-aliyun-cli.md):
//! - a directory that exists keeps its mode (a 1777 `/tmp`, a 0755
//!   `~/.aliyun`); only directories alicred creates are made 0700;
//! - a symlink (a dotfiles repository) is written through: the new text goes
//!   atomically into the target's own directory and the link stays;
//! - the file keeps its mode; a new file is 0600;
//! - temp file, fsync, rename, fsync of the directory: a crash leaves the
//!   old text or the new, never half.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where writes to `named` land: `named` itself, or the end of its chain of
/// symlinks (resolved even when the target does not exist yet).
pub fn real_path(named: &Path) -> io::Result<PathBuf> {
    let mut p = named.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Create the missing directories of `dir`, 0700 each; never touch one that
/// exists.
pub fn create_missing_dirs(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

/// Write `data` at `path` (a real file, not a symlink) atomically in its own
/// directory, with `mode` (`None`: the file's current mode, else 0600).
pub fn write_atomic_at(path: &Path, data: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_missing_dirs(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".alicred-tmp-")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = mode.or_else(|| mode_of(path)).unwrap_or(0o600);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Write `data` to `named`, through a symlink if it is one.
pub fn write_through(named: &Path, data: &[u8]) -> io::Result<()> {
    write_atomic_at(&real_path(named)?, data, None)
}

/// Put the symlink `named` → `target` back, atomically (a new link renamed
/// over whatever is at `named`: the SDKs' `os.replace` turns a linked
/// config.json into a plain file).
#[cfg(unix)]
pub fn relink(named: &Path, target: &Path) -> io::Result<()> {
    let dir = named.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".alicred-link-{}", uuid::Uuid::new_v4().simple()));
    std::os::unix::fs::symlink(target, &tmp)?;
    if let Err(e) = std::fs::rename(&tmp, named) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    File::open(dir)?.sync_all()
}

/// An exclusive `flock` on the file at `named` (what the Python SDK takes
/// around its write-back), held until dropped; `None` when there is no
/// file. Taken again when the file was replaced while we waited, so the
/// lock is on the file that is there now.
pub fn lock(named: &Path) -> io::Result<Option<File>> {
    for _ in 0..20 {
        let f = match File::options().read(true).open(named) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        f.lock()?;
        if same_file(&f, named) {
            return Ok(Some(f));
        }
    }
    Err(io::Error::other("the file keeps being replaced"))
}

#[cfg(unix)]
fn same_file(f: &File, named: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), std::fs::metadata(named)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, _: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777
    }

    #[test]
    fn existing_directories_keep_their_mode_and_new_ones_are_private() {
        let t = tempfile::tempdir().expect("tmp");
        let shared = t.path().join("shared");
        std::fs::create_dir(&shared).expect("mkdir");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
        write_through(&shared.join("config.json"), b"{}").expect("write");
        assert_eq!(mode(&shared), 0o1777);
        assert_eq!(mode(&shared.join("config.json")), 0o600);
        let new = t.path().join("a").join("b");
        write_through(&new.join("config.json"), b"{}").expect("write");
        assert_eq!(mode(&new), 0o700);
        assert_eq!(mode(&t.path().join("a")), 0o700);
    }

    #[test]
    fn a_symlink_is_written_through_and_kept() {
        let t = tempfile::tempdir().expect("tmp");
        let repo = t.path().join("dotfiles");
        std::fs::create_dir(&repo).expect("mkdir");
        let target = repo.join("aliyun.json");
        std::fs::write(&target, "old").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let named = t.path().join("config.json");
        std::os::unix::fs::symlink("dotfiles/aliyun.json", &named).expect("symlink");
        write_through(&named, b"new").expect("write");
        assert!(
            std::fs::symlink_metadata(&named)
                .expect("stat")
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "new");
        assert_eq!(mode(&target), 0o640, "the target keeps its mode");
        // Replaced by a plain file (as the SDKs do), the link comes back.
        std::fs::remove_file(&named).expect("rm");
        std::fs::write(&named, "plain").expect("write");
        relink(&named, Path::new("dotfiles/aliyun.json")).expect("relink");
        assert_eq!(std::fs::read_to_string(&named).expect("read"), "new");
    }
}
