//! `Alicred`: profile management as one object the CLI, the agent and the
//! desktop app share. Each method is a whole user action: validate, write the
//! secret, write the profile, and undo the secret if the profile write fails.

use crate::paths::Paths;
use crate::profile::validate::{self, Problem, Severity};
use crate::profile::{ProfileInput, ProfileName, ProfileType};
use crate::sensitive::Sensitive;
use crate::store::config::{ConfigError, ConfigStore, ProfilesFile};
use crate::store::secrets::{self, SecretError, SecretKey, SecretStore, StoredKey};
use serde::Deserialize;
use std::sync::Arc;

/// Why a profile action failed. Each kind carries its facts; the messages
/// name no CLI flag or form field: each shell adds its own words for how to
/// fix it (see `alicred-cli`'s and the desktop's error modules).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{}", one_line_problems(.0))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("profile {0} already exists")]
    Exists(ProfileName),
    #[error("profile {name} is the source of {dependents}; remove or change those first")]
    HasDependents {
        name: ProfileName,
        dependents: String,
    },
    #[error("a {0} profile needs its secret (an AccessKeyId and AccessKeySecret)")]
    MissingSecret(ProfileType),
    #[error("a {0} profile takes no secret")]
    UnexpectedSecret(ProfileType),
    #[error("a bearer-token profile needs its token")]
    MissingBearerToken,
    #[error(transparent)]
    BadSecret(#[from] SecretProblem),
    #[error("no profile given and no active profile")]
    NoActiveProfile,
    /// The configured secret store is not one alicred knows (a usage error).
    #[error("{0}")]
    SecretBackend(String),
}

/// What is wrong with a secret the user handed over. Never holds the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretProblem {
    #[error("AccessKeyId must be 1-128 letters, digits, '.', '_' or '-'")]
    BadKeyId,
    #[error("AccessKeySecret must be non-empty and contain no spaces")]
    BadKeySecret,
    #[error("an sts-token profile needs a SecurityToken")]
    MissingToken,
    #[error(
        "an access-key profile takes no SecurityToken (temporary credentials are an sts-token profile)"
    )]
    UnexpectedToken,
    #[error("the secret input was empty")]
    Empty,
    /// serde's message: names the field and position, never the value.
    #[error("the secret JSON is invalid: {0}")]
    BadJson(String),
    #[error(
        "no AccessKey in the environment: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET) are not set"
    )]
    NotInEnvironment,
}

impl ServiceError {
    /// Errors the user caused by what they typed (exit code 2 at the CLI).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ServiceError::Invalid(_)
                | ServiceError::MissingSecret(_)
                | ServiceError::UnexpectedSecret(_)
                | ServiceError::MissingBearerToken
                | ServiceError::BadSecret(_)
                | ServiceError::NoActiveProfile
                | ServiceError::SecretBackend(_)
                | ServiceError::Config(ConfigError::NoSuchProfile(_))
        )
    }
}

fn one_line_problems(p: &[Problem]) -> String {
    let errs: Vec<String> = p
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(Problem::to_string)
        .collect();
    format!("invalid profile: {}", errs.join("; "))
}

#[derive(Clone, Debug)]
pub struct Alicred {
    config: ConfigStore,
    secrets: Arc<dyn SecretStore>,
}

impl Alicred {
    /// Open with the secret store chosen by `ALICRED_KEYRING`, the profiles
    /// file's setting, or the platform default.
    pub fn open(paths: Paths) -> Result<Self, ServiceError> {
        let config = ConfigStore::new(paths.clone());
        let configured = config.load()?.settings.keyring;
        let backend = secrets::choose_backend(configured).map_err(ServiceError::SecretBackend)?;
        Ok(Self {
            secrets: secrets::open(backend, &paths),
            config,
        })
    }

    pub fn with_store(paths: Paths, secrets: Arc<dyn SecretStore>) -> Self {
        Self {
            config: ConfigStore::new(paths),
            secrets,
        }
    }

    pub fn paths(&self) -> &Paths {
        self.config.paths()
    }
    pub fn config(&self) -> &ConfigStore {
        &self.config
    }
    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    pub fn profiles(&self) -> Result<ProfilesFile, ServiceError> {
        Ok(self.config.load()?)
    }

    /// Check a form without saving; warnings included.
    pub fn check(&self, input: &ProfileInput) -> Result<Vec<Problem>, ServiceError> {
        let file = self.config.load()?;
        Ok(match input.into_profile() {
            Err(problems) => problems,
            Ok(p) => validate::validate(&p, &file.profiles),
        })
    }

