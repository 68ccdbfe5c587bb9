//! Credential providers: one type per profile type, one trait.
//!
//! A provider fetches fresh credentials from its source and nothing else:
//! caching is [`crate::engine`]'s wrapper, and chaining is a provider that
//! holds its source provider (built recursively by [`build`]).

mod access_key;
pub mod bearer_token;
mod build;
mod cloud_sso;
mod credentials_uri;
mod ecs_ram_role;
mod environment;
mod external;
mod kms_secret;
mod oauth;
mod oidc_role_arn;
mod ram_role_arn;
mod sts_token;

pub use access_key::AccessKeyProvider;
pub use bearer_token::BearerTokenProvider;
pub use build::{MAX_CHAIN_DEPTH, SourceResolver, build, build_one, build_with};
pub use cloud_sso::CloudSsoProvider;
// The pure reply parsers, public so fuzz/ can reach them.
pub use credentials_uri::{CredentialsUriProvider, parse_response as parse_credentials_uri};
pub use ecs_ram_role::{EcsRamRoleProvider, IMDSV1_DISABLED_ENV, METADATA_DISABLED_ENV};
pub use environment::EnvironmentProvider;
pub use external::{ExternalProvider, parse_output as parse_external_output};
pub use kms_secret::{KmsSecretInfo, KmsSecretProvider, credentials_from_secret};
pub use oauth::{OauthProvider, REFRESH_WHEN_LEFT};
pub use oidc_role_arn::OidcRoleArnProvider;
pub use ram_role_arn::RamRoleArnProvider;
pub use sts_token::StsTokenProvider;

use crate::clock::Clock;
use crate::credentials::Credentials;
use crate::store::secrets::SecretStore;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

#[async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Fetch credentials from the source now. Never returns expired ones.
    async fn retrieve(&self) -> Result<Credentials, ProviderError>;

    /// One line for people: where these credentials come from.
    fn describe(&self) -> String;

    /// Facts the last successful retrieve learned besides the credentials
    /// (the assumed role's ARN, a KMS secret's rotation dates), for the UI.
    /// Wrappers (the engine's cache) should delegate.
    fn info(&self) -> Option<ProviderInfo> {
        None
    }
}

/// See [`Provider::info`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProviderInfo {
    AssumedRole {
        arn: String,
        assumed_role_id: String,
    },
    KmsSecret(KmsSecretInfo),
}

/// Why a provider could not produce credentials. Every message is one line a
/// user can act on and never contains a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Could not reach the source (connect, reset, timeout, truncated body).
    #[error("cannot reach {endpoint}: {reason}")]
    Network { endpoint: String, reason: String },
    /// The source answered with an error (`Code` other than Success).
    /// `status` is the HTTP status, or 0 for an external command's failure.
    #[error("{service} refused: {code}: {message}")]
    Upstream {
        service: String,
        status: u16,
        code: String,
        message: String,
    },
    /// The source asked us to slow down.
    #[error("{service} is throttling requests ({code}); retrying later")]
    Throttled {
        service: String,
        code: String,
        retry_after: Option<Duration>,
    },
    /// The source answered with something that is not the protocol.
    #[error("{service} sent a malformed response: {reason}")]
    Malformed { service: String, reason: String },
    /// The source handed out credentials that are already expired.
    #[error("{service} returned credentials that expired at {expiration}")]
    AlreadyExpired { service: String, expiration: String },
    /// Only the user can fix this (paste a new token, re-add the key, …).
    #[error("{0}")]
    NeedsUser(String),
    /// The profile or its local files are wrong.
    #[error("{0}")]
    Config(String),
    /// The keyring failed.
    #[error("{0}")]
    Secret(String),
    /// alicred itself failed (a panic caught while refreshing: a bug). Retried
    /// with back-off like an outage.
    #[error("{0}")]
    Internal(String),
}

