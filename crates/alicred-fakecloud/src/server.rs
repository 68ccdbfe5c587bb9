//! The HTTP server: a hand-rolled accept loop serving each connection with hyper, so that
//! faults can act below the response level (RST without an answer, truncated bodies).

use crate::admin::{self, DemoState};
use crate::error::ApiError;
use crate::gateway::{ConnAction, Gateway};
use crate::rpc::{self, RpcCall};
use crate::state::Shared;
use crate::{federation, metadata, oauth, signin_admin, sso, sso_portal, uri};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::{Extension, Json, Router};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

pub(crate) fn router(shared: Shared, demo: DemoState) -> Router {
    let mut router = Router::new();
    // `/ecs/latest/...`, and `/latest/...` for clients that only let you change the host.
    for prefix in ["/ecs", ""] {
        let creds = format!("{prefix}/latest/meta-data/ram/security-credentials");
        router = router
            .route(
                &format!("{prefix}/latest/api/token"),
                put(metadata::put_token),
            )
            .route(&creds, get(metadata::role_name))
            .route(&format!("{creds}/"), get(metadata::role_name))
            .route(
                &format!("{creds}/{{role}}"),
                get(metadata::role_credentials),
            );
    }
    router
        .route("/", any(rpc_handler))
        .route("/sts", any(rpc_handler))
        .route("/sts/", any(rpc_handler))
        .route("/ram", any(rpc_handler))
        .route("/ram/", any(rpc_handler))
        .route("/kms", any(rpc_handler))
        .route("/kms/", any(rpc_handler))
        .route("/uri/{name}", get(uri::get_credentials))
        .route("/device-authorization", post(sso::device_authorization))
        .route("/token", post(sso::token))
        .route(
            "/access-assignments/accounts",
            get(sso_portal::list_accounts),
        )
        .route(
            "/access-assignments/access-configurations",
            get(sso_portal::list_access_configurations),
        )
        .route("/cloud-credentials", post(sso_portal::cloud_credentials))
        .route("/oauth2/v1/auth", get(oauth::authorize))
        .route("/v1/token", post(oauth::token))
        .route("/v1/exchange", post(oauth::exchange))
        .route("/federation", any(federation::federation))
        .route("/console/{*page}", get(federation::console_page))
        .nest("/_admin", admin::router(demo).merge(signin_admin::router()))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({ "Code": "NotFound", "Message": "No such path on fakecloud." })),
            )
        })
        .with_state(shared)
}

async fn rpc_handler(
    State(shared): State<Shared>,
    Extension(call): Extension<Arc<RpcCall>>,
) -> Response {
    let result = {
        let mut w = shared.lock();
        rpc::dispatch(&mut w, &call)
    };
    rpc_response(&call, result)
}

fn rpc_response(call: &RpcCall, result: Result<Value, ApiError>) -> Response {
    let (host, product) = call
        .product
        .as_ref()
        .map_or(("aliyuncs.com", "Unknown"), |p| (p.host_id(), p.name()));
    let (status, body) = match result {
        Ok(mut v) => {
            if let Value::Object(m) = &mut v {
                m.insert("RequestId".into(), json!(call.request_id));
            }
            (StatusCode::OK, v)
        }
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.body(&call.request_id, host, product),
        ),
    };
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&call.request_id) {
        h.insert("x-acs-request-id", v);
    }
    resp
}

/// Accepts connections until shutdown, then drains them (bounded).
pub(crate) async fn run(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    conns.spawn(serve_connection(stream, gateway.clone(), shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = stopped(&mut shutdown) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        conns.abort_all();
    }
    tracing::info!("fakecloud stopped");
}

/// Resolves once shutdown was requested (or the handle is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn serve_connection(
    stream: TcpStream,
    gateway: Arc<Gateway>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    // Keep a second descriptor of the socket so a fault can act on it after hyper is gone.
    let Ok(std_stream) = stream.into_std() else {
        return;
    };
    let Ok(raw) = std_stream.try_clone() else {
        return;
    };
    let Ok(stream) = TcpStream::from_std(std_stream) else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<ConnAction>();
    let svc = service_fn(move |req| {
        let gw = gateway.clone();
        let tx = tx.clone();
        async move { Ok::<_, Infallible>(gw.handle(req, tx).await) }
    });
    let mut conn = Box::pin(
        http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), svc),
    );
    let action = tokio::select! {
        _ = conn.as_mut() => None,
        Some(action) = rx.recv() => Some(action),
        () = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(1), conn.as_mut()).await;
            None
        }
    };
    drop(conn);
    let Some(action) = action else {
        return;
    };
    let Ok(raw) = TcpStream::from_std(raw) else {
        return;
    };
    match action {
        ConnAction::Reset => {
            // SO_LINGER 0: close() sends RST instead of FIN.
            let _ = raw.set_zero_linger();
            drop(raw);
        }
        ConnAction::Truncate(bytes) => {
            let mut raw = raw;
            let _ = raw.write_all(&bytes).await;
            let _ = raw.flush().await;
            let _ = raw.shutdown().await;
        }
    }
}
