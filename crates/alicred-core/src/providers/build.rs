//! From a profile to its provider, building source chains recursively.
//!
//! The engine keeps one cached provider per profile; `build_with` lets it
//! hand those in for sources, so a chain shares its source's session instead
//! of assuming the same role twice.

use super::{
    AccessKeyProvider, CloudSsoProvider, CredentialsUriProvider, EcsRamRoleProvider,
    EnvironmentProvider, ExternalProvider, KmsSecretProvider, OauthProvider, OidcRoleArnProvider,
    Provider, ProviderContext, ProviderError, RamRoleArnProvider, StsTokenProvider,
};
use crate::aliyun::endpoints;
use crate::profile::{Profile, ProfileKind, ProfileName};
use crate::store::config::ProfilesFile;
use std::sync::Arc;

/// Offered each source profile: `Some` = use this provider, `None` = build it.
pub type SourceResolver<'a> = dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>> + 'a;

/// Longest source chain we follow.
pub const MAX_CHAIN_DEPTH: usize = 32;

/// Build `name`'s provider; sources are built recursively.
pub fn build(
    name: &ProfileName,
    profiles: &ProfilesFile,
    ctx: &ProviderContext,
) -> Result<Arc<dyn Provider>, ProviderError> {
    build_with(name, profiles, ctx, &mut |_| None)
}

/// Like [`build`], but each source profile is first offered to `source`:
/// `Some(provider)` is used as is (e.g. the engine's cached one), `None`
/// builds it here.
pub fn build_with(
    name: &ProfileName,
    profiles: &ProfilesFile,
    ctx: &ProviderContext,
    source: &mut SourceResolver<'_>,
) -> Result<Arc<dyn Provider>, ProviderError> {
    let mut chain = Vec::new();
    build_chain(name, profiles, ctx, source, &mut chain)
}

fn build_chain(
    name: &ProfileName,
    profiles: &ProfilesFile,
    ctx: &ProviderContext,
    resolve: &mut SourceResolver<'_>,
    chain: &mut Vec<ProfileName>,
) -> Result<Arc<dyn Provider>, ProviderError> {
    if chain.contains(name) {
        let path: Vec<String> = chain
            .iter()
            .chain(std::iter::once(name))
            .map(ToString::to_string)
            .collect();
        return Err(ProviderError::Config(format!(
            "profile chain {} is a cycle",
            path.join(" → ")
        )));
    }
    if chain.len() >= MAX_CHAIN_DEPTH {
        return Err(ProviderError::Config(format!(
            "the source chain of profile {} is deeper than {MAX_CHAIN_DEPTH} profiles",
            chain.first().unwrap_or(name)
        )));
    }
    let profile = profiles
        .get(name)
        .map_err(|e| ProviderError::Config(e.to_string()))?;
    chain.push(name.clone());
    let source = match profile.source() {
        Some(src) => Some(match resolve(src) {
            Some(p) => p,
            None => build_chain(src, profiles, ctx, resolve, chain)?,
        }),
        None => None,
    };
    chain.pop();
    build_one(profile, ctx, source)
}

/// One profile's provider. `source` is required for `ram-role-arn` (its
/// source profile's provider) and ignored otherwise.
pub fn build_one(
    profile: &Profile,
    ctx: &ProviderContext,
    source: Option<Arc<dyn Provider>>,
) -> Result<Arc<dyn Provider>, ProviderError> {
    let name = profile.name.clone();
    let region = profile.region.as_deref();
    Ok(match &profile.kind {
        ProfileKind::AccessKey(_) => Arc::new(AccessKeyProvider::new(name, ctx)),
        ProfileKind::StsToken(p) => Arc::new(StsTokenProvider::new(name, p.expiration, ctx)),
        ProfileKind::RamRoleArn(p) => {
            let source = source.ok_or_else(|| {
                ProviderError::Config(format!(
                    "profile {name} needs its source profile {}",
                    p.source
                ))
            })?;
            let sts = endpoints::sts(p.endpoints.sts.as_ref(), region, ctx)?;
            Arc::new(RamRoleArnProvider::new(name, p, source, sts, ctx))
        }
        ProfileKind::EcsRamRole(p) => {
            let md = endpoints::metadata(p.endpoints.metadata.as_ref())?;
            Arc::new(EcsRamRoleProvider::new(name, p, md, ctx))
        }
        ProfileKind::OidcRoleArn(p) => {
            let sts = endpoints::sts(p.endpoints.sts.as_ref(), region, ctx)?;
            Arc::new(OidcRoleArnProvider::new(name, p, sts, ctx))
        }
        ProfileKind::Environment(_) => Arc::new(EnvironmentProvider::new(ctx)),
        ProfileKind::CredentialsUri(p) => {
            Arc::new(CredentialsUriProvider::new(p.uri.clone(), ctx).with_keyring_url(name))
        }
        ProfileKind::External(p) => Arc::new(ExternalProvider::new(name, p, ctx)?),
        ProfileKind::CloudSso(p) => Arc::new(CloudSsoProvider::new(name, p, ctx)),
        ProfileKind::Oauth(p) => Arc::new(OauthProvider::new(name, p, ctx)),
        ProfileKind::BearerToken(_) => Arc::new(super::BearerTokenProvider::new(name)),
        ProfileKind::KmsSecret(p) => {
            let kms = endpoints::kms(p.endpoints.kms.as_ref(), region, ctx)?;
            Arc::new(KmsSecretProvider::new(name, p, kms, ctx))
        }
    })
}
