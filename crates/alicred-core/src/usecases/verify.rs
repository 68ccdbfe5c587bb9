//! Verify: GetCallerIdentity with a profile's credentials, against the STS
//! endpoint the profile would use (or one the user names).

use super::{UseCaseError, UseCases};
use crate::aliyun::{endpoints, sts};
use crate::profile::ProfileName;
use url::Url;

impl UseCases {
    /// Who `name`'s credentials act as. `sts_endpoint` overrides the profile's.
    pub async fn verify(
        &self,
        name: &ProfileName,
        sts_endpoint: Option<&str>,
    ) -> Result<sts::CallerIdentity, UseCaseError> {
        let file = self.profiles().await?;
        let profile = file.get(name).map_err(crate::service::ServiceError::from)?;
        let endpoint = match sts_endpoint {
            Some(s) => Url::parse(s).map_err(|e| UseCaseError::BadUrl {
                value: s.to_string(),
                reason: e.to_string(),
            })?,
            None => endpoints::sts_for_profile(profile, &self.ctx).map_err(|cause| {
                UseCaseError::Provider {
                    profile: name.clone(),
                    ty: profile.profile_type(),
                    cause,
                }
            })?,
        };
        let provider = self.provider(name, &file)?;
        sts::verify(provider.as_ref(), &self.ctx, &endpoint)
            .await
            .map_err(|cause| UseCaseError::VerifyFailed {
                profile: name.clone(),
                ty: profile.profile_type(),
                cause,
            })
    }
}
