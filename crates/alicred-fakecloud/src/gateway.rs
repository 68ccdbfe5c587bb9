//! Per-request front door: buffers the body, classifies the request (service + action),
//! counts it, applies injected faults, then hands it to the axum router.

use crate::faults::{FaultKind, FaultSpec, Service};
use crate::issue::CredFault;
use crate::rpc::{Product, RpcCall};
use crate::state::{CounterKind, Shared};
use crate::util::{Params, request_id};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tower::ServiceExt as _;

const MAX_BODY: usize = 1 << 20;
/// How long a `hang` fault keeps a request unanswered at most.
const HANG_MAX: std::time::Duration = std::time::Duration::from_secs(600);

/// Per-request context visible to handlers.
#[derive(Debug, Clone)]
pub(crate) struct ReqCtx {
    pub request_id: String,
    pub cred_fault: Option<CredFault>,
}

/// What the connection task must do instead of letting hyper answer.
#[derive(Debug)]
pub(crate) enum ConnAction {
    /// Close with RST, no response.
    Reset,
    /// Write these raw bytes (headers promising more body than sent), then close.
    Truncate(Bytes),
}

pub(crate) struct Gateway {
    pub shared: Shared,
    pub router: Router,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Admin,
    Rpc(Option<Service>),
    Ecs(&'static str),
    Uri(String),
    Sso(&'static str),
    Oauth(&'static str),
    Other,
}

fn classify(path: &str) -> Route {
    let trimmed = path.trim_end_matches('/');
    match trimmed {
        "" => return Route::Rpc(None),
        "/sts" => return Route::Rpc(Some(Service::Sts)),
        "/ram" => return Route::Rpc(Some(Service::Ram)),
        "/kms" => return Route::Rpc(Some(Service::Kms)),
        _ => {}
    }
    match trimmed {
        "/device-authorization" => return Route::Sso("device-authorization"),
        "/token" => return Route::Sso("token"),
        "/access-assignments/accounts" => return Route::Sso("accounts"),
        "/access-assignments/access-configurations" => {
            return Route::Sso("access-configurations");
        }
        "/cloud-credentials" => return Route::Sso("cloud-credentials"),
        "/oauth2/v1/auth" => return Route::Oauth("authorize"),
        "/v1/token" => return Route::Oauth("token"),
        "/v1/exchange" => return Route::Oauth("exchange"),
        _ => {}
    }
    if path == "/_admin" || path.starts_with("/_admin/") {
        Route::Admin
    } else if let Some(rest) = path
        .strip_prefix("/ecs/")
        .or_else(|| path.strip_prefix('/').filter(|r| r.starts_with("latest/")))
    {
        if rest == "latest/api/token" {
            Route::Ecs("token")
        } else if let Some(r) = rest.strip_prefix("latest/meta-data/ram/security-credentials") {
            if r.trim_matches('/').is_empty() {
                Route::Ecs("list")
            } else {
                Route::Ecs("credentials")
            }
        } else {
            Route::Ecs("other")
        }
    } else if let Some(name) = path.strip_prefix("/uri/") {
        Route::Uri(name.to_owned())
    } else {
        Route::Other
    }
}

fn is_form(req_headers: &axum::http::HeaderMap) -> bool {
    match req_headers.get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v
            .to_str()
            .is_ok_and(|s| s.to_ascii_lowercase().contains("x-www-form-urlencoded")),
    }
}

fn json_response(status: StatusCode, body: String, request_id: &str) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-acs-request-id", v);
    }
    resp
}

