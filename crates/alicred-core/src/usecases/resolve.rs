//! A profile's credentials for a one-shot command (`alicred creds`, `env`,
//! `exec`, `export`), decided once: a running agent answers first, through
//! its socket (`server::local`), so every command gets the agent's cached
//! session (no second AssumeRole), and alicred started as a child (an
//! `external` command, an `exec` tool) needs no keyring passphrase. With no
//! agent, or one that does not serve the profile on its socket, the profile
//! is resolved here. Also the running agent's URL for a profile.

use super::{UseCaseError, UseCases, blocking};
use crate::Credentials;
use crate::profile::ProfileName;
use crate::sensitive::Sensitive;
use crate::server::{agent_file, token};

impl UseCases {
    /// Fresh credentials of `name`: this process's engine when it runs one,
    /// else the running agent, else resolved here.
    pub async fn resolve(&self, name: &ProfileName) -> Result<Credentials, UseCaseError> {
        // An unknown name is the user's mistake, agent or not.
        self.profiles().await?.get(name)?;
        if self.engine.is_some() {
            return self.credentials(name).await;
        }
        #[cfg(unix)]
        {
            use crate::server::local::{self, LocalError};
            let (paths, asked) = (self.app.paths().clone(), name.clone());
            let from_agent = blocking(move || Ok(local::fetch(&paths, &asked))).await?;
            match from_agent {
                Ok(c) => return Ok(c),
                Err(LocalError::NoAgent) => {}
                // Not exposed to children: this process may still open the
                // keyring itself (the user's own terminal).
                Err(LocalError::NotExposed(refusal)) => {
                    return self.credentials(name).await.map_err(|cause| {
                        UseCaseError::NotExposed {
                            refusal,
                            cause: Box::new(cause),
                        }
                    });
                }
                Err(e) => {
                    // A sign-in profile is asked here again: for the typed
                    // reason (signed out?), and for a sign-in the agent has
                    // not loaded yet.
                    let signs_in = self
                        .profiles()
                        .await?
                        .get(name)
                        .is_ok_and(|p| p.profile_type().signs_in());
                    if !signs_in {
                        return Err(UseCaseError::Agent(format!("profile {name}: {e}")));
                    }
                }
            }
        }
        self.credentials(name).await
    }

    /// [`Self::resolve`] for a tool a person started (`creds`, `env`,
    /// `exec`, `export`): a signed-out cloud-sso or oauth profile is signed
    /// in once for every process asking at that moment, and `on_prompt`
    /// shows the sign-in page in the one that signs in.
    pub async fn resolve_for_tool(
        &self,
        name: &ProfileName,
        on_prompt: impl Fn(&super::SignInPrompt) + Send + Sync,
    ) -> Result<Credentials, UseCaseError> {
        self.credentials_signing_in_once(name, || self.resolve(name), on_prompt)
            .await
    }

    /// The running agent's URL for `name` (`None`: the active-profile URL),
    /// if an agent runs. It carries that URL's capability: print it, never
    /// log it.
    pub fn running_url(
        &self,
        name: Option<&ProfileName>,
    ) -> Result<Option<Sensitive>, UseCaseError> {
        let Some(info) = agent_file::running_agent(self.app.paths()) else {
            return Ok(None);
        };
        let t = token::load_or_create(self.app.secrets().as_ref())
            .map_err(|e| UseCaseError::Token(e.to_string()))?;
        Ok(Some(token::endpoint_url(&info.url_base, &t, name)))
    }
}
