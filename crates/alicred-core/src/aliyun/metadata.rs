//! ECS instance metadata (docs/protocols.md, "ECS instance metadata"): the IMDSv2 token, the instance's
//! RAM role name and that role's credentials.

use super::http::read_capped_text;
use super::sts::WireCredentials;
use super::{endpoint_label, join_path, json_reason, network};
use crate::credentials::Credentials;
use crate::providers::{ProviderContext, ProviderError};
use crate::sensitive::Sensitive;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

pub const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
pub const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
pub const TOKEN_TTL_SECONDS: u32 = 21_600;
const SERVICE: &str = "ECS metadata";

/// The SDKs give the metadata service about a second; a desktop without one
/// must not wait long, an instance under load gets a little more for reads.
pub const TOKEN_TIMEOUT: Duration = Duration::from_secs(1);
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone, Debug)]
pub struct MetadataClient {
    ctx: ProviderContext,
    base: Url,
}

#[derive(Deserialize)]
struct CredsWire {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(flatten)]
    creds: Option<WireCredentials>,
}

impl MetadataClient {
    pub fn new(ctx: &ProviderContext, base: Url) -> Self {
        Self {
            ctx: ctx.clone(),
            base,
        }
    }

    fn label(&self) -> String {
        endpoint_label(&self.base)
    }

    /// IMDSv2: `PUT /latest/api/token`.
    pub async fn token(&self) -> Result<Sensitive, ProviderError> {
        let url = join_path(&self.base, "latest/api/token");
        let resp = self
            .ctx
            .http
            .put(url)
            .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS.to_string())
            .timeout(TOKEN_TIMEOUT)
            .send()
            .await
            .map_err(|e| network(&self.label(), e))?;
        let status = resp.status();
        let body = read_capped_text(resp, SERVICE, &self.label()).await?;
        parse_token(status.as_u16(), &body)
    }

    async fn get(
        &self,
        path: &str,
        token: Option<&Sensitive>,
    ) -> Result<(reqwest::StatusCode, String), ProviderError> {
        let mut req = self
            .ctx
            .http
            .get(join_path(&self.base, path))
            .timeout(READ_TIMEOUT);
        if let Some(t) = token {
            req = req.header(TOKEN_HEADER, t.expose());
        }
        let resp = req.send().await.map_err(|e| network(&self.label(), e))?;
        let status = resp.status();
        let body = read_capped_text(resp, SERVICE, &self.label()).await?;
        Ok((status, body))
    }

    /// The instance's RAM role (first line of the listing).
    pub async fn role_name(&self, token: Option<&Sensitive>) -> Result<String, ProviderError> {
        let (status, body) = self
            .get("latest/meta-data/ram/security-credentials/", token)
            .await?;
        parse_role_listing(status.as_u16(), &body)
    }

    /// The role's current credentials.
    pub async fn credentials(
        &self,
        role: &str,
        token: Option<&Sensitive>,
    ) -> Result<Credentials, ProviderError> {
        let path = format!(
            "latest/meta-data/ram/security-credentials/{}",
            super::signer::percent_encode(role)
        );
        let (status, body) = self.get(&path, token).await?;
        parse_credentials(status.as_u16(), &body, role, self.ctx.clock.now())
    }
}

/// `PUT /latest/api/token`'s reply as the token.
pub fn parse_token(status: u16, body: &str) -> Result<Sensitive, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(http_error(status, "token", body));
    }
    let token = body.trim();
    if token.is_empty() {
        return Err(ProviderError::Malformed {
            service: SERVICE.into(),
            reason: "empty metadata token".into(),
        });
    }
    Ok(Sensitive::new(token))
}

/// The role listing's reply as the role name (its first line).
pub fn parse_role_listing(status: u16, body: &str) -> Result<String, ProviderError> {
    if status == 404 {
        return Err(ProviderError::Config(
            "this instance has no RAM role attached (metadata returned 404)".into(),
        ));
    }
    if !(200..300).contains(&status) {
        return Err(http_error(status, "role listing", body));
    }
    let role = body.lines().next().unwrap_or("").trim().to_string();
    if role.is_empty() {
        return Err(ProviderError::Config(
            "this instance has no RAM role attached".into(),
        ));
    }
    Ok(role)
}

/// The role credentials' reply (for `role`) as checked credentials.
pub fn parse_credentials(
    status: u16,
    body: &str,
    role: &str,
    now: DateTime<Utc>,
) -> Result<Credentials, ProviderError> {
    if status == 404 {
        return Err(ProviderError::Config(format!(
            "the instance has no RAM role named {role:?}"
        )));
    }
    if !(200..300).contains(&status) {
        return Err(http_error(status, "credentials", body));
    }
    let w: CredsWire = serde_json::from_str(body).map_err(|e| ProviderError::Malformed {
        service: SERVICE.into(),
        reason: json_reason(&e),
    })?;
    match w.code.as_deref() {
        Some("Success") => {}
        other => {
            return Err(ProviderError::Upstream {
                service: SERVICE.into(),
                status,
                code: other.unwrap_or("(no Code)").chars().take(64).collect(),
                message: "the metadata service did not return credentials".into(),
            });
        }
    }
    let creds = w.creds.ok_or_else(|| ProviderError::Malformed {
        service: SERVICE.into(),
        reason: "AccessKeyId, AccessKeySecret, SecurityToken or Expiration is missing".into(),
    })?;
    creds.into_credentials(SERVICE, now)
}

/// A non-2xx answer, told by what it says: throttling (429, or an error
/// body whose `Code` mentions it) is retried later; a JSON `Code` is named.
fn http_error(status: u16, what: &str, body: &str) -> ProviderError {
    let code = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("Code").and_then(|c| c.as_str()).map(str::to_string))
        .map(|c| c.chars().take(64).collect::<String>());
    if status == 429 || code.as_deref().is_some_and(|c| c.contains("Throttling")) {
        return ProviderError::Throttled {
            service: SERVICE.into(),
            code: code.unwrap_or_else(|| "HTTP429".into()),
            retry_after: None,
        };
    }
    let message = match status {
        401 | 403 => format!(
            "{what} request refused: the instance requires an IMDSv2 token (hardened mode) and none was accepted"
        ),
        _ => format!("{what} request failed"),
    };
    ProviderError::Upstream {
        service: SERVICE.into(),
        status,
        code: code.unwrap_or_else(|| format!("HTTP{status}")),
        message,
    }
}
