//! KMS Secrets Manager (docs/protocols.md, "KMS-managed AccessKey"): GetSecretValue and RotateSecret,
//! signed with a ClientKey (SHA256withRSA) or an ordinary AccessKey.

use super::rpc::{RpcClient, Service};
use super::signer::{ClientKey, RpcAuth};
use crate::providers::{ProviderContext, ProviderError};
use crate::sensitive::Sensitive;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use p12_keystore::Pkcs12Archive;
use rsa::PrivateKey as RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;
use url::Url;

/// A secret's value and the rotation facts the dashboard shows.
#[derive(Clone, Debug)]
pub struct SecretValue {
    pub secret_name: String,
    pub secret_type: Option<String>,
    pub secret_data: Sensitive,
    pub version_id: String,
    pub version_stages: Vec<String>,
    pub create_time: Option<DateTime<Utc>>,
    pub last_rotation_date: Option<DateTime<Utc>>,
    pub next_rotation_date: Option<DateTime<Utc>>,
    /// `RotationInterval` (`"604800s"` on the wire).
    pub rotation_interval: Option<Duration>,
    pub automatic_rotation: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RotateSecretOutput {
    pub secret_name: String,
    pub version_id: String,
    pub arn: Option<String>,
}

#[derive(Deserialize)]
struct Stages {
    #[serde(rename = "VersionStage", default)]
    version_stage: Vec<String>,
}

#[derive(Deserialize)]
struct GetWire {
    #[serde(rename = "SecretName")]
    secret_name: String,
    #[serde(rename = "SecretType", default)]
    secret_type: Option<String>,
    #[serde(rename = "SecretData")]
    secret_data: Sensitive,
    #[serde(rename = "VersionId")]
    version_id: String,
    #[serde(rename = "VersionStages", default)]
    version_stages: Option<Stages>,
    #[serde(rename = "CreateTime", default)]
    create_time: Option<String>,
    #[serde(rename = "LastRotationDate", default)]
    last_rotation_date: Option<String>,
    #[serde(rename = "NextRotationDate", default)]
    next_rotation_date: Option<String>,
    #[serde(rename = "RotationInterval", default)]
    rotation_interval: Option<String>,
    #[serde(rename = "AutomaticRotation", default)]
    automatic_rotation: Option<String>,
}

#[derive(Deserialize)]
struct RotateWire {
    #[serde(rename = "SecretName", default)]
    secret_name: Option<String>,
    #[serde(rename = "VersionId")]
    version_id: String,
    #[serde(rename = "Arn", default)]
    arn: Option<String>,
}

/// Lenient date: these are shown, never re-served to an SDK.
fn date(s: Option<String>) -> Option<DateTime<Utc>> {
    let s = s?;
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `"604800s"` (or a bare number of seconds).
pub fn parse_interval(s: &str) -> Option<Duration> {
    let s = s.trim();
    let n = s.strip_suffix('s').unwrap_or(s);
    n.parse::<u64>().ok().map(Duration::from_secs)
}

impl From<GetWire> for SecretValue {
    fn from(w: GetWire) -> Self {
        SecretValue {
            secret_name: w.secret_name,
            secret_type: w.secret_type,
            secret_data: w.secret_data,
            version_id: w.version_id,
            version_stages: w
                .version_stages
                .map(|s| s.version_stage)
                .unwrap_or_default(),
            create_time: date(w.create_time),
            last_rotation_date: date(w.last_rotation_date),
            next_rotation_date: date(w.next_rotation_date),
            rotation_interval: w.rotation_interval.as_deref().and_then(parse_interval),
            automatic_rotation: w
                .automatic_rotation
                .map(|a| a.eq_ignore_ascii_case("Enabled") || a == "true"),
        }
    }
}

/// A GetSecretValue reply, the way [`KmsClient::get_secret_value`] reads it.
/// Pure so it can be fuzzed.
pub fn parse_get_secret_value(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<SecretValue, ProviderError> {
    super::rpc::decode_response::<GetWire>(Service::Kms.name(), status, retry_after, body, &[])
        .map(Into::into)
}

#[derive(Clone, Debug)]
pub struct KmsClient {
    rpc: RpcClient,
    auth: RpcAuth,
}

impl KmsClient {
    pub fn new(ctx: &ProviderContext, endpoint: Url, auth: RpcAuth) -> Self {
        Self {
            rpc: RpcClient::new(ctx, endpoint, Service::Kms),
            auth,
        }
    }

    /// The `ACSCurrent` version (or `version_stage`).
    pub async fn get_secret_value(
        &self,
        secret_name: &str,
        version_stage: Option<&str>,
    ) -> Result<SecretValue, ProviderError> {
        let mut p = vec![("SecretName", secret_name.to_string())];
        if let Some(s) = version_stage {
            p.push(("VersionStage", s.to_string()));
        }
        let w: GetWire = self.rpc.call("GetSecretValue", &p, &self.auth).await?;
        Ok(w.into())
    }

    /// Rotate now. KMS requires a fresh `VersionId`; one is made up when
    /// none is given.
    pub async fn rotate_secret(
        &self,
        secret_name: &str,
        version_id: Option<&str>,
    ) -> Result<RotateSecretOutput, ProviderError> {
        let version = version_id
            .map(str::to_string)
            .unwrap_or_else(|| format!("alicred-{}", uuid::Uuid::new_v4().simple()));
        let p = vec![
            ("SecretName", secret_name.to_string()),
            ("VersionId", version),
        ];
        let w: RotateWire = self.rpc.call("RotateSecret", &p, &self.auth).await?;
        Ok(RotateSecretOutput {
            secret_name: w.secret_name.unwrap_or_else(|| secret_name.to_string()),
            version_id: w.version_id,
            arn: w.arn,
        })
    }
}

/// The ClientKey file Alibaba issues: `{"KeyId", "PrivateKeyData": base64 PKCS#12}`.
#[derive(Deserialize)]
struct ClientKeyFile {
    #[serde(rename = "KeyId")]
    key_id: String,
    #[serde(rename = "PrivateKeyData")]
    private_key_data: Sensitive,
}

fn config(msg: String) -> ProviderError {
    ProviderError::Config(msg)
}

/// Read and decrypt a ClientKey file. Errors name the file, never its content.
pub fn load_client_key(path: &Path, password: &Sensitive) -> Result<ClientKey, ProviderError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        config(format!(
            "cannot read the ClientKey file {}: {e}",
            path.display()
        ))
    })?;
    parse_client_key(&text, password)
        .map_err(|why| config(format!("ClientKey file {}: {why}", path.display())))
}

