//! Public record types: key status, issued credentials, counters.

use serde::Serialize;
use std::collections::BTreeMap;

/// Whether a long-term AccessKey may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Disabled: requests signed with it get `InvalidAccessKeyId.Inactive`.
    Inactive,
}

impl KeyStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "Active" => Some(KeyStatus::Active),
            "Inactive" => Some(KeyStatus::Inactive),
            _ => None,
        }
    }
}

/// One credential handed out by the emulator, as the admin API reports it.
#[derive(Clone, Serialize)]
pub struct IssuedCredential {
    /// `AssumeRole`, `AssumeRoleWithOIDC`, `ecs`, `uri`, `CreateAccessKey`, `RotateSecret`,
    /// `admin` or `demo`.
    pub kind: String,
    /// The AccessKey ID (`STS.` prefix for temporary credentials).
    pub access_key_id: String,
    /// The secret (fake; the emulator's own).
    pub access_key_secret: String,
    /// The STS security token; `None` for long-term keys.
    pub security_token: Option<String>,
    /// `YYYY-MM-DDThh:mm:ssZ`; `None` for long-term keys.
    pub expiration: Option<String>,
    /// When it was issued.
    pub issued_at: String,
    /// Owning account.
    pub account_id: String,
    /// The principal's ARN (`acs:ram::<acct>:role/<role>/<session>`, `…:user/<name>`, `…:root`).
    pub arn: String,
}

impl std::fmt::Debug for IssuedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredential")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("expiration", &self.expiration)
            .field("issued_at", &self.issued_at)
            .field("arn", &self.arn)
            .finish()
    }
}

/// Request and issue counters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counters {
    /// Requests received per `service:Action` (e.g. `sts:AssumeRole`, `ecs:credentials`,
    /// `uri:demo`), faulted ones included.
    pub requests: BTreeMap<String, u64>,
    /// Non-2xx answers per `service:Action`.
    pub errors: BTreeMap<String, u64>,
    /// Faults applied per `service:Action`.
    pub faults: BTreeMap<String, u64>,
    /// Credentials issued per kind (see [`IssuedCredential::kind`]).
    pub issued: BTreeMap<String, u64>,
}

#[derive(Clone, Copy)]
pub(crate) enum CounterKind {
    Requests,
    Errors,
    Faults,
}
