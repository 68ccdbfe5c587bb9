//! Why a use case failed: kinds with their facts. Messages say what is wrong
//! in neutral words; how to fix it (a flag, a form field) is the shell's.

use crate::profile::{ProfileName, ProfileType, Remedy};
use crate::providers::ProviderError;
use crate::rotation::RotationError;
use crate::service::ServiceError;
use crate::store::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The profile's provider could not be built or could not fetch.
    #[error("profile {profile}: {cause}")]
    Provider {
        profile: ProfileName,
        ty: ProfileType,
        cause: ProviderError,
    },
    /// An endpoint the user typed is not a URL.
    #[error("{value:?} is not a URL: {reason}")]
    BadUrl { value: String, reason: String },
    /// GetCallerIdentity with the profile's credentials failed.
    #[error("profile {profile} does not work: {cause}")]
    VerifyFailed {
        profile: ProfileName,
        ty: ProfileType,
        cause: ProviderError,
    },
    #[error(
        "profile {profile} is a {ty} profile; only access-key profiles (RAM) and kms-secret profiles (KMS) can be rotated"
    )]
    NotRotatable {
        profile: ProfileName,
        ty: ProfileType,
    },
    /// A choice about the old key was made for a KMS secret.
    #[error(
        "profile {profile} is a kms-secret profile: KMS retires a secret's old keys itself, so there is no old key to keep or delete"
    )]
    OldKeyChoiceForKms { profile: ProfileName },
    #[error(transparent)]
    Rotation(#[from] RotationError),
    /// The engine has not built this profile yet (it was just added).
    #[error("profile {0} is not loaded yet; try again in a moment")]
    NotLoaded(ProfileName),
    /// A sign-in did not happen (denied, expired, unknown session...).
    #[error(transparent)]
    SignIn(#[from] crate::signin::SignInError),
    /// Another sign-in is waiting for the user.
    #[error("a sign-in is already waiting for you; finish or cancel it first")]
    SignInRunning,
    /// A long-term key cannot sign in to the console.
    #[error(
        "profile {profile} is a {ty} profile: a long-term key cannot open the console, only STS credentials can; add a ram-role-arn profile with {profile} as its source and open that one"
    )]
    NoConsole {
        profile: ProfileName,
        ty: ProfileType,
    },
    /// What the profile returned has no security token.
    #[error(
        "profile {profile} returned a long-term AccessKey, not STS credentials: the console needs STS credentials; add a ram-role-arn profile with {profile} as its source and open that one"
    )]
    NotSts {
        profile: ProfileName,
        ty: ProfileType,
    },
    /// A console destination outside the Alibaba Cloud console.
    #[error(
        "{value:?} is not an Alibaba Cloud console address (https://….console.aliyun.com/… or https://….console.alibabacloud.com/…); nothing was opened"
    )]
    NotConsoleAddress { value: String },
    /// A browser command that does not split into words.
    #[error("the browser command ({}) does not parse as a command line", match from {
        crate::usecases::console::BrowserSource::Asked => "asked for",
        crate::usecases::console::BrowserSource::Profile => "the profile's console_browser",
        crate::usecases::console::BrowserSource::Environment => "$BROWSER",
    })]
    BadBrowser {
        from: crate::usecases::console::BrowserSource,
    },
    /// The running agent could not hand out the credentials (its reason).
    #[error("{0}")]
    Agent(String),
    /// The running agent does not serve this profile to other processes,
    /// and resolving it here failed too.
    #[error("{refusal} (resolving it here failed too: {cause})")]
    NotExposed {
        refusal: String,
        cause: Box<UseCaseError>,
    },
    /// A bearer-token profile was asked for credentials.
    #[error("{}", crate::providers::bearer_token::not_credentials(.0))]
    NotCredentials(ProfileName),
    /// A credentials URI was asked for and no agent runs.
    #[error("no alicred agent is running")]
    NoAgent,
    #[error("cannot read the endpoint token: {0}")]
    Token(String),
    /// A token rotation failed, or the running agent did not confirm it.
    #[error("{0}")]
    TokenRotation(String),
    /// A program could not be started in place of this process.
    #[error("cannot run {program}: {reason}")]
    Exec {
        program: String,
        reason: String,
        not_found: bool,
    },
    /// No file to import from was given, and the usual one is not there.
    #[error("{}", match .0 {
        super::import::ImportSource::AliyunCli => "cannot find your home directory for ~/.aliyun/config.json",
        super::import::ImportSource::Ini => "no ~/.alibabacloud/credentials.ini or ~/.alibabacloud/credentials (or ALIBABA_CLOUD_CREDENTIALS_FILE)",
    })]
    NoImportFile(super::import::ImportSource),
    /// The file to import from cannot be read or parsed.
    #[error("{0}")]
    Import(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ConfigError> for UseCaseError {
    fn from(e: ConfigError) -> Self {
        UseCaseError::Service(e.into())
    }
}

impl UseCaseError {
    /// What only the user can do about it, when that is what it takes (the
    /// shell words it: a command at the CLI, a button in the dashboard).
    pub fn remedy(&self) -> Option<(&ProfileName, ProfileType, Remedy)> {
        match self {
            UseCaseError::Provider { profile, ty, cause }
            | UseCaseError::VerifyFailed { profile, ty, cause }
                if matches!(cause, ProviderError::NeedsUser(_)) =>
            {
                Some((profile, *ty, ty.remedy()))
            }
            _ => None,
        }
    }

    /// Errors the user caused by what they asked (exit code 2 at the CLI).
    pub fn is_usage(&self) -> bool {
        match self {
            UseCaseError::Service(e) => e.is_usage(),
            UseCaseError::Rotation(e) => e.is_usage(),
            UseCaseError::SignIn(e) => matches!(e, crate::signin::SignInError::Usage(_)),
            UseCaseError::BadUrl { .. }
            | UseCaseError::NoImportFile(_)
            | UseCaseError::NotRotatable { .. }
            | UseCaseError::OldKeyChoiceForKms { .. }
            | UseCaseError::NotConsoleAddress { .. }
            | UseCaseError::BadBrowser { .. }
            | UseCaseError::NotCredentials(_) => true,
            _ => false,
        }
    }
}
