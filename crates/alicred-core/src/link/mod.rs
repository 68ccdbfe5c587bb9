//! Linking other tools to alicred, so they find its profiles with no
//! variables set. [`aliyun_cli`]: External profiles in the aliyun CLI's
//! `config.json`, which every official SDK's default chain reads.

pub mod aliyun_cli;
pub mod cli_config;
pub mod external;
pub mod files;
pub mod watch;
pub mod write_back;

use crate::profile::ProfileName;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("profile {0} does not exist; see `alicred profile list`")]
    NoSuchProfile(ProfileName),
    #[error("no profiles to link: name them, or pass --all")]
    NothingToLink,
    #[error(
        "alicred is installed at {0:?}, a path with a space: older SDKs split the aliyun CLI's process_command on spaces; install alicred under a path without spaces"
    )]
    SpaceInPath(PathBuf),
    #[error(
        "{path} is not valid aliyun CLI config JSON ({reason}); fix or move it; nothing was changed"
    )]
    Malformed { path: PathBuf, reason: String },
    #[error(
        "the aliyun CLI profile {name} in {path} was not written by alicred; rename or remove it there first; nothing was changed"
    )]
    NotOurs { name: String, path: PathBuf },
    #[error("profile {name} was not linked into {path} by alicred; nothing was changed")]
    NotLinked { name: String, path: PathBuf },
    #[error(
        "profile {name} is a {kind} profile: linked, the SDKs would write its long-term AccessKey secret into the aliyun CLI's config.json on every refresh, where it lies until alicred strips it; link a ram-role-arn profile that uses it as its source, or pass --allow-long-term-key"
    )]
    LongTermKey { name: String, kind: &'static str },
    #[error("cannot find the aliyun CLI config: set HOME or ALIBABA_CLOUD_CONFIG_FILE")]
    NoConfigPath,
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}; nothing was changed")]
    Write { path: PathBuf, reason: String },
    #[error(transparent)]
    Config(#[from] crate::store::config::ConfigError),
}

impl LinkError {
    /// Errors in what the user typed or installed (exit code 2 at the CLI).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            LinkError::NoSuchProfile(_)
                | LinkError::NothingToLink
                | LinkError::SpaceInPath(_)
                | LinkError::NotLinked { .. }
                | LinkError::LongTermKey { .. }
        )
    }
}
