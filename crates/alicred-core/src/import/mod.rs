//! Importing profiles from the aliyun CLI and the SDKs' credentials file.
//!
//! A reader turns a file into an [`ImportPlan`]: the profiles it maps onto
//! our types (secrets bound for the keyring) and the ones it cannot map, each
//! with the reason. [`apply`] writes the plan through [`Alicred`], sources
//! first. The source file is only ever read.

pub mod aliyun_cli;
pub mod ini;
mod sign_in;

use crate::profile::ProfileInput;
use crate::service::{Alicred, ServiceError};
use crate::store::secrets::StoredKey;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path} is not valid {format}: {reason}")]
    Malformed {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
}

/// One profile to import. The secret never reaches the plan's `Serialize`.
#[derive(Debug, Clone)]
pub struct Planned {
    pub input: ProfileInput,
    pub secret: Option<StoredKey>,
    /// Where it came from, e.g. `profile "prod" (mode RamRoleArn)`.
    pub origin: String,
    /// Sign-in tokens (CloudSSO, OAuth) bound for the keyring with the profile.
    pub sign_in: Option<crate::signin::tokens::ImportedSignIn>,
    /// A `bearer-token` profile's token, bound for the keyring with it.
    pub bearer_token: Option<crate::sensitive::Sensitive>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    pub profiles: Vec<Planned>,
    pub skipped: Vec<Skipped>,
}

/// What happened (or, in a dry run, would happen) to each profile.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub name: String,
    pub r#type: String,
    pub origin: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Add,
    Replace,
    KeepExisting,
    Failed,
}

pub(crate) fn read(path: &Path) -> Result<String, ImportError> {
    std::fs::read_to_string(path).map_err(|e| ImportError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Write the plan. Sources go before the roles that chain on them; a profile
/// that fails validation is reported and the rest still import.
pub fn apply(
    app: &Alicred,
    plan: &ImportPlan,
    replace: bool,
    dry_run: bool,
) -> Result<Vec<Outcome>, ServiceError> {
    let existing = app.profiles()?;
    let mut pending: Vec<&Planned> = plan.profiles.iter().collect();
    let mut done: Vec<String> = existing.profiles.keys().map(|k| k.to_string()).collect();
    let mut out = Vec::new();
    // Repeatedly take the profiles whose source is already there.
    while !pending.is_empty() {
        let (ready, rest): (Vec<&Planned>, Vec<&Planned>) = pending.into_iter().partition(|p| {
            p.input.source.as_ref().is_none_or(|s| {
                done.contains(s) || !plan.profiles.iter().any(|q| &q.input.name == s)
            })
        });
        if ready.is_empty() {
            for p in rest {
                out.push(outcome(
                    p,
                    Action::Failed,
                    Some("its source chain has a cycle".into()),
                ));
            }
            break;
        }
        for p in ready {
            let exists = existing.profiles.keys().any(|k| k.as_str() == p.input.name);
            let action = match (exists, replace) {
                (true, false) => Action::KeepExisting,
                (true, true) => Action::Replace,
                (false, _) => Action::Add,
            };
            let mut result = outcome(p, action, None);
            if action == Action::KeepExisting {
                result.message =
                    Some("a profile of that name exists; pass --replace to overwrite".into());
            } else if dry_run {
                match app.check(&p.input) {
                    Ok(problems) => {
                        let errors: Vec<String> = problems
                            .iter()
                            .filter(|x| x.severity == crate::profile::validate::Severity::Error)
                            .map(|x| x.to_string())
                            .collect();
                        // Sources planned in this same import do not exist yet: not an error in a dry run.
                        let errors: Vec<String> = errors
                            .into_iter()
                            .filter(|e| !e.contains("does not exist; add it first"))
                            .collect();
                        if !errors.is_empty() {
                            result.action = Action::Failed;
                            result.message = Some(errors.join("; "));
                        }
                    }
                    Err(e) => {
                        result.action = Action::Failed;
                        result.message = Some(e.to_string());
                    }
                }
            } else if let Err(e) = app
                .add_profile(&p.input, p.secret.clone(), replace)
                .and_then(|_| match &p.sign_in {
                    Some(s) => s.store(app.secrets()).map_err(ServiceError::from),
                    None => Ok(()),
                })
                .and_then(|()| note_sso_end(app, p.sign_in.as_ref()))
                .and_then(|()| match (&p.bearer_token, p.input.name.parse()) {
                    (Some(t), Ok(name)) => {
                        crate::providers::bearer_token::store(app.secrets(), &name, t)
                            .map_err(ServiceError::from)
                    }
                    _ => Ok(()),
                })
            {
                result.action = Action::Failed;
                result.message = Some(e.to_string());
            }
            if result.action != Action::Failed {
                done.push(p.input.name.clone());
            }
            out.push(result);
        }
        pending = rest;
    }
    // The messages come from checks that may quote a value of the imported
    // file (a role ARN, a URL, a region): drop every quoted value, as every
    // other error of a file does (store/redact.rs).
    for o in &mut out {
        o.message = o
            .message
            .take()
            .map(|m| crate::store::redact::value_free(&m));
    }
    Ok(out)
}

/// An imported CloudSSO sign-in's end goes on its session's profiles, as a
/// sign-in's does (the session keeps the longer-lived of its tokens).
fn note_sso_end(
    app: &Alicred,
    sign_in: Option<&crate::signin::tokens::ImportedSignIn>,
) -> Result<(), ServiceError> {
    let Some(crate::signin::tokens::ImportedSignIn::Sso { session, .. }) = sign_in else {
        return Ok(());
    };
    let kept = app
        .secrets()
        .get_json::<crate::signin::tokens::SsoSessionToken>(
            &crate::store::secrets::SecretKey::SsoSession(session.clone()),
        )?
        .map(|t| t.expires_at);
    crate::signin::note_sign_in_end(app, session, kept)
}

fn outcome(p: &Planned, action: Action, message: Option<String>) -> Outcome {
    Outcome {
        name: p.input.name.clone(),
        r#type: p.input.r#type.clone(),
        origin: p.origin.clone(),
        action,
        message,
    }
}

/// Profile names must fit ours; anything else is replaced by '-'.
pub(crate) fn clean_name(raw: &str) -> String {
    let s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_start_matches(['-', '.']).to_string();
    if s.is_empty() {
        "imported".into()
    } else {
        s.chars().take(64).collect()
    }
}
