//! Credential providers: one type per profile type, one trait.
//!
//! A provider fetches fresh credentials from its source and nothing else:
//! caching is [`crate::engine`]'s wrapper, and chaining is a provider that
//! holds its source provider (built recursively by [`build`]).

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
}

/// Why a provider could not produce credentials. Every message is one line a
/// user can act on and never contains a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Could not reach the source (connect, reset, timeout, truncated body).
    #[error("cannot reach {endpoint}: {reason}")]
    Network { endpoint: String, reason: String },
    /// The source answered with an error (`Code` other than Success).
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
}

impl ProviderError {
    /// Worth retrying by itself (as opposed to waiting for the user).
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::Network { .. }
            | ProviderError::Throttled { .. }
            | ProviderError::Malformed { .. }
            | ProviderError::AlreadyExpired { .. } => true,
            ProviderError::Upstream { status, code, .. } => {
                *status >= 500 || code.contains("Throttling") || code == "ServiceUnavailable"
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

/// What providers may use: the keyring, one HTTP client, the clock and the
/// agent's environment (a function so tests can supply their own).
#[derive(Clone)]
pub struct ProviderContext {
    pub secrets: Arc<dyn SecretStore>,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
    pub env: Arc<dyn Fn(&str) -> Option<String> + Send + Sync>,
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
        }
    }
}

/// The client every provider shares: rustls, no proxies from the environment
/// for loopback, bounded timeouts so a hung upstream never hangs a refresh.
pub fn default_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("alicred/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}
