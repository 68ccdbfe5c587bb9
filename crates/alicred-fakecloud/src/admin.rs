//! The JSON admin API under `/_admin` (tests and the demo). See the crate README for the list.
//!
//! Errors are `{"Code","Message"}` with a 4xx status. Responses may contain fake secrets.

use crate::error::ApiError;
use crate::faults::FaultSpec;
use crate::state::{KeyStatus, Shared};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The demo seed, when the emulator was started with one (served by `GET /_admin/demo`).
#[derive(Clone)]
pub(crate) struct DemoState(pub Option<Arc<crate::DemoSeed>>);

type AdminResult = Result<Json<Value>, AdminError>;

/// An admin API failure: `{"Code","Message"}` with the error's status.
pub(crate) struct AdminError(ApiError);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            Json(json!({ "Code": e.code, "Message": e.message })),
        )
            .into_response()
    }
}

fn fail(e: &ApiError) -> AdminError {
    AdminError(e.clone())
}

fn ok<T: serde::Serialize>(v: &T) -> AdminResult {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| fail(&ApiError::new(500, "InternalError", e.to_string())))
}

pub(crate) fn router(demo: DemoState) -> Router<Shared> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "ok": true })) }))
        .route(
            "/demo",
            get(move || {
                let demo = demo.clone();
                async move {
                    match demo.0 {
                        Some(seed) => ok(&*seed),
                        None => Err(fail(&ApiError::not_found(
                            "NotFound",
                            "The emulator was started without --demo.",
                        ))),
                    }
                }
            }),
        )
        .route("/accounts", post(create_account))
        .route("/users", post(create_user))
        .route("/access-keys", post(create_key).get(list_keys))
        .route("/access-keys/{id}", axum::routing::delete(delete_key))
        .route("/access-keys/{id}/status", post(set_key_status))
        .route("/roles", post(create_role))
        .route("/client-keys", post(register_client_key))
        .route("/secrets", post(create_secret))
        .route("/secrets/{name}", get(secret_versions))
        .route("/secrets/{name}/rotate", post(rotate_secret))
        .route("/oidc-providers", post(register_oidc))
        .route("/lifetime", post(set_lifetime))
        .route("/ecs", post(set_ecs))
        .route("/uri-sources", post(add_uri_source))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/{id}", axum::routing::delete(remove_fault))
        .route("/counters", get(counters))
        .route("/counters/reset", post(reset_counters))
        .route("/issued", get(issued))
        .route("/handed-out", get(handed_out))
        .route("/clock", post(set_clock))
}

#[derive(Deserialize)]
struct AccountReq {
    account_id: String,
    #[serde(default)]
    with_root_key: bool,
}

async fn create_account(State(s): State<Shared>, Json(r): Json<AccountReq>) -> AdminResult {
    let key = s
        .lock()
        .op_create_account(&r.account_id, r.with_root_key)
        .map_err(|e| fail(&e))?;
    Ok(Json(
        json!({ "account_id": r.account_id, "root_access_key": key }),
    ))
}

#[derive(Deserialize)]
struct UserReq {
    user_name: String,
    account_id: Option<String>,
    with_access_key: Option<bool>,
}

async fn create_user(State(s): State<Shared>, Json(r): Json<UserReq>) -> AdminResult {
    let mut w = s.lock();
    let account = w.account_or_default(r.account_id.as_deref());
    let info = w
        .op_create_user(&account, &r.user_name, r.with_access_key.unwrap_or(true))
        .map_err(|e| fail(&e))?;
    ok(&info)
}

#[derive(Deserialize)]
struct KeyReq {
    user_name: Option<String>,
    account_id: Option<String>,
}

async fn create_key(State(s): State<Shared>, Json(r): Json<KeyReq>) -> AdminResult {
    let mut w = s.lock();
    let account = w.account_or_default(r.account_id.as_deref());
    let pair = w
        .op_create_access_key(&account, r.user_name.as_deref())
        .map_err(|e| fail(&e))?;
    ok(&pair)
}

