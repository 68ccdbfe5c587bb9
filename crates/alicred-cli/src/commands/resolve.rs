//! Resolve a profile's credentials in this process (no agent needed), through
//! the core's use case like every other shell. A signed-out cloud-sso or
//! oauth profile is signed in once for every process that asks at the same
//! moment (`alicred_core::signin::shared`).

use crate::error::CliResult;
use alicred_core::Credentials;
use alicred_core::profile::ProfileName;
use alicred_core::providers::ProviderContext;
use alicred_core::service::Alicred;
use alicred_core::signin::shared::open_sign_in_page;
use alicred_core::usecases::{SignInPrompt, UseCaseError, UseCases};

pub fn context(app: &Alicred) -> ProviderContext {
    app.provider_context()
}

/// Fetch fresh credentials for `name` now: a running agent first, like
/// every one-shot command.
pub fn credentials(app: &Alicred, name: &ProfileName) -> CliResult<Credentials> {
    resolve(app, name, true)
}

/// A running agent answers first (its cache saves a fetch, and an `external`
/// command that is alicred itself has no keyring passphrase); with no agent,
/// resolve here.
pub fn from_agent_or_here(app: &Alicred, name: &ProfileName) -> CliResult<Credentials> {
    resolve(app, name, true)
}

fn resolve(app: &Alicred, name: &ProfileName, agent_first: bool) -> CliResult<Credentials> {
    let uc = UseCases::standalone(app.clone());
    let fetch = || fetch(&uc, name, agent_first);
    Ok(super::runtime()?
        .block_on(uc.credentials_signing_in_once(name, fetch, |p| show_prompt(&uc, p)))?)
}

async fn fetch(
    uc: &UseCases,
    name: &ProfileName,
    agent_first: bool,
) -> Result<Credentials, UseCaseError> {
    #[cfg(unix)]
    if agent_first {
        use alicred_core::server::local::{self, LocalError};
        let paths = uc.app().paths().clone();
        let n = name.clone();
        match tokio::task::spawn_blocking(move || local::fetch(&paths, &n)).await {
            Ok(Ok(c)) => return Ok(c),
            Ok(Err(LocalError::NoAgent)) => {}
            // Not exposed to children (docs/security.md "agent.sock"): this
            // process may still open the keyring itself.
            Ok(Err(LocalError::NotExposed(refusal))) => {
                return uc
                    .credentials(name)
                    .await
                    .map_err(|cause| UseCaseError::NotExposed {
                        refusal,
                        cause: Box::new(cause),
                    });
            }
            Ok(Err(e)) => {
                // A sign-in profile is asked here again, for the typed reason
                // (signed out?) and for a sign-in the agent has not loaded yet.
                let signs_in = uc
                    .profiles()
                    .await?
                    .get(name)
                    .is_ok_and(|p| p.profile_type().signs_in());
                if !signs_in {
                    return Err(UseCaseError::Agent(format!("profile {name}: {e}")));
                }
            }
            Err(e) => return Err(UseCaseError::Internal(e.to_string())),
        }
    }
    uc.credentials(name).await
}

/// Only the process that signs in shows this; stdout stays the caller's.
fn show_prompt(uc: &UseCases, p: &SignInPrompt) {
    let who = p.profile.as_deref().unwrap_or("");
    match &p.user_code {
        Some(code) => eprintln!("signing in profile {who}: confirm code {code} at {}", p.url),
        None => eprintln!("signing in profile {who}: open {}", p.url),
    }
    if let Ok(u) = url::Url::parse(&p.url)
        && let Err(e) = open_sign_in_page(&*uc.ctx().env, &u)
    {
        eprintln!("{e}; open the URL above yourself");
    }
}
