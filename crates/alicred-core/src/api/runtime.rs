//! What the API runs on in a long-lived process (the tray agent): the
//! core's agent (`crate::server::Agent`: engine + endpoint + agent file).
//!
//! The API needs four things from it: the engine (status, events, refresh),
//! the endpoint URL of a profile, a reload after profile edits and a clean
//! shutdown. If the endpoint cannot start (the port is taken, say by a CLI
//! agent or another user), the agent runs without it
//! (`Agent::start_without_endpoint`: the same wiring, reloader and rotation
//! included) so the dashboard works, and the agent's error is shown where
//! the URL would be.

use crate::engine::Engine;
use crate::profile::ProfileName;
use crate::providers::ProviderContext;
use crate::server::{Agent, AgentHandle, EngineOnly};
use crate::service::Alicred;
use crate::usecases::UseCases;
use std::net::SocketAddr;
use std::sync::Mutex;

/// Overrides the endpoint's listen address (tests, benchmarks, a second user).
pub const LISTEN_ENV: &str = "ALICRED_LISTEN";

/// The engine, and the endpoint when it could start.
pub struct Runtime {
    engine: Engine,
    ctx: ProviderContext,
    handle: Mutex<Option<AgentHandle>>,
    /// The agent without its endpoint, when that could not start.
    engine_only: Mutex<Option<EngineOnly>>,
    /// Why there is no endpoint, when there is none: the whole message,
    /// and the reason in a few words (the tray's menu line).
    endpoint_error: Option<(String, String)>,
}

impl Runtime {
    /// Start the engine and the endpoint. Must run inside the Tokio runtime.
    /// The listen address comes from `ALICRED_LISTEN`, else the profiles file.
    pub async fn start(alicred: &Alicred) -> Result<Self, String> {
        let listen = match std::env::var(LISTEN_ENV) {
            Ok(v) if !v.is_empty() => Some(v.parse::<SocketAddr>().map_err(|e| {
                format!("{LISTEN_ENV}={v:?} is not an address like 127.0.0.1:47911: {e}")
            })?),
            _ => None,
        };
        Self::start_on(alicred, listen).await
    }

    pub async fn start_on(alicred: &Alicred, listen: Option<SocketAddr>) -> Result<Self, String> {
        // The same agent configuration as `alicred agent` (StandardFactory).
        let mut cfg = alicred.agent_config();
        let ctx = cfg.ctx.clone();
        cfg.listen = listen;
        match Agent::start(cfg).await {
            Ok(handle) => Ok(Self {
                engine: handle.engine().clone(),
                ctx,
                handle: Mutex::new(Some(handle)),
                engine_only: Mutex::new(None),
                endpoint_error: None,
            }),
            Err(e) => {
                tracing::warn!("endpoint not started: {e}");
                let mut cfg = alicred.agent_config();
                cfg.listen = listen;
                let agent = Agent::start_without_endpoint(cfg)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Self {
                    engine: agent.engine().clone(),
                    ctx,
                    handle: Mutex::new(None),
                    engine_only: Mutex::new(Some(agent)),
                    endpoint_error: Some((
                        format!("The credentials endpoint is not running: {e}"),
                        e.headline(),
                    )),
                })
            }
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn ctx(&self) -> &ProviderContext {
        &self.ctx
    }

    /// The use cases, with this process's engine.
    pub fn use_cases(&self, alicred: &Alicred) -> UseCases {
        UseCases::in_process(alicred.clone(), self.ctx.clone(), self.engine.clone())
    }

    /// URL serving `name` (the active profile when `None`). It carries the
    /// endpoint token: shown to the user, never logged.
    pub fn url_for(&self, name: Option<&ProfileName>) -> Result<String, String> {
        let guard = self
            .handle
            .lock()
            .map_err(|_| "agent state is unavailable".to_string())?;
        match guard.as_ref() {
            Some(h) => Ok(h.url_for(name).expose().to_string()),
            None => Err(self
                .endpoint_error
                .as_ref()
                .map(|(whole, _)| whole.clone())
                .unwrap_or_else(|| "the credentials endpoint has stopped".into())),
        }
    }

    /// Why the endpoint did not start, in a few words, if it did not: a
    /// problem the tray shows (another user holding the port above all).
    pub fn endpoint_problem(&self) -> Option<&str> {
        self.endpoint_error
            .as_ref()
            .map(|(_, short)| short.as_str())
    }

    /// Why the profiles file is not being followed (the reloader's last error), if it is not.
    pub fn reload_problem(&self) -> Option<String> {
        if let Some(h) = self.handle.lock().ok()?.as_ref() {
            return h.reload_problem();
        }
        self.engine_only.lock().ok()?.as_ref()?.reload_problem()
    }

    /// Where the endpoint listens (for display).
    pub fn listen(&self) -> Option<String> {
        self.handle
            .lock()
            .ok()?
            .as_ref()
            .map(|h| h.url_base().to_string())
    }

    /// Stop serving and stop the engine; removes the agent file.
    pub async fn shutdown(&self) {
        let handle = self.handle.lock().ok().and_then(|mut g| g.take());
        let engine_only = self.engine_only.lock().ok().and_then(|mut g| g.take());
        match (handle, engine_only) {
            (Some(h), _) => h.shutdown().await,
            (None, Some(a)) => a.shutdown().await,
            (None, None) => self.engine.shutdown().await,
        }
    }
}
