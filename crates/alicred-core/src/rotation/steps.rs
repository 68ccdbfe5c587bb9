//! The rotation state machine: each step is journaled (durably) before it
//! runs; [`Run::resume`] picks up from any journaled step. The boundary
//! table is in the module docs of [`super`].

use super::error::{RotationError, hint};
use super::hook::crash_point;
use super::journal::{Journal, JournalStore, OldKeyAction, Step};
use super::{Phase, Progress, RotateOptions, RotationProgress, RotationReport, Rotator};
use crate::aliyun::endpoints;
use crate::aliyun::ram::{AccessKeyInfo, AccessKeyStatus, RamClient};
use crate::aliyun::sts::get_caller_identity;
use crate::credentials::Credentials;
use crate::engine::EventKind;
use crate::engine::cached::key_hint;
use crate::profile::{AccessKeyProfile, Profile, ProfileName};
use crate::providers::ProviderError;
use crate::store::secrets::{SecretKey, SecretStore, StoredKey};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) struct Run<'a> {
    r: &'a Rotator,
    profile: Profile,
    ak: AccessKeyProfile,
    pub(super) j: Journal,
    store: JournalStore,
    progress: Progress<'a>,
    resumed_from: Option<Step>,
}

/// Keyring calls block (D-Bus, KDF): run them off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::store::secrets::SecretError> + Send + 'static,
) -> Result<T, RotationError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RotationError::Secret(format!("keyring task failed: {e}")))?
        .map_err(RotationError::from)
}

fn not_found(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Upstream { code, .. } if code.starts_with("EntityNotExist"))
}

