//! `kms-secret`: a RAM AccessKey that KMS Secrets Manager holds and rotates,
//! read with a ClientKey (PKCS#12 + password) signing GetSecretValue.

use super::{Provider, ProviderContext, ProviderError, ProviderInfo};
use crate::aliyun::endpoints;
use crate::aliyun::json_reason;
use crate::aliyun::kms::{KmsClient, RotateSecretOutput, SecretValue, load_client_key};
use crate::aliyun::signer::RpcAuth;
use crate::credentials::Credentials;
use crate::profile::{KmsSecretProfile, PasswordSource, Profile, ProfileKind, ProfileName};
use crate::sensitive::Sensitive;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use url::Url;

/// What KMS says about the secret's rotation (for the dashboard and the
/// refresh schedule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KmsSecretInfo {
    pub secret_name: String,
    pub version_id: String,
    pub version_stages: Vec<String>,
    pub last_rotation_date: Option<DateTime<Utc>>,
    pub next_rotation_date: Option<DateTime<Utc>>,
    /// Seconds between automatic rotations.
    pub rotation_interval_seconds: Option<u64>,
    pub automatic_rotation: Option<bool>,
    /// `GenerateTimestamp` of the key in the secret.
    pub key_generated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct SecretData {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "AccessKeySecret")]
    access_key_secret: Sensitive,
    #[serde(rename = "GenerateTimestamp", default)]
    generate_timestamp: Option<String>,
}

#[derive(Debug)]
pub struct KmsSecretProvider {
    name: ProfileName,
    profile: KmsSecretProfile,
    endpoint: Url,
    ctx: ProviderContext,
    last: Mutex<Option<KmsSecretInfo>>,
}

/// `GenerateTimestamp` appears as ISO or `yyyy-MM-dd HH:mm:ss` (UTC).
fn generated_at(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// A GetSecretValue result (`secret_name` as the profile names it) as the
/// AccessKey it holds and the rotation facts. Pure so it can be fuzzed.
pub fn credentials_from_secret(
    secret_name: &str,
    v: SecretValue,
    now: DateTime<Utc>,
) -> Result<(Credentials, KmsSecretInfo), ProviderError> {
    let data: SecretData =
        serde_json::from_str(v.secret_data.expose()).map_err(|e| ProviderError::Malformed {
            service: "KMS".into(),
            reason: format!(
                "SecretData of {} is not RAM credentials JSON: {}",
                secret_name,
                json_reason(&e)
            ),
        })?;
    if data.access_key_id.is_empty() || data.access_key_secret.is_empty() {
        return Err(ProviderError::Malformed {
            service: "KMS".into(),
            reason: "SecretData has an empty AccessKeyId or AccessKeySecret".into(),
        });
    }
    let info = KmsSecretInfo {
        secret_name: v.secret_name,
        version_id: v.version_id,
        version_stages: v.version_stages,
        last_rotation_date: v.last_rotation_date,
        next_rotation_date: v.next_rotation_date,
        rotation_interval_seconds: v.rotation_interval.map(|d| d.as_secs()),
        automatic_rotation: v.automatic_rotation,
        key_generated_at: data.generate_timestamp.as_deref().and_then(generated_at),
    };
    let mut creds = Credentials::long_term(data.access_key_id, data.access_key_secret, now);
    if let Some(t) = info.key_generated_at {
        creds.issued_at = t.min(now);
    }
    Ok((creds, info))
}

impl KmsSecretProvider {
    pub fn new(
        name: ProfileName,
        profile: &KmsSecretProfile,
        kms_endpoint: Url,
        ctx: &ProviderContext,
    ) -> Self {
        Self {
            name,
            profile: profile.clone(),
            endpoint: kms_endpoint,
            ctx: ctx.clone(),
            last: Mutex::new(None),
        }
    }

    /// For callers that need the concrete provider (rotate now, rotation
    /// facts) rather than `build`'s `Arc<dyn Provider>`.
    pub fn from_profile(profile: &Profile, ctx: &ProviderContext) -> Result<Self, ProviderError> {
        let ProfileKind::KmsSecret(p) = &profile.kind else {
            return Err(ProviderError::Config(format!(
                "profile {} is a {} profile, not kms-secret",
                profile.name,
                profile.profile_type()
            )));
        };
        let kms = endpoints::kms(p.endpoints.kms.as_ref(), profile.region.as_deref(), ctx)?;
        Ok(Self::new(profile.name.clone(), p, kms, ctx))
    }

    async fn password(&self) -> Result<Sensitive, ProviderError> {
        match &self.profile.client_key_password {
            PasswordSource::Env(var) => (self.ctx.env)(var)
                .filter(|v| !v.is_empty())
                .map(Sensitive::new)
                .ok_or_else(|| {
                    ProviderError::NeedsUser(format!(
                        "profile {}: the ClientKey password variable {var} is not set in the agent's environment",
                        self.name
                    ))
                }),
            PasswordSource::File(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    ProviderError::Config(format!(
                        "profile {}: cannot read the ClientKey password file {}: {e}",
                        self.name,
                        path.display()
                    ))
                })?;
                // First line, as the Secrets Manager clients read it.
                let pw = text.lines().next().unwrap_or("").trim_end_matches('\r');
                Ok(Sensitive::new(pw))
            }
        }
    }

    /// A KMS client signing with the profile's ClientKey (read afresh, so a
    /// replaced key file takes effect without a restart).
    pub async fn client(&self) -> Result<KmsClient, ProviderError> {
        let password = self.password().await?;
        let path = self.profile.client_key_file.clone();
        // PKCS#12 decryption is CPU work: keep it off the async threads.
        let key = tokio::task::spawn_blocking(move || load_client_key(&path, &password))
            .await
            .map_err(|e| ProviderError::Config(format!("ClientKey task failed: {e}")))??;
        Ok(KmsClient::new(
            &self.ctx,
            self.endpoint.clone(),
            RpcAuth::ClientKey(key),
        ))
    }

    /// Credentials plus the secret's rotation facts.
    pub async fn fetch(&self) -> Result<(Credentials, KmsSecretInfo), ProviderError> {
        let v: SecretValue = self
            .client()
            .await?
            .get_secret_value(&self.profile.secret_name, None)
            .await?;
        let (creds, info) =
            credentials_from_secret(&self.profile.secret_name, v, self.ctx.clock.now())?;
        if let Ok(mut slot) = self.last.lock() {
            *slot = Some(info.clone());
        }
        Ok((creds, info))
    }

    /// "Rotate now": KMS makes a new key version (it takes effect over minutes).
    pub async fn rotate_now(&self) -> Result<RotateSecretOutput, ProviderError> {
        self.client()
            .await?
            .rotate_secret(&self.profile.secret_name, None)
            .await
    }

    /// What the last successful retrieve learned.
    pub fn last_info(&self) -> Option<KmsSecretInfo> {
        self.last.lock().ok().and_then(|s| s.clone())
    }
}

#[async_trait]
impl Provider for KmsSecretProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        self.fetch().await.map(|(c, _)| c)
    }

    fn describe(&self) -> String {
        format!(
            "KMS secret {} read with the ClientKey {}",
            self.profile.secret_name,
            self.profile.client_key_file.display()
        )
    }

    fn info(&self) -> Option<ProviderInfo> {
        self.last_info().map(ProviderInfo::KmsSecret)
    }
}
