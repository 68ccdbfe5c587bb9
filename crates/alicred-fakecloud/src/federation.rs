//! Console federation (`/federation`): `GetSigninToken` (POST form or query, no signature;
//! STS credentials this emulator issued and that are still valid only) answers
//! `{RequestId, SigninToken}`, a token that works once, for 30 s. `Login` (GET) spends the
//! token and answers 302 to `Destination` when that is a console address, setting a session
//! cookie the emulator's own console page (`/console/...`) recognises. Errors are JSON
//! `{Code, Message, RequestId}` with a 4xx (a Login error is a small page).

use crate::gateway::ReqCtx;
use crate::state::Shared;
use crate::util::{Params, random_alnum};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::HashMap;

/// How long a sign-in token works (once).
pub const SIGNIN_TOKEN_SECONDS: i64 = 30;
const COOKIE: &str = "fakecloud_console";

struct Ticket {
    /// The principal (`acs:ram::…:assumed-role/<role>/<session>`).
    arn: String,
    /// The console session lasts as long as the STS credentials.
    session_end: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct FederationState {
    tickets: HashMap<String, Ticket>,
    /// Console sessions by cookie value.
    sessions: HashMap<String, (String, DateTime<Utc>)>,
    /// Every sign-in token handed out (for tests' secret scans).
    pub issued_tokens: Vec<String>,
    /// Successful `Login`s.
    pub logins: u64,
}

fn error(status: u16, code: &str, message: &str, rid: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({ "Code": code, "Message": message, "RequestId": rid });
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!(
            "<!doctype html><title>{title}</title><h1>{title}</h1><p>{}</p>\n",
            escape(text)
        ),
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `/federation`, both actions.
pub(crate) async fn federation(
    State(s): State<Shared>,
    Extension(ctx): Extension<ReqCtx>,
    method: Method,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let rid = &ctx.request_id;
    let mut p = Params::default();
    let query_ok = p.extend_from_urlencoded(q.as_deref().unwrap_or(""));
    let body_ok = std::str::from_utf8(&body).is_ok_and(|b| p.extend_from_urlencoded(b));
    if !query_ok || !body_ok {
        return error(400, "InvalidParameter", "Malformed parameters.", rid);
    }
    let (post, get) = (method == Method::POST, method == Method::GET);
    match p.non_empty("Action") {
        Some("GetSigninToken") if post || get => get_signin_token(&s, &p, rid),
        Some("Login") if get => login(&s, &p, &headers),
        Some("GetSigninToken" | "Login") => error(
            405,
            "MethodNotAllowed",
            "GetSigninToken is POST, Login is GET.",
            rid,
        ),
        _ => error(
            400,
            "InvalidAction",
            "Action is GetSigninToken or Login.",
            rid,
        ),
    }
}

fn get_signin_token(s: &Shared, p: &Params, rid: &str) -> Response {
    let get = |k: &str| p.non_empty(k).unwrap_or("").to_owned();
    if get("TicketType") != "mini" {
        return error(
            400,
            "InvalidParameter.TicketType",
            "TicketType must be mini.",
            rid,
        );
    }
    let (id, secret, token) = (
        get("AccessKeyId"),
        get("AccessKeySecret"),
        get("SecurityToken"),
    );
    let mut w = s.lock();
    let now = w.now();
    if w.keys.contains_key(&id) {
        return error(
            400,
            "InvalidAccessKeyId.NotSts",
            "GetSigninToken accepts STS credentials only; long-term AccessKeys cannot sign in to the console.",
            rid,
        );
    }
    let Some(cred) = w.sts.get(&id) else {
        return error(
            400,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
            rid,
        );
    };
    if cred.secret != secret {
        return error(
            400,
            "InvalidAccessKeySecret",
            "The AccessKeySecret does not match.",
            rid,
        );
    }
    if token.is_empty() || cred.token != token {
        return error(
            400,
            "InvalidSecurityToken.Mismatch",
            "The SecurityToken does not match.",
            rid,
        );
    }
    if cred.expiration <= now {
        return error(
            400,
            "InvalidSecurityToken.Expired",
            "The STS credentials have expired.",
            rid,
        );
    }
    let ticket = Ticket {
        arn: cred.caller_arn(),
        session_end: cred.expiration,
        expires_at: now + Duration::seconds(SIGNIN_TOKEN_SECONDS),
    };
    let signin = format!("fst_{}", random_alnum(64));
    let f = &mut w.federation;
    f.tickets.retain(|_, t| t.expires_at > now);
    f.tickets.insert(signin.clone(), ticket);
    f.issued_tokens.push(signin.clone());
    let body = json!({ "RequestId": rid, "SigninToken": signin });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// An Alibaba Cloud console address, or this emulator's own console page (same host).
fn console_address(dest: &str, own_host: Option<&str>) -> bool {
    let Ok(u) = url::Url::parse(dest) else {
        return false;
    };
    if !u.username().is_empty() || u.password().is_some() {
        return false;
    }
    if u.scheme() == "https"
        && u.port().is_none()
        && let Some(url::Host::Domain(h)) = u.host()
    {
        let h = h.to_ascii_lowercase();
        return ["console.aliyun.com", "console.alibabacloud.com"]
            .iter()
            .any(|d| h == *d || h.ends_with(&format!(".{d}")));
    }
    let authority = match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => return false,
    };
    u.scheme() == "http"
        && Some(authority.as_str()) == own_host
        && u.path().starts_with("/console/")
}

fn login(s: &Shared, p: &Params, headers: &HeaderMap) -> Response {
    let get = |k: &str| p.non_empty(k).unwrap_or("").to_owned();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let dest = get("Destination");
    if !console_address(&dest, host) {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "Destination must be an Alibaba Cloud console address.",
        );
    }
    if get("LoginUrl").is_empty() {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "LoginUrl is required.",
        );
    }
    let mut w = s.lock();
    let now = w.now();
    let f = &mut w.federation;
    // Spent whatever happens next: a token works once.
    let Some(t) = f.tickets.remove(&get("SigninToken")) else {
        return page(
            StatusCode::FORBIDDEN,
            "Sign-in failed",
            "The sign-in token is invalid or was used already.",
        );
    };
    if t.expires_at <= now {
        return page(
            StatusCode::FORBIDDEN,
            "Sign-in failed",
            "The sign-in token has expired.",
        );
    }
    let session = random_alnum(32);
    f.sessions.retain(|_, (_, end)| *end > now);
    f.sessions.insert(session.clone(), (t.arn, t.session_end));
    f.logins += 1;
    let mut resp = StatusCode::FOUND.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&dest) {
        h.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={session}; Path=/console; HttpOnly; SameSite=Lax"
    )) {
        h.insert(header::SET_COOKIE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `/console/...`: the emulator's console page; says who is signed in (by the cookie
/// `Login` set), or that nobody is.
pub(crate) async fn console_page(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let session = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(str::to_owned)
        });
    let w = s.lock();
    let now = w.now();
    match session.and_then(|c| w.federation.sessions.get(&c).cloned()) {
        Some((arn, end)) if end > now => page(
            StatusCode::OK,
            "fakecloud console",
            &format!("Signed in as {arn} until {}.", crate::util::iso(end)),
        ),
        _ => page(
            StatusCode::UNAUTHORIZED,
            "fakecloud console",
            "Not signed in. Run `alicred console PROFILE` to sign in.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        let me = Some("127.0.0.1:4000");
        assert!(console_address("https://home.console.aliyun.com/", me));
        assert!(console_address(
            "https://ecs.console.alibabacloud.com/x",
            me
        ));
        assert!(console_address("http://127.0.0.1:4000/console/home", me));
        assert!(!console_address("http://127.0.0.1:4001/console/home", me));
        assert!(!console_address("http://127.0.0.1:4000/_admin/state", me));
        assert!(!console_address("https://evil.example/", me));
        assert!(!console_address(
            "https://console.aliyun.com.evil.example/",
            me
        ));
        assert!(!console_address("javascript:alert(1)", me));
    }
}
