//! The tray agent's control socket: the API, serialised. How the dashboard
//! (another process) reaches the tray agent. A Unix socket beside the
//! profiles (`tray.sock`, in the private 0700 directory, itself 0600), that
//! only answers processes of our own user (docs/protocols.md, "Tray control
//! socket").
//!
//! One JSON object a line, both ways:
//! - a call: `{"kind": "call", "id": 7, "request": {"cmd": "verify", "args": {…}}}`,
//!   with `"confirmed": {…}` when the dashboard's process asked the person
//!   ([`super::confirm`]);
//! - `{"kind": "subscribe"}`: from then on, every [`Event`];
//! - a reply: `{"kind": "reply", "id": 7, "result": {"Ok": <Response>}}` or
//!   `{"kind": "reply", "id": 7, "result": {"Err": {"message": …}}}`;
//! - an event: `{"kind": "event", "event": <Event>}`.
//!
//! Requests run concurrently (a sign-in waits minutes; a list must not wait
//! behind it); replies carry the request's id.

use super::{Api, ApiError, Confirmed, Event, Request, Response};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, broadcast, mpsc};

/// The socket's file name, in the profiles' directory.
pub const SOCKET_NAME: &str = "tray.sock";
/// Its name before the tray agent was its own process (removed when found).
const OLD_SOCKET_NAME: &str = "desktop.sock";
/// A request line longer than this ends the connection (a form with a
/// secret is a few KiB).
pub const MAX_REQUEST: usize = 1 << 20;
/// A reply or event line longer than this is refused by the client.
pub const MAX_MESSAGE: usize = 16 << 20;
/// Requests of one connection running at once; more wait their turn.
const IN_FLIGHT: usize = 32;

pub fn socket_path(paths: &crate::paths::Paths) -> PathBuf {
    paths.base().join(SOCKET_NAME)
}

/// What a client sends.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ClientMessage {
    Call {
        id: u64,
        request: Request,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirmed: Option<Confirmed>,
    },
    Subscribe,
}

/// What the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ServerMessage {
    Reply {
        id: u64,
        result: Result<Response, ApiError>,
    },
    Event {
        event: Event,
    },
}

/// Bind the socket: the core's rules for every local socket of alicred's
/// (0700 directory, 0600 socket, a stale file from a crash replaced).
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_file(dir.join(OLD_SOCKET_NAME));
    }
    crate::server::local::bind(path)
}

/// Accept dashboards until the listener is dropped with the task.
pub async fn serve(listener: UnixListener, api: Api) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!("control socket: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if !crate::server::local::from_own_user(&stream) {
            tracing::warn!("control socket: refused a process of another user");
            continue;
        }
        tokio::spawn(connection(stream, api.clone()));
    }
}

async fn connection(stream: UnixStream, api: Api) {
    let (read, mut write) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<ServerMessage>(64);
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
    let turns = std::sync::Arc::new(Semaphore::new(IN_FLIGHT));
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
        let (id, request, confirmed) = match serde_json::from_slice(&line) {
            Ok(ClientMessage::Call {
                id,
                request,
                confirmed,
            }) => (id, request, confirmed),
            Ok(ClientMessage::Subscribe) => {
                if forwarder.is_none() {
                    forwarder = Some(tokio::spawn(forward_events(api.subscribe(), tx.clone())));
                }
                continue;
            }
            Err(e) => {
                let err = ServerMessage::Reply {
                    id: 0,
                    result: Err(ApiError::msg(format!("not a request: {e}"))),
                };
                if tx.send(err).await.is_err() {
                    break;
                }
                continue;
            }
        };
        let Ok(turn) = turns.clone().acquire_owned().await else {
            break;
        };
        let (api, tx) = (api.clone(), tx.clone());
        tokio::spawn(async move {
            let result = api.call_confirmed(request, confirmed.as_ref()).await;
            let _ = tx.send(ServerMessage::Reply { id, result }).await;
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

async fn forward_events(mut events: broadcast::Receiver<Event>, tx: mpsc::Sender<ServerMessage>) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            // A slow dashboard missed events: it reads everything again.
            Err(broadcast::error::RecvError::Lagged(_)) => Event::Resync,
            Err(broadcast::error::RecvError::Closed) => break,
        };
        if tx.send(ServerMessage::Event { event }).await.is_err() {
            break;
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
