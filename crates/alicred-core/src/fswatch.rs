//! Waiting for files to change, with the OS's notifications (inotify on
//! Linux) instead of polling: an idle agent does not wake up.
//!
//! A directory is watched rather than the file, because alicred (and
//! editors) replace files by renaming a temporary one over them, which a
//! watch on the old file would miss.

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// Changes in one directory, filtered by file name. Dropping it stops the watch.
pub struct DirWatch {
    _watcher: RecommendedWatcher,
    rx: mpsc::Receiver<Result<(), String>>,
}

impl std::fmt::Debug for DirWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirWatch").finish_non_exhaustive()
    }
}

/// After a change, wait this long for the rest of a burst (temp file,
/// fsync, rename) so one save makes one wake-up.
pub const SETTLE: Duration = Duration::from_millis(50);

impl DirWatch {
    /// Watch `dir` (it must exist) for changes to files `wanted` accepts.
    pub fn new(
        dir: &Path,
        wanted: impl Fn(&Path) -> bool + Send + 'static,
    ) -> Result<Self, notify::Error> {
        // Capacity 1: changes that arrive while one is pending merge into it.
        let (tx, rx) = mpsc::channel(1);
        let mut watcher =
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                let relevant = match &res {
                    Ok(ev) => !ev.kind.is_access() && ev.paths.iter().any(|p| wanted(p)),
                    Err(_) => true,
                };
                if relevant {
                    let _ = tx.try_send(res.map(|_| ()).map_err(|e| e.to_string()));
                }
            })?;
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
        Ok(Self {
            _watcher: watcher,
            rx,
        })
    }

    /// Watch the directory of `file` for changes to that file name.
    pub fn file(file: &Path) -> Result<Self, notify::Error> {
        let dir = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let name = file.file_name().map(|n| n.to_os_string());
        Self::new(&dir, move |p| {
            p.file_name().map(|n| n.to_os_string()) == name
        })
    }

    /// The next change (a burst counts once); `Err` when the OS reported an
    /// error (the watch goes on). Never returns `None` while `self` lives.
    pub async fn changed(&mut self) -> Option<Result<(), String>> {
        let first = self.rx.recv().await?;
        tokio::time::sleep(SETTLE).await;
        while let Ok(more) = self.rx.try_recv() {
            if more.is_err() {
                return Some(more);
            }
        }
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rename_over_the_file_is_seen_and_other_files_are_not() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("profiles.toml");
        std::fs::write(&target, "a").expect("write");
        let mut w = DirWatch::file(&target).expect("watch");
        std::fs::write(dir.path().join("other.json"), "x").expect("other");
        let quiet = tokio::time::timeout(Duration::from_millis(300), w.changed()).await;
        assert!(quiet.is_err(), "a change to another file woke the watch");
        let tmp = dir.path().join(".profiles.tmp");
        std::fs::write(&tmp, "b").expect("tmp");
        std::fs::rename(&tmp, &target).expect("rename");
        let seen = tokio::time::timeout(Duration::from_secs(5), w.changed())
            .await
            .expect("the rename woke the watch");
        assert_eq!(seen, Some(Ok(())));
    }
}
