//! Public result types of the typed admin operations.

use crate::records::KeyStatus;
use serde::{Deserialize, Serialize};

/// An AccessKey ID and its secret. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyPair {
    /// `LTAI5t…` for long-term keys.
    pub access_key_id: String,
    /// The (fake) secret.
    pub access_key_secret: String,
}

impl std::fmt::Debug for AccessKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyPair")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .finish()
    }
}

/// A RAM user (and the key created with it, if any).
#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    /// Owning account.
    pub account_id: String,
    /// RAM user name.
    pub user_name: String,
    /// Numeric user id (`UserId` / `PrincipalId` in `GetCallerIdentity`).
    pub user_id: String,
    /// `acs:ram::<account>:user/<name>`.
    pub arn: String,
    /// The AccessKey created with the user.
    pub access_key: Option<AccessKeyPair>,
}

/// A RAM role.
#[derive(Debug, Clone, Serialize)]
pub struct RoleInfo {
    /// Owning account.
    pub account_id: String,
    /// Role name.
    pub role_name: String,
    /// Numeric role id (prefix of `AssumedRoleId`).
    pub role_id: String,
    /// `acs:ram::<account>:role/<name>`.
    pub arn: String,
    /// Upper bound of `DurationSeconds` (3600..=43200).
    pub max_session_duration: u64,
}

/// One long-term AccessKey as listed by the admin API (no secret).
#[derive(Debug, Clone, Serialize)]
pub struct AccessKeyInfo {
    /// The key id.
    pub access_key_id: String,
    /// `Active` or `Inactive`.
    pub status: KeyStatus,
    /// `YYYY-MM-DDThh:mm:ssZ`.
    pub create_date: String,
    /// Last successful authentication with this key.
    pub last_used: Option<String>,
    /// Owner; `None` = the account root.
    pub user_name: Option<String>,
}

/// A KMS `RAMCredentials` secret just created.
#[derive(Debug, Clone, Serialize)]
pub struct SecretInfo {
    /// Secret name.
    pub secret_name: String,
    /// Owning account.
    pub account_id: String,
    /// RAM user whose keys the secret holds.
    pub user_name: String,
    /// First version (stage `ACSCurrent`).
    pub version_id: String,
    /// The key stored in that version.
    pub access_key: AccessKeyPair,
}

/// One version of a KMS secret.
#[derive(Debug, Clone, Serialize)]
pub struct SecretVersionInfo {
    /// Version id.
    pub version_id: String,
    /// AccessKey stored in it.
    pub access_key_id: String,
    /// `ACSCurrent`, `ACSPrevious`, or none.
    pub stages: Vec<String>,
    /// `YYYY-MM-DDThh:mm:ssZ`.
    pub create_time: String,
}
