//! The dashboard's end of the control socket ([`super::wire`]): typed
//! requests out, replies matched by id, pushed events handed to a callback.
//! The replies and events stay JSON here: the dashboard's process only
//! passes them on to its webview. Starting the tray agent when none runs is
//! [`ensure_running`].

use super::wire::{ClientMessage, MAX_MESSAGE};
use super::{Confirmed, Request};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, Value>>>>>;

/// What the server sends, as far as the client reads it.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Incoming {
    Reply {
        id: u64,
        result: Result<Value, Value>,
    },
    Event {
        event: Value,
    },
}

/// Overrides where the tray agent's binary is (tests; default: beside us).
pub const TRAY_BIN_ENV: &str = "ALICRED_TRAY_BIN";

pub struct Client {
    next: AtomicU64,
    pending: Pending,
    /// Set once the agent has gone: calls then fail at once.
    closed: Arc<AtomicBool>,
    out: mpsc::Sender<Vec<u8>>,
}

impl Client {
    /// Connect and subscribe to events. `on_event` runs for every pushed
    /// [`super::Event`] (as JSON); `on_close` once when the agent goes away.
    pub async fn connect(
        path: &Path,
        on_event: impl Fn(Value) + Send + 'static,
        on_close: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<Self> {
        let stream = UnixStream::connect(path).await?;
        let (read, mut write) = stream.into_split();
        let pending: Pending = Arc::default();
        let (out, mut rx) = mpsc::channel::<Vec<u8>>(64);
        tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                if write.write_all(&line).await.is_err() {
                    break;
                }
            }
        });
        let waiting = pending.clone();
        let closed = Arc::new(AtomicBool::new(false));
        let gone_flag = closed.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(read);
            let mut line = Vec::new();
            loop {
                if !super::wire::read_line(&mut reader, &mut line, MAX_MESSAGE).await {
                    break;
                }
                match serde_json::from_slice::<Incoming>(&line) {
                    Ok(Incoming::Reply { id, result }) => {
                        let tx = lock(&waiting).remove(&id);
                        if let Some(tx) = tx {
                            let _ = tx.send(result);
                        }
                    }
                    Ok(Incoming::Event { event }) => on_event(event),
                    Err(e) => tracing::warn!("control socket: unreadable message: {e}"),
                }
            }
            // Every call still waiting, and every later one, gets "the agent
            // has stopped" (flag first: a call checks it after it queued).
            gone_flag.store(true, Ordering::SeqCst);
            lock(&waiting).clear();
            on_close();
        });
        let client = Self {
            next: AtomicU64::new(1),
            pending,
            closed,
            out,
        };
        client
            .send(&ClientMessage::Subscribe)
            .await
            .map_err(|_| std::io::Error::other(STOPPED))?;
        Ok(client)
    }

    async fn send(&self, m: &ClientMessage) -> Result<(), Value> {
        let mut line = serde_json::to_vec(m).map_err(|e| gone(&format!("cannot send: {e}")))?;
        line.push(b'\n');
        self.out.send(line).await.map_err(|_| gone(STOPPED))
    }

    /// One call; the answer is the agent's [`super::Response`] as JSON, the
    /// error its [`super::ApiError`] (`{"message", "problems"}`), or one
    /// made here when the agent is gone.
    pub async fn call(
        &self,
        request: Request,
        confirmed: Option<Confirmed>,
    ) -> Result<Value, Value> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut line = serde_json::to_vec(&ClientMessage::Call {
            id,
            request,
            confirmed,
        })
        .map_err(|e| gone(&format!("cannot send: {e}")))?;
        line.push(b'\n');
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        if self.closed.load(Ordering::SeqCst) || self.out.send(line).await.is_err() {
            lock(&self.pending).remove(&id);
            return Err(gone(STOPPED));
        }
        rx.await.unwrap_or_else(|_| Err(gone(STOPPED)))
    }
}

const STOPPED: &str = "alicred's tray agent has stopped: start alicred again";

fn gone(message: &str) -> Value {
    serde_json::json!({ "message": message })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where the tray agent's binary is: `ALICRED_TRAY_BIN`, else `alicred-tray`
/// beside the running executable.
pub fn tray_binary() -> Result<PathBuf, String> {
    beside_us("alicred-tray", TRAY_BIN_ENV)
}

/// The binary `name` installed beside the running one (the two desktop
/// binaries and the CLI ship together), or the path in `env` when set.
pub fn beside_us(name: &str, env: &str) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return Ok(p.into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find {name}: {e}"))?;
    let bin = exe.with_file_name(name);
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} is missing: {name} is installed beside {}",
            bin.display(),
            exe.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ))
    }
}

/// Make sure a tray agent answers on `path`, starting one when none does.
/// Call it first thing, before this process changes its own environment
/// (the dashboard's GTK and WebKit settings): the agent inherits it, and so
/// does every dashboard the agent opens later. Blocking (no runtime yet).
pub fn ensure_running(path: &Path) -> Result<(), String> {
    use std::os::unix::net::UnixStream as StdStream;
    if StdStream::connect(path).is_ok() {
        return Ok(());
    }
    let bin = tray_binary()?;
    let mut cmd = std::process::Command::new(&bin);
    // The keyring passphrase this process took out of its environment goes
    // to the agent alone, not to WebKit's processes.
    crate::store::secrets::passphrase::pass_to(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    // The demo's first run seeds profiles and starts an emulator: allow time.
    for _ in 0..300 {
        std::thread::sleep(Duration::from_millis(50));
        if StdStream::connect(path).is_ok() {
            // Reaped by a thread so it never lingers as a zombie of ours.
            std::thread::spawn(move || child.wait());
            return Ok(());
        }
        match child.try_wait() {
            // "Already running": another agent is starting; wait for it.
            Ok(Some(status)) if status.success() => {}
            Ok(Some(status)) => {
                return Err(format!(
                    "alicred's tray agent did not start ({status}); its reason is in the message above"
                ));
            }
            _ => {}
        }
    }
    Err(format!(
        "alicred's tray agent did not answer on {} within 15 s",
        path.display()
    ))
}
