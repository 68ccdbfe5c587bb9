//! Console federation (docs/console.md): `GetSigninToken` turns STS
//! credentials into a sign-in token, and the `Login` URL built from it signs
//! the browser in to the console.
//!
//! - `POST {endpoint}` form `Action=GetSigninToken&AccessKeyId&AccessKeySecret&
//!   SecurityToken&TicketType=mini`, no signature → `{RequestId, SigninToken}`;
//!   errors are JSON `{Code, Message}` with a 4xx. Only STS credentials work.
//! - `GET {endpoint}?Action=Login&LoginUrl&Destination&SigninToken`, each
//!   value URL-encoded → 302 to Destination, a console address.
//!
//! The token works once, for 30 s, and the Login URL carrying it is a bearer
//! secret for that long: both stay in [`Sensitive`].

use super::{endpoint_label, json_reason, network, scrub};
use crate::credentials::Credentials;
use crate::providers::{ProviderContext, ProviderError};
use crate::sensitive::Sensitive;
use serde::Deserialize;
use std::time::Duration;
use url::Url;

const SERVICE: &str = "console federation";

/// The China site's federation endpoint.
pub const CN_ENDPOINT: &str = "https://signin.aliyun.com/federation";
/// The international site's.
pub const INTL_ENDPOINT: &str = "https://signin.alibabacloud.com/federation";
/// The console home on each site: the default destination.
pub const CN_CONSOLE_HOME: &str = "https://home.console.aliyun.com/";
pub const INTL_CONSOLE_HOME: &str = "https://home.console.alibabacloud.com/";
/// How long a sign-in token (and so a Login URL) works, once.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(30);
/// The path under a loopback federation endpoint's origin where a console
/// emulator (alicred-fakecloud) serves its console pages; only there is a
/// destination outside the real console domains accepted.
pub const LOOPBACK_CONSOLE_PATH: &str = "/console/";

/// The console domains of both sites.
const CONSOLE_DOMAINS: [&str; 2] = ["console.aliyun.com", "console.alibabacloud.com"];

#[derive(Deserialize)]
struct TokenWire {
    #[serde(rename = "SigninToken")]
    signin_token: Option<Sensitive>,
}

#[derive(Deserialize)]
struct ErrorWire {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

/// Is `u` an address of the Alibaba Cloud console (https, a host under
/// `console.aliyun.com` or `console.alibabacloud.com`, no userinfo)? With a
/// loopback federation `endpoint` (tests, the demo), the emulator's own
/// console pages on that endpoint's origin count too.
pub fn is_console_address(u: &Url, endpoint: &Url) -> bool {
    if !u.username().is_empty() || u.password().is_some() {
        return false;
    }
    if u.scheme() == "https"
        && u.port().is_none()
        && let Some(url::Host::Domain(h)) = u.host()
    {
        let h = h.to_ascii_lowercase();
        return CONSOLE_DOMAINS
            .iter()
            .any(|d| h == *d || h.ends_with(&format!(".{d}")));
    }
    is_loopback(endpoint)
        && u.scheme() == endpoint.scheme()
        && u.host() == endpoint.host()
        && u.port_or_known_default() == endpoint.port_or_known_default()
        && u.path().starts_with(LOOPBACK_CONSOLE_PATH)
}

/// Does `u` point at this machine (127.0.0.0/8, ::1)?
pub fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The console home that goes with a federation endpoint: the
/// international one for `signin.alibabacloud.com`, the emulator's for a
/// loopback endpoint, the China site's otherwise.
pub fn console_home(endpoint: &Url) -> Url {
    if is_loopback(endpoint) {
        let mut u = endpoint.clone();
        u.set_path(&format!("{LOOPBACK_CONSOLE_PATH}home"));
        u.set_query(None);
        u.set_fragment(None);
        return u;
    }
    let intl = endpoint
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case("signin.alibabacloud.com"));
    let home = if intl {
        INTL_CONSOLE_HOME
    } else {
        CN_CONSOLE_HOME
    };
    Url::parse(home).expect("constant URL")
}

/// Calls `GetSigninToken` with STS credentials `creds`.
pub async fn get_signin_token(
    ctx: &ProviderContext,
    endpoint: &Url,
    creds: &Credentials,
) -> Result<Sensitive, ProviderError> {
    let Some(token) = &creds.security_token else {
        return Err(ProviderError::Config(
            "console sign-in needs STS credentials (with a security token); these are a long-term AccessKey".into(),
        ));
    };
    let form = [
        ("Action", "GetSigninToken"),
        ("AccessKeyId", creds.access_key_id.as_str()),
        ("AccessKeySecret", creds.access_key_secret.expose()),
        ("SecurityToken", token.expose()),
        ("TicketType", "mini"),
    ];
    let label = endpoint_label(endpoint);
    let resp = ctx
        .http
        .post(endpoint.clone())
        .form(&form)
        .send()
        .await
        .map_err(|e| network(&label, e))?;
    let status = resp.status().as_u16();
    let body = super::http::read_capped(resp, SERVICE, &label).await?;
    let secrets = [
        creds.access_key_secret.expose().to_string(),
        token.expose().to_string(),
    ];
    parse_token_reply(status, &body, &secrets)
}

