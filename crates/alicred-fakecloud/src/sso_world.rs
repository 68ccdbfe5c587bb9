//! The CloudSSO part of the world: assignments and their roles, deciding pending
//! sign-ins, ending tokens (the admin API and the typed handle use these).

use crate::sso::{DeviceStatus, SsoAccessConfig, SsoAssignment};
use crate::state::World;
use chrono::Duration;

/// The RAM role behind an access configuration.
pub(crate) fn role_of(c: &SsoAccessConfig) -> String {
    c.role_name.clone().unwrap_or_else(|| {
        let safe: String =
            c.id.chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ".-_".contains(ch) {
                        ch
                    } else {
                        '-'
                    }
                })
                .collect();
        format!("sso-{safe}")
    })
}

impl World {
    /// Adds or replaces an assignment; creates the account and the roles.
    pub(crate) fn sso_assign(&mut self, a: SsoAssignment) -> Result<(), crate::error::ApiError> {
        if !crate::state::is_valid_account_id(&a.account_id) {
            return Err(crate::error::ApiError::bad(
                "InvalidParameter.AccountId",
                "account_id must be 4-32 digits.",
            ));
        }
        self.ensure_account(&a.account_id);
        for c in &a.access_configurations {
            let role = role_of(c);
            if self.role(&a.account_id, &role).is_err() {
                self.create_role(&a.account_id, &role, 3600)?;
            }
        }
        self.sso
            .assignments
            .retain(|x| x.account_id != a.account_id);
        self.sso.assignments.push(a);
        Ok(())
    }

    /// Decides pending device authorizations (`None` = all); returns how many.
    pub(crate) fn sso_decide(&mut self, user_code: Option<&str>, approve: bool) -> usize {
        let now = self.now();
        let mut n = 0;
        for d in self.sso.devices.values_mut() {
            if d.status == DeviceStatus::Pending
                && d.expires_at > now
                && user_code.is_none_or(|c| c.eq_ignore_ascii_case(&d.user_code))
            {
                d.status = if approve {
                    DeviceStatus::Approved
                } else {
                    DeviceStatus::Denied
                };
                n += 1;
            }
        }
        n
    }

    /// Pending user codes.
    pub(crate) fn sso_pending(&self) -> Vec<String> {
        let now = self.now();
        let mut v: Vec<String> = self
            .sso
            .devices
            .values()
            .filter(|d| d.status == DeviceStatus::Pending && d.expires_at > now)
            .map(|d| d.user_code.clone())
            .collect();
        v.sort();
        v
    }

    /// Expires (or revokes) every access token; returns how many.
    pub(crate) fn sso_end_tokens(&mut self, revoke: bool) -> usize {
        let past = self.now() - Duration::seconds(1);
        for t in self.sso.tokens.values_mut() {
            if revoke {
                t.revoked = true;
            } else {
                t.expires_at = t.expires_at.min(past);
            }
        }
        self.sso.tokens.len()
    }

    /// Expires every pending device code.
    pub(crate) fn sso_expire_devices(&mut self) {
        let past = self.now() - Duration::seconds(1);
        for d in self.sso.devices.values_mut() {
            d.expires_at = past;
        }
    }
}
