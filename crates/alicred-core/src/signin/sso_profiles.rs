//! CloudSSO sessions and their profiles: naming, syncing after a sign-in, adding one
//! by hand (checked against the assignments), listing sessions, signing out.

use super::SignInError;
use super::tokens::{SsoSessionToken, load_sso};
use crate::aliyun::sso::{AccessConfiguration, Account, SsoClient};
use crate::profile::validate::Severity;
use crate::profile::{CloudSsoProfile, Profile, ProfileInput, ProfileKind, ProfileName};
use crate::providers::ProviderContext;
use crate::service::{Alicred, ServiceError};
use crate::store::secrets::SecretKey;
use chrono::{DateTime, Utc};
use url::Url;

/// One profile a sign-in created, changed or left as it was.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ProfileChange {
    pub name: ProfileName,
    pub account_id: String,
    pub account_name: String,
    pub access_config: String,
    pub access_config_name: String,
    /// `added`, `updated` or `unchanged`; `skipped` when the name belongs to another
    /// profile that is not this session's.
    pub change: &'static str,
}

/// `SESSION-<account display name>-<access configuration name>`, made a valid name.
pub fn safe_profile_name(session: &str, account: &str, config: &str) -> ProfileName {
    let raw = format!("{session}-{account}-{config}");
    let mut out = String::new();
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(64).collect();
    while out.starts_with(['.', '-']) {
        out.remove(0);
    }
    out.parse()
        .unwrap_or_else(|_| session.parse().unwrap_or_else(|_| fallback_name()))
}

fn fallback_name() -> ProfileName {
    "sso".parse().expect("constant name")
}

/// The session's sign-in URL: from its keyring item, else from one of its profiles.
pub(crate) async fn known_sign_in_url(
    app: &Alicred,
    ctx: &ProviderContext,
    session: &ProfileName,
) -> Result<Option<Url>, SignInError> {
    if let Some(t) = load_sso(ctx, session).await? {
        return Ok(Some(t.sign_in_url));
    }
    Ok(session_profiles(&app.profiles()?.profiles, session)
        .first()
        .map(|c| c.sign_in_url.clone()))
}

fn session_profiles<'a>(
    profiles: &'a std::collections::BTreeMap<ProfileName, Profile>,
    session: &ProfileName,
) -> Vec<&'a CloudSsoProfile> {
    profiles
        .values()
        .filter_map(|p| match &p.kind {
            ProfileKind::CloudSso(c) if &c.sso_session == session => Some(c),
            _ => None,
        })
        .collect()
}

/// Writes one profile per assignment (all under one lock); with `prune`, removes the
/// session's profiles no longer assigned.
pub(crate) fn sync_profiles(
    app: &Alicred,
    session: &ProfileName,
    url: &Url,
    pairs: &[(Account, AccessConfiguration)],
    prune: bool,
    expires: DateTime<Utc>,
) -> Result<(Vec<ProfileChange>, Vec<ProfileName>), SignInError> {
    let result = app.config().update(|f| -> Result<_, ServiceError> {
        let mut changes = Vec::new();
        let mut keep = Vec::new();
        for (a, c) in pairs {
            let display = if a.display_name.is_empty() {
                &a.account_id
            } else {
                &a.display_name
            };
            let config_name = if c.access_configuration_name.is_empty() {
                &c.access_configuration_id
            } else {
                &c.access_configuration_name
            };
            let name = safe_profile_name(session.as_str(), display, config_name);
            let kind = ProfileKind::CloudSso(CloudSsoProfile {
                sso_session: session.clone(),
                sign_in_url: url.clone(),
                account_id: a.account_id.clone(),
                access_config: c.access_configuration_id.clone(),
                account_name: Some(display.clone()),
                access_config_name: Some(config_name.clone()),
                sign_in_expires: Some(expires),
                endpoints: Default::default(),
            });
            let change = match f.profiles.get_mut(&name) {
                None => {
                    f.profiles
                        .insert(name.clone(), Profile::new(name.clone(), kind));
                    "added"
                }
                Some(p) => match &p.kind {
                    ProfileKind::CloudSso(old) if &old.sso_session == session => {
                        let mut kind = kind;
                        let mut same = false;
                        if let ProfileKind::CloudSso(k) = &mut kind {
                            k.endpoints = old.endpoints.clone();
                            // The sign-in's end always changes; it is not a change of
                            // the profile as the user sees it.
                            let mut was = old.clone();
                            was.sign_in_expires = k.sign_in_expires;
                            same = &was == k;
                        }
                        p.kind = kind;
                        if same { "unchanged" } else { "updated" }
                    }
                    _ => "skipped",
                },
            };
            if change != "skipped" {
                keep.push(name.clone());
            }
            changes.push(ProfileChange {
                name,
                account_id: a.account_id.clone(),
                account_name: display.clone(),
                access_config: c.access_configuration_id.clone(),
                access_config_name: config_name.clone(),
                change,
            });
        }
        // Every profile of the session shares the new sign-in.
        set_sign_in_expires(f, session, Some(expires));
        let mut pruned = Vec::new();
        if prune {
            let gone: Vec<ProfileName> = f
                .profiles
                .values()
                .filter(|p| {
                    matches!(&p.kind, ProfileKind::CloudSso(c) if &c.sso_session == session)
                        && !keep.contains(&p.name)
                        && f.dependents_of(&p.name).is_empty()
                })
                .map(|p| p.name.clone())
                .collect();
            for n in gone {
                f.profiles.remove(&n);
                pruned.push(n);
            }
        }
        if f.active
            .as_ref()
            .is_none_or(|a| !f.profiles.contains_key(a))
        {
            f.active = keep
                .first()
                .cloned()
                .or_else(|| f.profiles.keys().next().cloned());
        }
        Ok((changes, pruned))
    })?;
    for n in &result.1 {
        let _ = app.secrets().delete(&SecretKey::Session(n.clone()));
    }
    Ok(result)
}

