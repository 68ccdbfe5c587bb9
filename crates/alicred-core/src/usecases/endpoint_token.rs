//! `alicred endpoint --rotate-token`: a new endpoint token, and whether the
//! running agent was seen to refuse the old URLs, in words. A rotation the
//! agent did not confirm is an error: old URLs may still work.

use super::{UseCaseError, UseCases};
use crate::server::probe::{self, OldUrl, Rotated};

impl UseCases {
    /// Rotate the token, tell the running agent, and check that it now
    /// refuses an old URL. Blocking (keyring, loopback probe). The line to
    /// show when it worked.
    pub fn rotate_endpoint_token(&self) -> Result<String, UseCaseError> {
        let done = probe::rotate_and_confirm(self.app.paths(), self.app.secrets().as_ref())
            .map_err(|e| {
                UseCaseError::TokenRotation(format!("cannot rotate the endpoint token: {e}"))
            })?;
        let restart = |what: String| {
            UseCaseError::TokenRotation(format!(
                "endpoint token rotated in the keyring, but the running agent {what}, so old URLs may still work; restart the agent"
            ))
        };
        match done {
            Rotated::Confirmed { pid } => Ok(format!(
                "endpoint token rotated; the running agent (pid {pid}) now refuses the old URLs (checked: 401)"
            )),
            Rotated::NoAgent => {
                Ok("endpoint token rotated; no agent is running, the next one uses it".into())
            }
            Rotated::Stale { pid } => Ok(format!(
                "endpoint token rotated; agent.json names pid {pid}, which is not an alicred agent (a stale file), so nothing was signalled"
            )),
            Rotated::NotConfirmed { pid, old_url } => {
                let seen = match old_url {
                    OldUrl::StillAnswers(s) => format!("still answers the old URL (HTTP {s})"),
                    OldUrl::NoAnswer | OldUrl::Refused => "did not answer".into(),
                };
                Err(restart(format!(
                    "(pid {pid}) {seen} after {} s",
                    probe::SWITCH_WAIT.as_secs()
                )))
            }
            Rotated::SignalFailed { pid, reason } => {
                Err(restart(format!("(pid {pid}) could not be told ({reason})")))
            }
        }
    }
}
