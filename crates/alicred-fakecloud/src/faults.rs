//! Fault injection: what can go wrong, where, and for how many requests.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which emulated service a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// STS (`/sts`, or `/` with Version 2015-04-01).
    Sts,
    /// RAM and IMS (`/ram`, or `/` with Version 2015-05-01 / 2019-08-15).
    Ram,
    /// KMS (`/kms`, or `/` with Version 2016-01-20).
    Kms,
    /// ECS instance metadata (`/ecs/...`).
    Ecs,
    /// Credentials-URI sources (`/uri/<name>`).
    Uri,
    /// CloudSSO portal API; actions `device-authorization`, `token`, `accounts`,
    /// `access-configurations`, `cloud-credentials`.
    Sso,
    /// OAuth; actions `authorize`, `token`, `exchange`.
    Oauth,
    /// Every service above (never the admin API).
    #[default]
    All,
}

impl Service {
    /// Lower-case name used in counters and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::Ram => "ram",
            Service::Kms => "kms",
            Service::Ecs => "ecs",
            Service::Uri => "uri",
            Service::Sso => "sso",
            Service::Oauth => "oauth",
            Service::All => "all",
        }
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 500 `InternalError`.
    InternalError,
    /// 503 `ServiceUnavailable`.
    ServiceUnavailable,
    /// 400 `Throttling.User` with an `x-acs-retry-after` header (milliseconds).
    Throttling,
    /// Never answer; the connection stays open until the client gives up (dropped after 10
    /// minutes, or at shutdown).
    Hang,
    /// Drop the TCP connection without a response (RST).
    ConnectionReset,
    /// 200 with a body that is not valid JSON.
    MalformedJson,
    /// 200 whose `Content-Length` is larger than the body sent before the connection closes.
    TruncatedBody,
    /// RPC: the error shape with `code` (default `Failed`). ECS/URI: 200 with `"Code":"Failed"`.
    CodeNotSuccess,
    /// Credentials issued already expired (`Expiration` in the past, and dead server-side).
    /// Matches only requests that issue credentials.
    ExpiredCredentials,
    /// `Expiration` written as `YYYY-MM-DD hh:mm:ss`. Matches only credential-issuing requests.
    BadExpirationFormat,
    /// Only delay the answer by `latency_ms`; the request then proceeds normally.
    Latency,
}

impl FaultKind {
    fn only_for_credentials(self) -> bool {
        matches!(
            self,
            FaultKind::ExpiredCredentials | FaultKind::BadExpirationFormat
        )
    }
}

/// A fault to inject. JSON form (admin API):
/// `{"service":"sts","action":"AssumeRole","kind":"throttling","count":2}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// Service scope (default `all`).
    #[serde(default)]
    pub service: Service,
    /// Only this `Action` (RPC), ECS path kind (`token`, `list`, `credentials`) or URI source
    /// name; `None` = every request of the service. Case-insensitive.
    #[serde(default)]
    pub action: Option<String>,
    /// What happens.
    pub kind: FaultKind,
    /// Apply to this many matching requests, then remove itself; `None` = until cleared.
    #[serde(default)]
    pub count: Option<u32>,
    /// Delay before answering (required for `latency`, optional extra for the others).
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// For `throttling`: the `x-acs-retry-after` value in milliseconds (default 1000).
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    /// Override the error `Code` (RPC error kinds and `code_not_success`).
    #[serde(default)]
    pub code: Option<String>,
    /// Override the error `Message`.
    #[serde(default)]
    pub message: Option<String>,
}

impl FaultSpec {
    /// A fault of `kind` on every service, until cleared.
    pub fn new(kind: FaultKind) -> Self {
        FaultSpec {
            service: Service::All,
            action: None,
            kind,
            count: None,
            latency_ms: None,
            retry_after_ms: None,
            code: None,
            message: None,
        }
    }

    /// Restricts the fault to one service.
    pub fn service(mut self, service: Service) -> Self {
        self.service = service;
        self
    }

    /// Restricts the fault to one action (or ECS path kind / URI source name).
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Applies the fault to `n` matching requests only.
    pub fn times(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }

    /// Adds a delay of `ms` milliseconds.
    pub fn latency_ms(mut self, ms: u64) -> Self {
        self.latency_ms = Some(ms);
        self
    }

