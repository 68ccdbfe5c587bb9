//! Profiles: what the user configured, never a secret.
//!
//! A profile is a name plus one [`ProfileKind`]; each kind carries exactly the
//! fields its provider needs, so a `ram-role-arn` without a source cannot be
//! written down. Secrets for a profile live in the keyring under
//! [`crate::store::secrets::SecretKey::Profile`].

mod guide;
pub mod input;
mod kind;
mod name;
pub mod validate;

pub use guide::TypeGuide;
pub use input::ProfileInput;
pub use kind::*;
pub use name::ProfileName;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: ProfileName,
    #[serde(flatten)]
    pub kind: ProfileKind,
    /// Region for endpoint selection (`sts.<region>.aliyuncs.com`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Free text (typed, or brought by an import): printable when read.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::printable::de_opt"
    )]
    pub description: Option<String>,
    /// The browser command `alicred console` opens this profile's console
    /// with (e.g. `firefox -P work`), so several accounts stay side by side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_browser: Option<String>,
    #[serde(default = "Utc::now")]
    pub created_at: DateTime<Utc>,
}

impl Profile {
    pub fn new(name: ProfileName, kind: ProfileKind) -> Self {
        Self {
            name,
            kind,
            region: None,
            description: None,
            console_browser: None,
            created_at: Utc::now(),
        }
    }

    pub fn profile_type(&self) -> ProfileType {
        self.kind.profile_type()
    }

    /// The profile this one takes its credentials from, if any.
    pub fn source(&self) -> Option<&ProfileName> {
        match &self.kind {
            ProfileKind::RamRoleArn(r) => Some(&r.source),
            _ => None,
        }
    }
}
