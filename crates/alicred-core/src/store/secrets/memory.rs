use super::{SecretError, SecretKey, SecretStore};
use crate::sensitive::Sensitive;
use crate::store::config::KeyringBackend;
use std::collections::HashMap;
use std::sync::Mutex;

/// Secrets in process memory only: for tests and throwaway demos.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<String, Sensitive>>,
}

impl SecretStore for MemoryStore {
    fn backend(&self) -> KeyringBackend {
        KeyringBackend::Memory
    }
    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive>, SecretError> {
        let items = self
            .items
            .lock()
            .map_err(|_| SecretError::Other("memory store poisoned".into()))?;
        Ok(items.get(&key.account()).cloned())
    }
    fn set(&self, key: &SecretKey, value: &Sensitive) -> Result<(), SecretError> {
        let mut items = self
            .items
            .lock()
            .map_err(|_| SecretError::Other("memory store poisoned".into()))?;
        items.insert(key.account(), value.clone());
        Ok(())
    }
    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        let mut items = self
            .items
            .lock()
            .map_err(|_| SecretError::Other("memory store poisoned".into()))?;
        items.remove(&key.account());
        Ok(())
    }
}
