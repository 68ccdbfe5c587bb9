//! The running agent keeps linked config files clean: on every change of a
//! file alicred linked into (inotify, no polling: an idle agent does not
//! wake up), it takes out what the SDKs wrote back into alicred's profiles,
//! so a secret lies there for the SDK's write plus [`SETTLE`] and one
//! rewrite: well under a second (docs/link-aliyun-cli.md).
//!
//! One watcher on several directories (each linked file's, and alicred's own
//! for `links.json`, so a link made while the agent runs is watched at
//! once); `fswatch::DirWatch` watches one.

use super::aliyun_cli;
use crate::fswatch::SETTLE;
use crate::paths::Paths;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

type Wanted = Arc<Mutex<HashSet<PathBuf>>>;

/// Watch and strip until `stop` turns true (or its sender is gone).
pub async fn run(paths: Paths, mut stop: watch::Receiver<bool>) {
    let wanted: Wanted = Arc::default();
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let filter = wanted.clone();
    let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let relevant = match &res {
            Ok(ev) => {
                !ev.kind.is_access()
                    && filter
                        .lock()
                        .is_ok_and(|w| ev.paths.iter().any(|p| w.contains(p)))
            }
            Err(_) => true,
        };
        if relevant {
            let _ = tx.try_send(());
        }
    });
    let mut watcher = match watcher {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("cannot watch the linked aliyun CLI config files: {e}");
            return;
        }
    };
    let mut dirs = HashSet::new();
    loop {
        if *stop.borrow() {
            return;
        }
        // Watch first, then strip: a write-back after the strip is seen.
        resync(&paths, &mut watcher, &mut dirs, &wanted);
        let p = paths.clone();
        match tokio::task::spawn_blocking(move || aliyun_cli::strip_write_back(&p)).await {
            Ok(Ok(files)) => {
                for f in files {
                    tracing::info!(
                        "took the SDKs' write-back out of the linked profiles in {}",
                        f.display()
                    );
                }
            }
            Ok(Err(e)) => tracing::warn!("linked aliyun CLI config: {e}"),
            Err(e) => tracing::warn!("linked aliyun CLI config: the strip stopped: {e}"),
        }
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            got = rx.recv() => {
                if got.is_none() {
                    return;
                }
                tokio::time::sleep(SETTLE).await;
                while rx.try_recv().is_ok() {}
            }
        }
    }
}

/// Point the watcher at what `links.json` names now.
fn resync(
    paths: &Paths,
    watcher: &mut RecommendedWatcher,
    dirs: &mut HashSet<PathBuf>,
    wanted: &Wanted,
) {
    let state = paths.base().join("links.json");
    let mut want = HashSet::from([state.clone()]);
    let mut want_dirs = HashSet::from([paths.base().to_path_buf()]);
    for rec in aliyun_cli::records(paths).unwrap_or_default() {
        watch_for(&rec.config_file, &mut want, &mut want_dirs);
    }
    for d in dirs.difference(&want_dirs) {
        let _ = watcher.unwatch(d);
    }
    dirs.retain(|d| want_dirs.contains(d));
    for d in want_dirs {
        if !dirs.contains(&d) && watcher.watch(&d, RecursiveMode::NonRecursive).is_ok() {
            dirs.insert(d);
        }
    }
    if let Ok(mut w) = wanted.lock() {
        *w = want;
    }
}

/// The file's directory; while that does not exist, its nearest existing
/// ancestor, for the creation of the next directory down.
fn watch_for(file: &Path, want: &mut HashSet<PathBuf>, dirs: &mut HashSet<PathBuf>) {
    want.insert(file.to_path_buf());
    let mut child = file;
    while let Some(dir) = child.parent() {
        if dir.as_os_str().is_empty() {
            return;
        }
        if dir.is_dir() {
            dirs.insert(dir.to_path_buf());
            return;
        }
        want.insert(dir.to_path_buf());
        child = dir;
    }
}