/// Parse ClientKey JSON text (see [`load_client_key`]).
pub fn parse_client_key(text: &str, password: &Sensitive) -> Result<ClientKey, String> {
    let f: ClientKeyFile = serde_json::from_str(text)
        .map_err(|e| format!("not a ClientKey JSON file ({})", super::json_reason(&e)))?;
    let der = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(f.private_key_data.expose().trim())
            .map_err(|_| "PrivateKeyData is not base64".to_string())?,
    );
    let archive = Pkcs12Archive::from_pkcs12(&der, password.expose()).map_err(|e| {
        let e = e.to_string();
        if e.to_ascii_lowercase().contains("mac") || e.to_ascii_lowercase().contains("password") {
            "cannot decrypt PrivateKeyData: wrong password?".to_string()
        } else {
            format!("cannot decrypt PrivateKeyData (wrong password, or not PKCS#12): {e}")
        }
    })?;
    let bag = archive
        .keys
        .first()
        .ok_or_else(|| "the PKCS#12 holds no private key".to_string())?;
    let key = RsaPrivateKey::from_pkcs8_der(bag.key.as_der())
        .map_err(|_| "the private key in the PKCS#12 is not an RSA key".to_string())?;
    Ok(ClientKey::new(f.key_id, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("604800s"), Some(Duration::from_secs(604800)));
        assert_eq!(parse_interval("60"), Some(Duration::from_secs(60)));
        assert_eq!(parse_interval("soon"), None);
    }
}
