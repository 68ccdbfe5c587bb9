//! One-line errors with the exit code the contract promises: 2 usage, 1 other.

use alicred_core::profile::{ProfileName, ProfileType, Remedy};
use alicred_core::rotation::RotationError;
use alicred_core::service::{SecretProblem, ServiceError};
use alicred_core::store::config::ConfigError;
use alicred_core::store::secrets::SecretError;
use alicred_core::usecases::UseCaseError;
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
        let m = service_message(&e);
        if e.is_usage() {
            CliError::Usage(m)
        } else {
            CliError::Failed(m)
        }
    }
}

/// The core says what is wrong; the CLI adds how to fix it, in flags.
fn service_message(e: &ServiceError) -> String {
    const JSON: &str = r#"{"AccessKeyId":"…","AccessKeySecret":"…"}"#;
    match e {
        ServiceError::Exists(n) => {
            format!("{e}; use `alicred profile add {n} --replace …` to change it")
        }
        ServiceError::MissingSecret(ty) => {
            format!("a {ty} profile needs its secret: pass --from-env, or JSON on stdin like {JSON}")
        }
        ServiceError::UnexpectedSecret(_) => format!("{e}; drop --from-env and stdin"),
        ServiceError::NoActiveProfile => format!("{e}; run `alicred use NAME`"),
        ServiceError::BadSecret(p) => match p {
            SecretProblem::MissingToken => "an sts-token profile needs SecurityToken (ALIBABA_CLOUD_SECURITY_TOKEN, or \"SecurityToken\" in the stdin JSON)".into(),
            SecretProblem::UnexpectedToken => "an access-key profile takes no SecurityToken; use --type sts-token for temporary credentials".into(),
            SecretProblem::Empty => format!("stdin was empty; pipe JSON like {JSON}"),
            SecretProblem::BadJson(m) => format!("secret JSON on stdin is invalid: {m}"),
            SecretProblem::NotInEnvironment => "--from-env needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET) set".into(),
            SecretProblem::BadKeyId | SecretProblem::BadKeySecret => p.to_string(),
        },
        _ => e.to_string(),
    }
}

impl From<UseCaseError> for CliError {
    fn from(e: UseCaseError) -> Self {
        let usage = e.is_usage();
        let fix = e.remedy().and_then(|(n, ty, r)| remedy_hint(n, ty, r));
        let m = match e {
            UseCaseError::Service(s) => return s.into(),
            UseCaseError::SignIn(s) => return s.into(),
            UseCaseError::BadUrl { value, reason } => {
                format!("--sts-endpoint {value:?} is not a URL: {reason}")
            }
            e @ UseCaseError::NoImportFile(_) => format!("{e}; pass --file"),
            // Only `exec --uri-only` asks a bearer-token profile for a URI.
            e @ UseCaseError::NotCredentials(_) => format!("--uri-only does not apply: {e}"),
            UseCaseError::NoAgent => {
                "no alicred agent is running, and --uri-only needs one; start it with `alicred agent`".into()
            }
            UseCaseError::OldKeyChoiceForKms { .. } => {
                "--delete-old and --deactivate-old apply to access-key profiles; KMS retires a secret's old keys itself".into()
            }
            UseCaseError::Rotation(RotationError::TwoKeys {
                message,
                deletable: Some(_),
            }) => format!("{message} (pass --yes to allow alicred to delete it)"),
            other => other.to_string(),
        };
        let m = match fix {
            Some(fix) => format!("{m}; {fix}"),
            None => m,
        };
        if usage {
            CliError::Usage(m)
        } else {
            CliError::Failed(m)
        }
    }
}

/// The core says the user must act; the CLI says how, in commands.
/// (A sign-in's message names its command already: the endpoint and the
/// agent tell it too, with no CLI in between.)
fn remedy_hint(name: &ProfileName, ty: ProfileType, r: Remedy) -> Option<String> {
    match r {
        Remedy::SignIn => None,
        Remedy::NewSecret => Some(format!(
            "run `alicred profile add {name} --type {ty} --from-env --replace`"
        )),
        Remedy::EditProfile => Some(format!(
            "check its settings with `alicred profile show {name}`"
        )),
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
