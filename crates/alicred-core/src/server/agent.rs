//! The agent: loads the profiles, runs the engine and the endpoint, writes
//! `agent.json`, follows changes of the profiles file, and cleans up.

use super::agent_file::{self, AgentInfo};
use super::handler::{EndpointState, SERVER_NAME};
use super::http::{self, Limits};
use super::peer::PeerResolver;
use super::token;
use crate::engine::{Engine, EngineOptions, ProviderFactory};
use crate::paths::Paths;
use crate::profile::ProfileName;
use crate::providers::ProviderContext;
use crate::sensitive::Sensitive;
use crate::store::config::{ConfigError, ConfigStore};
use crate::store::secrets::{SecretError, SecretStore};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct AgentConfig {
    pub paths: Paths,
    /// `None`: the profiles file's setting, else 127.0.0.1:47911.
    pub listen: Option<SocketAddr>,
    pub allow_non_loopback: bool,
    pub secrets: Arc<dyn SecretStore>,
    pub ctx: ProviderContext,
    pub factory: Arc<dyn ProviderFactory>,
    pub engine: EngineOptions,
    pub limits: Limits,
    /// Reload when the profiles file changes on disk.
    pub watch_profiles: bool,
    /// Finish interrupted key rotations at start, check key ages, and follow
    /// rotations other processes make (see [`crate::rotation`]).
    pub rotation: bool,
}

impl AgentConfig {
    pub fn new(
        paths: Paths,
        secrets: Arc<dyn SecretStore>,
        ctx: ProviderContext,
        factory: Arc<dyn ProviderFactory>,
    ) -> Self {
        Self {
            paths,
            listen: None,
            allow_non_loopback: false,
            secrets,
            ctx,
            factory,
            engine: EngineOptions {
                persist_sessions: true,
                ..EngineOptions::default()
            },
            limits: Limits::default(),
            watch_profiles: true,
            rotation: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(
        "refusing to listen on {0}: it is not a loopback address, and anyone who can reach it could take credentials"
    )]
    NotLoopback(SocketAddr),
    #[error("an alicred agent is already running at {url}")]
    AlreadyRunning { url: String },
    #[error("port {port} is in use by another program")]
    PortInUse { port: u16 },
    /// Another local user listens on the endpoint's port: clients sending
    /// their URLs there hand capabilities to that user. The next start that
    /// succeeds rotates the token (docs/security.md, "Listeners").
    #[error(
        "port {port} is held by another user (uid {uid}): alicred will not serve there, and endpoint URLs sent to it may have leaked; the endpoint token is rotated on the next start that succeeds"
    )]
    PortHeldByOtherUser { port: u16, uid: u32 },
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("cannot write {path}: {reason}")]
    AgentFile { path: String, reason: String },
}

impl AgentError {
    /// The reason in a few words, for a menu line or a banner (the message
    /// itself says what follows and what to do).
    pub fn headline(&self) -> String {
        match self {
            AgentError::PortHeldByOtherUser { port, uid } => {
                format!("port {port} is held by another user (uid {uid})")
            }
            AgentError::PortInUse { port } => format!("port {port} is in use by another program"),
            AgentError::AlreadyRunning { .. } => "another alicred agent serves it".into(),
            other => other.to_string(),
        }
    }
}

pub struct Agent;

