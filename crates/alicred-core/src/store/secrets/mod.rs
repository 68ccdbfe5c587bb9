//! The secret store: the OS keyring, or a fallback the user chose explicitly.
//!
//! Never a silent fallback to plaintext: a locked or missing keyring is an
//! error that says how to fix it. All calls block (D-Bus, file I/O, KDF);
//! async code calls them through `tokio::task::spawn_blocking`.

mod encrypted_file;
mod keyring;
mod memory;
pub mod passphrase;

pub use encrypted_file::EncryptedFileStore;
pub use keyring::KeyringStore;
pub use memory::MemoryStore;

use crate::paths::Paths;
use crate::profile::ProfileName;
use crate::sensitive::{Sensitive, serialize_exposed, serialize_exposed_opt};
use crate::store::config::KeyringBackend;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a secret is for. The keyring account name is derived from it, so
/// no caller spells one by hand.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SecretKey {
    /// The AccessKey (and token, for `sts-token`) the user gave a profile.
    Profile(ProfileName),
    /// A new key created by a rotation that is not yet the profile's key.
    PendingKey(ProfileName),
    /// The last STS session of a profile, so a restart need not re-assume.
    Session(ProfileName),
    /// The capability token in the endpoint's URLs.
    EndpointToken,
    /// A CloudSSO session's access token, shared by the session's profiles.
    SsoSession(ProfileName),
}

impl SecretKey {
    pub fn account(&self) -> String {
        match self {
            SecretKey::Profile(n) => format!("profile/{n}"),
            SecretKey::PendingKey(n) => format!("pending/{n}"),
            SecretKey::Session(n) => format!("session/{n}"),
            SecretKey::EndpointToken => "endpoint-token".into(),
            SecretKey::SsoSession(n) => format!("sso-session/{n}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the keyring is locked: unlock it (log in to the desktop, or run `gnome-keyring-daemon --unlock`), or pick another store with ALICRED_KEYRING=keyutils|encrypted-file"
    )]
    Locked,
    #[error(
        "no keyring is available ({0}): start a Secret Service (GNOME Keyring/KWallet) in this session, or pick another store with ALICRED_KEYRING=keyutils|encrypted-file"
    )]
    Unavailable(String),
    #[error(
        "the encrypted secrets file needs a passphrase: set ALICRED_KEYRING_PASSPHRASE (or ALICRED_KEYRING_PASSPHRASE_FILE)"
    )]
    NoPassphrase,
    #[error("cannot decrypt {0}: wrong passphrase, or the file was changed")]
    WrongPassphrase(String),
    #[error("the secret stored for {0} is damaged; remove the profile's secret and add it again")]
    Corrupt(String),
    #[error("keyring error: {0}")]
    Other(String),
}

/// One interface over every backend.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    fn backend(&self) -> KeyringBackend;
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive>, SecretError>;
    fn set(&self, key: &SecretKey, value: &Sensitive) -> Result<(), SecretError>;
    /// Removing an absent secret is not an error.
    fn delete(&self, key: &SecretKey) -> Result<(), SecretError>;
}

/// An AccessKey (and optional STS token) as kept in the keyring: one JSON item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredKey {
    pub access_key_id: String,
    #[serde(serialize_with = "serialize_exposed")]
    pub access_key_secret: Sensitive,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_exposed_opt"
    )]
    pub security_token: Option<Sensitive>,
}

impl dyn SecretStore {
    pub fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        key: &SecretKey,
    ) -> Result<Option<T>, SecretError> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => serde_json::from_str(v.expose())
                .map(Some)
                .map_err(|_| SecretError::Corrupt(key.account())),
        }
    }

    pub fn set_json<T: Serialize>(&self, key: &SecretKey, value: &T) -> Result<(), SecretError> {
        let text = serde_json::to_string(value).map_err(|e| SecretError::Other(e.to_string()))?;
        self.set(key, &Sensitive::new(text))
    }
}

/// Which backend: `ALICRED_KEYRING` wins over the profiles file's setting,
/// which wins over the platform default (Secret Service).
pub fn choose_backend(configured: Option<KeyringBackend>) -> Result<KeyringBackend, String> {
    match std::env::var("ALICRED_KEYRING") {
        Ok(v) if !v.is_empty() => v.parse(),
        _ => Ok(configured.unwrap_or(KeyringBackend::SecretService)),
    }
}

/// Open the chosen store. Items are namespaced by the alicred home so two
/// `ALICRED_HOME`s on one desktop never see each other's secrets.
pub fn open(backend: KeyringBackend, paths: &Paths) -> Arc<dyn SecretStore> {
    let service = service_name(paths);
    match backend {
        KeyringBackend::SecretService => Arc::new(KeyringStore::secret_service(service)),
        KeyringBackend::Keyutils => Arc::new(KeyringStore::keyutils(service)),
        KeyringBackend::EncryptedFile => Arc::new(EncryptedFileStore::new(
            paths.encrypted_secrets_file(),
            paths.lock_dir(),
        )),
        KeyringBackend::Memory => Arc::new(MemoryStore::default()),
    }
}

fn service_name(paths: &Paths) -> String {
    match std::env::var_os("ALICRED_HOME") {
        Some(_) => format!("alicred:{}", paths.base().display()),
        None => "alicred".to_string(),
    }
}