/// Notes when `session`'s sign-in ends on each of its profiles, for a
/// sign-in kept without [`super::sso_login`] (the demo's, an import's): the
/// status, the tray and the reminders read it from the profiles file.
pub fn note_sign_in_end(
    app: &Alicred,
    session: &ProfileName,
    expires: Option<DateTime<Utc>>,
) -> Result<(), ServiceError> {
    app.config().update(|f| -> Result<(), ServiceError> {
        set_sign_in_expires(f, session, expires);
        Ok(())
    })
}

/// Notes the session's sign-in end on each of its profiles (`None`: signed out).
fn set_sign_in_expires(
    f: &mut crate::store::config::ProfilesFile,
    session: &ProfileName,
    expires: Option<DateTime<Utc>>,
) {
    for p in f.profiles.values_mut() {
        if let ProfileKind::CloudSso(c) = &mut p.kind
            && &c.sso_session == session
        {
            c.sign_in_expires = expires;
        }
    }
}

/// `profile add NAME --type cloud-sso --sso-session S --account-id A --access-config C`:
/// the session must be signed in, and assigned that pair.
pub async fn add_sso_profile(
    app: &Alicred,
    ctx: &ProviderContext,
    input: &ProfileInput,
    replace: bool,
) -> Result<Vec<crate::profile::validate::Problem>, SignInError> {
    // Field problems first (a bad account id needs no network).
    let mut input = input.clone();
    let session_text = input.sso_session.clone().unwrap_or_default();
    input.sign_in_url = Some("https://placeholder.invalid/".into());
    let problems = app.check(&input)?;
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(ServiceError::Invalid(problems).into());
    }
    let session: ProfileName = session_text.trim().parse().map_err(SignInError::Usage)?;
    let token = signed_in(app, ctx, &session).await?;
    let account = input.account_id.clone().unwrap_or_default();
    let config = input.access_config.clone().unwrap_or_default();
    let client = SsoClient::new(ctx, &token.sign_in_url)?;
    let accounts = client.accounts(&token.access_token).await?;
    let Some(a) = accounts
        .into_iter()
        .find(|a| a.account_id == account.trim())
    else {
        return Err(SignInError::Usage(format!(
            "CloudSSO session {session} is not assigned account {account}; `alicred sso login {session}` lists what it is assigned"
        )));
    };
    let configs = client
        .access_configurations(&token.access_token, &a.account_id)
        .await?;
    let Some(c) = configs
        .into_iter()
        .find(|c| c.access_configuration_id == config.trim())
    else {
        return Err(SignInError::Usage(format!(
            "CloudSSO session {session} is not assigned access configuration {config} in account {account}"
        )));
    };
    input.sign_in_url = Some(token.sign_in_url.to_string());
    input.account_name = Some(a.display_name).filter(|s| !s.is_empty());
    input.access_config_name = Some(c.access_configuration_name).filter(|s| !s.is_empty());
    let warnings = app.add_profile(&input, None, replace)?;
    note_sign_in_end(app, &session, Some(token.expires_at))?;
    Ok(warnings
        .into_iter()
        .filter(|p| p.severity == Severity::Warning)
        .collect())
}