impl Agent {
    pub async fn start(cfg: AgentConfig) -> Result<AgentHandle, AgentError> {
        let store = ConfigStore::new(cfg.paths.clone());
        let profiles = store.load()?;
        let listen = cfg
            .listen
            .unwrap_or_else(|| profiles.settings.listen_addr());
        if !listen.ip().is_loopback() && !cfg.allow_non_loopback {
            return Err(AgentError::NotLoopback(listen));
        }
        let secrets = cfg.secrets.clone();
        let tok = tokio::task::spawn_blocking(move || token::load_or_create(secrets.as_ref()))
            .await
            .map_err(|e| SecretError::Other(e.to_string()))??;
        let listener = match TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                let err = port_taken(&cfg.paths, listen).await;
                if let AgentError::PortHeldByOtherUser { port, uid } = err {
                    agent_file::mark_port_taken(&cfg.paths, port, uid);
                }
                return Err(err);
            }
            Err(e) => {
                return Err(AgentError::Bind {
                    addr: listen,
                    reason: e.to_string(),
                });
            }
        };
        let local = listener.local_addr().map_err(|e| AgentError::Bind {
            addr: listen,
            reason: e.to_string(),
        })?;
        // Another user held this port since a start last failed: whatever
        // URLs clients sent it are theirs now, so they must stop working.
        let tok = match agent_file::port_taken_mark(&cfg.paths) {
            Some(mark) => {
                let secrets = cfg.secrets.clone();
                let new = tokio::task::spawn_blocking(move || token::rotate(secrets.as_ref()))
                    .await
                    .map_err(|e| SecretError::Other(e.to_string()))??;
                agent_file::clear_port_taken(&cfg.paths);
                tracing::warn!(
                    "port {} was held by another user (uid {}) when the agent last tried to start: the endpoint token was rotated, so URLs handed out before no longer work; get the new ones with `alicred endpoint`",
                    mark.port,
                    mark.uid
                );
                new
            }
            None => tok,
        };
        let url_base = url_base(local);
        let token_for_server = Arc::new(RwLock::new(tok));
        let engine = Engine::start_with(
            profiles,
            cfg.ctx.clone(),
            cfg.factory.clone(),
            cfg.engine.clone(),
        );
        let state = EndpointState {
            engine: engine.clone(),
            token: token_for_server.clone(),
            clock: cfg.ctx.clock.clone(),
            allow_non_loopback: cfg.allow_non_loopback,
            peers: PeerResolver::default(),
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let server = serve_on_own_thread(listener, state, cfg.limits, stop_rx.clone())?;
        let info = AgentInfo::this_process(url_base.clone(), cfg.ctx.clock.now());
        let pid = info.pid;
        if let Err(e) = agent_file::write(&cfg.paths, &info) {
            let _ = stop_tx.send(true);
            engine.shutdown().await;
            return Err(AgentError::AgentFile {
                path: cfg.paths.agent_file().display().to_string(),
                reason: e.to_string(),
            });
        }
        let token = token_for_server;
        // alicred run as a child (an `external` command) asks here: it is
        // never handed the keyring passphrase.
        #[cfg(unix)]
        let channel = super::local::spawn(&cfg.paths, engine.clone(), stop_rx.clone());
        #[cfg(not(unix))]
        let channel = None;
        let services = Services::start(&cfg, &store, &engine, token.clone(), stop_rx).await;
        let mut services = services;
        services
            .tasks
            .extend([Some(server), channel].into_iter().flatten());
        Ok(AgentHandle {
            services,
            engine,
            store,
            secrets: cfg.secrets,
            url_base,
            local,
            token,
            pid,
            stop: stop_tx,
        })
    }

    /// The agent without its endpoint, for when the port cannot be taken
    /// (another program, another user): the engine, the profiles reloader,
    /// the status file, linked-CLI write-back stripping and rotation run as
    /// in [`Agent::start`], wired the same way; there is no endpoint, agent
    /// file or agent socket, so other processes resolve profiles themselves.
    /// The tray agent runs this so the dashboard keeps working and says why
    /// there is no endpoint.
    pub async fn start_without_endpoint(cfg: AgentConfig) -> Result<EngineOnly, AgentError> {
        let store = ConfigStore::new(cfg.paths.clone());
        let profiles = store.load()?;
        let secrets = cfg.secrets.clone();
        let tok = tokio::task::spawn_blocking(move || token::load_or_create(secrets.as_ref()))
            .await
            .map_err(|e| SecretError::Other(e.to_string()))??;
        let engine = Engine::start_with(
            profiles,
            cfg.ctx.clone(),
            cfg.factory.clone(),
            cfg.engine.clone(),
        );
        let (stop_tx, stop_rx) = watch::channel(false);
        let token = Arc::new(RwLock::new(tok));
        let services = Services::start(&cfg, &store, &engine, token, stop_rx).await;
        Ok(EngineOnly {
            services,
            engine,
            store,
            stop: stop_tx,
        })
    }
}

/// What the agent runs besides its endpoint, the same with or without it.
struct Services {
    reload_health: super::reload::ReloadHealth,
    /// Loops that only end when aborted (key-age checks, rotation watch).
    background: Vec<JoinHandle<()>>,
    /// Tasks that end when told to stop.
    tasks: Vec<JoinHandle<()>>,
}