    /// Overrides the error code.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    fn matches(&self, service: Service, action: &str, issues_credentials: bool) -> bool {
        (self.service == Service::All || self.service == service)
            && self
                .action
                .as_deref()
                .is_none_or(|a| a.eq_ignore_ascii_case(action))
            && (issues_credentials || !self.kind.only_for_credentials())
    }
}

/// An active fault as listed by the admin API.
#[derive(Debug, Clone, Serialize)]
pub struct FaultInfo {
    /// Id to clear it with.
    pub id: u64,
    /// Matching requests it still applies to (`None` = until cleared).
    pub remaining: Option<u32>,
    /// The fault.
    pub spec: FaultSpec,
}

/// What the server must do with one request.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub delay: Duration,
    pub fault: Option<FaultSpec>,
}

#[derive(Default)]
pub(crate) struct FaultTable {
    next_id: u64,
    entries: Vec<FaultInfo>,
}

impl FaultTable {
    pub(crate) fn add(&mut self, spec: FaultSpec) -> u64 {
        self.next_id += 1;
        self.entries.push(FaultInfo {
            id: self.next_id,
            remaining: spec.count,
            spec,
        });
        self.next_id
    }

    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.id != id);
        before != self.entries.len()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(crate) fn list(&self) -> Vec<FaultInfo> {
        self.entries.clone()
    }

    /// Consumes the faults matching one request: every matching `latency` fault adds its
    /// delay; the first matching other fault is returned (with its own extra latency).
    pub(crate) fn take(
        &mut self,
        service: Service,
        action: &str,
        issues_credentials: bool,
    ) -> Applied {
        let mut applied = Applied::default();
        for entry in &mut self.entries {
            if entry.remaining == Some(0)
                || !entry.spec.matches(service, action, issues_credentials)
            {
                continue;
            }
            let is_latency = entry.spec.kind == FaultKind::Latency;
            if !is_latency && applied.fault.is_some() {
                continue;
            }
            applied.delay += Duration::from_millis(entry.spec.latency_ms.unwrap_or(0));
            if !is_latency {
                applied.fault = Some(entry.spec.clone());
            }
            if let Some(n) = entry.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        self.entries.retain(|e| e.remaining != Some(0));
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_expire() {
        let mut t = FaultTable::default();
        t.add(
            FaultSpec::new(FaultKind::InternalError)
                .service(Service::Sts)
                .times(2),
        );
        assert!(
            t.take(Service::Ram, "CreateAccessKey", false)
                .fault
                .is_none()
        );
        assert!(t.take(Service::Sts, "AssumeRole", true).fault.is_some());
        assert!(t.take(Service::Sts, "AssumeRole", true).fault.is_some());
        assert!(t.take(Service::Sts, "AssumeRole", true).fault.is_none());
        assert!(t.list().is_empty());
    }

    #[test]
    fn action_scope_and_latency_compose() {
        let mut t = FaultTable::default();
        t.add(FaultSpec::new(FaultKind::Latency).latency_ms(30));
        let id = t.add(
            FaultSpec::new(FaultKind::Throttling)
                .service(Service::Sts)
                .action("assumerole"),
        );
        let a = t.take(Service::Sts, "GetCallerIdentity", false);
        assert_eq!(a.delay, Duration::from_millis(30));
        assert!(a.fault.is_none());
        let a = t.take(Service::Sts, "AssumeRole", true);
        assert_eq!(
            a.fault.map(|f| f.kind),
            Some(FaultKind::Throttling),
            "action match is case-insensitive"
        );
        assert!(t.remove(id));
        assert!(!t.remove(id));
    }

    #[test]
    fn credential_faults_skip_other_requests() {
        let mut t = FaultTable::default();
        t.add(FaultSpec::new(FaultKind::ExpiredCredentials).times(1));
        assert!(
            t.take(Service::Sts, "GetCallerIdentity", false)
                .fault
                .is_none()
        );
        assert!(t.take(Service::Ecs, "credentials", true).fault.is_some());
    }

    #[test]
    fn json_form() {
        let spec: FaultSpec =
            serde_json::from_str(r#"{"service":"uri","kind":"bad_expiration_format","count":3}"#)
                .expect("parses");
        assert_eq!(spec.service, Service::Uri);
        assert_eq!(spec.count, Some(3));
    }
}
