//! `credentials-uri`: GET an external endpoint speaking the credentials-URI
//! protocol (docs/protocols.md, "Credentials URI"), as strictly as the strictest SDK (Python 1.x).

use super::{Provider, ProviderContext, ProviderError};
use crate::aliyun::sts::temporary;
use crate::aliyun::{json_reason, network, origin_label};
use crate::credentials::Credentials;
use crate::profile::{CredentialsUriProfile, ProfileName};
use crate::sensitive::Sensitive;
use crate::store::secrets::SecretKey;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

const SERVICE: &str = "credentials URI";
/// Python 1.x allows 5 s connect + 10 s read.
const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct CredentialsUriProvider {
    uri: Url,
    ctx: ProviderContext,
    /// The profile whose keyring item may hold the full URL (with its token).
    keyring_url: Option<ProfileName>,
}

#[derive(Deserialize)]
struct Wire {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
    #[serde(rename = "AccessKeyId")]
    access_key_id: Option<String>,
    #[serde(rename = "AccessKeySecret")]
    access_key_secret: Option<Sensitive>,
    #[serde(rename = "SecurityToken")]
    security_token: Option<Sensitive>,
    #[serde(rename = "Expiration")]
    expiration: Option<String>,
}

fn malformed(reason: impl Into<String>) -> ProviderError {
    ProviderError::Malformed {
        service: SERVICE.into(),
        reason: reason.into(),
    }
}

/// Upstream text is shown to people: keep it short and single-line.
fn short(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one.chars().take(200).collect()
}

/// A credentials-URI reply (status and body) as credentials: the whole
/// check, pure so it can be fuzzed.
pub fn parse_response(
    status: u16,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Credentials, ProviderError> {
    let parsed = serde_json::from_slice::<Wire>(body);
    if status != 200 {
        let (code, message) = match &parsed {
            Ok(w) => (
                w.code
                    .as_deref()
                    .map(short)
                    .unwrap_or_else(|| format!("HTTP{status}")),
                w.message.as_deref().map(short).unwrap_or_default(),
            ),
            Err(_) => (format!("HTTP{status}"), String::new()),
        };
        return Err(ProviderError::Upstream {
            service: SERVICE.into(),
            status,
            code,
            message,
        });
    }
    let w = parsed.map_err(|e| malformed(json_reason(&e)))?;
    if w.code.as_deref() != Some("Success") {
        return Err(ProviderError::Upstream {
            service: SERVICE.into(),
            status,
            code: w
                .code
                .as_deref()
                .map(short)
                .unwrap_or_else(|| "(no Code)".into()),
            message: w.message.as_deref().map(short).unwrap_or_default(),
        });
    }
    let (Some(id), Some(secret), Some(token), Some(exp)) = (
        w.access_key_id,
        w.access_key_secret,
        w.security_token,
        w.expiration,
    ) else {
        return Err(malformed(
            "AccessKeyId, AccessKeySecret, SecurityToken and Expiration must all be present",
        ));
    };
    // `SecurityToken: ""` is how long-term keys are served: no token.
    temporary(SERVICE, id, secret, Some(token), &exp, now)
}

impl CredentialsUriProvider {
    pub fn new(uri: Url, ctx: &ProviderContext) -> Self {
        Self {
            uri,
            ctx: ctx.clone(),
            keyring_url: None,
        }
    }

    /// Use the full URL kept in the profile's keyring item when it belongs
    /// to this one (same scheme, host, port and path).
    pub fn with_keyring_url(mut self, name: ProfileName) -> Self {
        self.keyring_url = Some(name);
        self
    }

    async fn url(&self) -> Result<Url, ProviderError> {
        let Some(name) = &self.keyring_url else {
            return Ok(self.uri.clone());
        };
        let (store, key) = (self.ctx.secrets.clone(), SecretKey::Profile(name.clone()));
        let kept = tokio::task::spawn_blocking(move || store.get(&key))
            .await
            .map_err(|e| ProviderError::Secret(format!("keyring task failed: {e}")))?
            .map_err(|e| ProviderError::Secret(e.to_string()))?;
        Ok(kept
            .and_then(|v| Url::parse(v.expose()).ok())
            .filter(|full| CredentialsUriProfile::public_part(full) == self.uri)
            .unwrap_or_else(|| self.uri.clone()))
    }
}

#[async_trait]
impl Provider for CredentialsUriProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        // The path may be a capability (alicred's own endpoint has a token
        // in it), so errors show only the origin.
        let label = origin_label(&self.uri);
        let resp = self
            .ctx
            .http
            .get(self.url().await?)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| network(&label, e))?;
        let status = resp.status();
        let body = crate::aliyun::read_capped(resp, SERVICE, &label).await?;
        parse_response(status.as_u16(), &body, self.ctx.clock.now())
    }

    fn describe(&self) -> String {
        format!("credentials URI {}", origin_label(&self.uri))
    }
}
