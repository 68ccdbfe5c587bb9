//! The OAuth loopback callback: 127.0.0.1 only, the first free port of 12345–12349
//! (the only redirect URIs the CLI's OAuth application accepts).
//!
//! Anyone on the machine can connect to a loopback port, so (docs/security.md,
//! "Sign-in servers and the OAuth callback"):
//! - a connection whose client socket is not our own user's gets `403` before
//!   its request is read, and is otherwise ignored;
//! - connections are served concurrently, each must send its request head
//!   within [`HEAD_DEADLINE`]: an idle one blocks nobody;
//! - only a request that carries this sign-in's `state` ends the sign-in (with
//!   its code, or with its `error`); `state` is checked before `error`, and
//!   anything else (`/favicon.ico`, a wrong or missing `state`) gets a 4xx and
//!   the callback keeps listening until the sign-in's time runs out.

use super::SignInError;
use crate::sensitive::Sensitive;
use crate::server::owner;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

pub const CALLBACK_PORTS: std::ops::RangeInclusive<u16> = 12345..=12349;
pub const CALLBACK_PATH: &str = "/cli/callback";
/// How long a connection may take to send its request head.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(2);
/// A request line and headers; a real browser's fit easily.
const MAX_REQUEST: usize = 16 * 1024;
/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 64;

pub(crate) struct Callback {
    listener: TcpListener,
    local: SocketAddr,
    pub redirect_uri: String,
}

/// Binds the first free port of [`CALLBACK_PORTS`] on 127.0.0.1.
pub(crate) async fn bind() -> Result<Callback, SignInError> {
    let mut foreign = Vec::new();
    for port in CALLBACK_PORTS {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        match TcpListener::bind(addr).await {
            Ok(listener) => {
                let local = listener.local_addr().unwrap_or(addr);
                return Ok(Callback {
                    listener,
                    local,
                    redirect_uri: format!("http://127.0.0.1:{port}{CALLBACK_PATH}"),
                });
            }
            Err(_) => {
                if owner::listener_uid(addr).is_some_and(|uid| uid != owner::own_uid()) {
                    foreign.push(port);
                }
            }
        }
    }
    let (first, last) = (CALLBACK_PORTS.start(), CALLBACK_PORTS.end());
    Err(SignInError::Failed(match foreign.len() {
        0 => format!(
            "cannot sign in: all five callback ports 127.0.0.1:{first}-{last} are in use by your own programs (another sign-in running?); free one and try again"
        ),
        5 => format!(
            "cannot sign in: another user on this machine holds all five callback ports 127.0.0.1:{first}-{last}; the sign-in cannot receive the browser's answer until one is free (ask who holds them, or an administrator)"
        ),
        _ => format!(
            "cannot sign in: all five callback ports 127.0.0.1:{first}-{last} are in use, {} of them by another user on this machine ({}); free one of yours and try again",
            foreign.len(),
            foreign
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }))
}

/// Listens until a request with this sign-in's `state` arrives (at most
/// `wait`), answers it, closes, and returns its authorization code.
pub(crate) async fn receive(
    cb: Callback,
    state: &str,
    wait: Duration,
) -> Result<Sensitive, SignInError> {
    let deadline = tokio::time::Instant::now() + wait;
    let state: Arc<str> = Arc::from(state);
    let (tx, mut done) = mpsc::channel::<Result<Sensitive, SignInError>>(1);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    // Dropped on return: every connection still open is aborted.
    let mut conns = JoinSet::new();
    loop {
        let slot = tokio::select! {
            () = tokio::time::sleep_until(deadline) => return Err(timed_out(wait)),
            Some(outcome) = done.recv() => return outcome,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => return Err(SignInError::Failed("the callback stopped".into())),
            },
        };
        let accepted = tokio::select! {
            () = tokio::time::sleep_until(deadline) => return Err(timed_out(wait)),
            Some(outcome) = done.recv() => return outcome,
            a = cb.listener.accept() => a,
        };
        // An error here concerns one connection (out of descriptors, reset
        // before accept): the sign-in goes on.
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let (local, state, tx) = (cb.local, state.clone(), tx.clone());
        conns.spawn(async move {
            let _slot = slot;
            serve(stream, local, peer, &state, &tx).await;
        });
        // Reap finished connections so the set does not grow.
        while conns.try_join_next().is_some() {}
    }
}

fn timed_out(wait: Duration) -> SignInError {
    SignInError::Failed(format!(
        "no answer from the browser within {} minutes; run the sign-in again",
        wait.as_secs().div_ceil(60)
    ))
}

