//! When to pick which type: the OSS SDK guide's selection table, in our
//! words, with the secret inputs each type asks for (shown by the dashboard's
//! form and its "compare all types").

use super::ProfileType;
use serde::Serialize;

/// When to pick a type: the OSS SDK guide's selection table, in our words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TypeGuide {
    pub r#type: ProfileType,
    pub title: &'static str,
    pub use_when: &'static str,
    pub needs_key_up_front: &'static str,
    pub underlying: &'static str,
    pub refresh: &'static str,
    /// The secret inputs the user types for this type (kept in the keyring), so a
    /// form asks for exactly these without knowing the types itself.
    pub secret_fields: &'static [&'static str],
}

impl ProfileType {
    pub fn guide(self) -> TypeGuide {
        let (title, use_when, key, underlying, refresh) = match self {
            ProfileType::AccessKey => (
                "AccessKey",
                "The app runs somewhere safe and stable and needs long-term access without frequent rotation. Prefer a least-privilege RAM user, never the root account.",
                "yes",
                "AccessKey",
                "manual rotation (one click in alicred)",
            ),
            ProfileType::KmsSecret => (
                "KMS-rotated AccessKey (ClientKey)",
                "Long-term access where a leaked key is a real risk, so the key must rotate often. KMS Secrets Manager holds and rotates the key; you keep only a ClientKey.",
                "no (ClientKey)",
                "AccessKey",
                "automatic rotation by KMS; rotate now on demand",
            ),
            ProfileType::StsToken => (
                "STS token",
                "Untrusted environments where you want to bound validity and permissions. You paste a token someone issued; it cannot be renewed.",
                "yes (token)",
                "STS",
                "manual: paste a new token before it expires",
            ),
            ProfileType::RamRoleArn => (
                "RAM role ARN",
                "Access granted through a role, e.g. across accounts. Takes credentials from a source profile; a policy can narrow them further. Chains of roles are allowed.",
                "yes (source profile)",
                "STS",
                "automatic refresh",
            ),
            ProfileType::EcsRamRole => (
                "ECS RAM role",
                "Apps on ECS, ECI or ACK worker nodes: the instance metadata service hands out the instance role's credentials.",
                "no",
                "STS",
                "automatic refresh",
            ),
            ProfileType::OidcRoleArn => (
                "OIDC role ARN (RRSA)",
                "Untrusted apps on ACK: pod-level least privilege without the node's role, using the OIDC token file the platform mounts.",
                "no",
                "STS",
                "automatic refresh",
            ),
            ProfileType::Environment => (
                "Environment / Function Compute",
                "Functions on Function Compute (its STS lasts 36 h) or any process given ALIBABA_CLOUD_* / OSS_* variables.",
                "no",
                "STS or AccessKey",
                "none needed",
            ),
            ProfileType::CredentialsUri => (
                "Credentials URI",
                "Credentials come from an external system that keeps them fresh and serves them over HTTP.",
                "no",
                "STS",
                "automatic refresh",
            ),
            ProfileType::External => (
                "External command",
                "None of the above fits: a command of yours prints the credentials as JSON (aliyun CLI External format).",
                "custom",
                "custom",
                "re-run before the printed expiration",
            ),
            ProfileType::CloudSso => (
                "CloudSSO",
                "Your organisation uses CloudSSO: sign in once in the browser (`alicred sso login`) and switch between every account and access configuration you are assigned.",
                "no (browser sign-in)",
                "STS",
                "automatic until the sign-in expires; then sign in again",
            ),
            ProfileType::Oauth => (
                "OAuth (console sign-in)",
                "You sign in to the Alibaba Cloud console as yourself: `alicred login` signs in through the browser, as the aliyun CLI's OAuth mode does.",
                "no (browser sign-in)",
                "STS",
                "automatic (rotating refresh token) until the sign-in is revoked",
            ),
            ProfileType::BearerToken => (
                "Bearer token",
                "A product that accepts an OpenAPI bearer token (the aliyun CLI's BearerToken mode, sent as the x-acs-bearer-token header) instead of an AccessKey. `alicred exec`/`env` put it in ALIBABA_CLOUD_BEARER_TOKEN; it is not served as credentials.",
                "yes (token)",
                "bearer token",
                "manual: store a new token before it expires",
            ),
        };
        TypeGuide {
            r#type: self,
            title,
            use_when,
            needs_key_up_front: key,
            underlying,
            refresh,
            secret_fields: self.secret_fields(),
        }
    }
}
