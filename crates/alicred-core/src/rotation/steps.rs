//! The forward steps up to the switch: list (and make room with consent),
//! create, store as pending, verify while it propagates, switch.

use super::error::RotationError;
use super::journal::{Journal, Step};
use super::run::{Run, blocking, list_line, not_found};
use super::{Phase, Progress, RotateOptions, RotationReport, Rotator};
use crate::aliyun::endpoints;
use crate::aliyun::ram::AccessKeyStatus;
use crate::aliyun::sts::get_caller_identity;
use crate::credentials::Credentials;
use crate::profile::{AccessKeyProfile, Profile};
use crate::providers::ProviderError;
use crate::store::secrets::{SecretKey, StoredKey};
use std::time::{Duration, Instant};

impl<'a> Run<'a> {
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
        run.enter(Step::Listing, "listing the user's AccessKeys".into())
            .await?;
        let out = run.list_and_create(opts).await;
        if let Err(e) = &out {
            run.note_error(e).await;
        }
        out
    }

    pub(super) async fn list_and_create(
        &mut self,
        opts: RotateOptions,
    ) -> Result<RotationReport, RotationError> {
        let old = self.journal.old_key_id.clone();
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
                self.close(Step::RolledBack, err.to_string()).await?;
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
            self.close(Step::RolledBack, msg.clone()).await?;
            return Err(RotationError::Config(msg));
        }
        for other in keys.iter().filter(|k| k.access_key_id != old) {
            if other.status != AccessKeyStatus::Inactive || !opts.delete_inactive {
                let what_now = if other.status == AccessKeyStatus::Inactive {
                    format!(
                        "Allow alicred to delete the inactive key {}, or delete it in the RAM console, then rotate again.",
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
                self.close(Step::RolledBack, msg.clone()).await?;
                return Err(RotationError::TwoKeys {
                    message: msg,
                    deletable: (other.status == AccessKeyStatus::Inactive)
                        .then(|| other.access_key_id.clone()),
                });
            }
            let id = other.access_key_id.clone();
            self.journal.inactive_key_id = Some(id.clone());
            self.enter(
                Step::DeletingInactive,
                format!("deleting the inactive key {id} to make room"),
            )
            .await?;
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
                    self.close(Step::RolledBack, err.to_string()).await?;
                    return Err(err);
                }
            }
            self.done(format!("deleted the inactive key {id}"));
        }
        self.journal.known_key_ids = keys
            .iter()
            .map(|k| k.access_key_id.clone())
            .filter(|id| Some(id) != self.journal.inactive_key_id.as_ref())
            .collect();
        self.enter(Step::Creating, "creating a new AccessKey".into())
            .await?;
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
        self.journal.new_key_id = Some(new.access_key_id.clone());
        self.enter(
            Step::StoringPending,
            format!("storing {} in the keyring as pending", new.access_key_id),
        )
        .await?;
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

    pub(super) async fn verify_and_switch(&mut self) -> Result<RotationReport, RotationError> {
        let new_id = self.journal.new_key_id.clone().unwrap_or_default();
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
        if self.journal.step != Step::Switching {
            self.enter(
                Step::Verifying,
                format!("verifying {new_id} with GetCallerIdentity"),
            )
            .await?;
            if let Err(e) = self.verify(&key).await {
                let secs = self.rotator.settings.verify_window.as_secs();
                return self
                    .roll_back(format!("the new key did not work within {secs} s ({e})"))
                    .await;
            }
            self.done(format!("{new_id} works"));
        }
        self.enter(
            Step::Switching,
            format!("making {new_id} the key of profile {}", self.name()),
        )
        .await?;
        let current = self.profile_key().await?;
        if current.access_key_id != new_id {
            let store = self.secrets();
            let k = SecretKey::Profile(self.name().clone());
            blocking(move || store.set_json(&k, &key)).await?;
        }
        self.done("switched".into());
        self.after_switch().await
    }

    pub(super) async fn verify(&mut self, key: &StoredKey) -> Result<(), ProviderError> {
        let sts = endpoints::sts_for_profile(&self.profile, &self.rotator.ctx)?;
        let creds = Credentials::long_term(
            key.access_key_id.clone(),
            key.access_key_secret.clone(),
            self.rotator.ctx.clock.now(),
        );
        let deadline = Instant::now() + self.rotator.settings.verify_window;
        let mut delay = self.rotator.settings.verify_first_delay;
        loop {
            match get_caller_identity(&self.rotator.ctx, &sts, &creds).await {
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
}
