//! The control socket: how the dashboard (another process) reaches the tray
//! agent. A Unix socket beside the profiles (`desktop.sock`, in the private
//! 0700 directory, itself 0600), that only answers processes of our own user.
//!
//! One JSON object a line, both ways:
//! - request: `{"id": 7, "cmd": "list_profiles", "args": {…}}`
//!   (the dashboard's command names and arguments, [`crate::backend`]);
//! - reply: `{"kind": "reply", "id": 7, "result": {"Ok": …}}` or
//!   `{"kind": "reply", "id": 7, "result": {"Err": {"message": …}}}`;
//! - after a `subscribe` request, pushed events:
//!   `{"kind": "event", "name": "alicred://event", "payload": …}`.
//!
//! Requests run concurrently (a sign-in waits minutes; a list must not wait
//! behind it); replies carry the request's id.

use crate::state::AppState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, broadcast, mpsc};

/// The socket's file name, in the profiles' directory.
pub const SOCKET_NAME: &str = "desktop.sock";
/// A request line longer than this ends the connection (a form with a
/// secret is a few KiB).
pub const MAX_REQUEST: usize = 1 << 20;
/// A reply or event line longer than this is refused by the client.
pub const MAX_MESSAGE: usize = 16 << 20;
/// Requests of one connection running at once; more wait their turn.
const IN_FLIGHT: usize = 32;

pub fn socket_path(paths: &alicred_core::paths::Paths) -> PathBuf {
    paths.base().join(SOCKET_NAME)
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub cmd: String,
    #[serde(default)]
    pub args: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Message {
    Reply {
        id: u64,
        result: Result<Value, Value>,
    },
    Event {
        name: String,
        payload: Value,
    },
}

/// Events for every subscribed dashboard. Sending with none listening is
/// not an error: the dashboard is usually closed.
pub struct Hub(broadcast::Sender<(String, Value)>);

impl Default for Hub {
    fn default() -> Self {
        Self(broadcast::channel(256).0)
    }
}

impl Hub {
    pub fn push(&self, name: &str, payload: &impl Serialize) {
        if self.0.receiver_count() == 0 {
            return;
        }
        match serde_json::to_value(payload) {
            Ok(v) => {
                let _ = self.0.send((name.to_string(), v));
            }
            Err(e) => tracing::warn!("event {name} not sent: {e}"),
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<(String, Value)> {
        self.0.subscribe()
    }
}

/// Bind the socket: the core's rules for every local socket of alicred's
/// (0700 directory, 0600 socket, a stale file from a crash replaced).
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    alicred_core::server::local::bind(path)
}

/// Accept dashboards until the listener is dropped with the task.
pub async fn serve(listener: UnixListener, state: Arc<AppState>) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!("control socket: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if !alicred_core::server::local::from_own_user(&stream) {
            tracing::warn!("control socket: refused a process of another user");
            continue;
        }
        tokio::spawn(connection(stream, state.clone()));
    }
}

async fn connection(stream: UnixStream, state: Arc<AppState>) {
    let (read, mut write) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Message>(64);
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            let Ok(mut line) = serde_json::to_vec(&m) else {
                continue;
            };
            line.push(b'\n');
            if write.write_all(&line).await.is_err() {
                break;
            }
        }
    });
    let turns = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    let mut forwarder: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        if !read_line(&mut reader, &mut line, MAX_REQUEST).await {
            if line.len() > MAX_REQUEST {
                tracing::warn!(
                    "control socket: a request over {MAX_REQUEST} bytes; connection closed"
                );
            }
            break;
        }
        let req: Request = match serde_json::from_slice(&line) {
            Ok(r) => r,
            Err(e) => {
                let err = Message::Reply {
                    id: 0,
                    result: Err(error_value(&format!("not a request: {e}"))),
                };
                if tx.send(err).await.is_err() {
                    break;
                }
                continue;
            }
        };
        if req.cmd == "subscribe" {
            if forwarder.is_none() {
                forwarder = Some(tokio::spawn(forward_events(
                    state.hub.subscribe(),
                    tx.clone(),
                )));
            }
            let _ = tx
                .send(Message::Reply {
                    id: req.id,
                    result: Ok(Value::Null),
                })
                .await;
            continue;
        }
        let Ok(turn) = turns.clone().acquire_owned().await else {
            break;
        };
        let (st, tx) = (state.clone(), tx.clone());
        tokio::spawn(async move {
            let result = crate::backend::handle(&st, &req.cmd, req.args)
                .await
                .map_err(|e| serde_json::to_value(&e).unwrap_or_else(|_| error_value(&e.message)));
            let _ = tx.send(Message::Reply { id: req.id, result }).await;
            drop(turn);
        });
    }
    if let Some(f) = forwarder {
        f.abort();
    }
    drop(tx);
    // Replies still running end on their own; the writer ends with the last sender.
    let _ = writer.await;
}

async fn forward_events(
    mut events: broadcast::Receiver<(String, Value)>,
    tx: mpsc::Sender<Message>,
) {
    loop {
        match events.recv().await {
            Ok((name, payload)) => {
                if tx.send(Message::Event { name, payload }).await.is_err() {
                    break;
                }
            }
            // A slow dashboard misses events; it re-reads the state on the next one.
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// One line of at most `max` bytes into `line`, newline kept. `false` at
/// the end of the stream, on an error, or when the line runs past `max`:
/// then the peer is not read any further. Both ends of the socket read so.
pub(crate) async fn read_line<R>(reader: &mut R, line: &mut Vec<u8>, max: usize) -> bool
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    line.clear();
    match reader.take(max as u64 + 1).read_until(b'\n', line).await {
        Ok(n) => n > 0 && line.last() == Some(&b'\n'),
        Err(_) => false,
    }
}

fn error_value(message: &str) -> Value {
    serde_json::json!({ "message": message })
}
