//! Resuming an interrupted rotation, and rolling back one that did not get
//! as far as the switch (the new key is deleted, the old one stays).

use super::error::RotationError;
use super::journal::Step;
use super::run::{Run, blocking, not_found};
use super::{Phase, RotationReport};
use crate::store::secrets::SecretKey;

impl<'a> Run<'a> {
    pub(super) async fn resume(mut self) -> Result<RotationReport, RotationError> {
        let from = self.journal.step;
        self.resumed_from = Some(from);
        self.say(
            Phase::Started,
            format!("resuming an interrupted rotation (it stopped at {from})"),
        );
        let out = self.resume_inner(from).await;
        if let Err(e) = &out {
            self.note_error(e).await;
        }
        out
    }

    pub(super) async fn resume_inner(
        &mut self,
        from: Step,
    ) -> Result<RotationReport, RotationError> {
        match from {
            Step::Listing | Step::DeletingInactive => self.close(
                Step::RolledBack,
                "rolled back: interrupted before a new key was created; the old key stays in use"
                    .into(),
            ).await,
            Step::Creating => self.undo_creating().await,
            Step::StoringPending => {
                let pending = self
                    .read_key(SecretKey::PendingKey(self.name().clone()))
                    .await?;
                if pending.is_some_and(|p| Some(&p.access_key_id) == self.journal.new_key_id.as_ref()) {
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
                let reason = self
                    .journal
                    .error
                    .clone()
                    .unwrap_or_else(|| "an interrupted roll-back".into());
                self.roll_back(reason).await
            }
            Step::Done | Step::RolledBack => Ok(self.report("nothing to resume".into())),
        }
    }

    /// After `creating`: any key the user has now that was not there before
    /// (and is not the profile's) was made by us and its secret is lost.
    pub(super) async fn undo_creating(&mut self) -> Result<RotationReport, RotationError> {
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
            .filter(|id| !self.journal.known_key_ids.contains(id) && *id != profile_key)
            .collect();
        if orphans.is_empty() {
            return self
                .close(
                    Step::RolledBack,
                    "rolled back: no new key was created; the old key stays in use".into(),
                )
                .await;
        }
        // At most one (RAM's limit of two); delete each the same way.
        for id in orphans {
            self.journal.new_key_id = Some(id);
            let r = self
                .roll_back("a new key was created but its secret was lost".into())
                .await?;
            if r.step != Step::RolledBack {
                return Ok(r);
            }
        }
        Ok(self.report(self.journal.outcome.clone().unwrap_or_default()))
    }

    /// Delete the new key (unusable, or never verified) and close rolled back.
    pub(super) async fn roll_back(
        &mut self,
        reason: String,
    ) -> Result<RotationReport, RotationError> {
        self.journal.error = Some(reason.clone());
        let new = self.journal.new_key_id.clone();
        self.enter(
            Step::RollingBack,
            format!("rolling back ({reason}): deleting the new key"),
        )
        .await?;
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
                self.journal.old_key_id
            ),
        )
        .await
    }

    /// Never delete or deactivate the key the profile holds in the keyring now.
    pub(super) async fn guard(&self, id: &str, verb: &str) -> Result<(), RotationError> {
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
}
