//! Every secret value the emulator handed out or was given, in one list, for
//! the tests' secret scans (`GET /_admin/secrets`, [`FakeCloudHandle::handed_out_secrets`],
//! and `alicred-fakecloud --record-secrets FILE`): AccessKey secrets (long-term, rotated,
//! deleted and KMS-held ones included), STS secrets and security tokens, CloudSSO access
//! tokens, CloudSSO device codes, OAuth access and refresh tokens, console sign-in tokens, and the OIDC tokens
//! tests registered. A scan that knows only some of them cannot find the others.
//!
//! [`FakeCloudHandle::handed_out_secrets`]: crate::FakeCloudHandle::handed_out_secrets

use crate::state::World;
use serde::Serialize;

/// One secret value and what it is (`access-key-secret`, `security-token`,
/// `sso-access-token`, `sso-device-code`, `oauth-token`, `console-signin-token`,
/// `oidc-token`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HandedOut {
    pub kind: &'static str,
    pub value: String,
}

impl World {
    /// Every secret value, each once, sorted.
    pub(crate) fn handed_out_secrets(&self) -> Vec<HandedOut> {
        let mut v = Vec::new();
        let mut add = |kind: &'static str, value: &str| {
            if !value.is_empty() {
                v.push(HandedOut {
                    kind,
                    value: value.to_owned(),
                });
            }
        };
        for c in &self.issued {
            add("access-key-secret", &c.access_key_secret);
            if let Some(t) = &c.security_token {
                add("security-token", t);
            }
        }
        for k in self.keys.values() {
            add("access-key-secret", &k.secret);
        }
        for c in self.sts.values() {
            add("access-key-secret", &c.secret);
            add("security-token", &c.token);
        }
        for s in self.secrets.values() {
            for ver in &s.versions {
                add("access-key-secret", &ver.access_key_secret);
            }
        }
        for t in &self.sso.issued_tokens {
            add("sso-access-token", t);
        }
        for d in self.sso.devices.keys() {
            add("sso-device-code", d);
        }
        for t in &self.oauth.issued_tokens {
            add("oauth-token", t);
        }
        for t in &self.federation.issued_tokens {
            add("console-signin-token", t);
        }
        for p in self.oidc.values() {
            for t in &p.tokens {
                add("oidc-token", t);
            }
        }
        v.sort();
        v.dedup();
        v
    }
}
