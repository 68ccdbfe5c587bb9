//! OAuth as the aliyun CLI's OAuth application uses it: the sign-in site's authorize page
//! (`/oauth2/v1/auth`, redirects to the loopback callback), the token API's `/v1/token`
//! (authorization-code and rotating refresh-token grants) and `/v1/exchange` (STS for the
//! bearer). Token errors are `{error, error_description, requestId}`.

use crate::gateway::ReqCtx;
use crate::issue::format_expiration;
use crate::sso::{bearer, s256};
use crate::state::Shared;
use crate::util::{Params, random_alnum};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

/// The CLI application's client ids (CN, INTL).
pub const OAUTH_CLIENT_IDS: [&str; 2] = ["4038181954557748008", "4103531455503354461"];
/// The role whose STS credentials `/v1/exchange` hands out (created when first needed).
pub const OAUTH_ROLE: &str = "AliyunCLIOAuthUser";

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    expires_at: DateTime<Utc>,
}

struct Access {
    expires_at: DateTime<Utc>,
    revoked: bool,
}

/// OAuth settings the admin API can change.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct OAuthSettings {
    /// `approve` (default: the authorize page redirects with a code) or `deny` (redirects
    /// with `error=access_denied`).
    #[serde(default)]
    pub decision: Option<String>,
    /// Access-token lifetime (default 10800 s).
    #[serde(default)]
    pub access_token_lifetime_seconds: Option<u64>,
}

pub(crate) struct OAuthState {
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    /// Live refresh tokens; a used one is removed (rotation).
    refresh: HashMap<String, ()>,
    /// Every access and refresh token handed out (for tests' secret scans).
    pub issued_tokens: Vec<String>,
    deny: bool,
    access_lifetime: u64,
}

impl Default for OAuthState {
    fn default() -> Self {
        OAuthState {
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            issued_tokens: Vec::new(),
            deny: false,
            access_lifetime: 10_800,
        }
    }
}

impl OAuthState {
    pub(crate) fn apply(&mut self, s: &OAuthSettings) -> Result<(), crate::error::ApiError> {
        match s.decision.as_deref() {
            None => {}
            Some("approve") => self.deny = false,
            Some("deny") => self.deny = true,
            Some(_) => {
                return Err(crate::error::ApiError::bad(
                    "InvalidParameter.Decision",
                    "decision is approve or deny",
                ));
            }
        }
        if let Some(v) = s.access_token_lifetime_seconds {
            self.access_lifetime = v.max(1);
        }
        Ok(())
    }

    /// Expires access tokens (and with `refresh`, drops refresh tokens); `revoke` revokes
    /// every access token and drops every refresh token.
    pub(crate) fn end_tokens(&mut self, now: DateTime<Utc>, revoke: bool, refresh: bool) {
        for a in self.access.values_mut() {
            if revoke {
                a.revoked = true;
            } else {
                a.expires_at = a.expires_at.min(now - Duration::seconds(1));
            }
        }
        if revoke || refresh {
            self.refresh.clear();
        }
    }

    /// A new access and refresh token pair.
    pub(crate) fn issue(&mut self, now: DateTime<Utc>) -> (String, String) {
        let access = format!("oat_{}", random_alnum(48));
        let refresh = format!("ort_{}", random_alnum(48));
        self.access.insert(
            access.clone(),
            Access {
                expires_at: crate::sso::after_secs(now, self.access_lifetime),
                revoked: false,
            },
        );
        self.refresh.insert(refresh.clone(), ());
        self.issued_tokens.push(access.clone());
        self.issued_tokens.push(refresh.clone());
        (access, refresh)
    }

    /// Number of refresh tokens that are still live.
    pub(crate) fn live_refresh_tokens(&self) -> usize {
        self.refresh.len()
    }
}

fn oauth_error(status: u16, error: &str, description: &str, rid: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({ "error": error, "error_description": description, "requestId": rid });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn page(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<!doctype html><title>fakecloud sign-in</title><p>{text}</p>"),
    )
        .into_response()
}

