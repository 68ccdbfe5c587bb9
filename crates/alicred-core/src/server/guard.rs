//! Who may talk to the endpoint, and what they may ask for: only alicred's
//! own user ([`FOREIGN_USER`], decided per connection in `http.rs`), GET/HEAD only,
//! no browsers (`Origin`), no DNS rebinding (exactly one `Host`, a loopback
//! literal or `localhost`; an absolute-form target may not name another
//! host), one path shape, and a capability that opens that path only.
//!
//! [`check_request`] is pure (no socket, no engine), so it can be fuzzed.

use super::token::{self, Scope};
use crate::sensitive::Sensitive;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use std::net::IpAddr;

/// What an accepted request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `/<cap>/v1/credentials`: whatever profile is active.
    Active,
    /// `/<cap>/v1/credentials/<profile>`, the segment as sent (its capability
    /// matched, but it may still name no profile).
    Profile(String),
}

/// Why a request is refused: the status and the JSON `Code`/`Message`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: &'static str,
}

const fn refuse(status: StatusCode, code: &'static str, message: &'static str) -> Refusal {
    Refusal {
        status,
        code,
        message,
    }
}

pub const METHOD_NOT_ALLOWED: Refusal = refuse(
    StatusCode::METHOD_NOT_ALLOWED,
    "MethodNotAllowed",
    "only GET and HEAD are allowed",
);
/// Another local user's connection (see [`super::owner`]): refused before
/// its method, headers or path are looked at.
pub const FOREIGN_USER: Refusal = refuse(
    StatusCode::FORBIDDEN,
    "Forbidden",
    "this endpoint answers only the user that runs alicred",
);
const FROM_BROWSER: Refusal = refuse(
    StatusCode::FORBIDDEN,
    "Forbidden",
    "requests from web pages (with an Origin header) are refused",
);
const BAD_HOST: Refusal = refuse(
    StatusCode::FORBIDDEN,
    "Forbidden",
    "the Host header must be 127.0.0.1, [::1] or localhost",
);
const AMBIGUOUS_HOST: Refusal = refuse(
    StatusCode::BAD_REQUEST,
    "BadRequest",
    "the request must carry exactly one Host header, and an absolute URL must name that same loopback host",
);
const NOT_FOUND: Refusal = refuse(
    StatusCode::NOT_FOUND,
    "NotFound",
    "no such endpoint; get the URL with `alicred endpoint`",
);
const BAD_CAPABILITY: Refusal = refuse(
    StatusCode::UNAUTHORIZED,
    "InvalidToken",
    "the token in the URL is wrong, for another profile, or was rotated; get the current URL with `alicred endpoint`",
);

/// Every check the endpoint makes before it looks at credentials, in order:
/// method (405), `Origin` (403), one `Host` and a matching absolute-form
/// authority (400), a loopback `Host` (403), the path shape (404), the
/// capability for exactly that path, compared in constant time (401).
pub fn check_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    agent_token: &Sensitive,
    allow_non_loopback: bool,
) -> Result<Target, Refusal> {
    if method != Method::GET && method != Method::HEAD {
        return Err(METHOD_NOT_ALLOWED);
    }
    if headers.contains_key(header::ORIGIN) {
        return Err(FROM_BROWSER);
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(AMBIGUOUS_HOST);
    }
    let host = match host {
        Some(h) => Some(h.to_str().map_err(|_| BAD_HOST)?),
        None => None,
    };
    // Absolute form (`GET http://host/...`): it overrides `Host`, so it must
    // be plain http, name an allowed host, and agree with `Host` if sent.
    let host = match uri.authority() {
        Some(auth) => {
            let auth = auth.as_str();
            let same = host.is_none_or(|h| h.eq_ignore_ascii_case(auth));
            if uri.scheme_str() != Some("http")
                || auth.contains('@')
                || !same
                || !host_allowed(auth, allow_non_loopback)
            {
                return Err(AMBIGUOUS_HOST);
            }
            auth
        }
        None => host.unwrap_or(""),
    };
    if !host_allowed(host, allow_non_loopback) {
        return Err(BAD_HOST);
    }
    let segs: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let (cap, target) = match segs.as_slice() {
        [cap, "v1", "credentials"] => (*cap, Target::Active),
        [cap, "v1", "credentials", p] => (*cap, Target::Profile((*p).to_string())),
        _ => return Err(NOT_FOUND),
    };
    let scope = match &target {
        Target::Active => Scope::Active,
        Target::Profile(p) => Scope::Profile(p),
    };
    if token::capability_for(agent_token, scope) != Sensitive::new(cap) {
        return Err(BAD_CAPABILITY);
    }
    Ok(target)
}