/// A response for the faults that are answered without running the handler.
fn synthesized(
    f: &FaultSpec,
    route: &Route,
    product: Option<Product>,
    rid: &str,
) -> Response<Body> {
    let rpc = matches!(route, Route::Rpc(_));
    let (status, code, message) = match f.kind {
        FaultKind::InternalError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        ),
        FaultKind::ServiceUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ),
        FaultKind::Throttling => (
            StatusCode::BAD_REQUEST,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        FaultKind::CodeNotSuccess => (
            if rpc {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
            "Failed",
            "Injected failure (fakecloud fault).",
        ),
        _ => {
            // malformed_json
            let body = format!(
                r#"{{"RequestId":"{rid}","Code":"Success","AccessKeyId":"STS.broken","Expiration":"#
            );
            return json_response(StatusCode::OK, body, rid);
        }
    };
    let code = f.code.as_deref().unwrap_or(code);
    let message = f.message.as_deref().unwrap_or(message);
    let body = if rpc {
        let (host, name) = product.map_or(("aliyuncs.com", "Unknown"), |p| (p.host_id(), p.name()));
        crate::error::ApiError::new(status.as_u16(), code, message).body(rid, host, name)
    } else if matches!(route, Route::Sso(_)) {
        json!({ "ErrorCode": code, "ErrorMessage": message, "RequestId": rid })
    } else if matches!(route, Route::Oauth(_)) {
        json!({ "error": code, "error_description": message, "requestId": rid })
    } else {
        json!({ "Code": code, "Message": message, "RequestId": rid })
    };
    let mut resp = json_response(status, body.to_string(), rid);
    if f.kind == FaultKind::Throttling {
        let ms = f.retry_after_ms.unwrap_or(1000).to_string();
        if let Ok(v) = HeaderValue::from_str(&ms) {
            resp.headers_mut().insert("x-acs-retry-after", v);
        }
    }
    resp
}

fn truncated_bytes(rid: &str) -> Bytes {
    let body = format!(
        r#"{{"RequestId":"{rid}","Code":"Success","Message":"this body is cut short by an injected truncated_body fault","Padding":"{}"}}"#,
        "x".repeat(200)
    );
    let half = &body[..body.len() / 2];
    Bytes::from(format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json;charset=utf-8\r\ncontent-length: {}\r\nx-acs-request-id: {rid}\r\nconnection: close\r\n\r\n{half}",
        body.len()
    ))
}

impl Gateway {
    pub(crate) async fn handle<B>(
        self: Arc<Self>,
        req: Request<B>,
        conn: UnboundedSender<ConnAction>,
    ) -> Response<Body>
    where
        B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let (mut parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(Body::new(body), MAX_BODY).await else {
            let mut r = Response::new(Body::from("request body too large or unreadable"));
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return r;
        };
        let route = classify(parts.uri.path());
        let rid = request_id();
        let mut rpc: Option<RpcCall> = None;
        let (service, action) = match &route {
            Route::Admin | Route::Other => {
                let ctx = ReqCtx {
                    request_id: rid,
                    cred_fault: None,
                };
                parts.extensions.insert(ctx);
                return self
                    .route(Request::from_parts(parts, Body::from(bytes)))
                    .await;
            }
            Route::Rpc(path) => {
                let mut params = Params::default();
                let mut ok = params.extend_from_urlencoded(parts.uri.query().unwrap_or(""));
                if !bytes.is_empty() && is_form(&parts.headers) {
                    ok &=
                        std::str::from_utf8(&bytes).is_ok_and(|s| params.extend_from_urlencoded(s));
                }
                let product = if ok {
                    Product::resolve(*path, params.get("Version"))
                } else {
                    Err(crate::error::ApiError::bad(
                        "InvalidParameter",
                        "The request parameters are not valid UTF-8 url-encoded text.",
                    ))
                };
                let service = product.as_ref().ok().map(|p| p.service()).or(*path);
                let call = RpcCall {
                    product,
                    method: parts.method.as_str().to_owned(),
                    params,
                    request_id: rid.clone(),
                    cred_fault: None,
                };
                let action = call.action().to_owned();
                rpc = Some(call);
                (service, action)
            }
            Route::Ecs(kind) => (Some(Service::Ecs), (*kind).to_owned()),
            Route::Uri(name) => (Some(Service::Uri), name.clone()),
            Route::Sso(a) => (Some(Service::Sso), (*a).to_owned()),
            Route::Oauth(a) => (Some(Service::Oauth), (*a).to_owned()),
        };
        let product = rpc.as_ref().and_then(|c| c.product.clone().ok());
        let issues = match &route {
            Route::Rpc(_) => {
                product == Some(Product::Sts)
                    && (action == "AssumeRole" || action == "AssumeRoleWithOIDC")
            }
            Route::Ecs(kind) => *kind == "credentials",
            Route::Sso(a) => *a == "cloud-credentials",
            Route::Oauth(a) => *a == "exchange",
            _ => true,
        };
        let key = format!("{}:{}", service.map_or("rpc", Service::as_str), action);
        let applied = {
            let mut w = self.shared.lock();
            w.count(CounterKind::Requests, &key);
            let applied = service
                .map(|s| w.faults.take(s, &action, issues))
                .unwrap_or_default();
            if applied.fault.is_some() || !applied.delay.is_zero() {
                w.count(CounterKind::Faults, &key);
            }
            applied
        };
        if !applied.delay.is_zero() {
            tokio::time::sleep(applied.delay).await;
        }
        let mut cred_fault = None;
        if let Some(f) = applied.fault {
            match f.kind {
                FaultKind::Hang => {
                    // Never answer; after HANG_MAX drop the connection so that abandoned
                    // hung requests do not pile up in a long-running emulator.
                    tokio::time::sleep(HANG_MAX).await;
                    let _ = conn.send(ConnAction::Reset);
                    return std::future::pending().await;
                }
                FaultKind::ConnectionReset => {
                    let _ = conn.send(ConnAction::Reset);
                    return std::future::pending().await;
                }
                FaultKind::TruncatedBody => {
                    let _ = conn.send(ConnAction::Truncate(truncated_bytes(&rid)));
                    return std::future::pending().await;
                }
                FaultKind::ExpiredCredentials => cred_fault = Some(CredFault::Expired),
                FaultKind::BadExpirationFormat => cred_fault = Some(CredFault::BadFormat),
                FaultKind::Latency => {}
                _ => {
                    let resp = synthesized(&f, &route, product, &rid);
                    self.count_error(&key, resp.status());
                    return resp;
                }
            }
        }
        if let Some(mut call) = rpc {
            call.cred_fault = cred_fault;
            parts.extensions.insert(Arc::new(call));
        }
        parts.extensions.insert(ReqCtx {
            request_id: rid,
            cred_fault,
        });
        let resp = self
            .route(Request::from_parts(parts, Body::from(bytes)))
            .await;
        self.count_error(&key, resp.status());
        resp
    }

