//! Asking a running agent over loopback what it answers to a URL, so
//! `alicred endpoint --rotate-token` can confirm that old URLs are dead
//! before it says so. Blocking (the CLI is synchronous).

use crate::sensitive::Sensitive;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// What the endpoint answered to an old URL after a token rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OldUrl {
    /// 401: the old URL is dead.
    Refused,
    /// Still answered with this status (200: it still serves) when time ran out.
    StillAnswers(u16),
    /// No answer in time (the agent hangs or is gone).
    NoAnswer,
}

/// GET `url` (a loopback `http://` URL) and return the status, if any.
pub fn status_of(url: &Sensitive, timeout: Duration) -> Option<u16> {
    let u = url::Url::parse(url.expose()).ok()?;
    if u.scheme() != "http" {
        return None;
    }
    let addr: SocketAddr = *u.socket_addrs(|| Some(80)).ok()?.first()?;
    if !addr.ip().is_loopback() {
        return None; // only loopback is ever contacted
    }
    let host = match u.port() {
        Some(p) => format!("{}:{p}", u.host_str()?),
        None => u.host_str()?.to_string(),
    };
    let mut s = TcpStream::connect_timeout(&addr, timeout).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.set_write_timeout(Some(timeout)).ok()?;
    let req = format!(
        "HEAD {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        u.path()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut head = [0u8; 64];
    let n = s.read(&mut head).ok()?;
    let line = std::str::from_utf8(&head[..n]).ok()?;
    line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// Ask `old` until it is refused with 401, for up to `within`.
pub fn wait_until_refused(old: &Sensitive, within: Duration) -> OldUrl {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let last = match status_of(
            old,
            left.clamp(Duration::from_millis(100), Duration::from_secs(1)),
        ) {
            Some(401) => return OldUrl::Refused,
            Some(s) => OldUrl::StillAnswers(s),
            None => OldUrl::NoAnswer,
        };
        if Instant::now() >= deadline {
            return last;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How long a running agent gets to switch to a new token.
pub const SWITCH_WAIT: Duration = Duration::from_secs(5);

/// The outcome of [`rotate_and_confirm`]. The token in the keyring is new
/// in every case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotated {
    /// The running agent now answers 401 to the old URLs (checked).
    Confirmed { pid: u32 },
    /// The running agent was asked to switch but the old URL still gets
    /// this answer: old URLs may still work.
    NotConfirmed { pid: u32, old_url: OldUrl },
    /// No agent runs; the next one starts with the new token.
    NoAgent,
    /// `agent.json` names a process that is not the agent; not signalled.
    Stale { pid: u32 },
    /// The agent could not be asked to switch.
    SignalFailed { pid: u32, reason: String },
}

/// Rotate the endpoint token, have the running agent switch to it (SIGHUP),
/// and check that the old active-profile URL now gets 401. Blocking.
pub fn rotate_and_confirm(
    paths: &crate::paths::Paths,
    secrets: &dyn crate::store::secrets::SecretStore,
) -> Result<Rotated, crate::store::secrets::SecretError> {
    use super::agent_file::{self, Notified};
    use super::token;
    let old_url = match agent_file::running_agent(paths) {
        Some(info) => Some(token::endpoint_url(
            &info.url_base,
            &token::load_or_create(secrets)?,
            None,
        )),
        None => None,
    };
    token::rotate(secrets)?;
    Ok(match agent_file::notify_reload(paths) {
        Notified::Agent(info) => {
            let seen = match &old_url {
                Some(u) => wait_until_refused(u, SWITCH_WAIT),
                // it started between our two looks: it read the new token
                None => OldUrl::Refused,
            };
            match seen {
                OldUrl::Refused => Rotated::Confirmed { pid: info.pid },
                other => Rotated::NotConfirmed {
                    pid: info.pid,
                    old_url: other,
                },
            }
        }
        Notified::NoAgent => Rotated::NoAgent,
        Notified::Stale { pid } => Rotated::Stale { pid },
        Notified::Failed { pid, reason } => Rotated::SignalFailed { pid, reason },
    })
}
