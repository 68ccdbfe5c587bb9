//! The OS keyring through `keyring-core`: Secret Service or kernel keyutils.
//! The store is passed explicitly (no process-global default store).

use super::{SecretError, SecretKey, SecretStore};
use crate::sensitive::Sensitive;
use crate::store::config::KeyringBackend;
use keyring_core::{CredentialStore, Entry, Error as KError};
use std::sync::{Arc, OnceLock};

pub struct KeyringStore {
    backend: KeyringBackend,
    service: String,
    // Connecting to D-Bus is deferred to first use and then reused.
    store: OnceLock<Result<Arc<CredentialStore>, String>>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("backend", &self.backend)
            .field("service", &self.service)
            .finish()
    }
}

impl KeyringStore {
    pub fn secret_service(service: String) -> Self {
        Self {
            backend: KeyringBackend::SecretService,
            service,
            store: OnceLock::new(),
        }
    }

    pub fn keyutils(service: String) -> Self {
        Self {
            backend: KeyringBackend::Keyutils,
            service,
            store: OnceLock::new(),
        }
    }

    fn entry(&self, key: &SecretKey) -> Result<Entry, SecretError> {
        let store = self
            .store
            .get_or_init(|| {
                let made: keyring_core::Result<Arc<CredentialStore>> = match self.backend {
                    KeyringBackend::Keyutils => linux_keyutils_keyring_store::Store::new()
                        .map(|s| s as Arc<CredentialStore>),
                    _ => zbus_secret_service_keyring_store::Store::new()
                        .map(|s| s as Arc<CredentialStore>),
                };
                made.map_err(|e| one_line(&e.to_string()))
            })
            .as_ref()
            .map_err(|e| SecretError::Unavailable(e.clone()))?;
        Entry::new_in_store(store, &self.service, &key.account()).map_err(map_err)
    }
}

impl SecretStore for KeyringStore {
    fn backend(&self) -> KeyringBackend {
        self.backend
    }

    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive>, SecretError> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(Sensitive::new(v))),
            Err(KError::NoEntry) => Ok(None),
            Err(KError::BadEncoding(_)) => Err(SecretError::Corrupt(key.account())),
            Err(e) => Err(map_err(e)),
        }
    }

    fn set(&self, key: &SecretKey, value: &Sensitive) -> Result<(), SecretError> {
        self.entry(key)?
            .set_password(value.expose())
            .map_err(map_err)
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(KError::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
}

fn map_err(e: KError) -> SecretError {
    match e {
        KError::NoStorageAccess(_) => SecretError::Locked,
        KError::PlatformFailure(p) => SecretError::Unavailable(one_line(&p.to_string())),
        // Never echo stored bytes: they may be the secret.
        KError::BadEncoding(_) | KError::BadDataFormat(..) => {
            SecretError::Other("a stored item is not valid text".into())
        }
        other => SecretError::Other(one_line(&other.to_string())),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