/// The session's live sign-in, or the one line that says what to do.
async fn signed_in(
    app: &Alicred,
    ctx: &ProviderContext,
    session: &ProfileName,
) -> Result<SsoSessionToken, SignInError> {
    match load_sso(ctx, session).await? {
        Some(t) if t.expires_at > ctx.clock.now() => Ok(t),
        Some(_) => Err(SignInError::Failed(format!(
            "the sign-in of CloudSSO session {session} has expired; run `alicred sso login {session}`"
        ))),
        None if !session_profiles(&app.profiles()?.profiles, session).is_empty() => {
            Err(SignInError::Failed(format!(
                "CloudSSO session {session} is not signed in; run `alicred sso login {session}`"
            )))
        }
        None => Err(SignInError::Usage(format!(
            "unknown CloudSSO session {session}; sign in first: alicred sso login {session} --sign-in-url URL"
        ))),
    }
}

/// One session as `alicred sso list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SsoSessionInfo {
    #[cfg_attr(test, ts(as = "String"))]
    pub name: ProfileName,
    pub sign_in_url: Option<String>,
    pub signed_in: bool,
    pub expires_at: Option<DateTime<Utc>>,
    #[cfg_attr(test, ts(as = "Vec<String>"))]
    pub profiles: Vec<ProfileName>,
}

/// Every session that has profiles, with its sign-in state.
pub async fn sso_sessions(
    app: &Alicred,
    ctx: &ProviderContext,
) -> Result<Vec<SsoSessionInfo>, SignInError> {
    let file = app.profiles()?;
    let mut names: Vec<ProfileName> = file
        .profiles
        .values()
        .filter_map(|p| match &p.kind {
            ProfileKind::CloudSso(c) => Some(c.sso_session.clone()),
            _ => None,
        })
        .collect();
    names.dedup();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let profiles = file
            .profiles
            .values()
            .filter(|p| matches!(&p.kind, ProfileKind::CloudSso(c) if c.sso_session == name))
            .map(|p| p.name.clone())
            .collect();
        let tok = load_sso(ctx, &name).await?;
        let url = tok.as_ref().map(|t| t.sign_in_url.to_string()).or_else(|| {
            session_profiles(&file.profiles, &name)
                .first()
                .map(|c| c.sign_in_url.to_string())
        });
        let now = ctx.clock.now();
        out.push(SsoSessionInfo {
            name,
            sign_in_url: url,
            signed_in: tok.as_ref().is_some_and(|t| t.expires_at > now),
            expires_at: tok.map(|t| t.expires_at),
            profiles,
        });
    }
    Ok(out)
}

/// Forgets the session's access token (its profiles stay, and need a sign-in).
pub async fn sso_logout(
    app: &Alicred,
    ctx: &ProviderContext,
    session: &ProfileName,
) -> Result<(), SignInError> {
    let has_token = load_sso(ctx, session).await?.is_some();
    if !has_token && session_profiles(&app.profiles()?.profiles, session).is_empty() {
        return Err(SignInError::Usage(format!(
            "unknown CloudSSO session {session}; see `alicred sso list`"
        )));
    }
    app.secrets()
        .delete(&SecretKey::SsoSession(session.clone()))
        .map_err(ServiceError::from)?;
    app.config().update(|f| -> Result<(), ServiceError> {
        set_sign_in_expires(f, session, None);
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(
            safe_profile_name("corp", "Prod Account (CN)", "Admin/Full").as_str(),
            "corp-Prod-Account-CN-Admin-Full"
        );
        assert_eq!(
            safe_profile_name("s", "账户", "ReadOnly").as_str(),
            "s-ReadOnly"
        );
        assert_eq!(
            safe_profile_name("s", "a", &"x".repeat(100)).as_str().len(),
            64
        );
    }
}
