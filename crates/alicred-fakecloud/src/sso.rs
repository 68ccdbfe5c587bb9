//! CloudSSO portal API, the sign-in half: device authorization (PKCE S256) and token
//! polling (the signed-in calls are in `sso_portal.rs`). Paths are at the root of the
//! portal host, as the aliyun CLI and the credentials SDKs call them. Errors are non-2xx
//! `{ErrorCode, ErrorMessage, RequestId}`.

// Handlers return the error `Response` itself; it is built once per request.
#![allow(clippy::result_large_err)]

use crate::gateway::ReqCtx;
use crate::state::Shared;
use crate::util::{random_alnum, random_base64};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The device-code grant type the portal accepts.
pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One access configuration an account is assigned, and the role it maps to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoAccessConfig {
    /// `ac-…` id.
    pub id: String,
    /// Display name, e.g. `Admin`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// RAM role (created if missing) whose STS credentials `/cloud-credentials` returns.
    #[serde(default)]
    pub role_name: Option<String>,
}

/// One account the signed-in user is assigned, with its access configurations.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoAssignment {
    /// Account id (digits).
    pub account_id: String,
    /// The account's display name.
    pub display_name: String,
    /// Access configurations in this account.
    pub access_configurations: Vec<SsoAccessConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DeviceStatus {
    Pending,
    Approved,
    Denied,
}

pub(crate) struct DeviceAuth {
    pub user_code: String,
    challenge: String,
    client_id: String,
    pub expires_at: DateTime<Utc>,
    pub status: DeviceStatus,
}

pub(crate) struct SsoToken {
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) revoked: bool,
}

/// Portal settings the admin API can change.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SsoSettings {
    /// Approve every device authorization as soon as it is made (the demo).
    #[serde(default)]
    pub auto_approve: Option<bool>,
    /// Access-token lifetime (default 28800 s).
    #[serde(default)]
    pub token_lifetime_seconds: Option<u64>,
    /// Device-code lifetime (default 600 s).
    #[serde(default)]
    pub device_code_lifetime_seconds: Option<u64>,
    /// The polling `Interval` handed out (default 1 s).
    #[serde(default)]
    pub interval_seconds: Option<u64>,
    /// Most items per page of either list, whatever `MaxResults` asks (default 2, so that
    /// clients must follow `NextToken`).
    #[serde(default)]
    pub page_size: Option<usize>,
}

pub(crate) struct SsoState {
    pub assignments: Vec<SsoAssignment>,
    pub devices: HashMap<String, DeviceAuth>,
    pub(crate) tokens: HashMap<String, SsoToken>,
    /// Every access token handed out (for tests' secret scans).
    pub issued_tokens: Vec<String>,
    pub auto_approve: bool,
    token_lifetime: u64,
    device_lifetime: u64,
    interval: u64,
    pub(crate) page_size: usize,
}

impl Default for SsoState {
    fn default() -> Self {
        SsoState {
            assignments: Vec::new(),
            devices: HashMap::new(),
            tokens: HashMap::new(),
            issued_tokens: Vec::new(),
            auto_approve: false,
            token_lifetime: 28_800,
            device_lifetime: 600,
            interval: 1,
            page_size: 2,
        }
    }
}

impl SsoState {
    /// A new access token, as an approved sign-in gets.
    pub(crate) fn issue(&mut self, now: DateTime<Utc>) -> String {
        let token = format!("eyJ{}", random_base64(90).replace(['+', '/', '='], "x"));
        self.issued_tokens.push(token.clone());
        self.tokens.insert(
            token.clone(),
            SsoToken {
                expires_at: after_secs(now, self.token_lifetime),
                revoked: false,
            },
        );
        token
    }

    pub(crate) fn apply(&mut self, s: &SsoSettings) {
        if let Some(v) = s.auto_approve {
            self.auto_approve = v;
        }
        if let Some(v) = s.token_lifetime_seconds {
            self.token_lifetime = v.max(1);
        }
        if let Some(v) = s.device_code_lifetime_seconds {
            self.device_lifetime = v.max(1);
        }
        if let Some(v) = s.interval_seconds {
            self.interval = v;
        }
        if let Some(v) = s.page_size {
            self.page_size = v.max(1);
        }
    }
}