/// Only the CLI application's registered redirect URIs: loopback ports 12345–12349.
fn valid_redirect(uri: &str) -> bool {
    uri.strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.strip_suffix("/cli/callback"))
        .and_then(|p| p.parse::<u16>().ok())
        .is_some_and(|p| (12345..=12349).contains(&p))
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `GET /oauth2/v1/auth`: the browser step. Redirects to the callback with a code (or with
/// `error=access_denied` when the admin set `decision: deny`).
pub(crate) async fn authorize(State(s): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let mut p = Params::default();
    if !p.extend_from_urlencoded(q.as_deref().unwrap_or("")) {
        return page(StatusCode::BAD_REQUEST, "Malformed query.");
    }
    let get = |k: &str| p.non_empty(k).unwrap_or("").to_owned();
    let (client_id, redirect_uri, state, challenge) = (
        get("client_id"),
        get("redirect_uri"),
        get("state"),
        get("code_challenge"),
    );
    if get("response_type") != "code" || !OAUTH_CLIENT_IDS.contains(&client_id.as_str()) {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request: response_type must be code and client_id the CLI application.",
        );
    }
    if !valid_redirect(&redirect_uri) {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request: redirect_uri is not registered for this application.",
        );
    }
    if get("code_challenge_method") != "S256" || challenge.len() != 43 {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request: an S256 code_challenge is required.",
        );
    }
    let mut w = s.lock();
    let now = w.now();
    let location = if w.oauth.deny {
        format!(
            "{redirect_uri}?error=access_denied&error_description={}&state={}",
            enc("The user denied the authorization."),
            enc(&state)
        )
    } else {
        let code = random_alnum(32);
        w.oauth.codes.retain(|_, c| c.expires_at > now);
        w.oauth.codes.insert(
            code.clone(),
            Code {
                client_id,
                redirect_uri: redirect_uri.clone(),
                challenge,
                expires_at: now + Duration::minutes(10),
            },
        );
        format!("{redirect_uri}?code={code}&state={}", enc(&state))
    };
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `POST /v1/token` (form-encoded).
pub(crate) async fn token(
    State(s): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    body: Bytes,
) -> Response {
    let rid = &ctx.request_id;
    let mut p = Params::default();
    if !std::str::from_utf8(&body).is_ok_and(|b| p.extend_from_urlencoded(b)) {
        return oauth_error(400, "invalid_request", "Malformed form body.", rid);
    }
    let get = |k: &str| p.non_empty(k).unwrap_or("").to_owned();
    let client_id = get("client_id");
    if !OAUTH_CLIENT_IDS.contains(&client_id.as_str()) {
        return oauth_error(401, "invalid_client", "Unknown client_id.", rid);
    }
    let mut w = s.lock();
    let now = w.now();
    let o = &mut w.oauth;
    match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(c) = o.codes.remove(&get("code")) else {
                return oauth_error(400, "invalid_grant", "The code is invalid or used.", rid);
            };
            if c.expires_at <= now
                || c.client_id != client_id
                || c.redirect_uri != get("redirect_uri")
                || s256(&get("code_verifier")) != c.challenge
            {
                return oauth_error(
                    400,
                    "invalid_grant",
                    "The code has expired or does not match redirect_uri/code_verifier.",
                    rid,
                );
            }
        }
        "refresh_token" => {
            if o.refresh.remove(&get("refresh_token")).is_none() {
                return oauth_error(
                    400,
                    "invalid_grant",
                    "The refresh token is invalid, used or revoked.",
                    rid,
                );
            }
        }
        _ => {
            return oauth_error(
                400,
                "unsupported_grant_type",
                "grant_type is authorization_code or refresh_token.",
                rid,
            );
        }
    }
    let (access, refresh) = o.issue(now);
    let body = json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": o.access_lifetime,
        "token_type": "Bearer",
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /v1/exchange`: STS credentials for the bearer.
pub(crate) async fn exchange(
    State(s): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
) -> Response {
    let rid = &ctx.request_id;
    let mut w = s.lock();
    let now = w.now();
    let check = match bearer(&headers).map(|t| w.oauth.access.get(t)) {
        None => Err(("invalid_request", "A Bearer access token is required.")),
        Some(None) => Err(("invalid_token", "The access token is invalid.")),
        Some(Some(a)) if a.revoked => Err(("invalid_token", "The access token was revoked.")),
        Some(Some(a)) if a.expires_at <= now => {
            Err(("expired_token", "The access token has expired."))
        }
        Some(Some(_)) => Ok(()),
    };
    if let Err((e, d)) = check {
        return oauth_error(401, e, d, rid);
    }
    let account = w.default_account.clone();
    if w.role(&account, OAUTH_ROLE).is_err()
        && let Err(e) = w.create_role(&account, OAUTH_ROLE, 3600)
    {
        return oauth_error(500, "server_error", &e.message, rid);
    }
    match w.issue_sts(
        &account,
        OAUTH_ROLE,
        "oauth-user",
        3600,
        "OAuth",
        ctx.cred_fault,
    ) {
        Ok(c) => {
            let body = json!({
                "AccessKeyId": c.id,
                "AccessKeySecret": c.secret,
                "SecurityToken": c.token,
                "Expiration": format_expiration(c.expiration, ctx.cred_fault),
            });
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
        Err(e) => oauth_error(500, "server_error", &e.message, rid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_only_to_the_registered_ports() {
        assert!(valid_redirect("http://127.0.0.1:12345/cli/callback"));
        assert!(valid_redirect("http://127.0.0.1:12349/cli/callback"));
        assert!(!valid_redirect("http://127.0.0.1:12350/cli/callback"));
        assert!(!valid_redirect("http://evil.example:12345/cli/callback"));
        assert!(!valid_redirect("http://127.0.0.1:12345/other"));
    }
}
