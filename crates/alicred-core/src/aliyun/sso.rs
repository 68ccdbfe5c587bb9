//! CloudSSO portal client (docs/protocols.md, "Sign-ins"): device authorization with PKCE, token
//! polling, both access-assignment lists (every page) and cloud credentials.
//!
//! Every API lives at `scheme://host` of the user's sign-in URL. Errors are non-2xx
//! `{ErrorCode, ErrorMessage}`; a 401 means the sign-in is over (expired or revoked).

use super::{endpoint_label, json_reason, network, scrub};
use crate::credentials::Credentials;
use crate::providers::{ProviderContext, ProviderError};
use crate::sensitive::Sensitive;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::Digest as _;
use url::Url;

const SERVICE: &str = "CloudSSO";
/// The aliyun CLI's public CloudSSO application.
pub const DEFAULT_CLIENT_ID: &str = "app-vaz16tltdxs96audqf35";
/// `ALIBABA_CLOUD_SSO_CLIENT_ID` overrides the client id, as in the aliyun CLI.
pub const CLIENT_ID_ENV: &str = "ALIBABA_CLOUD_SSO_CLIENT_ID";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A PKCE verifier and its S256 challenge (base64url(SHA-256), no padding).
pub struct Pkce {
    pub verifier: Sensitive,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes[..]);
        let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let challenge = s256(&verifier);
        Self {
            verifier: Sensitive::new(verifier),
            challenge,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// The portal base (`scheme://host[:port]`) of a sign-in URL; only http(s).
pub fn portal_base(sign_in_url: &Url) -> Result<Url, String> {
    if !matches!(sign_in_url.scheme(), "http" | "https") || sign_in_url.host_str().is_none() {
        return Err(format!(
            "the sign-in URL {} is not an http(s) URL; copy it from the CloudSSO console (https://signin-….alibabacloudsso.com/d-…/login)",
            endpoint_label(sign_in_url)
        ));
    }
    let mut u = sign_in_url.clone();
    u.set_path("/");
    u.set_query(None);
    u.set_fragment(None);
    Ok(u)
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceAuthorization {
    pub device_code: Sensitive,
    // What the portal says is shown to the user: no terminal escapes
    // (crate::printable), here and in the lists below.
    #[serde(deserialize_with = "crate::printable::de")]
    pub user_code: String,
    #[serde(deserialize_with = "crate::printable::de")]
    pub verification_uri: String,
    #[serde(default, deserialize_with = "crate::printable::de_opt")]
    pub verification_uri_complete: Option<String>,
    #[serde(default = "default_interval")]
    pub interval: u64,
    pub expires_in: u64,
}

fn default_interval() -> u64 {
    5
}

/// The device flow's timers, clamped: the portal's `Interval` and `ExpiresIn`
/// drive sleeps, and `tokio`'s `Instant + Duration` panics on overflow.
pub const MAX_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);
pub const MAX_DEVICE_WAIT: std::time::Duration = std::time::Duration::from_secs(3600);
const ONE_SECOND: std::time::Duration = std::time::Duration::from_secs(1);

impl DeviceAuthorization {
    /// Time between two polls, 1 s to [`MAX_POLL_INTERVAL`].
    pub fn poll_interval(&self) -> std::time::Duration {
        crate::clamp::std_seconds(self.interval, ONE_SECOND, MAX_POLL_INTERVAL)
    }

    /// How long the user has to approve, 1 s to [`MAX_DEVICE_WAIT`].
    pub fn wait(&self) -> std::time::Duration {
        crate::clamp::std_seconds(self.expires_in, ONE_SECOND, MAX_DEVICE_WAIT)
    }
}

/// One poll's outcome.
#[derive(Debug)]
pub enum Poll {
    Pending,
    SlowDown,
    Done {
        access_token: Sensitive,
        /// `ExpiresIn` after the reply, clamped (crate::clamp).
        expires_at: DateTime<Utc>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    #[serde(deserialize_with = "crate::printable::de")]
    pub account_id: String,
    #[serde(default, deserialize_with = "crate::printable::de")]
    pub display_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessConfiguration {
    #[serde(deserialize_with = "crate::printable::de")]
    pub access_configuration_id: String,
    #[serde(default, deserialize_with = "crate::printable::de")]
    pub access_configuration_name: String,
    #[serde(default, deserialize_with = "crate::printable::de")]
    pub access_configuration_description: String,
}

#[derive(Clone, Debug)]
pub struct SsoClient {
    ctx: ProviderContext,
    base: Url,
    pub client_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
}

impl SsoClient {
    pub fn new(ctx: &ProviderContext, sign_in_url: &Url) -> Result<Self, ProviderError> {
        let base = portal_base(sign_in_url).map_err(ProviderError::Config)?;
        let client_id = (ctx.env)(CLIENT_ID_ENV)
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_CLIENT_ID.into());
        Ok(Self {
            ctx: ctx.clone(),
            base,
            client_id,
        })
    }

    fn label(&self) -> String {
        endpoint_label(&self.base)
    }

    fn url(&self, path: &str) -> Url {
        let mut u = self.base.clone();
        u.set_path(path);
        u
    }

    /// Sends, reads (capped) and returns status + body.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), ProviderError> {
        let resp = req
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| network(&self.label(), e))?;
        let status = resp.status().as_u16();
        let body = super::http::read_capped(resp, SERVICE, &self.label()).await?;
        Ok((status, body))
    }

    /// A non-2xx answer: `(code, message)` (scrubbed of `secrets`).
    fn error_of(status: u16, body: &[u8], secrets: &[String]) -> (String, String) {
        let e: Option<ErrorBody> = serde_json::from_slice(body).ok();
        let code = e
            .as_ref()
            .and_then(|e| e.error_code.as_deref().map(|c| scrub(c, secrets)))
            .unwrap_or_else(|| format!("HTTP{status}"));
        // Only the error shape's own text, scrubbed: another body (it may
        // hold anything, credentials too) is never echoed (found by fuzzing).
        let msg = e
            .and_then(|e| e.error_message)
            .map(|m| scrub(&m, secrets))
            .unwrap_or_else(|| format!("HTTP {status} with a body that is not the error shape"));
        (code, msg)
    }

    fn upstream(status: u16, body: &[u8], secrets: &[String]) -> ProviderError {
        let (code, message) = Self::error_of(status, body, secrets);
        ProviderError::Upstream {
            service: SERVICE.into(),
            status,
            code,
            message,
        }
    }

    /// `POST /device-authorization`.
    pub async fn device_authorization(
        &self,
        portal_url: &Url,
        pkce: &Pkce,
    ) -> Result<DeviceAuthorization, ProviderError> {
        let body = serde_json::json!({
            "PortalUrl": portal_url.as_str(),
            "CodeChallenge": pkce.challenge,
            "ClientId": self.client_id,
            "CodeChallengeMethod": "S256",
        });
        let req = self
            .ctx
            .http
            .post(self.url("/device-authorization"))
            .json(&body);
        let (status, bytes) = self.send(req).await?;
        parse_device_reply(status, &bytes)
    }

    /// One `POST /token` poll.
    pub async fn poll_token(
        &self,
        device: &DeviceAuthorization,
        pkce: &Pkce,
    ) -> Result<Poll, ProviderError> {
        let body = serde_json::json!({
            "CodeVerifier": pkce.verifier.expose(),
            "ClientId": self.client_id,
            "DeviceCode": device.device_code.expose(),
            "GrantType": DEVICE_GRANT,
        });
        let req = self.ctx.http.post(self.url("/token")).json(&body);
        let (status, bytes) = self.send(req).await?;
        let secrets = vec![device.device_code.expose().to_string()];
        parse_poll_reply(status, &bytes, &secrets, self.ctx.clock.now())
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        token: &Sensitive,
    ) -> Result<T, ProviderError> {
        let req = self.ctx.http.get(url).bearer_auth(token.expose());
        let (status, bytes) = self.send(req).await?;
        if !(200..300).contains(&status) {
            return Err(Self::token_error(status, &bytes, token));
        }
        parse(&bytes)
    }

    fn token_error(status: u16, body: &[u8], token: &Sensitive) -> ProviderError {
        let secrets = vec![token.expose().to_string()];
        if status == 401 {
            let (code, _) = Self::error_of(status, body, &secrets);
            return ProviderError::NeedsUser(format!(
                "the CloudSSO sign-in has expired or was revoked ({code})"
            ));
        }
        Self::upstream(status, body, &secrets)
    }

    /// Every account the user is assigned (follows `NextToken`).
    pub async fn accounts(&self, token: &Sensitive) -> Result<Vec<Account>, ProviderError> {
        self.all_pages::<AccountsPage>("/access-assignments/accounts", None, token)
            .await
    }

    /// Every access configuration of `account_id` (follows `NextToken`).
    pub async fn access_configurations(
        &self,
        token: &Sensitive,
        account_id: &str,
    ) -> Result<Vec<AccessConfiguration>, ProviderError> {
        self.all_pages::<AccessConfigurationsPage>(
            "/access-assignments/access-configurations",
            Some(("AccountId", account_id)),
            token,
        )
        .await
    }

    /// Every item of a paged portal list, page after page (a portal that
    /// never stops paging is an error, not a hang).
    async fn all_pages<P: PortalPage>(
        &self,
        path: &str,
        filter: Option<(&str, &str)>,
        token: &Sensitive,
    ) -> Result<Vec<P::Item>, ProviderError> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..1000 {
            let mut url = self.url(path);
            {
                let mut q = url.query_pairs_mut();
                if let Some((k, v)) = filter {
                    q.append_pair(k, v);
                }
                q.append_pair("MaxResults", "100");
                if let Some(n) = &next {
                    q.append_pair("NextToken", n);
                }
            }
            let page: P = self.get_json(url, token).await?;
            let (items, more) = page.into_parts();
            out.extend(items);
            match more {
                Some(n) => next = Some(n),
                None => return Ok(out),
            }
        }
        Err(ProviderError::Malformed {
            service: SERVICE.into(),
            reason: "the portal's list never ends (more than 1000 pages)".into(),
        })
    }

    /// `POST /cloud-credentials`: STS for the access configuration's role.
    pub async fn cloud_credentials(
        &self,
        token: &Sensitive,
        account_id: &str,
        access_config: &str,
    ) -> Result<Credentials, ProviderError> {
        let body = serde_json::json!({
            "AccountId": account_id,
            "AccessConfigurationId": access_config,
        });
        let req = self
            .ctx
            .http
            .post(self.url("/cloud-credentials"))
            .bearer_auth(token.expose())
            .json(&body);
        let (status, bytes) = self.send(req).await?;
        parse_cloud_credentials_reply(status, &bytes, token, self.ctx.clock.now())
    }
}

