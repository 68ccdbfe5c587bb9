//! The journaled runner of one rotation: every step is written to the
//! journal (durably) before it runs, announced to the progress callback,
//! and offers the `ALICRED_TEST_CRASH_AT` hook points. The steps themselves
//! are in `steps.rs` (forward), `undo.rs` (resume, roll back) and
//! `finish.rs` (after the switch); the boundary table is in the docs of
//! [`super`].

use super::error::{RotationError, hint};
use super::hook::crash_point;
use super::journal::{Journal, JournalStore, Step};
use super::{Phase, Progress, RotationProgress, RotationReport, Rotator};
use crate::aliyun::endpoints;
use crate::aliyun::ram::{AccessKeyInfo, RamClient};
use crate::credentials::Credentials;
use crate::engine::RotationOutcome;
use crate::profile::{AccessKeyProfile, Profile, ProfileName};
use crate::providers::ProviderError;
use crate::store::secrets::{SecretKey, SecretStore, StoredKey};
use std::sync::Arc;
use std::time::Duration;

/// One rotation (or resumed one) of one profile, driven step by step.
pub(super) struct Run<'a> {
    pub(super) rotator: &'a Rotator,
    pub(super) profile: Profile,
    pub(super) ak: AccessKeyProfile,
    /// The rotation's record, saved durably before each step runs.
    pub(super) journal: Journal,
    pub(super) store: JournalStore,
    pub(super) progress: Progress<'a>,
    pub(super) resumed_from: Option<Step>,
}

/// Keyring calls block (D-Bus, KDF): run them off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::store::secrets::SecretError> + Send + 'static,
) -> Result<T, RotationError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RotationError::Secret(format!("keyring task failed: {e}")))?
        .map_err(RotationError::from)
}

pub(super) fn not_found(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Upstream { code, .. } if code.starts_with("EntityNotExist"))
}

pub(super) fn list_line(keys: &[AccessKeyInfo], profile_key: &str) -> String {
    keys.iter()
        .map(|k| {
            let mine = if k.access_key_id == profile_key {
                ", this profile's key"
            } else {
                ""
            };
            format!(
                "{} {}{mine}, created {}",
                k.access_key_id,
                k.status,
                k.create_date.format("%Y-%m-%d")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl<'a> Run<'a> {
    pub(super) fn new(
        rotator: &'a Rotator,
        profile: Profile,
        ak: AccessKeyProfile,
        journal: Journal,
        progress: Progress<'a>,
    ) -> Self {
        Self {
            store: rotator.journals(),
            rotator,
            profile,
            ak,
            journal,
            progress,
            resumed_from: None,
        }
    }

    pub(super) fn name(&self) -> &ProfileName {
        &self.profile.name
    }

    pub(super) fn secrets(&self) -> Arc<dyn SecretStore> {
        self.rotator.app.secrets().clone()
    }

    pub(super) fn say(&mut self, phase: Phase, message: String) {
        let p = RotationProgress {
            profile: self.name().to_string(),
            step: self.journal.step,
            phase,
            message,
        };
        (self.progress)(p);
    }

    /// Journal `step` durably, then announce it. The crash hook fires here.
    pub(super) async fn enter(&mut self, step: Step, message: String) -> Result<(), RotationError> {
        let now = self.rotator.ctx.clock.now();
        self.journal.enter(step, now);
        self.save().await?;
        crash_point(step.as_str());
        self.say(Phase::Started, message);
        Ok(())
    }

    /// Write the journal durably (fsync) on the blocking pool.
    async fn save(&self) -> std::io::Result<()> {
        let (store, journal) = (self.store.clone(), self.journal.clone());
        tokio::task::spawn_blocking(move || store.save(&journal))
            .await
            .map_err(std::io::Error::other)?
    }

    pub(super) fn done(&mut self, message: String) {
        crash_point(&format!("{}:done", self.journal.step));
        self.say(Phase::Finished, message);
    }

    pub(super) async fn read_key(
        &self,
        which: SecretKey,
    ) -> Result<Option<StoredKey>, RotationError> {
        let store = self.secrets();
        blocking(move || store.get_json::<StoredKey>(&which)).await
    }

    pub(super) async fn profile_key(&self) -> Result<StoredKey, RotationError> {
        self.read_key(SecretKey::Profile(self.name().clone()))
            .await?
            .ok_or_else(|| RotationError::NoStoredKey(self.name().clone()))
    }

    /// RAM acting with the key the profile holds now.
    pub(super) async fn ram(&self) -> Result<(RamClient, String), RotationError> {
        let key = self.profile_key().await?;
        let endpoint = endpoints::ram_for_profile(&self.profile)
            .map_err(|e| RotationError::Config(e.to_string()))?;
        let creds = Credentials::long_term(
            key.access_key_id.clone(),
            key.access_key_secret,
            self.rotator.ctx.clock.now(),
        );
        let client = RamClient::new(
            &self.rotator.ctx,
            endpoint,
            &creds,
            self.ak.user_name.clone(),
        );
        Ok((client, key.access_key_id))
    }

    /// An idempotent RAM call, retried on transient failures.
    pub(super) async fn retry<T, F, Fut>(&mut self, action: &str, f: F) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if e.is_transient() && attempt < self.rotator.settings.ram_attempts => {
                    let wait = e
                        .retry_after()
                        .unwrap_or(Duration::from_millis(300 * u64::from(attempt)))
                        .min(Duration::from_secs(5));
                    self.say(
                        Phase::Retrying,
                        format!("{action} failed ({e}); retrying in {} ms", wait.as_millis()),
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    pub(super) fn step_error(
        &self,
        action: &'static str,
        e: &ProviderError,
        state: String,
    ) -> RotationError {
        RotationError::Step {
            profile: self.name().clone(),
            action,
            cause: e.to_string(),
            state,
            hint: hint(action, e),
        }
    }

    /// Record a failure in the open journal (best effort: the error is what matters).
    pub(super) async fn note_error(&mut self, err: &RotationError) {
        self.journal.error = Some(err.to_string());
        if let Err(e) = self.save().await {
            tracing::warn!("cannot record the rotation error in the journal: {e}");
        }
        self.rotator.emit_outcome(
            self.name(),
            RotationOutcome::Failed,
            format!("rotation failed: {err}"),
        );
    }

    pub(super) fn report(&self, message: String) -> RotationReport {
        RotationReport {
            profile: self.name().to_string(),
            step: self.journal.step,
            old_key_id: self.journal.old_key_id.clone(),
            new_key_id: self.journal.new_key_id.clone(),
            delete_after: self.journal.delete_after,
            resumed_from: self.resumed_from,
            message,
        }
    }

    /// Close the journal with `step` (`done` or `rolled-back`).
    pub(super) async fn close(
        &mut self,
        step: Step,
        message: String,
    ) -> Result<RotationReport, RotationError> {
        self.journal.outcome = Some(message.clone());
        self.enter(step, message.clone()).await?;
        let outcome = if step == Step::RolledBack {
            RotationOutcome::RolledBack
        } else {
            RotationOutcome::Rotated
        };
        self.rotator
            .emit_outcome(self.name(), outcome, message.clone());
        Ok(self.report(message))
    }
}