/// A `GetSigninToken` reply as the token; `secrets` (what was sent) are
/// scrubbed from upstream text. Pure so it can be tested (and fuzzed).
pub fn parse_token_reply(
    status: u16,
    body: &[u8],
    secrets: &[String],
) -> Result<Sensitive, ProviderError> {
    if !(200..300).contains(&status) {
        let e: Option<ErrorWire> = serde_json::from_slice(body).ok();
        let code = e
            .as_ref()
            .and_then(|e| e.code.as_deref().map(|c| scrub(c, secrets)))
            .unwrap_or_else(|| format!("HTTP{status}"));
        // Only the error shape's own text: any other body is never echoed.
        let message = e
            .and_then(|e| e.message)
            .map(|m| scrub(&m, secrets))
            .unwrap_or_else(|| format!("HTTP {status} with a body that is not the error shape"));
        return Err(ProviderError::Upstream {
            service: SERVICE.into(),
            status,
            code,
            message,
        });
    }
    let w: TokenWire = serde_json::from_slice(body).map_err(|e| ProviderError::Malformed {
        service: SERVICE.into(),
        reason: json_reason(&e),
    })?;
    match w.signin_token {
        Some(t) if !t.is_empty() && t.expose().len() <= 16 * 1024 => Ok(t),
        _ => Err(ProviderError::Malformed {
            service: SERVICE.into(),
            reason: "SigninToken is missing or empty".into(),
        }),
    }
}

/// The `Login` URL for `token`: a bearer secret for [`TOKEN_LIFETIME`].
pub fn login_url(
    endpoint: &Url,
    token: &Sensitive,
    destination: &Url,
    come_back: &Url,
) -> Sensitive {
    let mut u = endpoint.clone();
    u.set_fragment(None);
    u.set_query(None);
    u.query_pairs_mut()
        .append_pair("Action", "Login")
        .append_pair("LoginUrl", come_back.as_str())
        .append_pair("Destination", destination.as_str())
        .append_pair("SigninToken", token.expose());
    Sensitive::new(String::from(u))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn console_addresses() {
        let real = url(CN_ENDPOINT);
        for ok in [
            "https://home.console.aliyun.com/",
            "https://ecs.console.aliyun.com/#/server/region/cn-hangzhou",
            "https://console.alibabacloud.com/",
            "https://RAM.Console.Aliyun.com/overview",
        ] {
            assert!(is_console_address(&url(ok), &real), "{ok}");
        }
        for bad in [
            "http://home.console.aliyun.com/",
            "https://console.aliyun.com.evil.example/",
            "https://evilconsole.aliyun.com/",
            "https://user@home.console.aliyun.com/",
            "https://home.console.aliyun.com:8443/",
            "https://aliyun.com/",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "http://127.0.0.1:9/console/home",
        ] {
            assert!(!is_console_address(&url(bad), &real), "{bad}");
        }
        let emu = url("http://127.0.0.1:4000/federation");
        assert!(is_console_address(
            &url("http://127.0.0.1:4000/console/home"),
            &emu
        ));
        assert!(!is_console_address(
            &url("http://127.0.0.1:4001/console/home"),
            &emu
        ));
        assert!(!is_console_address(
            &url("http://127.0.0.1:4000/_admin/state"),
            &emu
        ));
    }

    #[test]
    fn homes_follow_the_site() {
        assert_eq!(console_home(&url(CN_ENDPOINT)).as_str(), CN_CONSOLE_HOME);
        assert_eq!(
            console_home(&url(INTL_ENDPOINT)).as_str(),
            INTL_CONSOLE_HOME
        );
        assert_eq!(
            console_home(&url("http://127.0.0.1:4000/federation")).as_str(),
            "http://127.0.0.1:4000/console/home"
        );
    }

    #[test]
    fn the_login_url_encodes_every_value() {
        let u = login_url(
            &url(CN_ENDPOINT),
            &Sensitive::new("tok+/= &x"),
            &url("https://ecs.console.aliyun.com/?a=1&b=2#/x"),
            &url("https://home.console.aliyun.com/"),
        );
        let parsed = url(u.expose());
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert_eq!(pairs[0], ("Action".into(), "Login".into()));
        assert_eq!(pairs[2].1, "https://ecs.console.aliyun.com/?a=1&b=2#/x");
        assert_eq!(pairs[3], ("SigninToken".into(), "tok+/= &x".into()));
        assert_eq!(pairs.len(), 4);
    }

    #[test]
    fn replies_are_parsed_without_echoing_secrets() {
        let t = parse_token_reply(200, br#"{"RequestId":"r","SigninToken":"abc"}"#, &[])
            .expect("token");
        assert_eq!(t.expose(), "abc");
        for garbage in [
            &b"<html>oops</html>"[..],
            b"{}",
            br#"{"SigninToken":""}"#,
            b"",
        ] {
            let e = parse_token_reply(200, garbage, &[]).expect_err("garbage");
            assert!(matches!(e, ProviderError::Malformed { .. }), "{e}");
        }
        let e = parse_token_reply(
            400,
            br#"{"Code":"InvalidSecurityToken","Message":"bad token hunter2-secret"}"#,
            &["hunter2-secret".into()],
        )
        .expect_err("refused");
        let s = e.to_string();
        assert!(s.contains("InvalidSecurityToken"), "{s}");
        assert!(!s.contains("hunter2"), "{s}");
        let e = parse_token_reply(500, b"secret stack trace", &[]).expect_err("500");
        assert!(!e.to_string().contains("stack"), "{e}");
    }
}