/// A `/device-authorization` reply. Pure so it can be fuzzed.
pub fn parse_device_reply(status: u16, bytes: &[u8]) -> Result<DeviceAuthorization, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(SsoClient::upstream(status, bytes, &[]));
    }
    parse(bytes)
}

/// One `/token` poll's reply, received at `now`; `secrets` (the device code)
/// are scrubbed from upstream text. Pure so it can be fuzzed.
pub fn parse_poll_reply(
    status: u16,
    bytes: &[u8],
    secrets: &[String],
    now: DateTime<Utc>,
) -> Result<Poll, ProviderError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Tok {
        access_token: Sensitive,
        expires_in: u64,
    }
    if (200..300).contains(&status) {
        let t: Tok = parse(bytes)?;
        if t.access_token.is_empty() {
            return Err(ProviderError::Malformed {
                service: SERVICE.into(),
                reason: "AccessToken is empty".into(),
            });
        }
        return Ok(Poll::Done {
            access_token: t.access_token,
            expires_at: crate::clamp::expires_at(now, t.expires_in),
        });
    }
    let (code, message) = SsoClient::error_of(status, bytes, secrets);
    match code.as_str() {
        "AuthorizationPending" => Ok(Poll::Pending),
        "SlowDown" => Ok(Poll::SlowDown),
        "InvalidDeviceCodeError" | "ExpiredToken" => Err(ProviderError::NeedsUser(
            "the sign-in request expired before it was approved; run the sign-in again".into(),
        )),
        "AccessDenied" => Err(ProviderError::NeedsUser(
            "the sign-in was denied in the browser".into(),
        )),
        _ => Err(ProviderError::Upstream {
            service: SERVICE.into(),
            status,
            code,
            message,
        }),
    }
}