fn list_line(keys: &[AccessKeyInfo], profile_key: &str) -> String {
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
        r: &'a Rotator,
        profile: Profile,
        ak: AccessKeyProfile,
        j: Journal,
        progress: Progress<'a>,
    ) -> Self {
        Self {
            store: r.journals(),
            r,
            profile,
            ak,
            j,
            progress,
            resumed_from: None,
        }
    }

    fn name(&self) -> &ProfileName {
        &self.profile.name
    }

    fn secrets(&self) -> Arc<dyn SecretStore> {
        self.r.app.secrets().clone()
    }

    fn say(&mut self, phase: Phase, message: String) {
        let p = RotationProgress {
            profile: self.name().to_string(),
            step: self.j.step,
            phase,
            message,
        };
        (self.progress)(p);
    }

    /// Journal `step` durably, then announce it. The crash hook fires here.
    fn enter(&mut self, step: Step, message: String) -> Result<(), RotationError> {
        let now = self.r.ctx.clock.now();
        self.j.enter(step, now);
        self.store.save(&self.j)?;
        crash_point(step.as_str());
        self.say(Phase::Started, message);
        Ok(())
    }

    fn done(&mut self, message: String) {
        crash_point(&format!("{}:done", self.j.step));
        self.say(Phase::Finished, message);
    }

    async fn read_key(&self, which: SecretKey) -> Result<Option<StoredKey>, RotationError> {
        let store = self.secrets();
        blocking(move || store.get_json::<StoredKey>(&which)).await
    }

    async fn profile_key(&self) -> Result<StoredKey, RotationError> {
        self.read_key(SecretKey::Profile(self.name().clone()))
            .await?
            .ok_or_else(|| RotationError::NoStoredKey(self.name().clone()))
    }

    /// RAM acting with the key the profile holds now.
    async fn ram(&self) -> Result<(RamClient, String), RotationError> {
        let key = self.profile_key().await?;
        let endpoint = endpoints::ram_for_profile(&self.profile)
            .map_err(|e| RotationError::Config(e.to_string()))?;
        let creds = Credentials::long_term(
            key.access_key_id.clone(),
            key.access_key_secret,
            self.r.ctx.clock.now(),
        );
        let client = RamClient::new(&self.r.ctx, endpoint, &creds, self.ak.user_name.clone());
        Ok((client, key.access_key_id))
    }

    /// An idempotent RAM call, retried on transient failures.
    async fn retry<T, F, Fut>(&mut self, action: &str, f: F) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if e.is_transient() && attempt < self.r.settings.ram_attempts => {
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

    fn step_error(&self, action: &'static str, e: &ProviderError, state: String) -> RotationError {
        RotationError::Step {
            profile: self.name().clone(),
            action,
            cause: e.to_string(),
            state,
            hint: hint(action, e),
        }
    }

    /// Record a failure in the open journal (best effort: the error is what matters).
    fn note_error(&mut self, err: &RotationError) {
        self.j.error = Some(err.to_string());
        if let Err(e) = self.store.save(&self.j) {
            tracing::warn!("cannot record the rotation error in the journal: {e}");
        }
        self.r.emit(
            self.name(),
            EventKind::Rotation,
            format!("rotation failed: {err}"),
        );
    }

    fn report(&self, message: String) -> RotationReport {
        RotationReport {
            profile: self.name().to_string(),
            step: self.j.step,
            old_key_id: self.j.old_key_id.clone(),
            new_key_id: self.j.new_key_id.clone(),
            delete_after: self.j.delete_after,
            resumed_from: self.resumed_from,
            message,
        }
    }

    /// Close the journal with `step` (`done` or `rolled-back`).
    fn close(&mut self, step: Step, message: String) -> Result<RotationReport, RotationError> {
        self.j.outcome = Some(message.clone());
        self.enter(step, message.clone())?;
        self.r
            .emit(self.name(), EventKind::Rotation, message.clone());
        Ok(self.report(message))
    }

    // ---- a new rotation -------------------------------------------------

    pub(super) async fn start(
        r: &'a Rotator,
        profile: Profile,
        ak: AccessKeyProfile,
        opts: RotateOptions,
        progress: Progress<'a>,
    ) -> Result<RotationReport, RotationError> {
        let name = profile.name.clone();
        let store = r.app.secrets().clone();
        let key = SecretKey::Profile(name.clone());
        let old = blocking(move || store.get_json::<StoredKey>(&key))
            .await?
            .ok_or(RotationError::NoStoredKey(name.clone()))?;
        let j = Journal::new(
            name,
            old.access_key_id,
            ak.user_name.clone(),
            opts.old_key,
            r.ctx.clock.now(),
        );
        let mut run = Run::new(r, profile, ak, j, progress);
        run.enter(Step::Listing, "listing the user's AccessKeys".into())?;
        let out = run.list_and_create(opts).await;
        if let Err(e) = &out {
            run.note_error(e);
        }
        out
    }

    async fn list_and_create(
        &mut self,
        opts: RotateOptions,
    ) -> Result<RotationReport, RotationError> {
        let old = self.j.old_key_id.clone();
        let (ram, _) = self.ram().await?;
        let keys = match self
            .retry("ListAccessKeys", || ram.list_access_keys())
            .await
        {
            Ok(k) => k,
            Err(e) => {
                let err = self.step_error(
                    "ListAccessKeys",
                    &e,
                    "Nothing changed; the old key stays in use.".into(),
                );
                self.close(Step::RolledBack, err.to_string())?;
                return Err(err);
            }
        };
        self.done(format!("the user has {} key(s)", keys.len()));
        if !keys.iter().any(|k| k.access_key_id == old) {
            let who = self
                .ak
                .user_name
                .clone()
                .unwrap_or_else(|| "the key's own RAM user".into());
            let msg = format!(
                "the profile's key {old} is not among the AccessKeys of {who} ({}); set the profile's user name to the key's owner",
                list_line(&keys, &old)
            );
            self.close(Step::RolledBack, msg.clone())?;
            return Err(RotationError::Config(msg));
        }
        for other in keys.iter().filter(|k| k.access_key_id != old) {
            if other.status != AccessKeyStatus::Inactive || !opts.delete_inactive {
                let what_now = if other.status == AccessKeyStatus::Inactive {
                    format!(
                        "Allow alicred to delete the inactive key {} (confirm, or pass --yes) or delete it in the RAM console, then rotate again.",
                        other.access_key_id
                    )
                } else {
                    format!(
                        "The other key {} is Active and may be in use, so alicred will not delete it; deactivate and delete it in the RAM console once nothing uses it, then rotate again.",
                        other.access_key_id
                    )
                };
                let msg = format!(
                    "rotation of {} not started: the RAM user already has two AccessKeys, the most RAM allows ({}). {what_now}",
                    self.name(),
                    list_line(&keys, &old)
                );
                self.close(Step::RolledBack, msg.clone())?;
                return Err(RotationError::TwoKeys {
                    message: msg,
                    deletable: (other.status == AccessKeyStatus::Inactive)
                        .then(|| other.access_key_id.clone()),
                });
            }
            let id = other.access_key_id.clone();
            self.j.inactive_key_id = Some(id.clone());
            self.enter(
                Step::DeletingInactive,
                format!("deleting the inactive key {id} to make room"),
            )?;
            self.guard(&id, "delete").await?;
            match self
                .retry("DeleteAccessKey", || ram.delete_access_key(&id))
                .await
            {
                Ok(()) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => {
                    let err = self.step_error(
                        "DeleteAccessKey",
                        &e,
                        format!("Nothing changed for the profile; the old key stays in use (inactive key {id} may still exist)."),
                    );
                    self.close(Step::RolledBack, err.to_string())?;
                    return Err(err);
                }
            }
            self.done(format!("deleted the inactive key {id}"));
        }
        self.j.known_key_ids = keys
            .iter()
            .map(|k| k.access_key_id.clone())
            .filter(|id| Some(id) != self.j.inactive_key_id.as_ref())
            .collect();
        self.enter(Step::Creating, "creating a new AccessKey".into())?;
        let created = ram.create_access_key().await;
        let new = match created {
            Ok(k) => k,
            Err(e) => {
                // Maybe created before the failure: find and delete it.
                let state = match self.undo_creating().await {
                    Ok(_) => "Nothing changed; the old key stays in use.".to_string(),
                    Err(u) => format!("The old key stays in use; cleaning up failed ({u})."),
                };
                return Err(self.step_error("CreateAccessKey", &e, state));
            }
        };
        self.done(format!("created {}", new.access_key_id));
        self.j.new_key_id = Some(new.access_key_id.clone());
        self.enter(
            Step::StoringPending,
            format!("storing {} in the keyring as pending", new.access_key_id),
        )?;
        let pending = StoredKey {
            access_key_id: new.access_key_id.clone(),
            access_key_secret: new.access_key_secret.clone(),
            security_token: None,
        };
        let store = self.secrets();
        let key = SecretKey::PendingKey(self.name().clone());
        if let Err(e) = blocking(move || store.set_json(&key, &pending)).await {
            let reason = format!("the new key could not be stored in the keyring ({e})");
            return self.roll_back(reason).await;
        }
        self.done("stored".into());
        self.verify_and_switch().await
    }

    // ---- resume ---------------------------------------------------------

    pub(super) async fn resume(mut self) -> Result<RotationReport, RotationError> {
        let from = self.j.step;
        self.resumed_from = Some(from);
        self.say(
            Phase::Started,
            format!("resuming an interrupted rotation (it stopped at {from})"),
        );
        let out = self.resume_inner(from).await;
        if let Err(e) = &out {
            self.note_error(e);
        }
        out
    }

    async fn resume_inner(&mut self, from: Step) -> Result<RotationReport, RotationError> {
        match from {
            Step::Listing | Step::DeletingInactive => self.close(
                Step::RolledBack,
                "rolled back: interrupted before a new key was created; the old key stays in use"
                    .into(),
            ),
            Step::Creating => self.undo_creating().await,
            Step::StoringPending => {
                let pending = self
                    .read_key(SecretKey::PendingKey(self.name().clone()))
                    .await?;
                if pending.is_some_and(|p| Some(&p.access_key_id) == self.j.new_key_id.as_ref()) {
                    self.verify_and_switch().await
                } else {
                    self.roll_back("the new key's secret never reached the keyring".into())
                        .await
                }
            }
            Step::Verifying | Step::Switching => self.verify_and_switch().await,
            Step::Invalidating | Step::Deactivating => self.after_switch().await,
            Step::AwaitingDelete | Step::Deleting => self.finish_old_key().await,
            Step::RollingBack => {
                self.roll_back("finishing an interrupted roll-back".into())
                    .await
            }
            Step::Done | Step::RolledBack => Ok(self.report("nothing to resume".into())),
        }
    }

    /// After `creating`: any key the user has now that was not there before
    /// (and is not the profile's) was made by us and its secret is lost.
    async fn undo_creating(&mut self) -> Result<RotationReport, RotationError> {
        let (ram, profile_key) = self.ram().await?;
        let keys = self
            .retry("ListAccessKeys", || ram.list_access_keys())
            .await
            .map_err(|e| {
                self.step_error(
                    "ListAccessKeys",
                    &e,
                    "The old key stays in use; whether a new key was created is unknown, alicred checks again at the next start.".into(),
                )
            })?;
        let orphans: Vec<String> = keys
            .into_iter()
            .map(|k| k.access_key_id)
            .filter(|id| !self.j.known_key_ids.contains(id) && *id != profile_key)
            .collect();
        if orphans.is_empty() {
            return self.close(
                Step::RolledBack,
                "rolled back: no new key was created; the old key stays in use".into(),
            );
        }
        // At most one (RAM's limit of two); delete each the same way.
        for id in orphans {
            self.j.new_key_id = Some(id);
            let r = self
                .roll_back("a new key was created but its secret was lost".into())
                .await?;
            if r.step != Step::RolledBack {
                return Ok(r);
            }
        }
        Ok(self.report(self.j.outcome.clone().unwrap_or_default()))
    }

    /// Delete the new key (unusable, or never verified) and close rolled back.
    async fn roll_back(&mut self, reason: String) -> Result<RotationReport, RotationError> {
        self.j.error = Some(reason.clone());
        let new = self.j.new_key_id.clone();
        self.enter(
            Step::RollingBack,
            format!("rolling back ({reason}): deleting the new key"),
        )?;
        if let Some(id) = &new {
            self.guard(id, "delete").await?;
            let (ram, _) = self.ram().await?;
            match self
                .retry("DeleteAccessKey", || ram.delete_access_key(id))
                .await
            {
                Ok(()) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => {
                    return Err(self.step_error(
                        "DeleteAccessKey",
                        &e,
                        format!("The old key stays in use and works; the unusable new key {id} is left in RAM and alicred deletes it at the next start."),
                    ));
                }
            }
        }
        let profile_key = self.profile_key().await?.access_key_id;
        let store = self.secrets();
        let key = SecretKey::PendingKey(self.name().clone());
        let pending = self.read_key(key.clone()).await?;
        if pending.is_some_and(|p| p.access_key_id != profile_key) {
            blocking(move || store.delete(&key)).await?;
        }
        self.done("the new key is gone".into());
        self.close(
            Step::RolledBack,
            format!(
                "rolled back: {reason}; the old key {} stays in use",
                self.j.old_key_id
            ),
        )
    }

    /// Never delete or deactivate the key the profile holds in the keyring now.
    async fn guard(&self, id: &str, verb: &str) -> Result<(), RotationError> {
        let current = self.profile_key().await?.access_key_id;
        if current == id {
            return Err(RotationError::Config(format!(
                "refusing to {verb} {id}: it is the key profile {} uses now (journal {})",
                self.name(),
                self.store.path(self.name()).display()
            )));
        }
        Ok(())
    }

    // ---- verify and switch ----------------------------------------------

    async fn verify_and_switch(&mut self) -> Result<RotationReport, RotationError> {
        let new_id = self.j.new_key_id.clone().unwrap_or_default();
        let profile_key = self.profile_key().await?;
        let pending = self
            .read_key(SecretKey::PendingKey(self.name().clone()))
            .await?;
        let key = match pending.filter(|p| p.access_key_id == new_id) {
            Some(p) => p,
            None if profile_key.access_key_id == new_id => profile_key,
            None => {
                return self
                    .roll_back("the new key's secret is no longer in the keyring".into())
                    .await;
            }
        };
        // Resumed at `switching`: verified already.
        if self.j.step != Step::Switching {
            self.enter(
                Step::Verifying,
                format!("verifying {new_id} with GetCallerIdentity"),
            )?;
            if let Err(e) = self.verify(&key).await {
                let secs = self.r.settings.verify_window.as_secs();
                return self
                    .roll_back(format!("the new key did not work within {secs} s ({e})"))
                    .await;
            }
            self.done(format!("{new_id} works"));
        }
        self.enter(
            Step::Switching,
            format!("making {new_id} the key of profile {}", self.name()),
        )?;
        let current = self.profile_key().await?;
        if current.access_key_id != new_id {
            let store = self.secrets();
            let k = SecretKey::Profile(self.name().clone());
            blocking(move || store.set_json(&k, &key)).await?;
        }
        self.done("switched".into());
        self.after_switch().await
    }

    async fn verify(&mut self, key: &StoredKey) -> Result<(), ProviderError> {
        let sts = endpoints::sts_for_profile(&self.profile, &self.r.ctx)?;
        let creds = Credentials::long_term(
            key.access_key_id.clone(),
            key.access_key_secret.clone(),
            self.r.ctx.clock.now(),
        );
        let deadline = Instant::now() + self.r.settings.verify_window;
        let mut delay = self.r.settings.verify_first_delay;
        loop {
            match get_caller_identity(&self.r.ctx, &sts, &creds).await {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() + delay < deadline => {
                    self.say(
                        Phase::Retrying,
                        format!("not usable yet ({e}); retrying in {} ms", delay.as_millis()),
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }

    // ---- after the switch: the new key works and is the profile's ---------

    async fn after_switch(&mut self) -> Result<RotationReport, RotationError> {
        if self.j.step != Step::Deactivating {
            self.enter(
                Step::Invalidating,
                "dropping cached sessions of the profile and of profiles chained on it".into(),
            )?;
            self.invalidate().await?;
            self.done("dropped".into());
        }
        let old = self.j.old_key_id.clone();
        self.enter(
            Step::Deactivating,
            format!("deactivating the old key {old}"),
        )?;
        self.guard(&old, "deactivate").await?;
        let (ram, _) = self.ram().await?;
        match self
            .retry("UpdateAccessKey", || {
                ram.update_access_key(&old, AccessKeyStatus::Inactive)
            })
            .await
        {
            Ok(()) => {}
            Err(e) if not_found(&e) => {}
            Err(e) => {
                return Err(self.step_error(
                    "UpdateAccessKey",
                    &e,
                    self.half_done_state("still Active"),
                ));
            }
        }
        self.done(format!("{old} is inactive"));
        match self.j.old_key {
            OldKeyAction::KeepInactive => {
                let msg = format!(
                    "rotated: profile {} now uses {}; the old key {old} is inactive (delete it in the RAM console when you are sure)",
                    self.name(),
                    self.new_id()
                );
                self.close(Step::Done, msg)
            }
            OldKeyAction::DeleteNow => self.finish_old_key().await,
            OldKeyAction::DeleteAfter { grace_seconds } => {
                let grace = chrono::Duration::seconds(i64::try_from(grace_seconds).unwrap_or(0));
                let at = self.r.ctx.clock.now() + grace;
                self.j.delete_after = Some(at);
                let msg = format!(
                    "rotated: profile {} now uses {}; the old key {old} is inactive and will be deleted after {}",
                    self.name(),
                    self.new_id(),
                    crate::credentials::format_expiration(at)
                );
                self.enter(Step::AwaitingDelete, msg.clone())?;
                self.r.emit(self.name(), EventKind::Rotation, msg.clone());
                Ok(self.report(msg))
            }
        }
    }

    fn new_id(&self) -> String {
        self.j.new_key_id.clone().unwrap_or_default()
    }

    fn half_done_state(&self, old_state: &str) -> String {
        format!(
            "The new key {} is in use and works; the old key {} is {old_state}. Run `alicred rotate {}` again to finish (it resumes), or do it in the RAM console.",
            self.new_id(),
            self.j.old_key_id,
            self.name()
        )
    }

    async fn invalidate(&mut self) -> Result<(), RotationError> {
        let mut names = vec![self.name().clone()];
        if let Ok(file) = self.r.app.profiles() {
            names.extend(file.dependents_of(self.name()));
        }
        for n in names {
            let store = self.secrets();
            blocking(move || store.delete(&SecretKey::Session(n))).await?;
        }
        self.r.sessions.invalidate(self.name());
        let store = self.secrets();
        let key = SecretKey::PendingKey(self.name().clone());
        blocking(move || store.delete(&key)).await
    }

    /// `awaiting-delete` / `deleting`: delete the old key once it is due.
    async fn finish_old_key(&mut self) -> Result<RotationReport, RotationError> {
        let old = self.j.old_key_id.clone();
        let now = self.r.ctx.clock.now();
        if self.j.step == Step::AwaitingDelete && self.j.delete_after.is_some_and(|t| now < t) {
            return Ok(self.report(format!("the old key {old} waits for deletion")));
        }
        let current = self.profile_key().await?.access_key_id;
        if current != self.new_id() {
            return Err(RotationError::Config(format!(
                "refusing to delete the old key {old}: profile {} does not hold the new key {} (it holds {}); check the keys in the RAM console",
                self.name(),
                self.new_id(),
                key_hint(&current)
            )));
        }
        self.enter(Step::Deleting, format!("deleting the old key {old}"))?;
        self.guard(&old, "delete").await?;
        let (ram, _) = self.ram().await?;
        match self
            .retry("DeleteAccessKey", || ram.delete_access_key(&old))
            .await
        {
            Ok(()) => {}
            Err(e) if not_found(&e) => {}
            Err(e) => {
                return Err(self.step_error(
                    "DeleteAccessKey",
                    &e,
                    self.half_done_state("inactive but not deleted"),
                ));
            }
        }
        self.done(format!("{old} deleted"));
        let msg = format!(
            "rotated: profile {} now uses {}; the old key {old} is deleted",
            self.name(),
            self.new_id()
        );
        self.close(Step::Done, msg)
    }
}