/// One connection: the owner check, the head, the answer; the outcome goes to
/// `tx` only for a request with the right `state`.
async fn serve(
    mut stream: TcpStream,
    local: SocketAddr,
    peer: SocketAddr,
    state: &str,
    tx: &mpsc::Sender<Result<Sensitive, SignInError>>,
) {
    if !owner::is_own_user(local, peer) {
        tracing::warn!("OAuth callback: refused a connection from another user");
        answer(&mut stream, "403 Forbidden", "This sign-in is not yours.").await;
        return;
    }
    let Some(head) = read_head(&mut stream).await else {
        answer(
            &mut stream,
            "408 Request Timeout",
            "No request arrived in time.",
        )
        .await;
        return;
    };
    match parse(&head, state) {
        Request::Stray { status, why } => answer(&mut stream, status, why).await,
        Request::Ours(outcome) => {
            let (status, text) = match &outcome {
                Ok(_) => (
                    "200 OK",
                    "Signed in to alicred. You can close this tab.".to_string(),
                ),
                Err(e) => ("400 Bad Request", format!("alicred sign-in failed: {e}")),
            };
            answer(&mut stream, status, &text).await;
            // The first answer with our state wins; a later one finds the
            // channel full or closed and is dropped.
            let _ = tx.try_send(outcome);
        }
    }
}

/// The request head, or `None` when it does not come within
/// [`HEAD_DEADLINE`] or is larger than a browser's.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    let read = tokio::time::timeout(HEAD_DEADLINE, async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            if buf.len() >= MAX_REQUEST {
                return false;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        true
    })
    .await;
    matches!(read, Ok(true)).then_some(buf)
}

async fn answer(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>alicred</title><p>{}</p>",
        html_escape(text)
    );
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(resp.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a callback request is.
enum Request {
    /// Not for this sign-in: answered and ignored.
    Stray {
        status: &'static str,
        why: &'static str,
    },
    /// Carries this sign-in's `state`: its outcome ends the sign-in.
    Ours(Result<Sensitive, SignInError>),
}

/// The callback's meaning: the path, then `state`, and only then `error` and
/// `code` (an `error` without our `state` may come from anyone).
fn parse(request: &[u8], state: &str) -> Request {
    let text = String::from_utf8_lossy(request);
    let line = text.lines().next().unwrap_or_default();
    let target = line.split(' ').nth(1).unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if !line.starts_with("GET ") || path != CALLBACK_PATH {
        return Request::Stray {
            status: "404 Not Found",
            why: "Not found.",
        };
    }
    let mut code = None;
    let mut got_state = None;
    let mut error = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => got_state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            _ => {}
        }
    }
    let ours = got_state.is_some_and(|s| {
        // Constant time: the state is what proves the answer is for us.
        use subtle::ConstantTimeEq as _;
        s.len() == state.len() && bool::from(s.as_bytes().ct_eq(state.as_bytes()))
    });
    if !ours {
        return Request::Stray {
            status: "400 Bad Request",
            why: "This answer is not for the sign-in in progress; it was ignored.",
        };
    }
    if let Some(e) = error {
        let e: String = e
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Request::Ours(Err(SignInError::Failed(format!(
            "the sign-in was refused in the browser ({e}); nothing was changed"
        ))));
    }
    Request::Ours(match code.filter(|c| !c.is_empty()) {
        Some(c) => Ok(Sensitive::new(c)),
        None => Err(SignInError::Failed(
            "the callback carried no authorization code; run the sign-in again".into(),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Request) -> Option<String> {
        match r {
            Request::Ours(Ok(c)) => Some(c.expose().to_string()),
            _ => None,
        }
    }

    #[test]
    fn callback_checks_state_before_error() {
        let ok = parse(
            b"GET /cli/callback?code=abc&state=s1 HTTP/1.1\r\n\r\n",
            "s1",
        );
        assert_eq!(code(ok).as_deref(), Some("abc"));
        for stray in [
            &b"GET /cli/callback?code=abc&state=s2 HTTP/1.1\r\n\r\n"[..],
            b"GET /cli/callback?code=abc HTTP/1.1\r\n\r\n",
            b"GET /cli/callback?error=access_denied HTTP/1.1\r\n\r\n",
            b"GET /cli/callback?error=access_denied&state=s2 HTTP/1.1\r\n\r\n",
            b"GET /favicon.ico HTTP/1.1\r\n\r\n",
            b"POST /cli/callback?code=abc&state=s1 HTTP/1.1\r\n\r\n",
        ] {
            assert!(
                matches!(parse(stray, "s1"), Request::Stray { .. }),
                "{}",
                String::from_utf8_lossy(stray)
            );
        }
        let denied = parse(
            b"GET /cli/callback?error=access_denied&state=s1 HTTP/1.1\r\n\r\n",
            "s1",
        );
        assert!(matches!(
            denied,
            Request::Ours(Err(e)) if e.to_string().contains("access_denied")
        ));
    }
}
