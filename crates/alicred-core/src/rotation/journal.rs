//! The rotation journal: one JSON file per profile in `Paths::rotation_dir()`,
//! written atomically (temp file + fsync + rename + fsync of the directory)
//! *before* each step runs, so a crash at any point leaves a record of the
//! step that may have been half done.
//!
//! The journal never holds a secret: key IDs only. The new key's secret
//! lives only in the keyring's `SecretKey::PendingKey` item until it becomes
//! the profile's key.
//!
//! A finished rotation keeps its file with a terminal step (`done` or
//! `rolled-back`): that is where "last rotation" comes from.

use crate::paths::{Paths, write_atomic};
use crate::profile::ProfileName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub const JOURNAL_VERSION: u32 = 1;

/// The step a rotation is at (recorded before the step runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// `ListAccessKeys` (read only).
    Listing,
    /// `DeleteAccessKey` of an *inactive* key that is not the profile's, with consent.
    DeletingInactive,
    /// `CreateAccessKey`.
    Creating,
    /// Writing the new key to the keyring's pending item.
    StoringPending,
    /// `GetCallerIdentity` with the new key, retried while it propagates.
    Verifying,
    /// Making the new key the profile's key in the keyring.
    Switching,
    /// Dropping cached sessions of the profile and every profile chained on it.
    Invalidating,
    /// `UpdateAccessKey` old → Inactive.
    Deactivating,
    /// Old key inactive; `DeleteAccessKey` waits for `delete_after`.
    AwaitingDelete,
    /// `DeleteAccessKey` old.
    Deleting,
    /// Undoing: `DeleteAccessKey` of the new (unusable or unverified) key.
    RollingBack,
    /// Finished: the new key is the profile's key.
    Done,
    /// Finished: nothing changed for the profile, the old key stays in use.
    RolledBack,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Listing => "listing",
            Step::DeletingInactive => "deleting-inactive",
            Step::Creating => "creating",
            Step::StoringPending => "storing-pending",
            Step::Verifying => "verifying",
            Step::Switching => "switching",
            Step::Invalidating => "invalidating",
            Step::Deactivating => "deactivating",
            Step::AwaitingDelete => "awaiting-delete",
            Step::Deleting => "deleting",
            Step::RollingBack => "rolling-back",
            Step::Done => "done",
            Step::RolledBack => "rolled-back",
        }
    }

    /// A closed journal: nothing left to resume.
    pub fn is_terminal(self) -> bool {
        matches!(self, Step::Done | Step::RolledBack)
    }

    /// What a person reads in the dashboard for an unfinished rotation.
    pub fn describe(self) -> &'static str {
        match self {
            Step::Listing => "listing the user's AccessKeys",
            Step::DeletingInactive => "deleting an inactive AccessKey to make room",
            Step::Creating => "creating the new AccessKey",
            Step::StoringPending => "storing the new AccessKey in the keyring",
            Step::Verifying => "verifying the new AccessKey",
            Step::Switching => "making the new AccessKey the profile's key",
            Step::Invalidating => "dropping cached sessions",
            Step::Deactivating => "deactivating the old AccessKey",
            Step::AwaitingDelete => "old AccessKey inactive, to be deleted after the grace period",
            Step::Deleting => "deleting the old AccessKey",
            Step::RollingBack => "rolling back: deleting the unusable new AccessKey",
            Step::Done => "done",
            Step::RolledBack => "rolled back",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to the old key once the new one is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum OldKeyAction {
    /// Deactivate now, delete after `grace_seconds` (a later start finishes it).
    DeleteAfter { grace_seconds: u64 },
    /// Deactivate, then delete at once.
    DeleteNow,
    /// Deactivate only; the user deletes it later.
    KeepInactive,
}

/// One profile's rotation record. Key IDs only, never a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub version: u32,
    pub profile: ProfileName,
    /// Random id of this rotation attempt.
    pub rotation_id: String,
    pub step: Step,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// `UserName` for RAM calls (`None`: the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The profile's key when the rotation started.
    pub old_key_id: String,
    /// Every key the user had right before `CreateAccessKey`: a key that is
    /// not in this list after a crash in `creating` is ours (and its secret lost).
    #[serde(default)]
    pub known_key_ids: Vec<String>,
    /// The inactive key deleted with consent (step `deleting-inactive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_key_id: Option<String>,
    pub old_key: OldKeyAction,
    /// When the old key may be deleted (step `awaiting-delete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after: Option<DateTime<Utc>>,
    /// The last failure, one line, no secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How it ended (terminal steps), one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Every step entered, in order, with its time.
    #[serde(default)]
    pub history: Vec<(Step, DateTime<Utc>)>,
}

impl Journal {
    pub fn new(
        profile: ProfileName,
        old_key_id: String,
        user_name: Option<String>,
        old_key: OldKeyAction,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            version: JOURNAL_VERSION,
            profile,
            rotation_id: uuid::Uuid::new_v4().simple().to_string(),
            step: Step::Listing,
            started_at: now,
            updated_at: now,
            finished_at: None,
            user_name,
            old_key_id,
            known_key_ids: Vec::new(),
            inactive_key_id: None,
            new_key_id: None,
            old_key,
            delete_after: None,
            error: None,
            outcome: None,
            history: Vec::new(),
        }
    }

    /// Move to `step` (in memory; [`JournalStore::save`] makes it durable).
    pub fn enter(&mut self, step: Step, now: DateTime<Utc>) {
        self.step = step;
        self.updated_at = now;
        if step.is_terminal() {
            self.finished_at = Some(now);
        }
        self.history.push((step, now));
    }
}

/// Where the journals live.
#[derive(Clone, Debug)]
pub struct JournalStore {
    dir: PathBuf,
}

impl JournalStore {
    pub fn new(paths: &Paths) -> Self {
        Self {
            dir: paths.rotation_dir(),
        }
    }

    pub fn path(&self, profile: &ProfileName) -> PathBuf {
        self.dir.join(format!("{profile}.json"))
    }

    /// Durable before it returns (fsync of the file and the directory).
    pub fn save(&self, j: &Journal) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(j).map_err(std::io::Error::other)?;
        write_atomic(&self.path(&j.profile), &text)
    }

    pub fn load(&self, profile: &ProfileName) -> std::io::Result<Option<Journal>> {
        let path = self.path(profile);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                std::io::Error::other(format!(
                    "rotation journal {} is damaged ({}); remove it after checking the keys in the RAM console",
                    path.display(),
                    crate::aliyun::json_reason(&e)
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Profiles that have a journal file, sorted.
    pub fn profiles(&self) -> std::io::Result<Vec<ProfileName>> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out: Vec<ProfileName> = rd
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_suffix(".json")?.parse().ok()
            })
            .collect();
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_listing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = JournalStore::new(&Paths::new(dir.path()));
        let name: ProfileName = "dev".parse().expect("name");
        let mut j = Journal::new(
            name.clone(),
            "LTAIold".into(),
            None,
            OldKeyAction::DeleteNow,
            Utc::now(),
        );
        j.enter(Step::Creating, Utc::now());
        store.save(&j).expect("save");
        assert_eq!(store.load(&name).expect("load"), Some(j));
        assert_eq!(store.profiles().expect("list"), vec![name]);
        let text = std::fs::read_to_string(dir.path().join("rotation/dev.json")).expect("read");
        assert!(text.contains("\"step\": \"creating\""), "{text}");
    }
}