/// A `/cloud-credentials` reply as STS credentials (`token`, the bearer
/// sent, is scrubbed from upstream text). Pure so it can be fuzzed.
pub fn parse_cloud_credentials_reply(
    status: u16,
    bytes: &[u8],
    token: &Sensitive,
    now: DateTime<Utc>,
) -> Result<Credentials, ProviderError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Wire {
        cloud_credential: super::sts::WireCredentials,
    }
    if !(200..300).contains(&status) {
        return Err(SsoClient::token_error(status, bytes, token));
    }
    let w: Wire = parse(bytes)?;
    w.cloud_credential.into_credentials(SERVICE, now)
}

/// A reply body as `T`, told without echoing it.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| ProviderError::Malformed {
        service: SERVICE.into(),
        reason: json_reason(&e),
    })
}

/// One page of a portal list: its items, and the token of the next page when
/// the list is truncated.
trait PortalPage: DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

fn next_page(is_truncated: bool, next_token: Option<String>) -> Option<String> {
    next_token.filter(|n| is_truncated && !n.is_empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountsPage {
    #[serde(default)]
    accounts: Vec<Account>,
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_token: Option<String>,
}

impl PortalPage for AccountsPage {
    type Item = Account;
    fn into_parts(self) -> (Vec<Account>, Option<String>) {
        (self.accounts, next_page(self.is_truncated, self.next_token))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccessConfigurationsPage {
    #[serde(default)]
    access_configurations_for_account: Vec<AccessConfiguration>,
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_token: Option<String>,
}

impl PortalPage for AccessConfigurationsPage {
    type Item = AccessConfiguration;
    fn into_parts(self) -> (Vec<AccessConfiguration>, Option<String>) {
        (
            self.access_configurations_for_account,
            next_page(self.is_truncated, self.next_token),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `sso` fuzz target: the device code echoed in `ErrorCode`
    /// reached the error unscrubbed.
    #[test]
    fn error_code_is_scrubbed() {
        let sent = vec!["SentSecretValue42".to_string()];
        let body = br#"{"ErrorCode":"ExpiredToken SentSecretValue42","ErrorMessage":"code SentSecretValue42 expired"}"#;
        let e = parse_poll_reply(400, body, &sent, chrono::Utc::now()).expect_err("an error reply");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("SentSecretValue42"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn pkce_s256_matches_rfc7636() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let p = Pkce::new();
        assert_eq!(p.verifier.expose().len(), 43);
        assert_eq!(p.challenge, s256(p.verifier.expose()));
    }

    #[test]
    fn portal_base_only_http() {
        let u = Url::parse("https://signin-cn-shanghai.alibabacloudsso.com/d-x/login?a=b")
            .expect("url");
        assert_eq!(
            portal_base(&u).expect("ok").as_str(),
            "https://signin-cn-shanghai.alibabacloudsso.com/"
        );
        let bad = Url::parse("ftp://example.com/x").expect("url");
        assert!(portal_base(&bad).is_err());
        let bad = Url::parse("file:///tmp/x").expect("url");
        assert!(portal_base(&bad).is_err());
    }
}
