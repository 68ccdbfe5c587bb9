//! The age policy: how old is a profile's AccessKey (from RAM's
//! `CreateDate`), is it due for rotation (default 90 days, per-profile
//! `max_key_age_days`), and what the journal says about rotations.

use super::journal::Step;
use super::{RotationError, Rotator};
use crate::aliyun::endpoints;
use crate::aliyun::ram::RamClient;
use crate::credentials::Credentials;
use crate::engine::EventData;
use crate::engine::cached::key_hint;
use crate::profile::{DEFAULT_MAX_KEY_AGE_DAYS, ProfileKind, ProfileName};
use crate::store::secrets::{SecretKey, StoredKey};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// What the dashboard shows about a profile's key and its rotations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RotationStatus {
    pub profile: String,
    /// `LTAI…abcd` of the key the profile holds now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id_hint: Option<String>,
    /// RAM's `CreateDate` of that key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    pub max_age_days: u32,
    pub due: bool,
    /// When the last rotation finished (rolled-back attempts do not count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotation: Option<DateTime<Utc>>,
    /// An unfinished rotation's step (`awaiting-delete` during the grace period).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_step: Option<Step>,
    /// When the old key of the last rotation will be deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_after: Option<DateTime<Utc>>,
    /// Why the age is unknown (RAM unreachable, no permission), one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Rotator {
    /// The key's age and rotation state. A RAM failure is reported in
    /// `error` (the rest is still filled in); a wrong profile is an `Err`.
    pub async fn key_status(&self, name: &ProfileName) -> Result<RotationStatus, RotationError> {
        let (profile, ak) = self.access_key_profile(name)?;
        let max_age_days = ak.max_key_age_days.unwrap_or(DEFAULT_MAX_KEY_AGE_DAYS);
        let journal = self.journals().load(name)?;
        let (last_rotation, pending_step, delete_after) = match &journal {
            Some(j) if j.step == Step::Done => (j.finished_at, None, None),
            Some(j) if j.step == Step::AwaitingDelete => {
                (Some(j.updated_at), Some(j.step), j.delete_after)
            }
            Some(j) if !j.step.is_terminal() => (None, Some(j.step), None),
            _ => (None, None, None),
        };
        let store = self.app.secrets().clone();
        let sk = SecretKey::Profile(name.clone());
        let key = tokio::task::spawn_blocking(move || store.get_json::<StoredKey>(&sk))
            .await
            .map_err(|e| RotationError::Secret(format!("keyring task failed: {e}")))??;
        let mut status = RotationStatus {
            profile: name.to_string(),
            key_id_hint: key.as_ref().map(|k| key_hint(&k.access_key_id)),
            created: None,
            age_days: None,
            max_age_days,
            due: false,
            last_rotation,
            pending_step,
            delete_after,
            error: None,
        };
        let Some(key) = key else {
            status.error = Some(RotationError::NoStoredKey(name.clone()).to_string());
            return Ok(status);
        };
        let endpoint = endpoints::ram_for_profile(&profile)
            .map_err(|e| RotationError::Config(e.to_string()))?;
        let now = self.ctx.clock.now();
        let id = key.access_key_id.clone();
        let creds = Credentials::long_term(key.access_key_id, key.access_key_secret, now);
        let ram = RamClient::new(&self.ctx, endpoint, &creds, ak.user_name.clone());
        match ram.list_access_keys().await {
            Ok(keys) => match keys.iter().find(|k| k.access_key_id == id) {
                Some(k) => {
                    let age = (now - k.create_date).num_days();
                    status.created = Some(k.create_date);
                    status.age_days = Some(age);
                    status.due = age >= i64::from(max_age_days);
                }
                None => {
                    status.error = Some(format!(
                        "the profile's key {} is not among the user's AccessKeys",
                        key_hint(&id)
                    ));
                }
            },
            Err(e) => status.error = Some(format!("cannot read the key's age from RAM: {e}")),
        }
        Ok(status)
    }

    /// Status of every access-key profile; emits a `key-due` event for each
    /// due key (call it periodically, e.g. daily, from the agent or the app).
    pub async fn check_due(&self) -> Vec<RotationStatus> {
        let names: Vec<ProfileName> = match self.app.profiles() {
            Ok(f) => f
                .profiles
                .values()
                .filter(|p| matches!(p.kind, ProfileKind::AccessKey(_)))
                .map(|p| p.name.clone())
                .collect(),
            Err(e) => {
                tracing::warn!("key age check: {e}");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for name in names {
            match self.key_status(&name).await {
                Ok(s) => {
                    if s.due {
                        self.emit(
                            &name,
                            EventData::KeyDue {
                                age_days: s.age_days,
                                max_age_days: s.max_age_days,
                            },
                            format!(
                                "the AccessKey {} of {name} is {} days old (policy: {} days); rotate it",
                                s.key_id_hint.clone().unwrap_or_default(),
                                s.age_days.unwrap_or_default(),
                                s.max_age_days
                            ),
                        );
                    }
                    out.push(s);
                }
                Err(e) => tracing::warn!("key age check of {name}: {e}"),
            }
        }
        out
    }

    /// Run [`Rotator::check_due`] now and then every `every`, and delete
    /// each old key as soon as its grace period ends
    /// ([`Rotator::finish_due_deletions`]), until the task is aborted.
    ///
    /// Between those times the loop sleeps: a grace period that another
    /// process (`alicred rotate`) starts meanwhile wakes it through a watch
    /// on the journal directory (inotify), not a poll. Only if that watch
    /// cannot be set up does it look every [`super::grace::GRACE_POLL`].
    pub fn spawn_due_checks(self, every: Duration) -> tokio::task::JoinHandle<()> {
        let dir = self.app.paths().rotation_dir();
        // Set up before returning, so no journal written after this call is missed.
        let watch = crate::paths::Paths::ensure_private_dir(&dir)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                crate::fswatch::DirWatch::new(&dir, |p| p.extension().is_some_and(|e| e == "json"))
                    .map_err(|e| e.to_string())
            });
        tokio::spawn(async move {
            let (mut watch, poll) = match watch {
                Ok(w) => (Some(w), Duration::MAX),
                Err(e) => {
                    tracing::warn!(
                        "cannot watch {} ({e}): looking for new grace periods every {} s",
                        dir.display(),
                        super::grace::GRACE_POLL.as_secs()
                    );
                    (None, super::grace::GRACE_POLL)
                }
            };
            let mut next_check = tokio::time::Instant::now();
            loop {
                if tokio::time::Instant::now() >= next_check {
                    self.check_due().await;
                    next_check = tokio::time::Instant::now() + every;
                }
                let next_delete = self.finish_due_deletions().await;
                let until_check = next_check.saturating_duration_since(tokio::time::Instant::now());
                let wait =
                    super::grace::next_wake(self.ctx.clock.now(), next_delete, until_check, poll);
                let journal_changed = async {
                    match watch.as_mut() {
                        Some(w) => w.changed().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = journal_changed => {}
                }
            }
        })
    }
}