impl Services {
    async fn start(
        cfg: &AgentConfig,
        store: &ConfigStore,
        engine: &Engine,
        token: Arc<RwLock<Sensitive>>,
        stop_rx: watch::Receiver<bool>,
    ) -> Services {
        let reload_health = super::reload::ReloadHealth::default();
        let watcher = cfg.watch_profiles.then(|| {
            let reloader = super::reload::Reloader {
                store: store.clone(),
                engine: engine.clone(),
                secrets: cfg.secrets.clone(),
                token,
                health: reload_health.clone(),
            };
            tokio::spawn(super::reload::supervise(reloader, stop_rx.clone()))
        });
        // Linked aliyun CLI profiles: strip the SDKs' write-back (docs/link-aliyun-cli.md).
        let strip = tokio::spawn(crate::link::watch::run(cfg.paths.clone(), stop_rx.clone()));
        let status = crate::status_file::spawn_writer(cfg.paths.clone(), engine.clone(), stop_rx);
        let background = if cfg.rotation {
            start_rotation(store, &cfg.secrets, &cfg.ctx, engine).await
        } else {
            Vec::new()
        };
        Services {
            reload_health,
            background,
            tasks: [watcher, Some(status), Some(strip)]
                .into_iter()
                .flatten()
                .collect(),
        }
    }

    async fn stop(self, stop: &watch::Sender<bool>) {
        for t in &self.background {
            t.abort();
        }
        let _ = stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(3), t).await;
        }
    }
}

/// The agent without its endpoint ([`Agent::start_without_endpoint`]).
pub struct EngineOnly {
    services: Services,
    engine: Engine,
    store: ConfigStore,
    stop: watch::Sender<bool>,
}

impl EngineOnly {
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// As [`AgentHandle::reload_problem`].
    pub fn reload_problem(&self) -> Option<String> {
        self.services
            .reload_health
            .lock()
            .ok()
            .and_then(|h| h.clone())
    }

    /// Stop the engine and everything beside it.
    pub async fn shutdown(self) {
        self.services.stop(&self.stop).await;
        self.engine.shutdown().await;
        crate::status_file::remove(self.store.paths(), std::process::id());
    }
}

pub struct AgentHandle {
    /// Everything besides the endpoint (reloader, rotation, status file…)
    /// and the endpoint's own tasks.
    services: Services,
    engine: Engine,
    store: ConfigStore,
    secrets: Arc<dyn SecretStore>,
    url_base: String,
    local: SocketAddr,
    token: Arc<RwLock<Sensitive>>,
    pid: u32,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for AgentHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentHandle")
            .field("url_base", &self.url_base)
            .finish_non_exhaustive()
    }
}

