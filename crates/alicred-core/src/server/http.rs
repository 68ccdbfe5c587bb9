//! The accept loop: HTTP/1.1 on a loopback listener, a cap on open
//! connections, a header read timeout and a connection lifetime, so slow or
//! idle clients cannot starve the others.

use super::handler::{ConnInfo, EndpointState, handle};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{OnceCell, Semaphore, watch};
use tower::ServiceExt;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    /// A connection (idle keep-alive included) is closed after this.
    pub connection_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(5),
            connection_lifetime: Duration::from_secs(60),
        }
    }
}

pub fn router(state: EndpointState) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// Serve until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    state: EndpointState,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let peers = state.peers.clone();
    let app = router(state);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let Ok(local) = listener.local_addr() else {
        return;
    };
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let conn = ConnInfo {
            local,
            peer,
            who: Arc::new(OnceCell::new()),
        };
        // Start identifying the client now, while its socket surely exists.
        {
            let (who, peers) = (conn.who.clone(), peers.clone());
            tokio::spawn(async move {
                who.get_or_init(|| peers.resolve(local, peer)).await;
            });
        }
        let app = app.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(conn.clone());
                app.clone().oneshot(req)
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .keep_alive(true);
            let c = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(c);
            let lifetime = tokio::time::sleep(limits.connection_lifetime);
            tokio::pin!(lifetime);
            tokio::select! {
                _ = c.as_mut() => {}
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