/// Is this `Host` header acceptable? Loopback literals and `localhost`, with
/// any port; with `allow_non_loopback`, any IP literal too (rebinding needs a
/// DNS name, so literals are safe).
pub fn host_allowed(host: &str, allow_non_loopback: bool) -> bool {
    let Some((name, port)) = split_host(host) else {
        return false;
    };
    if !port.is_empty() && (!port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5) {
        return false;
    }
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || allow_non_loopback,
        Err(_) => false,
    }
}

/// `host[:port]` or `[v6][:port]` → (host, port-or-empty).
fn split_host(h: &str) -> Option<(&str, &str)> {
    if let Some(rest) = h.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = match after {
            "" => "",
            p => p.strip_prefix(':')?,
        };
        return Some((ip, port));
    }
    match h.split_once(':') {
        Some((name, port)) if !port.contains(':') => Some((name, port)),
        Some(_) => None, // a bare IPv6 address is not a valid Host
        None => Some((h, "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn hosts() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:47911",
            "localhost",
            "LOCALHOST:80",
            "[::1]",
            "[::1]:47911",
            "127.0.0.2:1",
        ] {
            assert!(host_allowed(ok, false), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:47911",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "192.168.1.10:47911",
            "::1",
            "[::1]x",
            "127.0.0.1:abc",
            "127.0.0.1:123456",
            "localhost:47911:1",
        ] {
            assert!(!host_allowed(bad, false), "{bad}");
        }
        assert!(host_allowed("192.168.1.10:47911", true));
        assert!(!host_allowed("evil.example", true));
    }

    fn check(uri: &str, hosts: &[&str]) -> Result<Target, Refusal> {
        let token = Sensitive::new("0123456789abcdef0123456789abcdef");
        let mut h = HeaderMap::new();
        for v in hosts {
            h.append(header::HOST, HeaderValue::from_str(v).expect("value"));
        }
        let uri: Uri = uri.parse().expect("uri");
        check_request(&Method::GET, &uri, &h, &token, false)
    }

    fn cap(scope: Scope<'_>) -> String {
        let token = Sensitive::new("0123456789abcdef0123456789abcdef");
        token::capability_for(&token, scope).expose().to_string()
    }

    #[test]
    fn one_host_and_no_foreign_absolute_form() {
        let dev = format!("/{}/v1/credentials/dev", cap(Scope::Profile("dev")));
        assert_eq!(
            check(&dev, &["127.0.0.1:1"]),
            Ok(Target::Profile("dev".into()))
        );
        let two = check(&dev, &["127.0.0.1:1", "evil.example"]);
        assert_eq!(two.map_err(|r| r.status), Err(StatusCode::BAD_REQUEST));
        let two = check(&dev, &["127.0.0.1:1", "127.0.0.1:1"]);
        assert_eq!(two.map_err(|r| r.status), Err(StatusCode::BAD_REQUEST));
        for abs in [
            format!("http://evil.example{dev}"),
            format!("http://evil.example:1{dev}"),
            format!("https://127.0.0.1:1{dev}"),
            format!("http://user@127.0.0.1:1{dev}"),
            format!("http://localhost:1{dev}"), // not the Host sent
        ] {
            let r = check(&abs, &["127.0.0.1:1"]);
            assert_eq!(
                r.map_err(|r| r.status),
                Err(StatusCode::BAD_REQUEST),
                "{abs}"
            );
        }
        let abs = format!("http://evil.example{dev}");
        assert_eq!(
            check(&abs, &[]).map_err(|r| r.status),
            Err(StatusCode::BAD_REQUEST)
        );
        let same = format!("http://127.0.0.1:1{dev}");
        assert!(check(&same, &["127.0.0.1:1"]).is_ok());
        assert!(check(&same, &[]).is_ok());
    }
}