/// A portal error: `{ErrorCode, ErrorMessage, RequestId}`.
pub(crate) fn error(status: u16, code: &str, message: &str, rid: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({ "ErrorCode": code, "ErrorMessage": message, "RequestId": rid });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) fn ok(mut v: Value, rid: &str) -> Response {
    if let Value::Object(m) = &mut v {
        m.insert("RequestId".into(), json!(rid));
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// base64url(SHA-256(verifier)) without padding, as RFC 7636 S256.
pub(crate) fn s256(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .filter(|t| !t.is_empty())
}

pub(crate) fn host_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn user_code() -> String {
    let a = random_alnum(8).to_ascii_uppercase();
    format!("{}-{}", &a[..4], &a[4..])
}

pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(
    body: &Bytes,
    rid: &str,
) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|_| {
        error(
            400,
            "InvalidParameter",
            "The request body is not the expected JSON.",
            rid,
        )
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeviceReq {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

pub(crate) async fn device_authorization(
    State(s): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rid = &ctx.request_id;
    let r: DeviceReq = match parse_body(&body, rid) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if r.client_id.is_empty() {
        return error(400, "MissingClientId", "ClientId is mandatory.", rid);
    }
    if r.code_challenge_method != "S256" || r.code_challenge.len() != 43 {
        return error(
            400,
            "InvalidParameter.CodeChallenge",
            "CodeChallenge must be an S256 PKCE challenge (CodeChallengeMethod S256).",
            rid,
        );
    }
    let mut w = s.lock();
    let now = w.now();
    let sso = &mut w.sso;
    let device_code = random_alnum(40);
    let code = user_code();
    let status = if sso.auto_approve {
        DeviceStatus::Approved
    } else {
        DeviceStatus::Pending
    };
    sso.devices.retain(|_, d| d.expires_at > now);
    sso.devices.insert(
        device_code.clone(),
        DeviceAuth {
            user_code: code.clone(),
            challenge: r.code_challenge,
            client_id: r.client_id,
            expires_at: after_secs(now, sso.device_lifetime),
            status,
        },
    );
    let base = host_base(&headers);
    ok(
        json!({
            "DeviceCode": device_code,
            "UserCode": code,
            "VerificationUri": format!("{base}/device"),
            "VerificationUriComplete": format!("{base}/device?user_code={code}"),
            "Interval": sso.interval,
            "ExpiresIn": sso.device_lifetime,
        }),
        rid,
    )
}

/// `now + n` seconds, saturating: a test may set an absurd lifetime (up to
/// `u64::MAX`) to see what a client makes of it on the wire; the emulator
/// itself must not overflow on it.
pub(crate) fn after_secs(now: DateTime<Utc>, n: u64) -> DateTime<Utc> {
    i64::try_from(n)
        .ok()
        .and_then(Duration::try_seconds)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TokenReq {
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    device_code: String,
    #[serde(default)]
    grant_type: String,
}

pub(crate) async fn token(
    State(s): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    body: Bytes,
) -> Response {
    let rid = &ctx.request_id;
    let r: TokenReq = match parse_body(&body, rid) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if r.grant_type != DEVICE_GRANT {
        return error(
            400,
            "UnsupportedGrantType",
            "GrantType must be the device_code grant.",
            rid,
        );
    }
    let mut w = s.lock();
    let now = w.now();
    let sso = &mut w.sso;
    let invalid = || {
        error(
            400,
            "InvalidDeviceCodeError",
            "The device code is invalid or has expired.",
            rid,
        )
    };
    let Some(d) = sso.devices.get(&r.device_code) else {
        return invalid();
    };
    if d.expires_at <= now {
        sso.devices.remove(&r.device_code);
        return invalid();
    }
    if d.client_id != r.client_id || s256(&r.code_verifier) != d.challenge {
        return error(
            400,
            "InvalidGrant",
            "The CodeVerifier or ClientId does not match the device authorization.",
            rid,
        );
    }
    match d.status {
        DeviceStatus::Pending => error(
            400,
            "AuthorizationPending",
            "The user has not yet approved the sign-in.",
            rid,
        ),
        DeviceStatus::Denied => {
            sso.devices.remove(&r.device_code);
            error(
                400,
                "AccessDenied",
                "The user denied the sign-in request.",
                rid,
            )
        }
        DeviceStatus::Approved => {
            sso.devices.remove(&r.device_code);
            let token = sso.issue(now);
            ok(
                json!({ "AccessToken": token, "ExpiresIn": sso.token_lifetime, "TokenType": "Bearer" }),
                rid,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_vector() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
