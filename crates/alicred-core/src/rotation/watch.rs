//! Rotations done by *another* process (the CLI while the agent runs, or the
//! app while a headless agent runs) change the keyring behind the engine's
//! back. The agent watches the journal directory and drops the cached
//! credentials of a profile once a rotation has switched its key.

use super::SessionInvalidator;
use super::journal::{JournalStore, Step};
use crate::paths::Paths;
use crate::profile::ProfileName;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

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

/// Poll the journals every `every` (a stat per file; parsed only when it
/// changed). Journals present at start are taken as handled: the engine
/// read the keyring after them. Abort the task to stop.
pub fn spawn_journal_watch(
    paths: &Paths,
    sessions: Arc<dyn SessionInvalidator>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    let store = JournalStore::new(paths);
    tokio::spawn(async move {
        let mut seen: HashMap<ProfileName, Seen> = HashMap::new();
        let mut first = true;
        loop {
            let s = store.clone();
            let changed = tokio::task::spawn_blocking(move || scan(&s))
                .await
                .unwrap_or_default();
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
                if !first {
                    tracing::info!("rotation of {name} switched its key: dropping cached sessions");
                    sessions.invalidate(&name);
                }
            }
            first = false;
            tokio::time::sleep(every).await;
        }
    })
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
