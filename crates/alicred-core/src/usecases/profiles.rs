//! Add, edit, remove and use a profile. Each writes through [`Alicred`]
//! (validate, keyring, profiles file) and then reloads the engine when one
//! runs in this process, so the change is live at once.
//!
//! [`Alicred`]: crate::service::Alicred

use super::{UseCaseError, UseCases, blocking};
use crate::profile::validate::Problem;
use crate::profile::{ProfileInput, ProfileName, ProfileType};
use crate::sensitive::Sensitive;
use crate::service::ServiceError;
use crate::store::secrets::StoredKey;

impl UseCases {
    /// Check a form without saving; warnings included.
    pub fn check_profile(&self, input: &ProfileInput) -> Result<Vec<Problem>, UseCaseError> {
        Ok(self.app.check(input)?)
    }

    /// What can be checked before a shell asks for the secret, so a typo
    /// costs no typing: every field of a profile that stands alone, and the
    /// name of a cloud-sso profile (its sign-in settings come from its
    /// session, checked by [`Self::add`]). Its name and type when it passes.
    pub fn check_before_secret(
        &self,
        input: &ProfileInput,
    ) -> Result<(ProfileName, ProfileType), UseCaseError> {
        if input.r#type.trim().parse::<ProfileType>() == Ok(ProfileType::CloudSso) {
            let name = input
                .name
                .trim()
                .parse::<ProfileName>()
                .map_err(|e| ServiceError::Invalid(vec![Problem::error("name", e)]))?;
            return Ok((name, ProfileType::CloudSso));
        }
        let profile = input.into_profile().map_err(ServiceError::Invalid)?;
        Ok((profile.name.clone(), profile.profile_type()))
    }

    /// Add a profile (`replace`: or change it), the way every shell does: a
    /// cloud-sso profile is first checked against what its session is
    /// assigned (and takes the account's and access configuration's names);
    /// any other goes straight to [`Self::add_profile`]. Returns the warnings.
    pub async fn add(
        &self,
        input: ProfileInput,
        secret: Option<NewSecret>,
        replace: bool,
    ) -> Result<Vec<Problem>, UseCaseError> {
        let ty = input.r#type.trim().parse::<ProfileType>().ok();
        let secret = match secret {
            Some(NewSecret::BearerToken(token)) => {
                return self.add_bearer_token(input, Some(token), replace).await;
            }
            None if ty == Some(ProfileType::BearerToken) => {
                return self.add_bearer_token(input, None, replace).await;
            }
            Some(NewSecret::Key(key)) => Some(key),
            None => None,
        };
        if ty == Some(ProfileType::CloudSso) {
            if secret.is_some() {
                return Err(ServiceError::UnexpectedSecret(ProfileType::CloudSso).into());
            }
            let warnings =
                crate::signin::add_sso_profile(&self.app, &self.ctx, &input, replace).await?;
            let me = self.clone();
            blocking(move || me.reload()).await?;
            return Ok(warnings);
        }
        let me = self.clone();
        blocking(move || me.add_profile(&input, secret, replace)).await
    }

    /// Add a profile of a type that needs no network to check (`replace`: or
    /// change it). Returns the warnings. Blocking (keyring, file lock): call
    /// from a blocking thread. Shells call [`Self::add`].
    pub fn add_profile(
        &self,
        input: &ProfileInput,
        secret: Option<StoredKey>,
        replace: bool,
    ) -> Result<Vec<Problem>, UseCaseError> {
        let warnings = self.app.add_profile(input, secret, replace)?;
        self.reload()?;
        Ok(warnings)
    }

    /// A bearer-token profile and its token (CR, LF and NUL dropped, as the
    /// aliyun CLI does). An edit (`replace`) without a token keeps the stored
    /// one. The profile is written first, so a name that is taken never gets
    /// its token overwritten; if the keyring then refuses the token, a new
    /// profile is taken out again and the keyring's error returned.
    async fn add_bearer_token(
        &self,
        input: ProfileInput,
        token: Option<Sensitive>,
        replace: bool,
    ) -> Result<Vec<Problem>, UseCaseError> {
        use crate::providers::bearer_token;
        if input.r#type.trim() != ProfileType::BearerToken.as_str() {
            let ty = input
                .r#type
                .trim()
                .parse()
                .unwrap_or(ProfileType::BearerToken);
            return Err(ServiceError::UnexpectedSecret(ty).into());
        }
        let token = token
            .map(|t| bearer_token::sanitize(t.expose()))
            .filter(|t| !t.is_empty());
        if token.is_none() && !replace {
            return Err(ServiceError::MissingBearerToken.into());
        }
        let me = self.clone();
        blocking(move || {
            let name: ProfileName = input
                .name
                .trim()
                .parse()
                .map_err(|e| ServiceError::Invalid(vec![Problem::error("name", e)]))?;
            let existed = me.app.profiles()?.profiles.contains_key(&name);
            let warnings = me.app.add_profile(&input, None, replace)?;
            if let Some(t) = token
                && let Err(e) = bearer_token::store(me.app.secrets(), &name, &t)
            {
                if !existed {
                    let _ = me.app.remove_profile(&name);
                }
                return Err(ServiceError::from(e).into());
            }
            me.reload()?;
            Ok(warnings)
        })
        .await
    }

    /// The form values of an existing profile (for editing).
    pub fn profile_input(&self, name: &ProfileName) -> Result<ProfileInput, UseCaseError> {
        let file = self.app.profiles()?;
        let p = file.get(name)?;
        Ok(ProfileInput::from_profile(p))
    }

    /// Remove a profile and its secrets. Blocking.
    pub fn remove_profile(&self, name: &ProfileName) -> Result<(), UseCaseError> {
        self.app.remove_profile(name)?;
        self.reload()
    }

    /// Make `name` the active profile (the bare endpoint URL serves it). Blocking.
    pub fn use_profile(&self, name: &ProfileName) -> Result<(), UseCaseError> {
        self.app.set_active(name)?;
        self.reload()
    }

    /// Apply the profiles file to the engine running here, if any. Safe from
    /// any thread. Blocking (reads the file).
    pub fn reload(&self) -> Result<(), UseCaseError> {
        if let Some(e) = &self.engine {
            let file = self.app.profiles()?;
            if file != e.profiles() {
                e.reload(file);
            }
        }
        Ok(())
    }
}