    fn count_error(&self, key: &str, status: StatusCode) {
        if !status.is_success() {
            self.shared.lock().count(CounterKind::Errors, key);
        }
    }

    async fn route(&self, req: Request<Body>) -> Response<Body> {
        match self.router.clone().oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify("/"), Route::Rpc(None));
        assert_eq!(classify("/sts"), Route::Rpc(Some(Service::Sts)));
        assert_eq!(classify("/ram/"), Route::Rpc(Some(Service::Ram)));
        assert_eq!(classify("/kms"), Route::Rpc(Some(Service::Kms)));
        assert_eq!(classify("/_admin/faults"), Route::Admin);
        assert_eq!(classify("/ecs/latest/api/token"), Route::Ecs("token"));
        assert_eq!(
            classify("/ecs/latest/meta-data/ram/security-credentials/"),
            Route::Ecs("list")
        );
        assert_eq!(
            classify("/ecs/latest/meta-data/ram/security-credentials/EcsDemoRole"),
            Route::Ecs("credentials")
        );
        assert_eq!(
            classify("/latest/meta-data/ram/security-credentials/R"),
            Route::Ecs("credentials")
        );
        assert_eq!(classify("/uri/demo"), Route::Uri("demo".into()));
        assert_eq!(classify("/favicon.ico"), Route::Other);
        assert_eq!(classify("/token"), Route::Sso("token"));
        assert_eq!(
            classify("/access-assignments/access-configurations"),
            Route::Sso("access-configurations")
        );
        assert_eq!(classify("/v1/exchange"), Route::Oauth("exchange"));
    }

    #[test]
    fn truncated_promises_more_than_it_sends() {
        let b = truncated_bytes("RID");
        let s = String::from_utf8(b.to_vec()).expect("utf8");
        let (head, body) = s.split_once("\r\n\r\n").expect("head");
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.parse().ok())
            .expect("length");
        assert!(body.len() < len);
    }
}
