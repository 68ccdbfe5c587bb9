//! OAuth client (docs/protocols.md, "Sign-ins"): the authorization URL, `/v1/token` (authorization-code
//! and refresh-token grants) and `/v1/exchange` (STS for the bearer).
//!
//! Errors are `{error, error_description}`; `invalid_grant` on refresh and a 401 on
//! exchange mean the sign-in is over (expired or revoked).

use super::{endpoint_label, json_reason, network, scrub};
use crate::credentials::Credentials;
use crate::providers::{ProviderContext, ProviderError};
use crate::sensitive::Sensitive;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

const SERVICE: &str = "OAuth";

/// Tokens from `/v1/token`.
#[derive(Clone, Debug)]
pub struct OAuthTokens {
    pub access_token: Sensitive,
    pub refresh_token: Sensitive,
    /// `expires_in` after the reply, clamped (crate::clamp): a server's
    /// absurd lifetime is not a panic.
    pub expires_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct TokenWire {
    access_token: Sensitive,
    refresh_token: Sensitive,
    #[serde(default = "default_expires_in")]
    expires_in: u64,
}

fn default_expires_in() -> u64 {
    3600
}

#[derive(Deserialize)]
struct ErrorWire {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// The browser step's URL (`{sign_in}/oauth2/v1/auth?...`).
pub fn authorization_url(
    sign_in: &Url,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
) -> Url {
    let mut u = super::join_path(sign_in, "oauth2/v1/auth");
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    u
}

#[derive(Clone, Debug)]
pub struct OAuthClient {
    ctx: ProviderContext,
    endpoint: Url,
    client_id: String,
}

impl OAuthClient {
    pub fn new(ctx: &ProviderContext, endpoint: Url, client_id: &str) -> Self {
        Self {
            ctx: ctx.clone(),
            endpoint,
            client_id: client_id.to_string(),
        }
    }

    fn label(&self) -> String {
        endpoint_label(&self.endpoint)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), ProviderError> {
        let resp = req.send().await.map_err(|e| network(&self.label(), e))?;
        let status = resp.status().as_u16();
        let body = super::http::read_capped(resp, SERVICE, &self.label()).await?;
        Ok((status, body))
    }

    fn error_of(status: u16, body: &[u8], secrets: &[String]) -> (String, String) {
        let e: Option<ErrorWire> = serde_json::from_slice(body).ok();
        let code = e
            .as_ref()
            .and_then(|e| e.error.as_deref().map(|c| scrub(c, secrets)))
            .unwrap_or_else(|| format!("HTTP{status}"));
        // Only the error shape's own text, scrubbed: another body (it may
        // hold anything, credentials too) is never echoed (found by fuzzing).
        let msg = e
            .and_then(|e| e.error_description)
            .map(|m| scrub(&m, secrets))
            .unwrap_or_else(|| format!("HTTP {status} with a body that is not the error shape"));
        (code, msg)
    }

    async fn token(
        &self,
        form: &[(&str, &str)],
        secrets: &[String],
    ) -> Result<OAuthTokens, ProviderError> {
        let req = self
            .ctx
            .http
            .post(super::join_path(&self.endpoint, "v1/token"))
            .form(form);
        let (status, bytes) = self.send(req).await?;
        parse_token_reply(status, &bytes, secrets, self.ctx.clock.now())
    }

    /// `grant_type=authorization_code`.
    pub async fn exchange_code(
        &self,
        code: &Sensitive,
        redirect_uri: &str,
        verifier: &Sensitive,
    ) -> Result<OAuthTokens, ProviderError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.expose()),
        ];
        self.token(&form, &[code.expose().to_string()]).await
    }

    /// `grant_type=refresh_token`. The answer carries a new refresh token: the old
    /// one is spent.
    pub async fn refresh(&self, refresh_token: &Sensitive) -> Result<OAuthTokens, ProviderError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", self.client_id.as_str()),
        ];
        self.token(&form, &[refresh_token.expose().to_string()])
            .await
    }

    /// `POST /v1/exchange`: STS credentials for the access token.
    pub async fn exchange(&self, access_token: &Sensitive) -> Result<Credentials, ProviderError> {
        let req = self
            .ctx
            .http
            .post(super::join_path(&self.endpoint, "v1/exchange"))
            .header("Content-Type", "application/json")
            .bearer_auth(access_token.expose());
        let (status, bytes) = self.send(req).await?;
        let secrets = [access_token.expose().to_string()];
        parse_exchange_reply(status, &bytes, &secrets, self.ctx.clock.now())
    }
}

