//! The seam between the engine and the provider builder: the engine asks a
//! factory for one profile's provider and lends it the cached providers of
//! source profiles, so a chained `ram-role-arn` reuses the engine's cache.

use crate::credentials::Credentials;
use crate::profile::ProfileName;
use crate::providers::{Provider, ProviderContext, ProviderError};
use crate::store::config::ProfilesFile;
use async_trait::async_trait;
use std::sync::Arc;

/// The `source` argument: gives the cached provider of a source profile
/// (`None`: no such profile, or a cycle; the factory may then build it).
/// Same shape as `providers::build_with`, so that function is a factory.
pub type SourceLookup<'a> = dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>> + 'a;

/// Builds the uncached provider of one profile.
pub trait ProviderFactory: Send + Sync {
    fn build(
        &self,
        name: &ProfileName,
        profiles: &ProfilesFile,
        ctx: &ProviderContext,
        source: &mut dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>>,
    ) -> Result<Arc<dyn Provider>, ProviderError>;
}

impl<F> ProviderFactory for F
where
    F: Fn(
            &ProfileName,
            &ProfilesFile,
            &ProviderContext,
            &mut dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>>,
        ) -> Result<Arc<dyn Provider>, ProviderError>
        + Send
        + Sync,
{
    fn build(
        &self,
        name: &ProfileName,
        profiles: &ProfilesFile,
        ctx: &ProviderContext,
        source: &mut dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>>,
    ) -> Result<Arc<dyn Provider>, ProviderError> {
        self(name, profiles, ctx, source)
    }
}

/// Stands in for a profile whose provider could not be built: every fetch
/// says why, so the profile shows as needing the user.
#[derive(Debug)]
pub struct BrokenProvider {
    pub why: ProviderError,
}

#[async_trait]
impl Provider for BrokenProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        Err(self.why.clone())
    }

    fn describe(&self) -> String {
        "a profile that cannot be used".into()
    }
}

/// The factory every real agent uses: the providers of `crate::providers`,
/// built recursively, with the engine's cached providers for sources.
#[derive(Debug, Default, Clone, Copy)]
pub struct StandardFactory;

impl ProviderFactory for StandardFactory {
    fn build(
        &self,
        name: &ProfileName,
        profiles: &ProfilesFile,
        ctx: &ProviderContext,
        source: &mut dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>>,
    ) -> Result<Arc<dyn Provider>, ProviderError> {
        crate::providers::build_with(name, profiles, ctx, source)
    }
}
