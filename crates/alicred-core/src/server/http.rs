//! The accept loop: HTTP/1.1 on a loopback listener. Idle or slow sockets
//! cannot lock real clients out: every connection is accepted at once, a
//! request must arrive in full within about a second, and when the
//! connection slots run short the oldest connections that are not in the
//! middle of a request are closed to make room (those that never sent one
//! first).
//!
//! Only alicred's own user is answered (docs/security.md, "Listeners"): each
//! accepted connection's client socket is looked up once, by its exact
//! 4-tuple ([`super::owner`], one netlink round trip), and another user's
//! connection gets 403 to every request without its path being looked at.

use super::handler::{ConnInfo, EndpointState, handle, refuse_foreign};
use super::owner;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, OnceCell, watch};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections kept open at once; past this, idle ones are evicted.
    pub max_connections: usize,
    /// How long a request's head may take to arrive, counted from the moment
    /// the server waits for it (accept, or the end of the previous answer).
    pub header_read_timeout: Duration,
    /// A connection (idle keep-alive included) is closed after this.
    pub connection_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(1),
            connection_lifetime: Duration::from_secs(60),
        }
    }
}

pub fn router(state: EndpointState) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// Where a connection is: evictable unless a request is being answered.
const FRESH: u8 = 0; // accepted, no complete request yet
const BUSY: u8 = 1; // a request is being answered
const IDLE: u8 = 2; // answered, waiting on keep-alive

struct Slot {
    state: Arc<AtomicU8>,
    evict: Arc<Notify>,
}

/// The open connections, by accept order (so the first found is the oldest).
#[derive(Default)]
struct Slots {
    next: u64,
    open: BTreeMap<u64, Slot>,
}

impl Slots {
    fn add(&mut self) -> (u64, Arc<AtomicU8>, Arc<Notify>) {
        let id = self.next;
        self.next += 1;
        let state = Arc::new(AtomicU8::new(FRESH));
        let evict = Arc::new(Notify::new());
        self.open.insert(
            id,
            Slot {
                state: state.clone(),
                evict: evict.clone(),
            },
        );
        (id, state, evict)
    }

    /// Close the oldest connection that never sent a request, else the
    /// oldest idle one. False if every connection is busy.
    fn evict_one(&mut self) -> bool {
        let pick = |want: u8| {
            self.open
                .iter()
                .find(|(_, s)| s.state.load(Ordering::Acquire) == want)
                .map(|(id, _)| *id)
        };
        let Some(id) = pick(FRESH).or_else(|| pick(IDLE)) else {
            return false;
        };
        if let Some(s) = self.open.remove(&id) {
            // notify_one keeps a permit if the task is not waiting yet.
            s.evict.notify_one();
        }
        true
    }
}

/// Removes a connection from the table when its task ends, however it ends.
struct Leave(Arc<Mutex<Slots>>, u64);

impl Drop for Leave {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.lock() {
            s.open.remove(&self.1);
        }
    }
}

/// Marks a connection busy while a request is answered.
struct Busy(Arc<AtomicU8>);

impl Busy {
    fn new(state: Arc<AtomicU8>) -> Self {
        state.store(BUSY, Ordering::Release);
        Self(state)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.store(IDLE, Ordering::Release);
    }
}

/// Serve until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    state: EndpointState,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let peers = state.peers.clone();
    let own_uid = owner::own_uid();
    // The one handler, called directly: a router would only route to it.
    let app = state;
    let slots = Arc::new(Mutex::new(Slots::default()));
    let Ok(local) = listener.local_addr() else {
        return;
    };
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    // EMFILE and friends: free a descriptor held by an idle
                    // socket, and back off briefly instead of spinning.
                    if let Ok(mut s) = slots.lock() {
                        s.evict_one();
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let admitted = match slots.lock() {
            Ok(mut s) => {
                let room = s.open.len() < limits.max_connections || s.evict_one();
                room.then(|| s.add())
            }
            Err(_) => None,
        };
        // Every slot is answering a request: this one waits for none.
        let Some((id, conn_state, evict)) = admitted else {
            drop(stream);
            continue;
        };
        let leave = Leave(slots.clone(), id);
        let _ = stream.set_nodelay(true);
        // Whose is the client socket? Asked once per connection, while it
        // surely exists; unknown counts as someone else's.
        let client = owner::peer_socket(local, peer);
        let own = client.is_some_and(|c| c.uid == own_uid);
        if !own {
            // No path: it may be a capability meant for us.
            match client {
                Some(c) => tracing::warn!(
                    "endpoint: refused a connection from {peer}, owned by uid {}: only uid {own_uid} is answered",
                    c.uid
                ),
                None => tracing::warn!(
                    "endpoint: refused a connection from {peer}: its owner is unknown"
                ),
            }
        }
        let conn = ConnInfo {
            local,
            peer,
            inode: client.map(|c| c.inode),
            who: Arc::new(OnceCell::new()),
        };
        let (app, peers) = (app.clone(), peers.clone());
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let _leave = leave;
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                // "Used by" is looked up from the first request on, in the
                // background; no response waits for it.
                if own && conn_state.load(Ordering::Acquire) == FRESH {
                    let (who, inode, peers) = (conn.who.clone(), conn.inode, peers.clone());
                    tokio::spawn(async move {
                        who.get_or_init(|| peers.resolve(inode)).await;
                    });
                }
                let busy = Busy::new(conn_state.clone());
                let answer = own.then(|| {
                    req.extensions_mut().insert(conn.clone());
                    handle(
                        axum::extract::State(app.clone()),
                        req.map(axum::body::Body::new),
                    )
                });
                async move {
                    let r = match answer {
                        Some(a) => a.await,
                        None => refuse_foreign(),
                    };
                    drop(busy);
                    Ok::<_, std::convert::Infallible>(r)
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .keep_alive(own);
            let c = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(c);
            let lifetime = tokio::time::sleep(limits.connection_lifetime);
            tokio::pin!(lifetime);
            tokio::select! {
                _ = c.as_mut() => {}
                // Evicted: it was not answering anything, so just close.
                _ = evict.notified() => {}
                _ = &mut lifetime => {
                    c.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), c).await;
                }
                _ = stop.changed() => {
                    c.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), c).await;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_takes_the_oldest_fresh_then_the_oldest_idle_never_a_busy_one() {
        let mut s = Slots::default();
        let a = s.add(); // idle keep-alive
        let b = s.add(); // busy
        let c = s.add(); // fresh
        let d = s.add(); // fresh
        a.1.store(IDLE, Ordering::Release);
        b.1.store(BUSY, Ordering::Release);
        assert!(s.evict_one());
        assert!(!s.open.contains_key(&c.0) && s.open.contains_key(&d.0));
        assert!(s.evict_one());
        assert!(!s.open.contains_key(&d.0));
        assert!(s.evict_one());
        assert!(!s.open.contains_key(&a.0));
        assert!(!s.evict_one(), "the busy one stays");
        assert!(s.open.contains_key(&b.0));
    }
}
