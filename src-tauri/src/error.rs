//! What a failed command sends to the dashboard: a sentence a person can act
//! on, plus field problems for the forms. Never a secret.

use alicred_core::profile::validate::Problem;
use alicred_core::service::ServiceError;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CommandError {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

impl CommandError {
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            problems: Vec::new(),
        }
    }
}

impl From<ServiceError> for CommandError {
    fn from(e: ServiceError) -> Self {
        let message = e.to_string();
        match e {
            ServiceError::Invalid(problems) => Self { message, problems },
            _ => Self::msg(message),
        }
    }
}

impl From<alicred_core::engine::EngineError> for CommandError {
    fn from(e: alicred_core::engine::EngineError) -> Self {
        Self::msg(e.to_string())
    }
}

impl From<alicred_core::providers::ProviderError> for CommandError {
    fn from(e: alicred_core::providers::ProviderError) -> Self {
        Self::msg(e.to_string())
    }
}

impl From<tauri::Error> for CommandError {
    fn from(e: tauri::Error) -> Self {
        Self::msg(format!("desktop error: {e}"))
    }
}

/// A profile name from the UI, or a clear error.
pub fn parse_name(name: &str) -> Result<alicred_core::profile::ProfileName, CommandError> {
    name.parse()
        .map_err(|e: String| CommandError::msg(format!("{name:?} is not a profile name: {e}")))
}

pub type CmdResult<T> = Result<T, CommandError>;