/// A `/v1/token` reply received at `now` as the tokens; `secrets` (the code
/// or refresh token sent) are scrubbed from upstream text. Pure so it can be
/// fuzzed.
pub fn parse_token_reply(
    status: u16,
    bytes: &[u8],
    secrets: &[String],
    now: DateTime<Utc>,
) -> Result<OAuthTokens, ProviderError> {
    if !(200..300).contains(&status) {
        let (code, message) = OAuthClient::error_of(status, bytes, secrets);
        if code == "invalid_grant" {
            return Err(ProviderError::NeedsUser(
                "the OAuth sign-in has expired or was revoked".into(),
            ));
        }
        return Err(ProviderError::Upstream {
            service: SERVICE.into(),
            status,
            code,
            message,
        });
    }
    let w: TokenWire = serde_json::from_slice(bytes).map_err(|e| ProviderError::Malformed {
        service: SERVICE.into(),
        reason: json_reason(&e),
    })?;
    if w.access_token.is_empty() || w.refresh_token.is_empty() {
        return Err(ProviderError::Malformed {
            service: SERVICE.into(),
            reason: "access_token or refresh_token is empty".into(),
        });
    }
    Ok(OAuthTokens {
        access_token: w.access_token,
        refresh_token: w.refresh_token,
        expires_at: crate::clamp::expires_at(now, w.expires_in),
    })
}

/// A `/v1/exchange` reply as STS credentials; `secrets` (the access token)
/// are scrubbed from upstream text. Pure so it can be fuzzed.
pub fn parse_exchange_reply(
    status: u16,
    bytes: &[u8],
    secrets: &[String],
    now: DateTime<Utc>,
) -> Result<Credentials, ProviderError> {
    if status == 401 {
        let (code, _) = OAuthClient::error_of(status, bytes, secrets);
        return Err(ProviderError::NeedsUser(format!(
            "the OAuth sign-in has expired or was revoked ({code})"
        )));
    }
    if !(200..300).contains(&status) {
        let (code, message) = OAuthClient::error_of(status, bytes, secrets);
        return Err(ProviderError::Upstream {
            service: SERVICE.into(),
            status,
            code,
            message,
        });
    }
    let w: super::sts::WireCredentials =
        serde_json::from_slice(bytes).map_err(|e| ProviderError::Malformed {
            service: SERVICE.into(),
            reason: json_reason(&e),
        })?;
    w.into_credentials(SERVICE, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `oauth` fuzz target: a non-2xx body that is not the error
    /// shape was echoed whole, credentials included.
    #[test]
    fn a_body_that_is_not_the_error_shape_is_not_echoed() {
        let body = br#"{"AccessKeyId":"STS.x","AccessKeySecret":"8N5ZqbhSecretValue9x","SecurityToken":"t","Expiration":"2026-11-29T12:00:00Z"}"#;
        let e = parse_exchange_reply(429, body, &[], chrono::Utc::now()).expect_err("429");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("8N5ZqbhSecretValue9x"), "{shown}");
        assert!(shown.contains("HTTP 429"), "{shown}");
        let e = parse_token_reply(500, body, &[], chrono::Utc::now()).expect_err("500");
        assert!(!format!("{e} {e:?}").contains("8N5ZqbhSecretValue9x"));
    }

    /// Issue 18 item 5: `expires_in: i64::MAX` panicked in
    /// `TimeDelta::seconds` where the expiry was computed.
    #[test]
    fn an_absurd_expires_in_is_clamped() {
        let now = chrono::Utc::now();
        for n in ["9223372036854775807", "18446744073709551615"] {
            let body = format!(r#"{{"access_token":"a","refresh_token":"r","expires_in":{n}}}"#);
            let t = parse_token_reply(200, body.as_bytes(), &[], now).expect("tokens");
            assert_eq!(t.expires_at, now + crate::clamp::MAX_LIFETIME);
        }
        let body = br#"{"access_token":"a","refresh_token":"r","expires_in":3600}"#;
        let t = parse_token_reply(200, body, &[], now).expect("tokens");
        assert_eq!(t.expires_at, now + chrono::Duration::hours(1));
    }

    #[test]
    fn authorization_url_has_every_parameter() {
        let u = authorization_url(
            &Url::parse("https://signin.aliyun.com").expect("url"),
            "4038181954557748008",
            "http://127.0.0.1:12345/cli/callback",
            "st",
            "ch",
        );
        let s = u.as_str();
        assert!(s.starts_with("https://signin.aliyun.com/oauth2/v1/auth?response_type=code&client_id=4038181954557748008&redirect_uri=http%3A%2F%2F127.0.0.1%3A12345%2Fcli%2Fcallback&state=st&code_challenge=ch&code_challenge_method=S256"), "{s}");
    }
}
