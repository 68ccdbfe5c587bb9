//! The application API: the core's one front door. Every shell (the tray
//! agent, the dashboard through it, the CLI) asks with a [`Request`] and gets
//! the [`Response`] of the same name, or an [`ApiError`] a person can act on;
//! every change is pushed as an [`Event`] that carries the new value. The
//! core decides (what a session's state is, what deserves a notification,
//! what the tray menu holds, which requests need the person's yes); the
//! shells show and forward (docs/architecture.md).
//!
//! [`Api::call`] is one exhaustive `match` over [`Request`] (`dispatch.rs`),
//! each arm one use case. The tray agent serves the same calls on its
//! control socket ([`wire`]); the dashboard's one Tauri command forwards
//! them there ([`client`]); the TypeScript types are generated from these
//! Rust types (`ts.rs`, checked by a test).

pub mod client;
pub mod confirm;
mod dispatch;
pub mod error;
pub mod form;
pub mod labels;
pub mod menu;
pub mod notify;
pub mod reminders;
pub mod runtime;
pub mod sessions;
pub mod settings;
mod sign_in;
#[cfg(test)]
mod ts;
mod types;
pub mod wire;

pub use confirm::Confirmed;
pub use error::{ApiError, ApiResult};
pub use runtime::Runtime;
pub use types::{EndpointInfo, Event, Request, Response, RotateResult, SecretInput, SignInEnded};

use crate::engine::{Engine, ProfileStatus};
use crate::service::Alicred;
use crate::usecases::UseCases;
use chrono::{DateTime, Utc};
use settings::Settings;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, broadcast};

/// What only the process that runs the API can do: the clipboard, opening
/// the dashboard, quitting, the login item. The tray agent is the host; a
/// headless one ([`NoHost`]) refuses what it cannot do.
pub trait Host: Send + Sync + 'static {
    fn copy(&self, _text: &str) -> Result<(), String> {
        Err("there is no clipboard here".into())
    }
    fn open_dashboard(&self) {}
    fn quit(&self) {}
    /// Whether the process starts at login (`None`: cannot be told).
    fn autostart(&self) -> Option<bool> {
        None
    }
    fn set_autostart(&self, _on: bool) -> Result<(), String> {
        Ok(())
    }
}

/// A host without a desktop (tests, a headless agent).
pub struct NoHost;
impl Host for NoHost {}

/// The API of one alicred home with its engine and endpoint. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    app: Alicred,
    runtime: Runtime,
    uc: UseCases,
    settings: Mutex<Settings>,
    sign_in: Mutex<sign_in::Slot>,
    events: broadcast::Sender<Event>,
    /// Held while a status is read and pushed ([`Api::emit_status`]).
    pushing: Mutex<()>,
    host: Arc<dyn Host>,
    /// Wakes the sign-in reminders to look at the profiles again.
    reminders_wanted: Notify,
}

impl Api {
    /// Start the engine and the endpoint (as `alicred agent` does), then the
    /// event loop and the reminders. Must run inside the Tokio runtime.
    pub async fn start(app: Alicred, host: Arc<dyn Host>) -> Result<Self, String> {
        let runtime = Runtime::start(&app).await?;
        Ok(Self::with_runtime(app, runtime, host))
    }

    /// The API over a runtime already started. Must run inside Tokio.
    pub fn with_runtime(app: Alicred, runtime: Runtime, host: Arc<dyn Host>) -> Self {
        let api = Self {
            inner: Arc::new(Inner {
                settings: Mutex::new(settings::load(app.paths())),
                uc: runtime.use_cases(&app),
                app,
                runtime,
                sign_in: Mutex::default(),
                events: broadcast::channel(256).0,
                pushing: Mutex::new(()),
                host,
                reminders_wanted: Notify::new(),
            }),
        };
        dispatch::spawn_event_loop(api.clone());
        reminders::spawn(api.clone());
        api
    }

    /// Answer one request.
    pub async fn call(&self, req: Request) -> ApiResult<Response> {
        self.call_confirmed(req, None).await
    }

    /// As [`Api::call`], with the person's yes when the dashboard's process
    /// asked for one ([`confirm`]).
    pub async fn call_confirmed(
        &self,
        req: Request,
        confirmed: Option<&Confirmed>,
    ) -> ApiResult<Response> {
        confirm::check(&req, confirmed)?;
        dispatch::dispatch(self, req).await
    }

    /// Every event from now on. A receiver that lags gets
    /// [`broadcast::error::RecvError::Lagged`]: it should read everything again.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    pub fn app(&self) -> &Alicred {
        &self.inner.app
    }

    pub fn engine(&self) -> &Engine {
        self.inner.runtime.engine()
    }

    pub fn runtime(&self) -> &Runtime {
        &self.inner.runtime
    }

    pub fn use_cases(&self) -> &UseCases {
        &self.inner.uc
    }

    pub fn settings(&self) -> Settings {
        self.inner
            .settings
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Every profile's status now.
    pub fn statuses(&self) -> Vec<ProfileStatus> {
        self.engine().snapshot()
    }

    /// The tray menu now ([`menu::tray_menu`]).
    pub fn menu(&self, now: DateTime<Utc>) -> Vec<menu::MenuItem> {
        let lines = self.endpoint_lines();
        let endpoint = match (&lines, self.inner.runtime.endpoint_problem()) {
            (Ok((u, e)), _) => Ok((u.as_str(), e.as_str())),
            (Err(_), Some(problem)) => Err(problem),
            (Err(e), None) => Err(e.as_str()),
        };
        menu::tray_menu(&self.statuses(), endpoint, now)
    }

    /// Does something need the person (the tray's attention icon): a profile
    /// ([`menu::needs_attention`]), or an endpoint that could not start.
    pub fn needs_attention(&self) -> bool {
        self.inner.runtime.endpoint_problem().is_some() || menu::needs_attention(&self.statuses())
    }

    /// The active profile's endpoint URL and its `export` line (the same
    /// variables `alicred env` sets).
    pub fn endpoint_lines(&self) -> Result<(String, String), String> {
        let url = self.inner.runtime.url_for(None)?;
        let export = crate::usecases::export::export_line(&url);
        Ok((url, export))
    }

    /// Stop the engine and the endpoint.
    pub async fn shutdown(&self) {
        self.inner.runtime.shutdown().await;
    }

    pub(crate) fn emit(&self, ev: Event) {
        // Nobody listening is not an error: the dashboard is usually closed.
        let _ = self.inner.events.send(ev);
    }

    /// Read a status (or the list) and push it, as one step against every
    /// other such step: a status read before another but sent after it
    /// would overwrite the newer one on the dashboard (a profile just added
    /// stayed "refreshing" when the add's list went out after its
    /// needs-sign-in).
    pub(crate) fn emit_status(&self, read: impl FnOnce(&Api) -> Option<Event>) {
        let _turn = self.inner.pushing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ev) = read(self) {
            self.emit(ev);
        }
    }

    pub(crate) fn host(&self) -> &dyn Host {
        self.inner.host.as_ref()
    }
}
