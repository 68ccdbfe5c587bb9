//! Issuing temporary (STS) credentials; shared by STS, ECS metadata and URI sources.

use crate::error::ApiError;
use crate::state::{IssuedCredential, StsCredential, World};
use crate::util::{iso, random_alnum, random_base64};
use chrono::{DateTime, Duration, Utc};

/// A credential-shaping fault applied by the handler (see `FaultKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredFault {
    Expired,
    BadFormat,
}

/// Formats an `Expiration` value, honouring a `bad_expiration_format` fault.
pub(crate) fn format_expiration(t: DateTime<Utc>, fault: Option<CredFault>) -> String {
    match fault {
        Some(CredFault::BadFormat) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => iso(t),
    }
}

impl World {
    /// Issues STS credentials for `role` in `account`. Lifetime = min(duration, override).
    pub(crate) fn issue_sts(
        &mut self,
        account: &str,
        role_name: &str,
        session_name: &str,
        duration: u64,
        kind: &str,
        fault: Option<CredFault>,
    ) -> Result<StsCredential, ApiError> {
        let role = self.role(account, role_name)?.clone();
        let now = self.now();
        let lifetime = self
            .lifetime_override
            .map_or(duration, |o| o.min(duration))
            .max(1);
        let lifetime = Duration::seconds(i64::try_from(lifetime).unwrap_or(i64::MAX / 2));
        let (issued_at, expiration) = if fault == Some(CredFault::Expired) {
            let exp = now - Duration::seconds(60);
            (exp - lifetime, exp)
        } else {
            (now, now + lifetime)
        };
        let cred = StsCredential {
            id: format!("STS.{}", random_alnum(24)),
            secret: random_alnum(44),
            token: format!("CAIS{}", random_base64(480)),
            account: account.to_owned(),
            role_name: role.name.clone(),
            role_id: role.role_id.clone(),
            session_name: session_name.to_owned(),
            issued_at,
            expiration,
        };
        self.sts.insert(cred.id.clone(), cred.clone());
        self.record_issued(IssuedCredential {
            kind: kind.to_owned(),
            access_key_id: cred.id.clone(),
            access_key_secret: cred.secret.clone(),
            security_token: Some(cred.token.clone()),
            expiration: Some(iso(cred.expiration)),
            issued_at: iso(now),
            account_id: account.to_owned(),
            arn: cred.arn(),
        });
        Ok(cred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_override_and_faults() {
        let mut w = World::new("1234567890123456");
        w.create_role("1234567890123456", "admin", 3600)
            .expect("role");
        let c = w
            .issue_sts("1234567890123456", "ADMIN", "s", 3600, "AssumeRole", None)
            .expect("issued");
        assert_eq!((c.expiration - c.issued_at).num_seconds(), 3600);
        assert!(c.id.starts_with("STS."));
        assert_eq!(c.role_name, "admin");

        w.lifetime_override = Some(60);
        let c = w
            .issue_sts("1234567890123456", "admin", "s", 3600, "AssumeRole", None)
            .expect("issued");
        assert_eq!((c.expiration - c.issued_at).num_seconds(), 60);

        let c = w
            .issue_sts(
                "1234567890123456",
                "admin",
                "s",
                3600,
                "AssumeRole",
                Some(CredFault::Expired),
            )
            .expect("issued");
        assert!(c.expiration < w.now());
        assert_eq!(w.issued.len(), 3);
        assert_eq!(w.counters.issued.get("AssumeRole"), Some(&3));

        let t = crate::util::parse_iso("2024-01-01T00:00:00Z").expect("time");
        assert_eq!(
            format_expiration(t, Some(CredFault::BadFormat)),
            "2024-01-01 00:00:00"
        );
        assert_eq!(format_expiration(t, None), "2024-01-01T00:00:00Z");
    }

    #[test]
    fn unknown_role() {
        let mut w = World::new("1234567890123456");
        let e = w
            .issue_sts("1234567890123456", "nope", "s", 3600, "AssumeRole", None)
            .expect_err("no such role");
        assert_eq!(e.code, "EntityNotExist.Role");
        assert_eq!(e.status, 404);
    }
}