async fn list_keys(State(s): State<Shared>, Query(r): Query<KeyReq>) -> AdminResult {
    let w = s.lock();
    let account = w.account_or_default(r.account_id.as_deref());
    let keys = w
        .op_list_access_keys(&account, r.user_name.as_deref())
        .map_err(|e| fail(&e))?;
    Ok(Json(json!({ "access_keys": keys })))
}

async fn delete_key(State(s): State<Shared>, Path(id): Path<String>) -> AdminResult {
    s.lock().op_delete_key(&id).map_err(|e| fail(&e))?;
    Ok(Json(json!({ "deleted": id })))
}

#[derive(Deserialize)]
struct StatusReq {
    status: String,
}

async fn set_key_status(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(r): Json<StatusReq>,
) -> AdminResult {
    let status = KeyStatus::parse(&r.status).ok_or_else(|| {
        fail(&ApiError::bad(
            "InvalidParameter.Status",
            "status is Active or Inactive",
        ))
    })?;
    s.lock()
        .op_set_key_status(&id, status)
        .map_err(|e| fail(&e))?;
    Ok(Json(json!({ "access_key_id": id, "status": status })))
}

#[derive(Deserialize)]
struct RoleReq {
    role_name: String,
    account_id: Option<String>,
    max_session_duration: Option<u64>,
}

async fn create_role(State(s): State<Shared>, Json(r): Json<RoleReq>) -> AdminResult {
    let mut w = s.lock();
    let account = w.account_or_default(r.account_id.as_deref());
    let info = w
        .op_create_role(
            &account,
            &r.role_name,
            r.max_session_duration.unwrap_or(3600),
        )
        .map_err(|e| fail(&e))?;
    ok(&info)
}

#[derive(Deserialize)]
struct ClientKeyReq {
    key_id: String,
    public_key_pem: String,
    account_id: Option<String>,
}

async fn register_client_key(State(s): State<Shared>, Json(r): Json<ClientKeyReq>) -> AdminResult {
    let mut w = s.lock();
    let account = w.account_or_default(r.account_id.as_deref());
    w.op_register_client_key(&account, &r.key_id, &r.public_key_pem)
        .map_err(|e| fail(&e))?;
    Ok(Json(json!({ "key_id": r.key_id, "account_id": account })))
}

#[derive(Deserialize)]
struct SecretReq {
    secret_name: String,
    user_name: String,
    account_id: Option<String>,
    rotation_interval_seconds: Option<u64>,
    automatic_rotation: Option<bool>,
}

async fn create_secret(State(s): State<Shared>, Json(r): Json<SecretReq>) -> AdminResult {
    let mut w = s.lock();
    let account = w.account_or_default(r.account_id.as_deref());
    let info = w
        .op_create_secret(
            &account,
            &r.secret_name,
            &r.user_name,
            r.rotation_interval_seconds.unwrap_or(604_800),
            r.automatic_rotation.unwrap_or(true),
            None,
        )
        .map_err(|e| fail(&e))?;
    ok(&info)
}

async fn secret_versions(State(s): State<Shared>, Path(name): Path<String>) -> AdminResult {
    let versions = s.lock().op_secret_versions(&name).map_err(|e| fail(&e))?;
    Ok(Json(json!({ "secret_name": name, "versions": versions })))
}

async fn rotate_secret(State(s): State<Shared>, Path(name): Path<String>) -> AdminResult {
    let version = s.lock().rotate_secret(&name, None).map_err(|e| fail(&e))?;
    Ok(Json(json!({ "secret_name": name, "version_id": version })))
}

#[derive(Deserialize)]
struct OidcReq {
    arn: String,
    #[serde(default)]
    tokens: Vec<String>,
    issuer: Option<String>,
    client_ids: Option<Vec<String>>,
    subject: Option<String>,
}

