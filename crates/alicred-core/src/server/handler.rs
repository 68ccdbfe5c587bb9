//! The one route: `GET|HEAD /<capability>/v1/credentials[/<profile>]`,
//! answering exactly the credentials-URI JSON, or a JSON error that never
//! carries a secret nor stale credentials. What may be asked is decided by
//! [`check_request`] (pure, fuzzable); this serves what it lets through.

use super::guard::{FOREIGN_USER, METHOD_NOT_ALLOWED, Target, check_request};
use super::peer::PeerResolver;
use crate::clock::Clock;
use crate::credentials::Credentials;
use crate::engine::{Engine, EngineError, policy};
use crate::profile::ProfileName;
use crate::sensitive::Sensitive;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::OnceCell;

/// How long a request may wait for a fetch before it gets a 503 (the Python
/// SDK gives up after 10 s).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(8);
/// Long-term keys are served with `Expiration` = now + this, so clients re-read.
pub use crate::credentials::ROLLING_EXPIRATION;

#[derive(Clone)]
pub struct EndpointState {
    pub engine: Engine,
    /// The agent token; capabilities are derived from it per request.
    pub token: Arc<RwLock<Sensitive>>,
    pub clock: Arc<dyn Clock>,
    pub allow_non_loopback: bool,
    pub peers: PeerResolver,
}

/// Per connection: addresses, the client socket's inode (from the owner
/// check) and the client process, resolved in the background.
#[derive(Clone)]
pub struct ConnInfo {
    pub local: SocketAddr,
    pub peer: SocketAddr,
    pub inode: Option<u64>,
    pub who: Arc<OnceCell<Option<crate::engine::ConsumerId>>>,
}

/// The answer to every request on another user's connection.
pub fn refuse_foreign() -> Response {
    error(FOREIGN_USER.status, FOREIGN_USER.code, FOREIGN_USER.message)
}

pub async fn handle(State(st): State<EndpointState>, req: Request) -> Response {
    let checked = {
        let token = st.token.read().unwrap_or_else(|p| p.into_inner());
        check_request(
            req.method(),
            req.uri(),
            req.headers(),
            &token,
            st.allow_non_loopback,
        )
    };
    let target = match checked {
        Ok(t) => t,
        Err(refusal) => {
            let mut r = error(refusal.status, refusal.code, refusal.message);
            if refusal == METHOD_NOT_ALLOWED {
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            return r;
        }
    };
    let name = match target {
        Target::Profile(p) => match p.parse::<ProfileName>() {
            Ok(n) => n,
            Err(_) => return engine_error(&EngineError::UnknownProfile(p)),
        },
        Target::Active => match st.engine.active() {
            Some(n) => n,
            None => return engine_error(&EngineError::NoActiveProfile),
        },
    };
    let conn = req.extensions().get::<ConnInfo>().cloned();
    serve(&st, name, conn).await
}

async fn serve(st: &EndpointState, name: ProfileName, conn: Option<ConnInfo>) -> Response {
    // Fast path: valid cached credentials (the worker renews them on time),
    // written out under the cache's lock without a copy of the secrets.
    let cached = st
        .engine
        .cached(&name)
        .and_then(|c| c.with_current(|cr, now| cr.served_json(now)));
    if let Some(body) = cached {
        return match body {
            Ok(body) => handed_out(st, name, conn, body),
            Err(_) => encode_failed(),
        };
    }
    match fetch(st, &name).await {
        Ok(c) => respond(st, name, conn, c),
        Err(r) => r,
    }
}

fn handed_out(
    st: &EndpointState,
    name: ProfileName,
    conn: Option<ConnInfo>,
    body: Vec<u8>,
) -> Response {
    st.engine.record_handout(&name);
    if let Some(conn) = conn {
        attribute(st, name, conn);
    }
    json(StatusCode::OK, body)
}

fn encode_failed() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "could not encode the response",
    )
}

/// Fetch in its own task, so a client that gives up does not cancel a fetch
/// that every other client is waiting for.
async fn fetch(st: &EndpointState, name: &ProfileName) -> Result<Credentials, Response> {
    let fetch = st.engine.spawn_credentials(name);
    match tokio::time::timeout(FETCH_TIMEOUT, fetch).await {
        Ok(Ok(Ok(c))) => Ok(c),
        Ok(Ok(Err(e))) => Err(engine_error(&e)),
        Ok(Err(_)) | Err(_) => Err(engine_error(&EngineError::NotYetAvailable {
            profile: name.clone(),
            reason: "the source did not answer in time; try again shortly".into(),
        })),
    }
}

fn respond(
    st: &EndpointState,
    name: ProfileName,
    conn: Option<ConnInfo>,
    creds: Credentials,
) -> Response {
    let now = st.clock.now();
    if !policy::serveable(&creds, now) {
        // The engine never returns these; refuse rather than trust it.
        return engine_error(&EngineError::Expired {
            profile: name,
            reason: "only expired credentials were available".into(),
        });
    }
    match creds.served_json(now) {
        Ok(body) => handed_out(st, name, conn, body),
        Err(_) => encode_failed(),
    }
}

/// Note which process got the credentials. The lookup started with the
/// connection's first request, in the background; the response never waits
/// for it. Until it is known, one task per response waits for it and notes
/// it then (the lookup itself runs once per connection).
fn attribute(st: &EndpointState, name: ProfileName, conn: ConnInfo) {
    match conn.who.get() {
        Some(Some(who)) => st.engine.note_consumer(&name, who),
        Some(None) => {}
        None => {
            let (engine, peers) = (st.engine.clone(), st.peers.clone());
            tokio::spawn(async move {
                let who = conn.who.get_or_init(|| peers.resolve(conn.inode)).await;
                if let Some(who) = who {
                    engine.note_consumer(&name, who);
                }
            });
        }
    }
}

fn engine_error(e: &EngineError) -> Response {
    let (status, code) = match e {
        EngineError::UnknownProfile(_) => (StatusCode::NOT_FOUND, "ProfileNotFound"),
        EngineError::NoActiveProfile => (StatusCode::NOT_FOUND, "NoActiveProfile"),
        EngineError::NeedsUser { .. } => (StatusCode::SERVICE_UNAVAILABLE, "NeedsUser"),
        EngineError::Expired { .. } => (StatusCode::SERVICE_UNAVAILABLE, "CredentialsExpired"),
        EngineError::NotYetAvailable { .. } | EngineError::ShutDown => {
            (StatusCode::SERVICE_UNAVAILABLE, "CredentialsUnavailable")
        }
    };
    error(status, code, &e.to_string())
}

pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "Code": code, "Message": message });
    json(status, body.to_string().into_bytes())
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::SERVER, HeaderValue::from_static(SERVER_NAME));
    r
}

/// The `Server` header, also how a second agent recognises the first.
pub const SERVER_NAME: &str = "alicred";
