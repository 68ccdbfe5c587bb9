//! Adapter between the desktop app and the core's agent (engine + endpoint).
//!
//! The app needs four things from the agent: the engine (status, events,
//! refresh), the endpoint URL of a profile, a reload after profile edits and
//! a clean shutdown. Keeping them behind this one type means the commands,
//! the tray and the tests do not care how the core spells them.

use alicred_core::clock::SystemClock;
use alicred_core::engine::{Engine, ProviderFactory, SourceLookup};
use alicred_core::profile::ProfileName;
use alicred_core::providers::{self, Provider, ProviderContext, ProviderError};
use alicred_core::service::Alicred;
use alicred_core::store::config::ProfilesFile;
use std::sync::Arc;

pub struct Agent {
    engine: Engine,
    ctx: ProviderContext,
    endpoint: Result<String, String>,
}

fn factory() -> Arc<dyn ProviderFactory> {
    Arc::new(
        |name: &ProfileName,
         profiles: &ProfilesFile,
         ctx: &ProviderContext,
         source: &mut SourceLookup<'_>|
         -> Result<Arc<dyn Provider>, ProviderError> {
            providers::build_with(name, profiles, ctx, source)
        },
    )
}

impl Agent {
    /// Start the refresh engine over the saved profiles. Must run inside the
    /// Tokio runtime.
    pub async fn start(alicred: &Alicred) -> Result<Self, String> {
        let profiles = alicred.profiles().map_err(|e| e.to_string())?;
        let ctx = ProviderContext::new(alicred.secrets().clone(), Arc::new(SystemClock));
        let engine = Engine::start(profiles, ctx.clone(), factory());
        Ok(Self {
            engine,
            ctx,
            endpoint: Err("the credentials endpoint is not part of this build yet".into()),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn ctx(&self) -> &ProviderContext {
        &self.ctx
    }

    /// URL serving `name` (the active profile when `None`).
    pub fn url_for(&self, name: Option<&ProfileName>) -> Result<String, String> {
        let base = self.endpoint.clone()?;
        Ok(match name {
            Some(n) => format!("{base}/{n}"),
            None => base,
        })
    }

    /// Where the endpoint listens (for display).
    pub fn listen(&self) -> Option<String> {
        None
    }

    /// Pick up a changed profiles file.
    pub fn reload(&self, file: ProfilesFile) {
        self.engine.reload(file);
    }

    pub async fn shutdown(&self) {
        self.engine.shutdown().await;
    }
}
