//! RAM AccessKey management (docs/protocols.md, "RAM AccessKey rotation"): the building blocks of
//! one-click rotation. `UserName` is optional; without it RAM acts on the
//! caller.

use super::json_reason;
use super::rpc::{RpcClient, Service};
use super::signer::RpcAuth;
use crate::credentials::Credentials;
use crate::providers::{ProviderContext, ProviderError};
use crate::sensitive::Sensitive;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use url::Url;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }
}

impl fmt::Display for AccessKeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One key of a RAM user, as ListAccessKeys reports it (no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessKeyInfo {
    pub access_key_id: String,
    pub status: AccessKeyStatus,
    pub create_date: DateTime<Utc>,
}

/// A key just created: the only time RAM shows its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub access_key_secret: Sensitive,
    pub status: AccessKeyStatus,
    pub create_date: DateTime<Utc>,
}

impl NewAccessKey {
    pub fn to_credentials(&self, now: DateTime<Utc>) -> Credentials {
        Credentials::long_term(
            self.access_key_id.clone(),
            self.access_key_secret.clone(),
            now,
        )
    }
}

#[derive(Deserialize)]
struct KeyWire {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "AccessKeySecret", default)]
    access_key_secret: Option<Sensitive>,
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "CreateDate")]
    create_date: String,
}

#[derive(Deserialize)]
struct ListWire {
    #[serde(rename = "AccessKeys")]
    access_keys: ListInner,
}

#[derive(Deserialize)]
struct ListInner {
    #[serde(rename = "AccessKey", default)]
    access_key: Vec<KeyWire>,
}

#[derive(Deserialize)]
struct CreateWire {
    #[serde(rename = "AccessKey")]
    access_key: KeyWire,
}

fn malformed(reason: String) -> ProviderError {
    ProviderError::Malformed {
        service: "RAM".into(),
        reason,
    }
}

fn parse_status(s: &str) -> Result<AccessKeyStatus, ProviderError> {
    match s {
        "Active" => Ok(AccessKeyStatus::Active),
        "Inactive" => Ok(AccessKeyStatus::Inactive),
        other => Err(malformed(format!("unknown key Status {other:?}"))),
    }
}

/// RAM dates are `YYYY-MM-DDThh:mm:ssZ`; be lenient with fractions/offsets
/// here, since nothing downstream re-serves them to an SDK.
fn parse_date(s: &str) -> Result<DateTime<Utc>, ProviderError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| malformed(format!("CreateDate {s:?} is not a date")))
}

impl KeyWire {
    fn info(self) -> Result<AccessKeyInfo, ProviderError> {
        Ok(AccessKeyInfo {
            status: parse_status(&self.status)?,
            create_date: parse_date(&self.create_date)?,
            access_key_id: self.access_key_id,
        })
    }
}

/// A RAM client acting with one set of credentials, optionally on behalf of
/// a named user.
#[derive(Clone, Debug)]
pub struct RamClient {
    rpc: RpcClient,
    auth: RpcAuth,
    user_name: Option<String>,
}

impl RamClient {
    pub fn new(
        ctx: &ProviderContext,
        endpoint: Url,
        credentials: &Credentials,
        user_name: Option<String>,
    ) -> Self {
        Self {
            rpc: RpcClient::new(ctx, endpoint, Service::Ram),
            auth: RpcAuth::from_credentials(credentials),
            user_name: user_name.filter(|u| !u.is_empty()),
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        match &self.user_name {
            Some(u) => vec![("UserName", u.clone())],
            None => Vec::new(),
        }
    }

    /// The user's keys, oldest first.
    pub async fn list_access_keys(&self) -> Result<Vec<AccessKeyInfo>, ProviderError> {
        let v: serde_json::Value = self
            .rpc
            .call("ListAccessKeys", &self.params(), &self.auth)
            .await?;
        let w: ListWire = serde_json::from_value(v).map_err(|e| malformed(json_reason(&e)))?;
        let mut keys = w
            .access_keys
            .access_key
            .into_iter()
            .map(KeyWire::info)
            .collect::<Result<Vec<_>, _>>()?;
        keys.sort_by(|a, b| {
            a.create_date
                .cmp(&b.create_date)
                .then_with(|| a.access_key_id.cmp(&b.access_key_id))
        });
        Ok(keys)
    }

    /// A new key (409 `LimitExceeded.User.AccessKey` when the user has two).
    pub async fn create_access_key(&self) -> Result<NewAccessKey, ProviderError> {
        let w: CreateWire = self
            .rpc
            .call("CreateAccessKey", &self.params(), &self.auth)
            .await?;
        let k = w.access_key;
        let secret = k
            .access_key_secret
            .filter(|s| !s.is_empty())
            .ok_or_else(|| malformed("CreateAccessKey returned no AccessKeySecret".into()))?;
        Ok(NewAccessKey {
            status: parse_status(&k.status)?,
            create_date: parse_date(&k.create_date)?,
            access_key_id: k.access_key_id,
            access_key_secret: secret,
        })
    }

    pub async fn update_access_key(
        &self,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), ProviderError> {
        let mut p = self.params();
        p.push(("UserAccessKeyId", access_key_id.to_string()));
        p.push(("Status", status.as_str().to_string()));
        let _: serde_json::Value = self.rpc.call("UpdateAccessKey", &p, &self.auth).await?;
        Ok(())
    }

    pub async fn delete_access_key(&self, access_key_id: &str) -> Result<(), ProviderError> {
        let mut p = self.params();
        p.push(("UserAccessKeyId", access_key_id.to_string()));
        let _: serde_json::Value = self.rpc.call("DeleteAccessKey", &p, &self.auth).await?;
        Ok(())
    }
}
