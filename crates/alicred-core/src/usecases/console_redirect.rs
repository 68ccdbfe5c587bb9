//! The console's one-shot local redirect (docs/console.md, "The Login URL
//! is a secret"): `http://127.0.0.1:PORT/<random>` answers the user's own
//! connections only, once, for [`ONE_SHOT_LIFETIME`], with a 302 to a Login
//! URL made at that moment (its token lives 30 s, so it is made when the
//! browser arrives, not before). Anyone else gets 403 and the one-shot stays
//! armed; a wrong path gets 404; after the one use the port is closed.

use super::console::ConsolePlan;
use super::{UseCaseError, UseCases};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// How long the local URL waits for the browser.
pub const ONE_SHOT_LIFETIME: Duration = Duration::from_secs(60);
/// A request head must arrive within this, and fit in [`MAX_HEAD`].
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
const MAX_HEAD: usize = 8 * 1024;

/// How the one-shot ended.
#[derive(Debug)]
pub enum ConsoleOutcome {
    /// The browser came and was sent to the console.
    Opened,
    /// The browser came, but no Login URL could be made (the reason).
    Failed(UseCaseError),
    /// Nobody (of this user) came in time.
    Expired,
}

/// An armed one-shot: give [`Self::url`] to the browser, then [`Self::wait`].
pub struct ConsoleSession {
    pub url: Url,
    listener: TcpListener,
    path: String,
    uc: UseCases,
    plan: ConsolePlan,
    lifetime: Duration,
}

impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The path is a capability: not in Debug.
        f.debug_struct("ConsoleSession")
            .field("profile", &self.plan.profile)
            .finish_non_exhaustive()
    }
}

impl UseCases {
    /// Arms the one-shot local URL for `plan`. Nothing is fetched until the
    /// browser arrives.
    pub async fn console_open(&self, plan: &ConsolePlan) -> Result<ConsoleSession, UseCaseError> {
        self.console_open_for(plan, ONE_SHOT_LIFETIME).await
    }

    /// [`Self::console_open`] with another lifetime (tests).
    pub async fn console_open_for(
        &self,
        plan: &ConsolePlan,
        lifetime: Duration,
    ) -> Result<ConsoleSession, UseCaseError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| UseCaseError::Internal(format!("cannot listen on 127.0.0.1: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| UseCaseError::Internal(e.to_string()))?
            .port();
        let path = format!("/console/{}", uuid::Uuid::new_v4().simple());
        let url = Url::parse(&format!("http://127.0.0.1:{port}{path}"))
            .map_err(|e| UseCaseError::Internal(e.to_string()))?;
        Ok(ConsoleSession {
            url,
            listener,
            path,
            uc: self.clone(),
            plan: plan.clone(),
            lifetime,
        })
    }
}

type Winner = Arc<Mutex<Option<tokio::sync::oneshot::Sender<ConsoleOutcome>>>>;

impl ConsoleSession {
    /// Serves until the one use or the deadline; the port is closed after.
    pub async fn wait(self) -> ConsoleOutcome {
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let winner: Winner = Arc::new(Mutex::new(Some(tx)));
        let deadline = tokio::time::sleep(self.lifetime);
        tokio::pin!(deadline);
        let own_port = self.listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let mut conns = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                outcome = &mut rx => {
                    conns.abort_all();
                    return outcome.unwrap_or(ConsoleOutcome::Expired);
                }
                () = &mut deadline, if winner.lock().map(|w| w.is_some()).unwrap_or(false) => {
                    conns.abort_all();
                    return ConsoleOutcome::Expired;
                }
                accepted = self.listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    conns.spawn(serve(
                        stream,
                        own_port,
                        peer,
                        self.path.clone(),
                        winner.clone(),
                        self.uc.clone(),
                        self.plan.clone(),
                    ));
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    }
}

async fn serve(
    mut stream: TcpStream,
    own_port: u16,
    peer: SocketAddr,
    path: String,
    winner: Winner,
    uc: UseCases,
    plan: ConsolePlan,
) {
    // Who is connecting is decided before anything is read.
    let own = tokio::task::spawn_blocking(move || from_own_user(own_port, peer))
        .await
        .unwrap_or(false);
    if !own {
        tracing::warn!("console redirect: refused a connection from another local user");
        let _ = respond(&mut stream, "403 Forbidden", None, "Not yours.").await;
        return;
    }
    let Ok(Some(target)) = tokio::time::timeout(HEAD_DEADLINE, read_target(&mut stream)).await
    else {
        let _ = respond(&mut stream, "400 Bad Request", None, "Bad request.").await;
        return;
    };
    if target != path {
        let _ = respond(&mut stream, "404 Not Found", None, "Not found.").await;
        return;
    }
    let Some(tx) = winner.lock().ok().and_then(|mut w| w.take()) else {
        let _ = respond(&mut stream, "410 Gone", None, "This link was used already.").await;
        return;
    };
    let outcome = match uc.console_login_url(&plan).await {
        Ok(login) => {
            let _ = respond(
                &mut stream,
                "302 Found",
                Some(login.expose()),
                "Opening the console…",
            )
            .await;
            ConsoleOutcome::Opened
        }
        Err(e) => {
            let _ = respond(
                &mut stream,
                "502 Bad Gateway",
                None,
                "alicred could not sign in to the console; see the terminal or the app.",
            )
            .await;
            ConsoleOutcome::Failed(e)
        }
    };
    let _ = tx.send(outcome);
}

/// The request target of a `GET` head, or `None` for anything else.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = buf.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target.to_string()),
        _ => None,
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    location: Option<&str>,
    text: &str,
) -> std::io::Result<()> {
    let body = format!("<!doctype html><title>alicred</title><p>{text}</p>\n");
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nreferrer-policy: no-referrer\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(l) = location {
        head.push_str(&format!("location: {l}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.flush().await?;
    stream.shutdown().await
}

/// Does the client socket at `peer` (connected to our `own_port`) belong to
/// this process's user? Read from `/proc/net/tcp{,6}`; unknown is "no".
fn from_own_user(own_port: u16, peer: SocketAddr) -> bool {
    if !peer.ip().is_loopback() {
        return false;
    }
    #[cfg(unix)]
    let me = rustix::process::getuid().as_raw();
    #[cfg(not(unix))]
    let me = u32::MAX;
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .find_map(|t| socket_uid(&t, peer.port(), own_port))
        .is_some_and(|uid| uid == me)
}

/// The uid of the row with local port `lport` and remote port `rport`.
fn socket_uid(table: &str, lport: u16, rport: u16) -> Option<u32> {
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let port = |s: &str| {
            s.rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
        };
        if port(f.get(1)?)? == lport && port(f.get(2)?)? == rport {
            f.get(7)?.parse().ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_owner_from_proc_net_tcp() {
        let t = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:B8A3 0100007F:BAE7 01 00000000:00000000 00:00000000 00000000  65534        0 123456 1 0000000000000000 20 4 30 10 -1\n";
        assert_eq!(socket_uid(t, 0xB8A3, 0xBAE7), Some(65534));
        assert_eq!(socket_uid(t, 0xBAE7, 0xB8A3), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_connection_of_this_process_is_its_users() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let _c = std::net::TcpStream::connect(l.local_addr().expect("addr")).expect("connect");
        let (_s, peer) = l.accept().expect("accept");
        assert!(from_own_user(l.local_addr().expect("a").port(), peer));
    }
}