impl AgentHandle {
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// `http://127.0.0.1:PORT`
    pub fn url_base(&self) -> &str {
        &self.url_base
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The full URL for a profile (`None`: the active one). Carries the token.
    pub fn url_for(&self, profile: Option<&ProfileName>) -> Sensitive {
        let t = self
            .token
            .read()
            .map(|t| t.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        token::endpoint_url(&self.url_base, &t, profile)
    }

    /// New token in the keyring and in the server; old URLs stop working.
    pub async fn rotate_token(&self) -> Result<(), AgentError> {
        let secrets = self.secrets.clone();
        let t = tokio::task::spawn_blocking(move || token::rotate(secrets.as_ref()))
            .await
            .map_err(|e| SecretError::Other(e.to_string()))??;
        if let Ok(mut cur) = self.token.write() {
            *cur = t;
        }
        Ok(())
    }

    /// Why outside profile changes are not being followed, if they are not
    /// (the reloader's last error; `None`: all well).
    pub fn reload_problem(&self) -> Option<String> {
        self.services
            .reload_health
            .lock()
            .ok()
            .and_then(|h| h.clone())
    }

    /// Re-read the profiles file now (the CLI and the app call this after a change).
    pub fn reload(&self) -> Result<(), AgentError> {
        let file = self.store.load()?;
        if file != self.engine.profiles() {
            self.engine.reload(file);
        }
        Ok(())
    }

    /// Stop serving, stop the engine, remove `agent.json`.
    pub async fn shutdown(self) {
        self.services.stop(&self.stop).await;
        self.engine.shutdown().await;
        agent_file::remove(self.store.paths(), self.pid);
        crate::status_file::remove(self.store.paths(), self.pid);
    }
}

/// The endpoint runs on its own thread with a single-threaded runtime: it
/// answers from the cache in microseconds, and sharing worker threads with
/// the engine only adds hops and tail latency (p99 3.4 ms → 0.4 ms measured
/// with wrk, 16 connections, 2 cores). Fetches still run on the engine's
/// runtime. The returned task ends when the server thread does.
fn serve_on_own_thread(
    listener: TcpListener,
    state: EndpointState,
    limits: Limits,
    stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, AgentError> {
    let addr = listener.local_addr().map_err(|e| AgentError::Bind {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        reason: e.to_string(),
    })?;
    let bind_err = |e: std::io::Error| AgentError::Bind {
        addr,
        reason: e.to_string(),
    };
    let std_listener = listener.into_std().map_err(bind_err)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(bind_err)?;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("alicred-endpoint".into())
        .spawn(move || {
            rt.block_on(async move {
                if let Ok(l) = TcpListener::from_std(std_listener) {
                    http::serve(l, state, limits, stop).await;
                }
            });
            let _ = done_tx.send(());
        })
        .map_err(bind_err)?;
    Ok(tokio::spawn(async move {
        let _ = done_rx.await;
    }))
}

/// `http://127.0.0.1:PORT`, `http://[::1]:PORT`; a wildcard bind is reached via 127.0.0.1.
pub fn url_base(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => format!("http://127.0.0.1:{}", a.port()),
        SocketAddr::V6(a) if a.ip().is_unspecified() => format!("http://[::1]:{}", a.port()),
        a => format!("http://{a}"),
    }
}

/// The port is taken: by another alicred agent, or by something else?
async fn port_taken(paths: &Paths, addr: SocketAddr) -> AgentError {
    let url = agent_file::running_agent(paths)
        .map(|i| i.url_base)
        .unwrap_or_else(|| url_base(addr));
    // Who listens there decides first: another user's program may well
    // answer like alicred.
    let own = super::owner::own_uid();
    match super::owner::listener_uid(addr) {
        Some(uid) if uid != own => AgentError::PortHeldByOtherUser {
            port: addr.port(),
            uid,
        },
        _ if is_alicred(addr).await => AgentError::AlreadyRunning { url },
        _ => AgentError::PortInUse { port: addr.port() },
    }
}

/// Does an alicred endpoint answer at `addr`?
pub async fn is_alicred(addr: SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = async {
        let target = if addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        let mut s = tokio::net::TcpStream::connect(target).await.ok()?;
        s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut buf = vec![0u8; 2048];
        let n = s.read(&mut buf).await.ok()?;
        let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
        Some(head.contains(&format!("server: {SERVER_NAME}\r\n")))
    };
    tokio::time::timeout(Duration::from_secs(2), probe)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// Rotation duties of a running agent: finish or undo interrupted rotations
/// now (the engine drops cached sessions and gets `rotation` events), check
/// key ages every 12 hours (`key-due` events), and follow rotations other
/// processes make, so the endpoint serves a new key at once.
async fn start_rotation(
    store: &ConfigStore,
    secrets: &Arc<dyn SecretStore>,
    ctx: &ProviderContext,
    engine: &Engine,
) -> Vec<JoinHandle<()>> {
    use crate::rotation::{Rotator, SessionInvalidator, spawn_journal_watch};
    let app = crate::service::Alicred::with_store(store.paths().clone(), secrets.clone());
    let sessions: Arc<dyn SessionInvalidator> = Arc::new(engine.clone());
    let rotator =
        Rotator::with_context(app, ctx.clone(), sessions.clone()).with_events(engine.bus().clone());
    let mut log = |p: crate::rotation::RotationProgress| {
        tracing::info!("rotation of {}: {}", p.profile, p.message)
    };
    for (name, r) in rotator.resume_all(&mut log).await {
        match r {
            Ok(rep) => tracing::warn!("interrupted rotation of {name}: {}", rep.message),
            Err(e) => tracing::warn!("interrupted rotation of {name}: {e}"),
        }
    }
    vec![
        rotator.spawn_due_checks(Duration::from_secs(12 * 3600)),
        spawn_journal_watch(store.paths(), sessions),
    ]
}
