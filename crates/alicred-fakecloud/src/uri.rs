//! Credentials-URI sources under `/uri/<name>`: fresh STS credentials of a role on every GET,
//! or a RAM user's long-term key (`SecurityToken: ""`, rolling one-hour `Expiration`).

use crate::gateway::ReqCtx;
use crate::issue::format_expiration;
use crate::state::{KeyStatus, Owner, Shared, UriTarget};
use crate::util::{iso, random_digits};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Duration;
use serde_json::json;

fn failure(ctx: &ReqCtx, status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "Code": code, "Message": message, "RequestId": ctx.request_id });
    (status, Json(body)).into_response()
}

/// `GET /uri/<name>`.
pub(crate) async fn get_credentials(
    State(shared): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    Path(name): Path<String>,
) -> Response {
    let mut w = shared.lock();
    let Some(target) = w.uri_sources.get(&name).cloned() else {
        return failure(
            &ctx,
            StatusCode::NOT_FOUND,
            "NotFound",
            "No credentials-URI source has this name.",
        );
    };
    match target {
        UriTarget::Role {
            account,
            role,
            duration,
        } => {
            let session = format!("uri-{}", random_digits(8));
            match w.issue_sts(&account, &role, &session, duration, "uri", ctx.cred_fault) {
                Ok(c) => Json(json!({
                    "Code": "Success",
                    "AccessKeyId": c.id,
                    "AccessKeySecret": c.secret,
                    "SecurityToken": c.token,
                    "Expiration": format_expiration(c.expiration, ctx.cred_fault),
                    "LastUpdated": iso(c.issued_at),
                }))
                .into_response(),
                Err(e) => failure(&ctx, StatusCode::NOT_FOUND, &e.code, &e.message),
            }
        }
        UriTarget::User { account, user } => {
            let now = w.now();
            let owner = Owner::User(user);
            let key = w
                .keys_of(&account, &owner)
                .into_iter()
                .find(|k| k.status == KeyStatus::Active)
                .map(|k| (k.id.clone(), k.secret.clone()));
            let Some((id, secret)) = key else {
                return failure(
                    &ctx,
                    StatusCode::NOT_FOUND,
                    "EntityNotExist.User.AccessKey",
                    "The user has no active access key.",
                );
            };
            let expiration = match ctx.cred_fault {
                Some(crate::issue::CredFault::Expired) => now - Duration::seconds(60),
                _ => now + Duration::hours(1),
            };
            Json(json!({
                "Code": "Success",
                "AccessKeyId": id,
                "AccessKeySecret": secret,
                "SecurityToken": "",
                "Expiration": format_expiration(expiration, ctx.cred_fault),
                "LastUpdated": iso(now),
            }))
            .into_response()
        }
    }
}
