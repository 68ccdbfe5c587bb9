//! What a failed request answers: a sentence a person can act on, plus
//! field problems for the forms. Never a secret.

use crate::profile::Remedy;
use crate::profile::validate::Problem;
use crate::service::{SecretProblem, ServiceError};
use crate::usecases::UseCaseError;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ApiError {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<Problem>>", optional))]
    pub problems: Vec<Problem>,
}

impl ApiError {
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            problems: Vec::new(),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let message = service_message(&e);
        match e {
            ServiceError::Invalid(problems) => Self { message, problems },
            _ => Self::msg(message),
        }
    }
}

/// The core says what is wrong; the dashboard says how to fix it in the
/// words of its form.
fn service_message(e: &ServiceError) -> String {
    match e {
        ServiceError::Exists(n) => {
            format!("A profile named {n} already exists: choose another name, or edit {n}.")
        }
        ServiceError::MissingSecret(ty) => {
            format!("A {ty} profile needs its secret: fill in AccessKeyId and AccessKeySecret.")
        }
        ServiceError::UnexpectedSecret(ty) => {
            format!("A {ty} profile takes no secret: leave the secret fields empty.")
        }
        ServiceError::BadSecret(p) => match p {
            SecretProblem::MissingToken => {
                "An sts-token profile needs its SecurityToken: fill in SecurityToken.".into()
            }
            SecretProblem::UnexpectedToken => "An access-key profile takes no SecurityToken: clear SecurityToken, or choose the sts-token type for temporary credentials.".into(),
            other => other.to_string(),
        },
        ServiceError::NoActiveProfile => {
            "No profile is active: pick one in the table (Use).".into()
        }
        other => other.to_string(),
    }
}

impl From<UseCaseError> for ApiError {
    fn from(e: UseCaseError) -> Self {
        // The core says the user must act; the dashboard says where, in its controls.
        if let Some((_, _, r)) = e.remedy() {
            let fix = match r {
                Remedy::SignIn => "Sign in from its row in the dashboard.",
                Remedy::NewSecret => "Edit the profile and paste a new one.",
                Remedy::EditProfile => "Edit the profile to check its settings.",
            };
            return Self::msg(format!("{e}. {fix}"));
        }
        match e {
            UseCaseError::Service(s)
            | UseCaseError::SignIn(crate::signin::SignInError::Service(s)) => s.into(),
            UseCaseError::BadUrl { value, reason } => {
                Self::msg(format!("The STS endpoint {value:?} is not a URL: {reason}"))
            }
            other => Self::msg(other.to_string()),
        }
    }
}

impl From<crate::engine::EngineError> for ApiError {
    fn from(e: crate::engine::EngineError) -> Self {
        Self::msg(e.to_string())
    }
}

impl From<crate::providers::ProviderError> for ApiError {
    fn from(e: crate::providers::ProviderError) -> Self {
        Self::msg(e.to_string())
    }
}

/// A profile name from a shell, or a clear error.
pub fn parse_name(name: &str) -> Result<crate::profile::ProfileName, ApiError> {
    name.parse()
        .map_err(|e: String| ApiError::msg(format!("{name:?} is not a profile name: {e}")))
}

pub type ApiResult<T> = Result<T, ApiError>;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}