    /// Add (or with `replace`, change) a profile. Returns the warnings.
    /// Nothing is written unless everything is valid; a secret written before
    /// a failed profile write is removed again.
    pub fn add_profile(
        &self,
        input: &ProfileInput,
        secret: Option<StoredKey>,
        replace: bool,
    ) -> Result<Vec<Problem>, ServiceError> {
        let mut profile = input.into_profile().map_err(ServiceError::Invalid)?;
        let ty = profile.profile_type();
        let existing = self.config.load()?;
        // A credentials URI with a token in it: the whole URL goes to the
        // keyring, the profiles file keeps scheme, host, port and path.
        let uri_secret = keep_uri_token(&mut profile);
        let had_secret = existing.profiles.contains_key(&profile.name) && ty.stores_secret();
        match (&secret, ty.stores_secret()) {
            (Some(_), false) => return Err(ServiceError::UnexpectedSecret(ty)),
            (None, true) if !(replace && had_secret) => {
                return Err(ServiceError::MissingSecret(ty));
            }
            _ => {}
        }
        if let Some(s) = &secret {
            check_secret(ty, s)?;
        }
        let problems = validate::validate(&profile, &existing.profiles);
        if problems.iter().any(|p| p.severity == Severity::Error) {
            return Err(ServiceError::Invalid(problems));
        }
        if existing.profiles.contains_key(&profile.name) && !replace {
            return Err(ServiceError::Exists(profile.name));
        }
        let key = SecretKey::Profile(profile.name.clone());
        let to_store = match (&secret, uri_secret) {
            (Some(s), _) => Some(Sensitive::new(
                serde_json::to_string(s).map_err(|e| SecretError::Other(e.to_string()))?,
            )),
            (None, u) => u,
        };
        let previous = match &to_store {
            Some(_) => self.secrets.get(&key)?,
            None => None,
        };
        if let Some(s) = &to_store {
            self.secrets.set(&key, s)?;
        }
        let name = profile.name.clone();
        let written = self.config.update(|f| -> Result<(), ServiceError> {
            // Re-check under the lock: another process may have changed things.
            if f.profiles.contains_key(&name) && !replace {
                return Err(ServiceError::Exists(name.clone()));
            }
            let mut others = f.profiles.clone();
            others.remove(&name);
            let problems = validate::validate(&profile, &others);
            if problems.iter().any(|p| p.severity == Severity::Error) {
                return Err(ServiceError::Invalid(problems));
            }
            f.profiles.insert(name.clone(), profile.clone());
            if f.active.is_none() {
                f.active = Some(name.clone());
            }
            Ok(())
        });
        if let Err(e) = written {
            if to_store.is_some() {
                // Put back what was there, so a failed add loses nothing.
                let _ = match &previous {
                    Some(v) => self.secrets.set(&key, v),
                    None => self.secrets.delete(&key),
                };
            }
            return Err(e);
        }
        Ok(problems
            .into_iter()
            .filter(|p| p.severity == Severity::Warning)
            .collect())
    }

    /// Remove a profile and its secrets. Refused while others chain on it.
    pub fn remove_profile(&self, name: &ProfileName) -> Result<(), ServiceError> {
        self.config.update(|f| -> Result<(), ServiceError> {
            f.get(name)?;
            let deps = f.dependents_of(name);
            if !deps.is_empty() {
                let list: Vec<_> = deps.iter().map(ProfileName::as_str).collect();
                return Err(ServiceError::HasDependents {
                    name: name.clone(),
                    dependents: list.join(", "),
                });
            }
            f.profiles.remove(name);
            if f.active.as_ref() == Some(name) {
                f.active = f.profiles.keys().next().cloned();
            }
            Ok(())
        })?;
        for key in [
            SecretKey::Profile(name.clone()),
            SecretKey::Session(name.clone()),
        ] {
            self.secrets.delete(&key)?;
        }
        Ok(())
    }

    pub fn set_active(&self, name: &ProfileName) -> Result<(), ServiceError> {
        self.config.update(|f| -> Result<(), ServiceError> {
            f.get(name)?;
            f.active = Some(name.clone());
            Ok(())
        })?;
        // Linked with `--current`: the aliyun CLI's `current` follows.
        if let Err(e) = crate::link::aliyun_cli::follow_use(self, name) {
            tracing::warn!("the aliyun CLI's current profile was not moved: {e}");
        }
        Ok(())
    }

