//! A local channel to the running agent that only the same user can open.
//!
//! alicred never hands its keyring passphrase to a child process (see
//! [`crate::env_vars::KEYRING_PREFIX`]), yet an `external` command may be
//! alicred itself (`alicred export NAME --format aliyun-external`, also what
//! profiles linked into the aliyun CLI run). Such a process asks the agent
//! here: a unix socket `<ALICRED_HOME>/run/agent.sock` in a 0700 directory,
//! mode 0600, and every connection's peer uid (SO_PEERCRED) must be ours.
//!
//! One request per connection, one JSON line each way:
//! `{"profile":"NAME"}` → `{"credentials":{…}}` or `{"error":"…"}`
//! (`"not_exposed":true` beside the error when [`exposure`] refused it).
//!
//! Any process of the user can connect, including a tool started with
//! `alicred exec --uri-only` whose URL is for one profile. So the socket
//! serves only the profiles the user exposed to alicred-as-a-child
//! ([`exposure`], docs/security.md "agent.sock"): linked into the aliyun
//! CLI's config, run by an `external` profile as `alicred export NAME`, or
//! listed in `[settings] agent_socket_profiles`.

use crate::credentials::Credentials;
use crate::engine::Engine;
use crate::paths::Paths;
use crate::profile::ProfileKind;
use crate::profile::ProfileName;
use crate::sensitive::{Sensitive, serialize_exposed, serialize_exposed_opt};
use crate::store::config::ProfilesFile;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A request line is a profile name in JSON: anything longer is not one.
const MAX_REQUEST: u64 = 1024;
/// How long a client has to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the agent may take to fetch (as the HTTP endpoint).
const FETCH_TIMEOUT: Duration = super::handler::FETCH_TIMEOUT;

pub fn socket_path(paths: &Paths) -> PathBuf {
    paths.base().join("run").join("agent.sock")
}

#[derive(Serialize, Deserialize)]
struct Request {
    profile: String,
}

#[derive(Serialize, Deserialize)]
struct WireCredentials {
    access_key_id: String,
    #[serde(serialize_with = "serialize_exposed")]
    access_key_secret: Sensitive,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_exposed_opt"
    )]
    security_token: Option<Sensitive>,
    #[serde(default)]
    expiration: Option<DateTime<Utc>>,
    issued_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, Default)]
struct Reply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credentials: Option<WireCredentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The error is [`exposure`]'s refusal: the client may still resolve
    /// the profile itself, if it can open the keyring.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    not_exposed: bool,
}

/// Why the socket serves a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// `[settings] agent_socket_profiles` lists it.
    AllowList,
    /// `alicred link aliyun-cli` wrote it into an aliyun CLI config.
    Linked,
    /// An `external` profile runs `alicred export NAME`.
    ExternalProfile,
}

/// The socket's one rule: serve `name` only when the user exposed it to
/// commands that run alicred as a child (see the module doc). The error is
/// the one-line refusal, naming how to expose it.
pub fn exposure(
    paths: &Paths,
    file: &ProfilesFile,
    name: &ProfileName,
) -> Result<Exposure, String> {
    if file.settings.agent_socket_profiles.contains(name) {
        return Ok(Exposure::AllowList);
    }
    match crate::link::aliyun_cli::records(paths) {
        Ok(records)
            if records
                .iter()
                .any(|r| r.profiles.contains_key(name.as_str())) =>
        {
            return Ok(Exposure::Linked);
        }
        Ok(_) => {}
        // Unreadable link records expose nothing; the refusal still says how.
        Err(e) => tracing::warn!("local channel: cannot read the link records: {e}"),
    }
    let exported_by = |command: &str| {
        crate::shell_words::shell_words_split(command)
            .is_ok_and(|w| w.len() >= 3 && w[1] == "export" && w[2] == name.as_str())
    };
    if file.profiles.values().any(|p| match &p.kind {
        ProfileKind::External(x) => exported_by(&x.command),
        _ => false,
    }) {
        return Ok(Exposure::ExternalProfile);
    }
    Err(format!(
        "profile {name} is not exposed on the agent's socket (agent.sock); expose it with `alicred link aliyun-cli {name}`, or list it in agent_socket_profiles under [settings] in profiles.toml"
    ))
}

/// Only a process of the user the agent runs as may ask.
pub fn peer_allowed(peer_uid: u32, own_uid: u32) -> bool {
    peer_uid == own_uid
}

fn own_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Whether the process at the other end of `stream` is ours ([`peer_allowed`]).
/// Every local socket of alicred's asks this of each connection.
pub fn from_own_user(stream: &UnixStream) -> bool {
    stream
        .peer_cred()
        .is_ok_and(|c| peer_allowed(c.uid(), own_uid()))
}

/// Bind the socket and serve until `stop`. `None` (with a warning) when it
/// cannot be bound: the HTTP endpoint still works, only alicred-as-child
/// commands then need their own passphrase.
pub fn spawn(paths: &Paths, engine: Engine, stop: watch::Receiver<bool>) -> Option<JoinHandle<()>> {
    let path = socket_path(paths);
    match bind(&path) {
        Ok(listener) => Some(tokio::spawn(serve(
            listener,
            path,
            paths.clone(),
            engine,
            stop,
        ))),
        Err(e) => {
            tracing::warn!("local channel {} not started: {e}", path.display());
            None
        }
    }
}

/// The 0700 directory first, then the socket, then its mode 0600. A socket
/// file nothing answers on (left by a process that died) is replaced. Every
/// local socket of alicred's is bound here.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("socket path has no directory"))?;
    Paths::ensure_private_dir(dir)?;
    // A socket file left by an agent that died: nothing listens on it.
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "another agent answers on it",
            ));
        }
        Err(_) => {
            let _ = std::fs::remove_file(path);
        }
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

