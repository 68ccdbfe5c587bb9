//! Why a rotation stopped, as one line that says what state the keys are in
//! and what to do. Built only from key IDs and scrubbed upstream messages,
//! never from a secret.

use crate::profile::{ProfileName, ProfileType};
use crate::providers::ProviderError;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("{0}")]
    Config(String),
    #[error(
        "profile {name} is a {ty} profile; only access-key profiles rotate through RAM (and kms-secret profiles through KMS)"
    )]
    NotRotatable { name: ProfileName, ty: ProfileType },
    #[error(
        "a rotation of {0} is already running (in this or another alicred process); wait for it to finish and try again"
    )]
    Busy(ProfileName),
    #[error(
        "profile {0} has no AccessKey in the keyring, so there is nothing to rotate; store its key again (edit the profile with a new secret)"
    )]
    NoStoredKey(ProfileName),
    /// RAM allows two keys per user; the other one is active or the user did
    /// not agree to delete it. `deletable`: the inactive key that consent
    /// (`RotateOptions::delete_inactive`) would delete.
    #[error("{message}")]
    TwoKeys {
        message: String,
        deletable: Option<String>,
    },
    /// A step failed; `state` says where that leaves the keys, `hint` what to do.
    #[error("rotation of {profile} stopped at {action}: {cause}. {state}{hint}")]
    Step {
        profile: ProfileName,
        action: &'static str,
        cause: String,
        state: String,
        hint: String,
    },
    #[error("rotation journal: {0}")]
    Journal(String),
    #[error("keyring: {0}")]
    Secret(String),
}

impl RotationError {
    /// Errors the user caused by what they asked (exit code 2 at the CLI).
    pub fn is_usage(&self) -> bool {
        matches!(self, RotationError::NotRotatable { .. })
    }
}

impl From<std::io::Error> for RotationError {
    fn from(e: std::io::Error) -> Self {
        RotationError::Journal(e.to_string())
    }
}

impl From<crate::store::secrets::SecretError> for RotationError {
    fn from(e: crate::store::secrets::SecretError) -> Self {
        RotationError::Secret(e.to_string())
    }
}

/// What to do about a failed call, as a sentence starting with a space (or empty).
pub fn hint(action: &str, e: &ProviderError) -> String {
    let code = match e {
        ProviderError::Upstream { code, .. } | ProviderError::Throttled { code, .. } => {
            code.as_str()
        }
        _ => "",
    };
    let service = if action == "GetCallerIdentity" {
        "STS"
    } else {
        "RAM"
    };
    let text = if code.starts_with("NoPermission")
        || code.starts_with("Forbidden")
        || code.contains("NotAuthorized")
        || code.contains("AccessDenied")
    {
        format!(
            "The key's RAM user lacks ram:{action}; ask an admin for AliyunRAMFullAccess or a policy allowing ram:*AccessKey* on itself."
        )
    } else if code.starts_with("LimitExceeded") {
        "The RAM user already has two AccessKeys (the limit); delete one that nothing uses in the RAM console, then rotate again.".into()
    } else if code.starts_with("InvalidAccessKeyId") || code.contains("SignatureDoesNotMatch") {
        "The profile's stored key is not accepted any more; store a working key in the profile again.".into()
    } else if code.starts_with("EntityNotExist.User") {
        "The RAM user named in the profile does not exist; fix the profile's user name.".into()
    } else if matches!(e, ProviderError::Throttled { .. }) {
        format!("{service} is throttling requests; wait a minute and rotate again.")
    } else if e.is_transient() {
        format!("{service} is unavailable or unreachable right now; try again later.")
    } else {
        String::new()
    };
    if text.is_empty() {
        text
    } else {
        format!(" {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(code: &str, status: u16) -> ProviderError {
        ProviderError::Upstream {
            service: "RAM".into(),
            status,
            code: code.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn hints_name_the_fix() {
        assert!(hint("CreateAccessKey", &up("NoPermission", 403)).contains("ram:CreateAccessKey"));
        assert!(hint("CreateAccessKey", &up("LimitExceeded.User.AccessKey", 409)).contains("two"));
        assert!(hint("ListAccessKeys", &up("InternalError", 500)).contains("try again later"));
        let t = ProviderError::Throttled {
            service: "RAM".into(),
            code: "Throttling.User".into(),
            retry_after: None,
        };
        assert!(hint("UpdateAccessKey", &t).contains("throttling"));
    }
}