/// The secret a new or changed profile comes with.
#[derive(Clone, Debug, PartialEq)]
pub enum NewSecret {
    /// An AccessKey pair (and an STS token's security token).
    Key(StoredKey),
    /// A bearer-token profile's token.
    BearerToken(Sensitive),
}

impl From<StoredKey> for NewSecret {
    fn from(k: StoredKey) -> Self {
        NewSecret::Key(k)
    }
}

/// Where `profile add` takes a profile's secret from: never an argument.
#[derive(Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// The type keeps no secret, or an edit keeps the stored one.
    Nothing,
    /// `ALIBABA_CLOUD_*` (or `OSS_*`) of this process ([`secret_from_env`]).
    Environment,
    /// Ask on the terminal, in this order ([`secret_from_answers`]).
    Ask(Vec<SecretQuestion>),
    /// JSON on stdin ([`secret_from_stdin`]).
    Stdin,
}

/// One thing to ask for on a terminal.
#[derive(Debug, PartialEq, Eq)]
pub struct SecretQuestion {
    pub label: &'static str,
    /// Not echoed.
    pub hidden: bool,
}

/// Decide [`SecretSource`]: `--from-env`, else a terminal is asked (an edit
/// with `--replace` keeps the stored secret instead), else stdin is read.
pub fn secret_source(
    ty: ProfileType,
    from_env: bool,
    replace: bool,
    stdin_is_terminal: bool,
) -> Result<SecretSource, UseCaseError> {
    if !ty.stores_secret() {
        if from_env {
            return Err(ServiceError::UnexpectedSecret(ty).into());
        }
        return Ok(SecretSource::Nothing);
    }
    Ok(match (from_env, stdin_is_terminal, replace) {
        (true, _, _) => SecretSource::Environment,
        (false, true, true) => SecretSource::Nothing,
        (false, true, false) => {
            let mut q = vec![
                SecretQuestion {
                    label: "AccessKeyId",
                    hidden: false,
                },
                SecretQuestion {
                    label: "AccessKeySecret",
                    hidden: true,
                },
            ];
            if ty == ProfileType::StsToken {
                q.push(SecretQuestion {
                    label: "SecurityToken",
                    hidden: true,
                });
            }
            SecretSource::Ask(q)
        }
        (false, false, _) => SecretSource::Stdin,
    })
}

/// The secret from this process's environment.
pub fn secret_from_env() -> Result<StoredKey, UseCaseError> {
    Ok(crate::service::secret_from_env(&|k| std::env::var(k).ok())?)
}

/// The answers to [`SecretSource::Ask`]'s questions, in their order.
pub fn secret_from_answers(answers: &[Sensitive]) -> Result<StoredKey, UseCaseError> {
    let at = |i: usize| answers.get(i).map(|a| a.expose().trim());
    let json = serde_json::json!({
        "AccessKeyId": at(0).unwrap_or_default(),
        "AccessKeySecret": at(1).unwrap_or_default(),
        "SecurityToken": at(2),
    });
    Ok(crate::service::secret_from_json(&json.to_string())?)
}

/// The secret from what stdin held; nothing at all keeps the stored one
/// when editing (`replace`).
pub fn secret_from_stdin(text: &str, replace: bool) -> Result<Option<StoredKey>, UseCaseError> {
    if text.trim().is_empty() && replace {
        return Ok(None);
    }
    Ok(Some(crate::service::secret_from_json(text)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Paths;
    use crate::service::Alicred;
    use crate::store::secrets::MemoryStore;
    use std::sync::Arc;

    fn input(name: &str, ty: &str) -> ProfileInput {
        ProfileInput {
            name: name.into(),
            r#type: ty.into(),
            ..ProfileInput::default()
        }
    }

    #[test]
    fn what_is_checked_before_the_secret_is_asked_for() {
        let dir = tempfile::tempdir().expect("tmp");
        let uc = UseCases::standalone(Alicred::with_store(
            Paths::new(dir.path()),
            Arc::new(MemoryStore::default()),
        ));
        let (name, ty) = uc
            .check_before_secret(&input("prod", "access-key"))
            .expect("an access-key profile needs only its name here");
        assert_eq!((name.as_str(), ty), ("prod", ProfileType::AccessKey));
        // A field that is wrong fails now, not after the secret was typed.
        let mut role = input("r", "ram-role-arn");
        role.role_arn = Some("not-an-arn".into());
        assert!(uc.check_before_secret(&role).is_err());
        // A cloud-sso profile's sign-in settings come from its session: only
        // its name is checked here.
        let (name, ty) = uc
            .check_before_secret(&input("corp-dev", "cloud-sso"))
            .expect("checked later against the session");
        assert_eq!((name.as_str(), ty), ("corp-dev", ProfileType::CloudSso));
        assert!(
            uc.check_before_secret(&input("bad name!", "cloud-sso"))
                .is_err()
        );
        assert!(uc.check_before_secret(&input("x", "no-such-type")).is_err());
    }
}
