//! `kms-secret` "rotate now": KMS `RotateSecret` for the profile's secret,
//! then `GetSecretValue` again to follow the new version. KMS makes and
//! later retires the keys itself, so there is no journal here.

use super::{RotationError, Rotator};
use crate::aliyun::endpoints;
use crate::profile::{ProfileKind, ProfileName};
use crate::providers::{KmsSecretInfo, KmsSecretProvider, ProviderError};
use serde::Serialize;

/// What "rotate now" did and what the secret looks like afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KmsRotation {
    pub profile: String,
    /// The `VersionId` RotateSecret created.
    pub requested_version: String,
    /// The secret as GetSecretValue reports it now (version, last/next rotation).
    pub info: KmsSecretInfo,
    /// Whether `ACSCurrent` already points at the new version (KMS may take
    /// minutes; the engine follows it by itself).
    pub switched: bool,
}

/// What to do about a failed KMS call (a sentence starting with a space, or empty).
fn kms_hint(action: &str, secret: &str, e: &ProviderError) -> String {
    let code = match e {
        ProviderError::Upstream { code, .. } => code.as_str(),
        _ => "",
    };
    if code.contains("NoPermission") || code.contains("Forbidden") || code.contains("AccessDenied")
    {
        format!(
            " The ClientKey's application may not call kms:{action} on secret {secret}; allow it in the application access point's policy (or use an AccessKey with AliyunKMSSecretAdminAccess)."
        )
    } else if matches!(e, ProviderError::Throttled { .. }) {
        " KMS is throttling requests; wait a minute and try again.".into()
    } else if e.is_transient() {
        " KMS is unavailable or unreachable right now; try again later.".into()
    } else {
        String::new()
    }
}

impl Rotator {
    /// Rotate a `kms-secret` profile's secret now.
    pub async fn rotate_kms_secret(
        &self,
        name: &ProfileName,
    ) -> Result<KmsRotation, RotationError> {
        let file = self
            .app
            .profiles()
            .map_err(|e| RotationError::Config(e.to_string()))?;
        let profile = file
            .get(name)
            .map_err(|e| RotationError::Config(e.to_string()))?;
        let ProfileKind::KmsSecret(kp) = &profile.kind else {
            return Err(RotationError::NotRotatable {
                name: name.clone(),
                ty: profile.profile_type(),
            });
        };
        let _lock = self.lock(name)?;
        let endpoint = endpoints::kms(
            kp.endpoints.kms.as_ref(),
            profile.region.as_deref(),
            &self.ctx,
        )
        .map_err(|e| RotationError::Config(e.to_string()))?;
        let provider = KmsSecretProvider::new(name.clone(), kp, endpoint, &self.ctx);
        let fail = |action: &'static str, e: ProviderError| RotationError::Step {
            profile: name.clone(),
            action,
            hint: kms_hint(action, &kp.secret_name, &e),
            cause: e.to_string(),
            state: "The secret's current key stays in use.".into(),
        };
        let out = provider
            .rotate_now()
            .await
            .map_err(|e| fail("RotateSecret", e))?;
        let (_, info) = provider
            .fetch()
            .await
            .map_err(|e| fail("GetSecretValue", e))?;
        self.sessions.invalidate(name);
        let switched = info.version_id == out.version_id;
        self.emit_outcome(
            name,
            crate::engine::RotationOutcome::Rotated,
            format!(
                "KMS secret {} rotated: new version {}{}",
                info.secret_name,
                out.version_id,
                if switched {
                    " is current"
                } else {
                    " (KMS switches to it shortly)"
                }
            ),
        );
        Ok(KmsRotation {
            profile: name.to_string(),
            requested_version: out.version_id,
            info,
            switched,
        })
    }
}