async fn serve(
    listener: UnixListener,
    path: PathBuf,
    paths: Paths,
    engine: Engine,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                if !from_own_user(&stream) {
                    tracing::warn!("local channel: refused a connection from another user");
                    continue;
                }
                tokio::spawn(answer(stream, paths.clone(), engine.clone()));
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}

async fn answer(stream: UnixStream, paths: Paths, engine: Engine) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_REQUEST));
    let got = tokio::time::timeout(REQUEST_TIMEOUT, reader.read_line(&mut line)).await;
    let reply = match got {
        Ok(Ok(n)) if n > 0 => reply_to(&line, &paths, &engine).await,
        _ => return,
    };
    let Ok(mut out) = serde_json::to_vec(&reply) else {
        return;
    };
    out.push(b'\n');
    let _ = write.write_all(&out).await;
    let _ = write.shutdown().await;
}

async fn reply_to(line: &str, paths: &Paths, engine: &Engine) -> Reply {
    let err = |e: String| Reply {
        error: Some(e),
        ..Reply::default()
    };
    let Ok(req) = serde_json::from_str::<Request>(line) else {
        return err("the request is not {\"profile\":\"NAME\"}".into());
    };
    let Ok(name) = req.profile.parse::<ProfileName>() else {
        return err("invalid profile name".into());
    };
    let (file, at, asked) = (engine.profiles(), paths.clone(), name.clone());
    match tokio::task::spawn_blocking(move || exposure(&at, &file, &asked)).await {
        Ok(Ok(_)) => {}
        Ok(Err(refusal)) => {
            tracing::info!("local channel: refused profile {name}: not exposed");
            return Reply {
                error: Some(refusal),
                not_exposed: true,
                ..Reply::default()
            };
        }
        Err(_) => return err("the agent could not check the request; try again".into()),
    }
    let fetch = engine.spawn_credentials(&name);
    match tokio::time::timeout(FETCH_TIMEOUT, fetch).await {
        Ok(Ok(Ok(c))) => {
            engine.record_handout(&name);
            Reply {
                credentials: Some(WireCredentials {
                    access_key_id: c.access_key_id,
                    access_key_secret: c.access_key_secret,
                    security_token: c.security_token,
                    expiration: c.expiration,
                    issued_at: c.issued_at,
                }),
                ..Reply::default()
            }
        }
        Ok(Ok(Err(e))) => err(e.to_string()),
        Ok(Err(_)) | Err(_) => err(format!(
            "profile {name}: the agent got no credentials in time; try again shortly"
        )),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// No agent listens for this `ALICRED_HOME`.
    #[error("no agent is running")]
    NoAgent,
    /// The agent refused: the profile is not exposed ([`exposure`]).
    #[error("{0}")]
    NotExposed(String),
    #[error("{0}")]
    Agent(String),
    #[error("the agent's local channel failed: {0}")]
    Io(String),
}

/// Ask the running agent for a profile's credentials (blocking).
pub fn fetch(paths: &Paths, name: &ProfileName) -> Result<Credentials, LocalError> {
    fetch_at(&socket_path(paths), name)
}

pub fn fetch_at(path: &Path, name: &ProfileName) -> Result<Credentials, LocalError> {
    use std::io::{BufRead, Write};
    let mut s = std::os::unix::net::UnixStream::connect(path).map_err(|_| LocalError::NoAgent)?;
    let io = |e: std::io::Error| LocalError::Io(e.to_string());
    let wait = FETCH_TIMEOUT + Duration::from_secs(2);
    s.set_read_timeout(Some(wait)).map_err(io)?;
    s.set_write_timeout(Some(wait)).map_err(io)?;
    let mut req = serde_json::to_vec(&Request {
        profile: name.to_string(),
    })
    .map_err(|e| LocalError::Io(e.to_string()))?;
    req.push(b'\n');
    s.write_all(&req).map_err(io)?;
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::BufReader::new(std::io::Read::take(&s, 1 << 16))
        .read_line(&mut line)
        .map_err(io)?;
    if line.is_empty() {
        return Err(LocalError::Io("the agent closed the connection".into()));
    }
    let reply: Reply = serde_json::from_str(&line)
        .map_err(|_| LocalError::Io("the agent's reply is not valid".into()))?;
    match (reply.credentials, reply.error) {
        (_, Some(e)) if reply.not_exposed => Err(LocalError::NotExposed(e)),
        (Some(c), None) => Ok(Credentials {
            access_key_id: c.access_key_id,
            access_key_secret: c.access_key_secret,
            security_token: c.security_token,
            expiration: c.expiration,
            issued_at: c.issued_at,
        }),
        (_, Some(e)) => Err(LocalError::Agent(e)),
        (None, None) => Err(LocalError::Io("the agent's reply is empty".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_the_same_uid_may_ask() {
        assert!(peer_allowed(1000, 1000));
        assert!(!peer_allowed(0, 1000), "not even root's processes");
        assert!(!peer_allowed(1001, 1000));
    }

    #[tokio::test]
    async fn the_socket_is_0600_in_a_0700_directory_and_a_stale_one_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(dir.path().join("home"));
        let path = socket_path(&paths);
        let first = bind(&path).expect("bind");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().expect("dir")), 0o700);
        assert_eq!(
            bind(&path).err().map(|e| e.kind()),
            Some(std::io::ErrorKind::AddrInUse),
            "a live agent's socket is never taken over"
        );
        drop(first);
        bind(&path).expect("a dead agent's socket is replaced");
        assert!(matches!(
            fetch_at(&dir.path().join("none.sock"), &"x".parse().expect("name")),
            Err(LocalError::NoAgent)
        ));
    }
}
