//! The use cases: every action the CLI, the tray and the dashboard offer,
//! decided here once. A shell builds one [`UseCases`] and only translates
//! between people and these calls; it never re-derives a rule (what can be
//! rotated and how, how to verify, which variables an `export` line sets).
//!
//! One file per use case:
//! - [`profiles`]: add, edit, remove, use (each reloads an in-process engine);
//! - [`verify`]: GetCallerIdentity with a profile's credentials;
//! - [`rotate`]: "rotate now" (RAM for access-key, KMS for kms-secret);
//! - [`console`]: open the Alibaba Cloud console as a profile (federation);
//! - [`rotate_now`]: what "rotate now" asks and reports;
//! - [`endpoint_token`]: a new endpoint token, confirmed by the agent;
//! - [`export`]: `alicred export`/`env` and the dashboard's "Copy export";
//! - [`resolve`]: credentials for a one-shot command, a running agent first;
//! - [`exec`]: `alicred exec`, the tool run in place of alicred;
//! - [`import`]: profiles from the aliyun CLI's or the SDKs' files;
//! - [`summaries`]: what `profile list`/`show` print about each profile;
//! - [`signin`]: sign in a cloud-sso/oauth profile or a CloudSSO session.
//!
//! Errors are [`UseCaseError`] kinds with their facts; each shell words the
//! fix itself (the CLI names flags, the dashboard names form fields).

pub mod console;
pub mod console_redirect;
pub mod endpoint_token;
mod error;
pub mod exec;
pub mod export;
pub mod import;
pub mod profiles;
pub mod resolve;
pub mod rotate;
pub mod rotate_now;
pub mod signin;
pub mod summaries;
pub mod verify;

pub use console::{ConsoleBrowser, ConsolePlan, ConsoleRequest};
pub use console_redirect::{ConsoleOutcome, ConsoleSession};
pub use error::UseCaseError;
pub use exec::ExecRequest;
pub use export::{ExportFormat, Shell};
pub use rotate::{OldKey, RotatePlan, RotateRequest, Rotated};
pub use signin::{SignInDone, SignInPrompt, SignInTarget};
pub use summaries::ProfileSummary;

use crate::Credentials;
use crate::engine::Engine;
use crate::profile::ProfileName;
use crate::providers::{self, Provider, ProviderContext};
use crate::service::Alicred;
use crate::store::config::ProfilesFile;
use std::sync::Arc;

/// The use cases of one alicred home, with the engine when one runs in this
/// process (the agent, the desktop app) or without (a one-shot CLI command).
#[derive(Clone)]
pub struct UseCases {
    app: Alicred,
    ctx: ProviderContext,
    engine: Option<Engine>,
    /// Held while a sign-in waits: one at a time.
    sign_in_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for UseCases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UseCases")
            .field("home", &self.app.paths().base())
            .field("engine", &self.engine.is_some())
            .finish()
    }
}

impl UseCases {
    /// No engine here: credentials are fetched fresh for each call.
    pub fn standalone(app: Alicred) -> Self {
        let ctx = app.provider_context();
        Self {
            app,
            ctx,
            engine: None,
            sign_in_lock: Default::default(),
        }
    }

    /// With the engine this process runs: its cache serves credentials, and
    /// profile changes reload it at once.
    pub fn in_process(app: Alicred, ctx: ProviderContext, engine: Engine) -> Self {
        Self {
            app,
            ctx,
            engine: Some(engine),
            sign_in_lock: Default::default(),
        }
    }

    pub fn app(&self) -> &Alicred {
        &self.app
    }

    pub fn ctx(&self) -> &ProviderContext {
        &self.ctx
    }

    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    /// The profiles file, read off the async threads.
    pub async fn profiles(&self) -> Result<ProfilesFile, UseCaseError> {
        let app = self.app.clone();
        blocking(move || Ok(app.profiles()?)).await
    }

    /// The provider of `name`: the engine's cached one when an engine runs
    /// here, else one built now.
    pub fn provider(
        &self,
        name: &ProfileName,
        file: &ProfilesFile,
    ) -> Result<Arc<dyn Provider>, UseCaseError> {
        let ty = file
            .get(name)
            .map_err(crate::service::ServiceError::from)?
            .profile_type();
        if let Some(e) = &self.engine {
            return e
                .cached(name)
                .map(|c| c as Arc<dyn Provider>)
                .ok_or_else(|| UseCaseError::NotLoaded(name.clone()));
        }
        providers::build(name, file, &self.ctx).map_err(|cause| UseCaseError::Provider {
            profile: name.clone(),
            ty,
            cause,
        })
    }

    /// Fresh credentials of `name` (cached ones when an engine runs here).
    pub async fn credentials(&self, name: &ProfileName) -> Result<Credentials, UseCaseError> {
        let file = self.profiles().await?;
        let p = self.provider(name, &file)?;
        let ty = file
            .get(name)
            .map_err(crate::service::ServiceError::from)?
            .profile_type();
        p.retrieve().await.map_err(|cause| UseCaseError::Provider {
            profile: name.clone(),
            ty,
            cause,
        })
    }
}

/// Run blocking work (keyring, file locks, fsync) on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, UseCaseError> + Send + 'static,
) -> Result<T, UseCaseError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| UseCaseError::Internal(e.to_string()))?
}
