//! The signed-in half of the CloudSSO portal API: both access assignment lists
//! with paging, and cloud credentials for one account × access configuration.
//! (The device flow that hands out the bearer token is in `sso.rs`.)

// Handlers return the error `Response` itself; it is built once per request.
#![allow(clippy::result_large_err)]

use crate::gateway::ReqCtx;
use crate::issue::format_expiration;
use crate::sso::{bearer, error, ok, parse_body};
use crate::state::{Shared, World};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

/// Checks the bearer token; the error response otherwise.
fn authorize(w: &World, headers: &HeaderMap, rid: &str) -> Result<(), Response> {
    let Some(t) = bearer(headers) else {
        return Err(error(
            401,
            "MissingAccessToken",
            "The Authorization header with a Bearer access token is required.",
            rid,
        ));
    };
    match w.sso.tokens.get(t) {
        Some(tok) if tok.revoked => Err(error(
            401,
            "InvalidAccessToken",
            "The access token has been revoked. Sign in again.",
            rid,
        )),
        Some(tok) if tok.expires_at <= w.now() => Err(error(
            401,
            "AccessTokenExpired",
            "The access token has expired. Sign in again.",
            rid,
        )),
        Some(_) => Ok(()),
        None => Err(error(
            401,
            "InvalidAccessToken",
            "The access token is invalid.",
            rid,
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PageQuery {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    max_results: Option<String>,
    #[serde(default)]
    next_token: Option<String>,
}

/// The page `[start, start+n)` of `len` items, and the next token.
fn page(
    q: &PageQuery,
    len: usize,
    cap: usize,
    rid: &str,
) -> Result<(usize, usize, Option<String>), Response> {
    let start = match q.next_token.as_deref().filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("nt-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n <= len => n,
            _ => {
                return Err(error(
                    400,
                    "InvalidParameter.NextToken",
                    "The NextToken is invalid.",
                    rid,
                ));
            }
        },
    };
    let max = match q.max_results.as_deref().filter(|m| !m.is_empty()) {
        None => 20,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(error(
                    400,
                    "InvalidParameter.MaxResults",
                    "MaxResults must be 1-100.",
                    rid,
                ));
            }
        },
    };
    let end = (start + max.min(cap)).min(len);
    let next = (end < len).then(|| format!("nt-{end}"));
    Ok((start, end, next))
}

pub(crate) async fn list_accounts(
    State(s): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let rid = &ctx.request_id;
    let w = s.lock();
    if let Err(e) = authorize(&w, &headers, rid) {
        return e;
    }
    let all = &w.sso.assignments;
    let (start, end, next) = match page(&q, all.len(), w.sso.page_size, rid) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let accounts: Vec<Value> = all[start..end]
        .iter()
        .map(|a| json!({ "AccountId": a.account_id, "DisplayName": a.display_name }))
        .collect();
    ok(
        json!({ "Accounts": accounts, "IsTruncated": next.is_some(), "NextToken": next }),
        rid,
    )
}

pub(crate) async fn list_access_configurations(
    State(s): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let rid = &ctx.request_id;
    let w = s.lock();
    if let Err(e) = authorize(&w, &headers, rid) {
        return e;
    }
    let Some(account) = q.account_id.as_deref().filter(|a| !a.is_empty()) else {
        return error(400, "MissingAccountId", "AccountId is mandatory.", rid);
    };
    let Some(a) = w.sso.assignments.iter().find(|a| a.account_id == account) else {
        return error(
            403,
            "NoPermission.AccessAssignment",
            "You are not assigned this account.",
            rid,
        );
    };
    let all = &a.access_configurations;
    let (start, end, next) = match page(&q, all.len(), w.sso.page_size, rid) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let list: Vec<Value> = all[start..end]
        .iter()
        .map(|c| {
            json!({
                "AccessConfigurationId": c.id,
                "AccessConfigurationName": c.name,
                "AccessConfigurationDescription": c.description,
            })
        })
        .collect();
    ok(
        json!({ "AccessConfigurationsForAccount": list, "IsTruncated": next.is_some(), "NextToken": next }),
        rid,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CredReq {
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    access_configuration_id: String,
}

pub(crate) async fn cloud_credentials(
    State(s): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rid = &ctx.request_id;
    let r: CredReq = match parse_body(&body, rid) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let mut w = s.lock();
    if let Err(e) = authorize(&w, &headers, rid) {
        return e;
    }
    let role = w
        .sso
        .assignments
        .iter()
        .find(|a| a.account_id == r.account_id)
        .and_then(|a| {
            a.access_configurations
                .iter()
                .find(|c| c.id == r.access_configuration_id)
        })
        .map(crate::sso_world::role_of);
    let Some(role) = role else {
        return error(
            403,
            "NoPermission.AccessAssignment",
            "You are not assigned this account and access configuration.",
            rid,
        );
    };
    if w.role(&r.account_id, &role).is_err()
        && let Err(e) = w.create_role(&r.account_id, &role, 3600)
    {
        return error(500, "InternalError", &e.message, rid);
    }
    match w.issue_sts(
        &r.account_id,
        &role,
        "sso-user",
        3600,
        "CloudSSO",
        ctx.cred_fault,
    ) {
        Ok(c) => ok(
            json!({ "CloudCredential": {
                "AccessKeyId": c.id,
                "AccessKeySecret": c.secret,
                "SecurityToken": c.token,
                "Expiration": format_expiration(c.expiration, ctx.cred_fault),
            }}),
            rid,
        ),
        Err(e) => error(e.status, &e.code, &e.message, rid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging() {
        let q = PageQuery {
            account_id: None,
            max_results: Some("5".into()),
            next_token: None,
        };
        let Ok((s, e, n)) = page(&q, 3, 2, "r") else {
            panic!("page")
        };
        assert_eq!((s, e, n.as_deref()), (0, 2, Some("nt-2")));
        let q = PageQuery {
            next_token: Some("nt-2".into()),
            ..q
        };
        let Ok((s, e, n)) = page(&q, 3, 2, "r") else {
            panic!("page")
        };
        assert_eq!((s, e, n), (2, 3, None));
        let q = PageQuery {
            next_token: Some("garbage".into()),
            ..q
        };
        assert!(page(&q, 3, 2, "r").is_err());
    }
}
