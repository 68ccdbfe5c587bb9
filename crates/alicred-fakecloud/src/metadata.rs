//! ECS instance metadata under `/ecs`: IMDSv2 tokens, the instance RAM role and its
//! credentials. Hardened mode (admin-toggled) requires a valid token on every GET.

use crate::gateway::ReqCtx;
use crate::issue::{CredFault, format_expiration};
use crate::state::{Shared, StsCredential, World};
use crate::util::{iso, random_base64};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Duration;
use serde_json::json;

/// Lifetime of instance-role credentials (before the admin override).
const ECS_CREDENTIAL_SECONDS: u64 = 21_600;
const TOKEN_TTL_HEADER: &str = "x-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aliyun-ecs-metadata-token";

fn text(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.to_owned(),
    )
        .into_response()
}

/// `PUT /ecs/latest/api/token`.
pub(crate) async fn put_token(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let ttl = headers
        .get(TOKEN_TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let Some(ttl) = ttl.filter(|t| (1..=21_600).contains(t)) else {
        return text(
            StatusCode::BAD_REQUEST,
            "X-aliyun-ecs-metadata-token-ttl-seconds must be 1..21600",
        );
    };
    let token = random_base64(32);
    let mut w = shared.lock();
    let expiry = w.now() + Duration::seconds(i64::try_from(ttl).unwrap_or(21_600));
    let now = w.now();
    w.ecs.tokens.retain(|_, exp| *exp > now);
    w.ecs.tokens.insert(token.clone(), expiry);
    text(StatusCode::OK, &token)
}

/// In hardened mode: 401 without a token, 403 with an unknown or expired one.
fn deny(status: StatusCode) -> Response {
    text(status, status.canonical_reason().unwrap_or("Forbidden"))
}

fn token_status(w: &World, headers: &HeaderMap) -> Result<(), StatusCode> {
    if !w.ecs.hardened {
        return Ok(());
    }
    let Some(token) = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) else {
        return Err(StatusCode::UNAUTHORIZED);
    };
    match w.ecs.tokens.get(token) {
        Some(exp) if *exp > w.now() => Ok(()),
        _ => Err(StatusCode::FORBIDDEN),
    }
}

/// `GET /ecs/latest/meta-data/ram/security-credentials/`: the role name.
pub(crate) async fn role_name(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let w = shared.lock();
    if let Err(s) = token_status(&w, &headers) {
        return deny(s);
    }
    match &w.ecs.role {
        Some((_, role)) => text(StatusCode::OK, role),
        None => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// `GET /ecs/latest/meta-data/ram/security-credentials/<role>`.
pub(crate) async fn role_credentials(
    State(shared): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut w = shared.lock();
    if let Err(s) = token_status(&w, &headers) {
        return deny(s);
    }
    let Some((account, configured)) = w.ecs.role.clone() else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    if role != configured {
        return text(StatusCode::NOT_FOUND, "Not Found");
    }
    let cred = match reusable(&w, ctx.cred_fault) {
        Some(c) => c,
        None => match w.issue_sts(
            &account,
            &configured,
            &format!("i-{}", crate::util::random_alnum(20).to_ascii_lowercase()),
            ECS_CREDENTIAL_SECONDS,
            "ecs",
            ctx.cred_fault,
        ) {
            Ok(c) => {
                w.ecs.current = Some(c.id.clone());
                c
            }
            Err(_) => return text(StatusCode::NOT_FOUND, "Not Found"),
        },
    };
    Json(json!({
        "AccessKeyId": cred.id,
        "AccessKeySecret": cred.secret,
        "Expiration": format_expiration(cred.expiration, ctx.cred_fault),
        "SecurityToken": cred.token,
        "LastUpdated": iso(cred.issued_at),
        "Code": "Success",
    }))
    .into_response()
}

/// The instance keeps serving its credentials until less than half their lifetime is left.
fn reusable(w: &World, fault: Option<CredFault>) -> Option<StsCredential> {
    if fault.is_some() {
        return None;
    }
    let c = w.sts.get(w.ecs.current.as_ref()?)?;
    let lifetime = c.expiration - c.issued_at;
    (c.expiration - w.now() > lifetime / 2).then(|| c.clone())
}
