//! One-line errors with the exit code the contract promises: 2 usage, 1 other.

use alicred_core::service::ServiceError;
use alicred_core::store::config::ConfigError;
use alicred_core::store::secrets::SecretError;
use std::fmt;
use std::process::ExitCode;

#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Failed(String),
}

impl CliError {
    pub fn usage(m: impl Into<String>) -> Self {
        CliError::Usage(m.into())
    }
    pub fn failed(m: impl Into<String>) -> Self {
        CliError::Failed(m.into())
    }
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) => ExitCode::from(1),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = match self {
            CliError::Usage(m) | CliError::Failed(m) => m,
        };
        // Always one line, whatever a lower layer produced.
        f.write_str(&m.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> Self {
        if e.is_usage() {
            CliError::Usage(e.to_string())
        } else {
            CliError::Failed(e.to_string())
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::NoSuchProfile(_) => CliError::Usage(e.to_string()),
            _ => CliError::Failed(e.to_string()),
        }
    }
}

impl From<SecretError> for CliError {
    fn from(e: SecretError) -> Self {
        CliError::Failed(e.to_string())
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

impl From<alicred_core::signin::SignInError> for CliError {
    fn from(e: alicred_core::signin::SignInError) -> Self {
        use alicred_core::signin::SignInError;
        match e {
            SignInError::Usage(m) => CliError::Usage(m),
            SignInError::Service(s) => s.into(),
            other => CliError::Failed(other.to_string()),
        }
    }
}
