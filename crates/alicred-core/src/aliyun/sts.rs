//! STS: AssumeRole, AssumeRoleWithOIDC (unsigned) and GetCallerIdentity
//! (docs/protocols.md, "STS AssumeRole" and "RPC signature").

use super::rpc::{RpcClient, Service};
use super::signer::RpcAuth;
use crate::credentials::{Credentials, parse_expiration};
use crate::providers::{Provider, ProviderContext, ProviderError};
use crate::sensitive::Sensitive;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// `Credentials` as STS, ECS metadata and credentials URIs send them.
#[derive(Deserialize)]
pub(crate) struct WireCredentials {
    #[serde(rename = "AccessKeyId")]
    pub access_key_id: String,
    #[serde(rename = "AccessKeySecret")]
    pub access_key_secret: Sensitive,
    #[serde(rename = "SecurityToken")]
    pub security_token: Sensitive,
    #[serde(rename = "Expiration")]
    pub expiration: String,
}

impl WireCredentials {
    /// Checked temporary credentials: strict `Expiration`, not yet expired.
    pub(crate) fn into_credentials(
        self,
        service: &str,
        now: DateTime<Utc>,
    ) -> Result<Credentials, ProviderError> {
        temporary(
            service,
            self.access_key_id,
            self.access_key_secret,
            Some(self.security_token),
            &self.expiration,
            now,
        )
    }
}

/// Build temporary credentials, refusing empty keys, a bad `Expiration` or
/// an already-expired one.
pub(crate) fn temporary(
    service: &str,
    access_key_id: String,
    secret: Sensitive,
    token: Option<Sensitive>,
    expiration: &str,
    now: DateTime<Utc>,
) -> Result<Credentials, ProviderError> {
    if access_key_id.is_empty() || secret.is_empty() {
        return Err(ProviderError::Malformed {
            service: service.into(),
            reason: "AccessKeyId or AccessKeySecret is empty".into(),
        });
    }
    let exp = parse_expiration(expiration).map_err(|reason| ProviderError::Malformed {
        service: service.into(),
        reason,
    })?;
    if exp <= now {
        return Err(ProviderError::AlreadyExpired {
            service: service.into(),
            expiration: expiration.into(),
        });
    }
    Ok(Credentials {
        access_key_id,
        access_key_secret: secret,
        security_token: token.filter(|t| !t.is_empty()),
        // An `Expiration` years ahead is believed only up to a year
        // (crate::clamp): times computed from it stay far from chrono's limits.
        expiration: Some(crate::clamp::not_after_max(now, exp)),
        issued_at: now,
    })
}

/// What to ask AssumeRole for.
#[derive(Clone, Debug, PartialEq)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub duration_seconds: u32,
    pub policy: Option<String>,
    pub external_id: Option<String>,
}

