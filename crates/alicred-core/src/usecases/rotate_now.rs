//! "Rotate now" as a conversation (`alicred rotate`): what is asked, what a
//! choice about the old key means for this profile, whether an interrupted
//! rotation already did the job, and what is reported at the end. The
//! rotation itself is [`super::rotate`].

use super::{OldKey, RotatePlan, Rotated, UseCaseError, UseCases};
use crate::profile::{ProfileName, RotationMethod};
use crate::rotation::{RotationProgress, Step};

/// An interrupted rotation that was finished or undone.
#[derive(Debug)]
pub struct Resumed {
    pub profile: ProfileName,
    /// One line for people: what happened, or why it could not.
    pub outcome: Result<String, String>,
    /// It ended with a new key (not rolled back).
    pub completed: bool,
}

impl UseCases {
    /// The plan for rotating `name`, refusing a choice about the old key
    /// that does not apply (a KMS secret has none).
    pub async fn rotate_plan_with(
        &self,
        name: &ProfileName,
        old_key: Option<OldKey>,
    ) -> Result<RotatePlan, UseCaseError> {
        let plan = self.rotate_plan(name).await?;
        if plan.method == RotationMethod::Kms && old_key.is_some() {
            return Err(UseCaseError::OldKeyChoiceForKms {
                profile: name.clone(),
            });
        }
        Ok(plan)
    }

    /// Resume or roll back every interrupted rotation, each told in a line.
    pub async fn resume_rotations_told(
        &self,
        progress: &mut (dyn FnMut(RotationProgress) + Send + Sync),
    ) -> Vec<Resumed> {
        self.resume_rotations(progress)
            .await
            .into_iter()
            .map(|(profile, r)| match r {
                Ok(rep) => Resumed {
                    profile,
                    completed: rep.step != Step::RolledBack,
                    outcome: Ok(rep.message),
                },
                Err(e) => Resumed {
                    profile,
                    completed: false,
                    outcome: Err(e.to_string()),
                },
            })
            .collect()
    }
}

/// The confirmation question, in the words of what will happen.
pub fn question(name: &ProfileName, plan: &RotatePlan, old_key: Option<OldKey>) -> String {
    if plan.method == RotationMethod::Kms {
        return format!("Rotate the KMS secret of profile {name} now?");
    }
    let then = match old_key.unwrap_or_default() {
        OldKey::DeleteNow => "deactivated and deleted at once".to_string(),
        OldKey::KeepInactive => "deactivated (not deleted)".to_string(),
        OldKey::DeleteAfterGrace => format!(
            "deactivated now and deleted after {} hours",
            plan.grace_seconds.unwrap_or_default() / 3600
        ),
    };
    format!(
        "Rotate the AccessKey of profile {name}? A new key is created and verified, then the old key is {then}."
    )
}

/// What to print when a rotation is done: its message, and for a KMS
/// secret the versions and rotation dates.
pub fn report(done: &Rotated) -> Vec<String> {
    let mut lines = vec![done.message()];
    if let Rotated::Kms(r) = done {
        let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map(|d| d.to_rfc3339())
                .unwrap_or_else(|| "unknown".into())
        };
        lines.push(format!(
            "current version {}; last rotation {}; next rotation {}",
            r.info.version_id,
            date(r.info.last_rotation_date),
            date(r.info.next_rotation_date)
        ));
    }
    lines
}