impl ProviderError {
    /// Worth retrying by itself (as opposed to waiting for the user).
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::Network { .. }
            | ProviderError::Throttled { .. }
            | ProviderError::Malformed { .. }
            | ProviderError::AlreadyExpired { .. }
            | ProviderError::Internal(_) => true,
            ProviderError::Upstream { status, code, .. } => {
                // 0: an external command failed; it may well work next time.
                *status == 0
                    || *status >= 500
                    || code.contains("Throttling")
                    || code == "ServiceUnavailable"
            }
            ProviderError::NeedsUser(_) | ProviderError::Config(_) | ProviderError::Secret(_) => {
                false
            }
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Reads one environment variable (`std::env::var` in production).
pub type EnvFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// What providers may use: the keyring, one HTTP client, the clock and the
/// agent's environment (a function so tests can supply their own).
#[derive(Clone)]
pub struct ProviderContext {
    pub secrets: Arc<dyn SecretStore>,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
    pub env: Arc<EnvFn>,
    /// The alicred home's lock directory: work that must not run twice at
    /// once across processes (spending an OAuth refresh token) locks a file
    /// there. `None`: serialised within this process only.
    pub locks: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for ProviderContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderContext")
            .field("secrets", &self.secrets)
            .field("clock", &self.clock)
            .finish()
    }
}

impl ProviderContext {
    pub fn new(secrets: Arc<dyn SecretStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            secrets,
            http: default_http_client(),
            clock,
            env: Arc::new(|k| std::env::var(k).ok()),
            locks: None,
        }
    }

    /// With cross-process locks under `dir` (the home's lock directory).
    pub fn with_locks(mut self, dir: std::path::PathBuf) -> Self {
        self.locks = Some(dir);
        self
    }
}

/// The client every provider shares: rustls, no proxies from the environment
/// for loopback, bounded timeouts so a hung upstream never hangs a refresh.
pub fn default_http_client() -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("alicred/", env!("CARGO_PKG_VERSION")));
    with_env_proxies(builder, &|k| std::env::var(k).ok())
        .build()
        .unwrap_or_default()
}

/// Hosts that are never reached through a proxy: loopback (the emulator, a
/// local credentials URI) and the ECS metadata service, which only answers
/// from the instance itself.
const NEVER_PROXIED: &str = "127.0.0.1,localhost,::1,100.100.100.200";

/// The usual `HTTP(S)_PROXY`/`ALL_PROXY`/`NO_PROXY` variables, except that
/// [`NEVER_PROXIED`] hosts always go direct.
fn with_env_proxies(
    builder: reqwest::ClientBuilder,
    env: &dyn Fn(&str) -> Option<String>,
) -> reqwest::ClientBuilder {
    let var = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()));
    let user_no_proxy = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    let no_proxy = format!("{NEVER_PROXIED},{user_no_proxy}");
    let mut builder = builder.no_proxy();
    let all = var(&["ALL_PROXY", "all_proxy"]);
    let http = var(&["HTTP_PROXY", "http_proxy"]).or_else(|| all.clone());
    let https = var(&["HTTPS_PROXY", "https_proxy"]).or(all);
    let proxies = [
        http.and_then(|u| reqwest::Proxy::http(u).ok()),
        https.and_then(|u| reqwest::Proxy::https(u).ok()),
    ];
    for p in proxies.into_iter().flatten() {
        builder = builder.proxy(p.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
    }
    builder
}

#[cfg(test)]
mod proxy_tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn loopback_never_goes_through_an_environment_proxy() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
            }
        });
        // A proxy nobody listens on: any request sent through it fails.
        let env = |k: &str| {
            matches!(k, "HTTP_PROXY" | "HTTPS_PROXY").then(|| "http://127.0.0.1:9".to_string())
        };
        let client = with_env_proxies(reqwest::Client::builder(), &env)
            .build()
            .expect("client");
        let body = client
            .get(format!("http://{addr}/"))
            .send()
            .await
            .expect("direct")
            .text()
            .await
            .expect("body");
        assert_eq!(body, "ok");
    }
}
