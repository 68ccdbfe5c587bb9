//! After the switch (the profile holds the verified new key): drop cached
//! sessions, deactivate the old key, delete it (now, after the grace
//! period, or never).

use super::RotationReport;
use super::error::RotationError;
use super::journal::{OldKeyAction, Step};
use super::run::{Run, blocking, not_found};
use crate::aliyun::ram::AccessKeyStatus;
use crate::engine::RotationOutcome;
use crate::engine::cached::key_hint;
use crate::store::secrets::SecretKey;

impl<'a> Run<'a> {
    pub(super) async fn after_switch(&mut self) -> Result<RotationReport, RotationError> {
        if self.journal.step != Step::Deactivating {
            self.enter(
                Step::Invalidating,
                "dropping cached sessions of the profile and of profiles chained on it".into(),
            )
            .await?;
            self.invalidate().await?;
            self.done("dropped".into());
        }
        let old = self.journal.old_key_id.clone();
        self.enter(
            Step::Deactivating,
            format!("deactivating the old key {old}"),
        )
        .await?;
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
        match self.journal.old_key {
            OldKeyAction::KeepInactive => {
                let msg = format!(
                    "rotated: profile {} now uses {}; the old key {old} is inactive (delete it in the RAM console when you are sure)",
                    self.name(),
                    self.new_id()
                );
                self.close(Step::Done, msg).await
            }
            OldKeyAction::DeleteNow => self.finish_old_key().await,
            OldKeyAction::DeleteAfter { grace_seconds } => {
                let grace = i64::try_from(grace_seconds)
                    .ok()
                    .and_then(chrono::Duration::try_seconds)
                    .unwrap_or(chrono::Duration::days(3650));
                let now = self.rotator.ctx.clock.now();
                let at = now.checked_add_signed(grace).unwrap_or(now);
                self.journal.delete_after = Some(at);
                let msg = format!(
                    "rotated: profile {} now uses {}; the old key {old} is inactive and will be deleted after {}",
                    self.name(),
                    self.new_id(),
                    crate::credentials::format_expiration(at)
                );
                self.enter(Step::AwaitingDelete, msg.clone()).await?;
                self.rotator
                    .emit_outcome(self.name(), RotationOutcome::Rotated, msg.clone());
                Ok(self.report(msg))
            }
        }
    }

    pub(super) fn new_id(&self) -> String {
        self.journal.new_key_id.clone().unwrap_or_default()
    }

    pub(super) fn half_done_state(&self, old_state: &str) -> String {
        format!(
            "The new key {} is in use and works; the old key {} is {old_state}. Run `alicred rotate {}` again to finish (it resumes), or do it in the RAM console.",
            self.new_id(),
            self.journal.old_key_id,
            self.name()
        )
    }

    pub(super) async fn invalidate(&mut self) -> Result<(), RotationError> {
        let mut names = vec![self.name().clone()];
        if let Ok(file) = self.rotator.app.profiles() {
            names.extend(file.dependents_of(self.name()));
        }
        for n in names {
            let store = self.secrets();
            blocking(move || store.delete(&SecretKey::Session(n))).await?;
        }
        self.rotator.sessions.invalidate(self.name());
        let store = self.secrets();
        let key = SecretKey::PendingKey(self.name().clone());
        blocking(move || store.delete(&key)).await
    }

    /// `awaiting-delete` / `deleting`: delete the old key once it is due.
    pub(super) async fn finish_old_key(&mut self) -> Result<RotationReport, RotationError> {
        let old = self.journal.old_key_id.clone();
        let now = self.rotator.ctx.clock.now();
        if self.journal.step == Step::AwaitingDelete
            && self.journal.delete_after.is_some_and(|t| now < t)
        {
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
        let (ram, _) = self.ram().await?;
        if self.journal.step == Step::AwaitingDelete {
            // After a grace period someone may have turned the old key back
            // on because something still needs it: then it stays.
            let keys = self
                .retry("ListAccessKeys", || ram.list_access_keys())
                .await
                .map_err(|e| {
                    self.step_error(
                        "ListAccessKeys",
                        &e,
                        self.half_done_state("inactive; alicred deletes it at a later start"),
                    )
                })?;
            if keys
                .iter()
                .any(|k| k.access_key_id == old && k.status == AccessKeyStatus::Active)
            {
                let msg = format!(
                    "rotated: profile {} uses {}; the old key {old} was re-activated during the grace period, so alicred leaves it alone",
                    self.name(),
                    self.new_id()
                );
                return self.close(Step::Done, msg).await;
            }
        }
        self.enter(Step::Deleting, format!("deleting the old key {old}"))
            .await?;
        self.guard(&old, "delete").await?;
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
        self.close(Step::Done, msg).await
    }
}