    /// What providers of this home run with: its keyring, the system clock,
    /// this process's environment, and its lock directory (so a CLI and a
    /// running agent never spend the same OAuth refresh token).
    pub fn provider_context(&self) -> crate::providers::ProviderContext {
        crate::providers::ProviderContext::new(
            self.secrets.clone(),
            Arc::new(crate::clock::SystemClock),
        )
        .with_locks(self.paths().lock_dir())
    }

    /// Everything the agent needs, with the real provider builder, the
    /// system clock and this process's environment.
    pub fn agent_config(&self) -> crate::server::AgentConfig {
        let ctx = self.provider_context();
        crate::server::AgentConfig::new(
            self.paths().clone(),
            self.secrets.clone(),
            ctx,
            Arc::new(crate::engine::StandardFactory),
        )
    }

    /// The active profile, or `name` when given.
    pub fn resolve_name(&self, name: Option<&ProfileName>) -> Result<ProfileName, ServiceError> {
        if let Some(n) = name {
            return Ok(n.clone());
        }
        if let Ok(v) = std::env::var("ALIBABA_CLOUD_PROFILE")
            && let Ok(n) = v.parse::<ProfileName>()
            && self.config.load()?.profiles.contains_key(&n)
        {
            return Ok(n);
        }
        self.config
            .load()?
            .active
            .ok_or(ServiceError::NoActiveProfile)
    }
}

/// For a credentials-uri profile whose URL holds more than scheme, host,
/// port and path: strip the profile's URL and return the full one for the
/// keyring. Re-saving the stripped URL leaves a kept one in place: the
/// provider uses a kept URL only while its public part matches the profile's.
fn keep_uri_token(profile: &mut crate::profile::Profile) -> Option<Sensitive> {
    use crate::profile::{CredentialsUriProfile, ProfileKind};
    let ProfileKind::CredentialsUri(c) = &mut profile.kind else {
        return None;
    };
    if !CredentialsUriProfile::has_secret_parts(&c.uri) {
        return None;
    }
    let full = Sensitive::new(c.uri.to_string());
    c.uri = CredentialsUriProfile::public_part(&c.uri);
    Some(full)
}

fn check_secret(ty: ProfileType, s: &StoredKey) -> Result<(), SecretProblem> {
    let id_ok = !s.access_key_id.is_empty()
        && s.access_key_id.len() <= 128
        && s.access_key_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !id_ok {
        return Err(SecretProblem::BadKeyId);
    }
    if s.access_key_secret.is_empty()
        || s.access_key_secret
            .expose()
            .chars()
            .any(char::is_whitespace)
    {
        return Err(SecretProblem::BadKeySecret);
    }
    match (ty, &s.security_token) {
        (ProfileType::StsToken, None) => Err(SecretProblem::MissingToken),
        (ProfileType::AccessKey, Some(_)) => Err(SecretProblem::UnexpectedToken),
        _ => Ok(()),
    }
}

/// Parse the secret JSON a user pipes on stdin. Accepts the credentials-URI
/// spelling (`AccessKeyId`) and the aliyun CLI one (`access_key_id`).
pub fn secret_from_json(text: &str) -> Result<StoredKey, ServiceError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Input {
        #[serde(alias = "AccessKeyId", alias = "access_key_id")]
        id: String,
        #[serde(alias = "AccessKeySecret", alias = "access_key_secret")]
        secret: Sensitive,
        #[serde(
            default,
            alias = "SecurityToken",
            alias = "security_token",
            alias = "sts_token"
        )]
        token: Option<Sensitive>,
    }
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SecretProblem::Empty.into());
    }
    // serde_json's message names the field and position but never the value.
    let i: Input = serde_json::from_str(trimmed).map_err(|e| {
        let msg = e
            .to_string()
            .replace("`id`", "AccessKeyId")
            .replace("`secret`", "AccessKeySecret")
            .replace("`token`", "SecurityToken");
        ServiceError::BadSecret(SecretProblem::BadJson(msg))
    })?;
    Ok(StoredKey {
        access_key_id: i.id,
        access_key_secret: i.secret,
        security_token: i.token.filter(|t| !t.is_empty()),
    })
}

/// Read the secret from `ALIBABA_CLOUD_*`, falling back to `OSS_*`.
pub fn secret_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<StoredKey, ServiceError> {
    match crate::env_vars::read_key(env) {
        Some((id, secret, token)) => Ok(StoredKey {
            access_key_id: id,
            access_key_secret: secret,
            security_token: token,
        }),
        None => Err(SecretProblem::NotInEnvironment.into()),
    }
}
