//! Admin controls for the sign-in emulation (`/_admin/sso/...`, `/_admin/oauth/...`):
//! assignments, approving or denying pending sign-ins, auto-approve, expiring or revoking
//! tokens, and listing the tokens handed out (for tests' secret scans).

use crate::error::ApiError;
use crate::oauth::OAuthSettings;
use crate::sso::{SsoAssignment, SsoSettings};
use crate::state::Shared;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

fn fail(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        Json(json!({ "Code": e.code, "Message": e.message })),
    )
        .into_response()
}

pub(crate) fn router() -> Router<Shared> {
    Router::new()
        .route("/sso/assignments", post(assign).get(assignments))
        .route("/sso/settings", post(sso_settings))
        .route("/sso/pending", get(pending))
        .route("/sso/approve", post(approve))
        .route("/sso/deny", post(deny))
        .route("/sso/expire-device-codes", post(expire_devices))
        .route("/sso/expire", post(sso_expire))
        .route("/sso/revoke", post(sso_revoke))
        .route("/oauth/settings", post(oauth_settings))
        .route("/oauth/expire", post(oauth_expire))
        .route("/oauth/revoke", post(oauth_revoke))
        .route("/oauth/stats", get(oauth_stats))
        .route("/signin/tokens", get(issued_tokens))
}

/// Every CloudSSO access token and OAuth access and refresh token handed
/// out, for tests that scan what a client wrote for secrets.
async fn issued_tokens(State(s): State<Shared>) -> Response {
    let g = s.lock();
    Json(json!({ "sso": g.sso.issued_tokens, "oauth": g.oauth.issued_tokens })).into_response()
}

async fn assign(State(s): State<Shared>, Json(a): Json<SsoAssignment>) -> Response {
    match s.lock().sso_assign(a) {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(e) => fail(&e),
    }
}

async fn assignments(State(s): State<Shared>) -> Response {
    Json(json!({ "assignments": s.lock().sso.assignments })).into_response()
}

async fn sso_settings(State(s): State<Shared>, Json(r): Json<SsoSettings>) -> Response {
    s.lock().sso.apply(&r);
    Json(json!({ "ok": true })).into_response()
}

async fn pending(State(s): State<Shared>) -> Response {
    Json(json!({ "user_codes": s.lock().sso_pending() })).into_response()
}

#[derive(Deserialize, Default)]
struct Decide {
    #[serde(default)]
    user_code: Option<String>,
}

fn decide(s: &Shared, body: Option<Json<Decide>>, approve: bool) -> Response {
    let code = body.and_then(|Json(d)| d.user_code);
    let n = s.lock().sso_decide(code.as_deref(), approve);
    if n == 0 {
        return fail(&ApiError::not_found(
            "NotFound",
            "No pending sign-in matches.",
        ));
    }
    Json(json!({ "decided": n })).into_response()
}

async fn approve(State(s): State<Shared>, body: Option<Json<Decide>>) -> Response {
    decide(&s, body, true)
}

async fn deny(State(s): State<Shared>, body: Option<Json<Decide>>) -> Response {
    decide(&s, body, false)
}

async fn expire_devices(State(s): State<Shared>) -> Response {
    s.lock().sso_expire_devices();
    Json(json!({ "ok": true })).into_response()
}

async fn sso_expire(State(s): State<Shared>) -> Response {
    let n = s.lock().sso_end_tokens(false);
    Json(json!({ "tokens": n })).into_response()
}

async fn sso_revoke(State(s): State<Shared>) -> Response {
    let n = s.lock().sso_end_tokens(true);
    Json(json!({ "tokens": n })).into_response()
}

async fn oauth_settings(State(s): State<Shared>, Json(r): Json<OAuthSettings>) -> Response {
    match s.lock().oauth.apply(&r) {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(e) => fail(&e),
    }
}

#[derive(Deserialize, Default)]
struct Expire {
    #[serde(default)]
    refresh: bool,
}

async fn oauth_expire(State(s): State<Shared>, body: Option<Json<Expire>>) -> Response {
    let refresh = body.is_some_and(|Json(e)| e.refresh);
    let mut w = s.lock();
    let now = w.now();
    w.oauth.end_tokens(now, false, refresh);
    Json(json!({ "ok": true })).into_response()
}

async fn oauth_revoke(State(s): State<Shared>) -> Response {
    let mut w = s.lock();
    let now = w.now();
    w.oauth.end_tokens(now, true, true);
    Json(json!({ "ok": true })).into_response()
}

async fn oauth_stats(State(s): State<Shared>) -> Response {
    Json(json!({ "live_refresh_tokens": s.lock().oauth.live_refresh_tokens() })).into_response()
}
