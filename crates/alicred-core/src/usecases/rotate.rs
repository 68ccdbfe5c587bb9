//! "Rotate now": the profile's type decides how (RAM for access-key, KMS
//! for kms-secret, nothing else rotates). Shells ask [`UseCases::rotate_plan`]
//! what will happen (to word their confirmation) and call
//! [`UseCases::rotate`]; they never check the type themselves.

use super::{UseCaseError, UseCases};
use crate::profile::{ProfileName, ProfileType, RotationMethod};
use crate::rotation::{
    DEFAULT_GRACE, KmsRotation, NoSessions, OldKeyAction, Progress, RotateOptions,
    RotationProgress, RotationReport, Rotator, SessionInvalidator,
};
use serde::Serialize;
use std::sync::Arc;

/// What becomes of the old AccessKey (access-key profiles only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OldKey {
    /// Deactivate now, delete after [`DEFAULT_GRACE`].
    #[default]
    DeleteAfterGrace,
    DeleteNow,
    KeepInactive,
}

impl OldKey {
    fn action(self) -> OldKeyAction {
        match self {
            OldKey::DeleteAfterGrace => OldKeyAction::DeleteAfter {
                grace_seconds: DEFAULT_GRACE.as_secs(),
            },
            OldKey::DeleteNow => OldKeyAction::DeleteNow,
            OldKey::KeepInactive => OldKeyAction::KeepInactive,
        }
    }
}

/// What the user asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotateRequest {
    /// `None`: the default (deleted after the grace period). Setting it for
    /// a kms-secret profile is an error: KMS retires old keys itself.
    pub old_key: Option<OldKey>,
    /// Consent to delete an *inactive* second key that is not the profile's.
    pub delete_inactive: bool,
}

/// What "rotate now" will do for a profile, for the confirmation question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RotatePlan {
    pub method: RotationMethod,
    /// RAM: seconds the old key stays (inactive) before it is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<u64>,
}

/// How a rotation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Rotated {
    Ram(RotationReport),
    Kms(KmsRotation),
}

impl Rotated {
    /// One line for people.
    pub fn message(&self) -> String {
        match self {
            Rotated::Ram(r) => r.message.clone(),
            Rotated::Kms(k) => format!(
                "KMS secret {} rotated: new version {}{}",
                k.info.secret_name,
                k.requested_version,
                if k.switched {
                    " (current)"
                } else {
                    " (KMS switches to it shortly)"
                }
            ),
        }
    }
}

impl UseCases {
    /// The rotator of this home: it drops the engine's cached sessions and
    /// reports to its event bus when an engine runs here.
    pub fn rotator(&self) -> Rotator {
        let sessions: Arc<dyn SessionInvalidator> = match &self.engine {
            Some(e) => Arc::new(e.clone()),
            None => Arc::new(NoSessions),
        };
        let r = Rotator::with_context(self.app.clone(), self.ctx.clone(), sessions);
        match &self.engine {
            Some(e) => r.with_events(e.bus().clone()),
            None => r,
        }
    }

    /// How `name` rotates, or why it cannot.
    pub async fn rotate_plan(&self, name: &ProfileName) -> Result<RotatePlan, UseCaseError> {
        let ty = self.type_of(name).await?;
        let method = ty.rotation().ok_or_else(|| UseCaseError::NotRotatable {
            profile: name.clone(),
            ty,
        })?;
        Ok(RotatePlan {
            method,
            grace_seconds: (method == RotationMethod::Ram).then(|| DEFAULT_GRACE.as_secs()),
        })
    }

    /// Rotate `name` now, the way its type rotates.
    pub async fn rotate(
        &self,
        name: &ProfileName,
        req: RotateRequest,
        progress: Progress<'_>,
    ) -> Result<Rotated, UseCaseError> {
        let plan = self.rotate_plan(name).await?;
        let rotator = self.rotator();
        let done = match plan.method {
            RotationMethod::Kms => {
                if req.old_key.is_some() {
                    return Err(UseCaseError::OldKeyChoiceForKms {
                        profile: name.clone(),
                    });
                }
                Rotated::Kms(rotator.rotate_kms_secret(name).await?)
            }
            RotationMethod::Ram => {
                let opts = RotateOptions {
                    old_key: req.old_key.unwrap_or_default().action(),
                    delete_inactive: req.delete_inactive,
                };
                Rotated::Ram(rotator.rotate(name, opts, progress).await?)
            }
        };
        let this = self.clone();
        super::blocking(move || this.reload()).await?;
        Ok(done)
    }

    /// Resume or roll back every interrupted rotation (at every start).
    pub async fn resume_rotations(
        &self,
        progress: &mut (dyn FnMut(RotationProgress) + Send + Sync),
    ) -> Vec<(ProfileName, Result<RotationReport, UseCaseError>)> {
        self.rotator()
            .resume_all(progress)
            .await
            .into_iter()
            .map(|(n, r)| (n, r.map_err(UseCaseError::from)))
            .collect()
    }

    async fn type_of(&self, name: &ProfileName) -> Result<ProfileType, UseCaseError> {
        let file = self.profiles().await?;
        let p = file.get(name).map_err(crate::service::ServiceError::from)?;
        Ok(p.profile_type())
    }
}
