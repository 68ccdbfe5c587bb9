//! Rotations done by *another* process (the CLI while the agent runs, or the
//! app while a headless agent runs) change the keyring behind the engine's
//! back. The agent watches the journal directory and drops the cached
//! credentials of a profile once a rotation has switched its key.

use super::SessionInvalidator;
use super::journal::{JournalStore, Step};
use crate::fswatch::DirWatch;
use crate::paths::Paths;
use crate::profile::ProfileName;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

/// Steps at which the profile already holds the new key.
fn switched(step: Step) -> bool {
    matches!(
        step,
        Step::Invalidating
            | Step::Deactivating
            | Step::AwaitingDelete
            | Step::Deleting
            | Step::Done
    )
}

/// What was seen of one journal: its mtime, and the rotation whose switch
/// has been acted on.
#[derive(Default)]
struct Seen {
    modified: Option<SystemTime>,
    handled: Option<String>,
}

/// Watch the journal directory (inotify; no polling) and drop a profile's
/// cached sessions once another process's rotation switched its key.
/// Journals present at start are taken as handled: the engine read the
/// keyring after them. Abort the task to stop.
pub fn spawn_journal_watch(
    paths: &Paths,
    sessions: Arc<dyn SessionInvalidator>,
) -> tokio::task::JoinHandle<()> {
    let store = JournalStore::new(paths);
    let dir = paths.rotation_dir();
    // Set up before returning, so no change after this call is missed.
    let watch = Paths::ensure_private_dir(&dir)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            DirWatch::new(&dir, |p| p.extension().is_some_and(|e| e == "json"))
                .map_err(|e| e.to_string())
        });
    let mut seen: HashMap<ProfileName, Seen> = HashMap::new();
    note_changes(&mut seen, scan(&store), None);
    tokio::spawn(async move {
        let mut watch = match watch {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(
                    "cannot watch {} ({e}): rotations made by other processes reach this agent only after a restart",
                    dir.display()
                );
                return;
            }
        };
        while let Some(r) = watch.changed().await {
            if let Err(e) = r {
                tracing::warn!("watching rotation journals: {e}");
            }
            let s = store.clone();
            let changed = tokio::task::spawn_blocking(move || scan(&s))
                .await
                .unwrap_or_default();
            note_changes(&mut seen, changed, Some(sessions.as_ref()));
        }
    })
}

/// Record what changed; with `sessions`, act on switches not yet handled.
fn note_changes(
    seen: &mut HashMap<ProfileName, Seen>,
    changed: Scanned,
    sessions: Option<&dyn SessionInvalidator>,
) {
    for (name, modified, journal) in changed {
        let entry = seen.entry(name.clone()).or_default();
        if entry.modified == Some(modified) {
            continue;
        }
        entry.modified = Some(modified);
        let Some((id, step)) = journal else { continue };
        if !switched(step) || entry.handled.as_deref() == Some(id.as_str()) {
            continue;
        }
        entry.handled = Some(id);
        if let Some(s) = sessions {
            tracing::info!("rotation of {name} switched its key: dropping cached sessions");
            s.invalidate(&name);
        }
    }
}

type Scanned = Vec<(ProfileName, SystemTime, Option<(String, Step)>)>;

fn scan(store: &JournalStore) -> Scanned {
    let Ok(names) = store.profiles() else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter_map(|n| {
            let modified = std::fs::metadata(store.path(&n))
                .and_then(|m| m.modified())
                .ok()?;
            let j = store
                .load(&n)
                .ok()
                .flatten()
                .map(|j| (j.rotation_id, j.step));
            Some((n, modified, j))
        })
        .collect()
}
