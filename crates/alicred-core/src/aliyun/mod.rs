//! Alibaba Cloud clients: the RPC v1 signer and the small STS, RAM, KMS and
//! ECS metadata clients the providers (and rotation) are built on.
//!
//! Every client sends through `ProviderContext::http` and reports failures as
//! [`ProviderError`]s whose text never holds a secret.

pub mod endpoints;
pub mod federation;
pub mod http;
pub mod kms;
pub mod metadata;
pub mod oauth;
pub mod ram;
pub mod rpc;
pub mod signer;
pub mod sso;
pub mod sts;

pub use http::{MAX_BODY, read_capped};
pub use sts::{CallerIdentity, verify};

use crate::providers::ProviderError;
use url::Url;

/// Why a request failed, without the URL (its query holds the signature and,
/// for STS credentials, the security token).
pub(crate) fn reqwest_reason(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut root: &dyn std::error::Error = &e;
    while let Some(s) = root.source() {
        root = s;
    }
    let cause = root.to_string();
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        format!("connection failed: {cause}")
    } else if e.is_body() || e.is_decode() {
        format!("the response body was cut off: {cause}")
    } else {
        cause
    }
}

pub(crate) fn network(endpoint: &str, e: reqwest::Error) -> ProviderError {
    ProviderError::Network {
        endpoint: endpoint.to_string(),
        reason: reqwest_reason(e),
    }
}

/// A JSON parse failure described without echoing the input: serde's data
/// errors quote the offending value, which may be a secret.
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let msg = e.to_string();
    match e.classify() {
        Category::Eof => "the JSON ends early (truncated body?)".into(),
        Category::Syntax | Category::Io => {
            format!("not valid JSON (line {}, column {})", e.line(), e.column())
        }
        Category::Data if msg.starts_with("missing field") => msg
            .split(" at line")
            .next()
            .unwrap_or("a field is missing")
            .to_string(),
        Category::Data => format!(
            "a field has the wrong type or value (line {}, column {})",
            e.line(),
            e.column()
        ),
    }
}

/// The endpoint as shown in errors: scheme, host, port and path, no query.
pub(crate) fn endpoint_label(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.to_string()
}

/// The endpoint without its path, for URLs whose path may be a capability
/// (a credentials URI such as alicred's own endpoint).
pub(crate) fn origin_label(url: &Url) -> String {
    match url.host_str() {
        Some(h) => match url.port() {
            Some(p) => format!("{}://{h}:{p}/…", url.scheme()),
            None => format!("{}://{h}/…", url.scheme()),
        },
        None => url.scheme().to_string(),
    }
}

/// `base` with `suffix` appended to its path, so overrides with a path
/// prefix (`http://127.0.0.1:PORT/ecs`) keep it.
pub(crate) fn join_path(base: &Url, suffix: &str) -> Url {
    let mut u = base.clone();
    let path = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        suffix.trim_start_matches('/')
    );
    u.set_path(&path);
    u.set_query(None);
    u
}

/// Replace every occurrence of the given secrets (raw or percent-encoded as
/// they travel) in upstream text, then cap its length.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    // A server's text is shown on terminals and kept in logs: no escapes.
    let mut out = crate::printable::printable(text);
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        let enc = signer::percent_encode(s);
        let enc2 = signer::percent_encode(&enc);
        for form in [s.as_str(), enc.as_str(), enc2.as_str()] {
            if out.contains(form) {
                out = out.replace(form, "[redacted]");
            }
        }
    }
    // The gateway echoes its string-to-sign on SignatureDoesNotMatch; it
    // holds the whole request, so drop it.
    if let Some(i) = out.find("string to sign is") {
        out.truncate(i);
        out.push_str("string to sign withheld");
    }
    if out.chars().count() > 300 {
        out = out.chars().take(300).collect::<String>() + "…";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_prefix() {
        let base = Url::parse("http://127.0.0.1:9/ecs").expect("url");
        assert_eq!(
            join_path(&base, "/latest/api/token").as_str(),
            "http://127.0.0.1:9/ecs/latest/api/token"
        );
        let base = Url::parse("http://100.100.100.200").expect("url");
        assert_eq!(
            join_path(&base, "latest/meta-data/").as_str(),
            "http://100.100.100.200/latest/meta-data/"
        );
    }

    #[test]
    fn scrub_removes_secrets_and_string_to_sign() {
        let s = scrub(
            "bad token CAIS+abc/def== and CAIS%2Babc%2Fdef%3D%3D; server string to sign is:GET&...",
            &["CAIS+abc/def==".to_string()],
        );
        assert!(!s.contains("CAIS"), "{s}");
        assert!(!s.contains("GET&"), "{s}");
    }

    #[test]
    fn json_reason_never_quotes_values() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            n: u32,
        }
        let e = serde_json::from_str::<T>(r#"{"n":"hunter2-secret"}"#).expect_err("type error");
        assert!(!json_reason(&e).contains("hunter2"));
        let e = serde_json::from_str::<T>(r#"{}"#).expect_err("missing");
        assert_eq!(json_reason(&e), "missing field `n`");
    }

    #[test]
    fn origin_label_hides_path() {
        let u = Url::parse("http://127.0.0.1:47911/tok3n/v1/credentials").expect("url");
        assert_eq!(origin_label(&u), "http://127.0.0.1:47911/…");
    }
}