/// What to ask AssumeRoleWithOIDC for.
#[derive(Clone, Debug)]
pub struct OidcRequest {
    pub role_arn: String,
    pub oidc_provider_arn: String,
    pub oidc_token: Sensitive,
    pub session_name: String,
    pub duration_seconds: u32,
    pub policy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssumedRoleUser {
    #[serde(rename = "Arn")]
    pub arn: String,
    #[serde(rename = "AssumedRoleId")]
    pub assumed_role_id: String,
}

/// The result of AssumeRole / AssumeRoleWithOIDC.
#[derive(Clone, Debug)]
pub struct AssumedRole {
    pub credentials: Credentials,
    pub assumed_role_user: Option<AssumedRoleUser>,
    pub request_id: Option<String>,
}

impl AssumedRole {
    /// The credentials, noting in `slot` who STS says they belong to (the
    /// dashboard shows the assumed role's ARN).
    pub fn remember_user(
        self,
        slot: &std::sync::Mutex<Option<crate::providers::ProviderInfo>>,
    ) -> Credentials {
        if let Some(u) = self.assumed_role_user
            && let Ok(mut s) = slot.lock()
        {
            *s = Some(crate::providers::ProviderInfo::AssumedRole {
                arn: u.arn,
                assumed_role_id: u.assumed_role_id,
            });
        }
        self.credentials
    }
}

#[derive(Deserialize)]
struct AssumeRoleWire {
    #[serde(rename = "Credentials")]
    credentials: WireCredentials,
    #[serde(rename = "AssumedRoleUser")]
    assumed_role_user: Option<AssumedRoleUser>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

/// An AssumeRole / AssumeRoleWithOIDC reply as the assumed role, the way
/// [`assume_role`] reads it. Pure so it can be fuzzed.
pub fn parse_assume_role(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<AssumedRole, ProviderError> {
    super::rpc::decode_response::<AssumeRoleWire>(
        Service::Sts.name(),
        status,
        retry_after,
        body,
        &[],
    )?
    .finish(now)
}

impl AssumeRoleWire {
    fn finish(self, now: DateTime<Utc>) -> Result<AssumedRole, ProviderError> {
        Ok(AssumedRole {
            credentials: self.credentials.into_credentials("STS", now)?,
            assumed_role_user: self.assumed_role_user,
            request_id: self.request_id,
        })
    }
}

/// `AssumeRole` with `source` credentials (STS ones chain: the token is
/// signed along).
pub async fn assume_role(
    ctx: &ProviderContext,
    endpoint: &Url,
    source: &Credentials,
    req: &AssumeRoleRequest,
) -> Result<AssumedRole, ProviderError> {
    assume_role_as(ctx, endpoint, &RpcAuth::from_credentials(source), req).await
}

/// [`assume_role`] signed by `auth` (e.g. [`RpcAuth::from_owned`]: the
/// engine's refreshes hand over the source's credentials, no copy).
pub async fn assume_role_as(
    ctx: &ProviderContext,
    endpoint: &Url,
    auth: &RpcAuth,
    req: &AssumeRoleRequest,
) -> Result<AssumedRole, ProviderError> {
    let mut params = vec![
        ("RoleArn", req.role_arn.clone()),
        ("RoleSessionName", req.session_name.clone()),
        ("DurationSeconds", req.duration_seconds.to_string()),
    ];
    if let Some(p) = req.policy.as_ref().filter(|p| !p.is_empty()) {
        params.push(("Policy", p.clone()));
    }
    if let Some(x) = req.external_id.as_ref().filter(|x| !x.is_empty()) {
        params.push(("ExternalId", x.clone()));
    }
    let wire: AssumeRoleWire = RpcClient::new(ctx, endpoint.clone(), Service::Sts)
        .call("AssumeRole", &params, auth)
        .await?;
    wire.finish(ctx.clock.now())
}

/// `AssumeRoleWithOIDC`: not signed; the OIDC token is the proof.
pub async fn assume_role_with_oidc(
    ctx: &ProviderContext,
    endpoint: &Url,
    req: &OidcRequest,
) -> Result<AssumedRole, ProviderError> {
    let mut params = vec![
        ("RoleArn", req.role_arn.clone()),
        ("OIDCProviderArn", req.oidc_provider_arn.clone()),
        ("OIDCToken", req.oidc_token.expose().to_string()),
        ("RoleSessionName", req.session_name.clone()),
        ("DurationSeconds", req.duration_seconds.to_string()),
    ];
    if let Some(p) = req.policy.as_ref().filter(|p| !p.is_empty()) {
        params.push(("Policy", p.clone()));
    }
    let wire: AssumeRoleWire = RpcClient::new(ctx, endpoint.clone(), Service::Sts)
        .call("AssumeRoleWithOIDC", &params, &RpcAuth::Anonymous)
        .await
        .map_err(|e| scrub_token(e, &req.oidc_token))?;
    wire.finish(ctx.clock.now())
}

/// The OIDC token is a query parameter of an unsigned call, so the generic
/// scrubbing (which knows signing secrets only) does not cover it.
fn scrub_token(e: ProviderError, token: &Sensitive) -> ProviderError {
    let secrets = [token.expose().to_string()];
    match e {
        ProviderError::Upstream {
            service,
            status,
            code,
            message,
        } => ProviderError::Upstream {
            service,
            status,
            code,
            message: super::scrub(&message, &secrets),
        },
        other => other,
    }
}

/// Who a set of credentials belongs to (GetCallerIdentity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CallerIdentity {
    /// `Account`, `RAMUser` or `AssumedRoleUser`.
    pub identity_type: String,
    pub account_id: String,
    pub principal_id: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Deserialize)]
struct CallerIdentityWire {
    #[serde(rename = "IdentityType", default)]
    identity_type: Option<String>,
    #[serde(rename = "AccountId")]
    account_id: String,
    #[serde(rename = "PrincipalId", default)]
    principal_id: Option<String>,
    #[serde(rename = "Arn")]
    arn: String,
    #[serde(rename = "UserId", default)]
    user_id: Option<String>,
    #[serde(rename = "RoleId", default)]
    role_id: Option<String>,
    #[serde(rename = "RequestId", default)]
    request_id: Option<String>,
}

pub async fn get_caller_identity(
    ctx: &ProviderContext,
    endpoint: &Url,
    creds: &Credentials,
) -> Result<CallerIdentity, ProviderError> {
    let w: CallerIdentityWire = RpcClient::new(ctx, endpoint.clone(), Service::Sts)
        .call("GetCallerIdentity", &[], &RpcAuth::from_credentials(creds))
        .await?;
    Ok(w.into())
}

/// A GetCallerIdentity reply, the way [`get_caller_identity`] reads it.
pub fn parse_caller_identity(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<CallerIdentity, ProviderError> {
    super::rpc::decode_response::<CallerIdentityWire>(
        Service::Sts.name(),
        status,
        retry_after,
        body,
        &[],
    )
    .map(Into::into)
}

impl From<CallerIdentityWire> for CallerIdentity {
    fn from(w: CallerIdentityWire) -> Self {
        CallerIdentity {
            identity_type: w.identity_type.unwrap_or_default(),
            account_id: w.account_id,
            principal_id: w.principal_id.unwrap_or_default(),
            arn: w.arn,
            user_id: w.user_id.filter(|s| !s.is_empty()),
            role_id: w.role_id.filter(|s| !s.is_empty()),
            request_id: w.request_id,
        }
    }
}

/// "Does this profile work?": fetch its credentials and ask STS who they
/// belong to. `sts_endpoint` is usually `endpoints::sts_for_profile`.
pub async fn verify(
    provider: &dyn Provider,
    ctx: &ProviderContext,
    sts_endpoint: &Url,
) -> Result<CallerIdentity, ProviderError> {
    let creds = provider.retrieve().await?;
    get_caller_identity(ctx, sts_endpoint, &creds).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_rejects_expired_and_bad_format() {
        let now = Utc::now();
        let mk = |exp: &str| {
            temporary(
                "STS",
                "STS.x".into(),
                Sensitive::new("s"),
                Some(Sensitive::new("t")),
                exp,
                now,
            )
        };
        assert!(matches!(
            mk("2000-01-01T00:00:00Z"),
            Err(ProviderError::AlreadyExpired { .. })
        ));
        assert!(matches!(
            mk("2999-01-01 00:00:00"),
            Err(ProviderError::Malformed { .. })
        ));
        let ok = mk("2999-01-01T00:00:00Z").expect("valid");
        assert_eq!(ok.access_key_id, "STS.x");
        assert!(ok.security_token.is_some());
    }
}