async fn register_oidc(State(s): State<Shared>, Json(r): Json<OidcReq>) -> AdminResult {
    s.lock()
        .op_register_oidc(&r.arn, r.tokens, r.issuer, r.client_ids, r.subject)
        .map_err(|e| fail(&e))?;
    Ok(Json(json!({ "arn": r.arn })))
}

#[derive(Deserialize)]
struct LifetimeReq {
    seconds: Option<u64>,
}

async fn set_lifetime(State(s): State<Shared>, Json(r): Json<LifetimeReq>) -> AdminResult {
    s.lock().lifetime_override = r.seconds.map(|x| x.max(1));
    Ok(Json(json!({ "seconds": r.seconds })))
}

#[derive(Deserialize)]
struct EcsReq {
    role_name: Option<String>,
    account_id: Option<String>,
    hardened: Option<bool>,
}

async fn set_ecs(State(s): State<Shared>, Json(r): Json<EcsReq>) -> AdminResult {
    let mut w = s.lock();
    let account = w.account_or_default(r.account_id.as_deref());
    w.op_set_ecs(&account, r.role_name.as_deref(), r.hardened)
        .map_err(|e| fail(&e))?;
    let role = w.ecs.role.as_ref().map(|(_, r)| r.clone());
    Ok(Json(
        json!({ "role_name": role, "hardened": w.ecs.hardened }),
    ))
}

#[derive(Deserialize)]
struct UriReq {
    name: String,
    role_name: Option<String>,
    user_name: Option<String>,
    account_id: Option<String>,
    duration_seconds: Option<u64>,
}

async fn add_uri_source(State(s): State<Shared>, Json(r): Json<UriReq>) -> AdminResult {
    let mut w = s.lock();
    let account = w.account_or_default(r.account_id.as_deref());
    w.op_add_uri_source(
        &r.name,
        &account,
        r.role_name.as_deref(),
        r.user_name.as_deref(),
        r.duration_seconds,
    )
    .map_err(|e| fail(&e))?;
    Ok(Json(
        json!({ "name": r.name, "path": format!("/uri/{}", r.name) }),
    ))
}

async fn list_faults(State(s): State<Shared>) -> AdminResult {
    ok(&s.lock().faults.list())
}

async fn add_fault(State(s): State<Shared>, Json(spec): Json<FaultSpec>) -> AdminResult {
    let id = s.lock().faults.add(spec);
    Ok(Json(json!({ "id": id })))
}

async fn clear_faults(State(s): State<Shared>) -> AdminResult {
    s.lock().faults.clear();
    Ok(Json(json!({ "cleared": true })))
}

async fn remove_fault(State(s): State<Shared>, Path(id): Path<u64>) -> AdminResult {
    if s.lock().faults.remove(id) {
        Ok(Json(json!({ "removed": id })))
    } else {
        Err(fail(&ApiError::not_found("NotFound", "No such fault.")))
    }
}

async fn counters(State(s): State<Shared>) -> AdminResult {
    ok(&s.lock().counters)
}

async fn reset_counters(State(s): State<Shared>) -> AdminResult {
    s.lock().counters = crate::state::Counters::default();
    Ok(Json(json!({ "reset": true })))
}

async fn issued(State(s): State<Shared>) -> AdminResult {
    Ok(Json(json!({ "issued": s.lock().issued })))
}

/// Every secret value handed out, of every kind (crate::handed_out).
async fn handed_out(State(s): State<Shared>) -> AdminResult {
    Ok(Json(json!({ "secrets": s.lock().handed_out_secrets() })))
}

#[derive(Deserialize)]
struct ClockReq {
    offset_seconds: i64,
}

async fn set_clock(State(s): State<Shared>, Json(r): Json<ClockReq>) -> AdminResult {
    s.lock().clock_offset = r.offset_seconds;
    Ok(Json(json!({ "offset_seconds": r.offset_seconds })))
}
