//! Why the engine has no credentials for a profile, in one line.

use crate::profile::ProfileName;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("profile {0} does not exist; see `alicred profile list`")]
    UnknownProfile(String),
    #[error("no active profile; choose one with `alicred use NAME`")]
    NoActiveProfile,
    #[error("profile {profile} needs you: {why}")]
    NeedsUser { profile: ProfileName, why: String },
    #[error("credentials of {profile} expired and could not be refreshed: {reason}")]
    Expired {
        profile: ProfileName,
        reason: String,
    },
    #[error("credentials of {profile} are not available yet: {reason}")]
    NotYetAvailable {
        profile: ProfileName,
        reason: String,
    },
    #[error("the refresh engine has shut down")]
    ShutDown,
}
