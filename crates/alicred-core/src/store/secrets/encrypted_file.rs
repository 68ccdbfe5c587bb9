//! Secrets in one file, encrypted with a passphrase (Argon2id +
//! XChaCha20-Poly1305): for headless machines with no Secret Service that
//! still need secrets to survive a reboot.

use super::{SecretError, SecretKey, SecretStore};
use crate::paths::write_atomic;
use crate::sensitive::Sensitive;
use crate::store::config::KeyringBackend;
use crate::store::lock::FileLock;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct EncryptedFileStore {
    path: PathBuf,
    lock_dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    version: u32,
    kdf: String,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// The decrypted items; wiped from memory when dropped.
#[derive(Default, Serialize, Deserialize)]
#[serde(transparent)]
struct Items(BTreeMap<String, String>);

impl Drop for Items {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for v in self.0.values_mut() {
            v.zeroize();
        }
    }
}

impl EncryptedFileStore {
    pub fn new(path: PathBuf, lock_dir: PathBuf) -> Self {
        Self { path, lock_dir }
    }

    fn passphrase() -> Result<Zeroizing<String>, SecretError> {
        if let Ok(p) = std::env::var("ALICRED_KEYRING_PASSPHRASE")
            && !p.is_empty()
        {
            return Ok(Zeroizing::new(p));
        }
        if let Some(f) = std::env::var_os("ALICRED_KEYRING_PASSPHRASE_FILE") {
            let text = std::fs::read_to_string(&f).map_err(|e| {
                SecretError::Other(format!("cannot read ALICRED_KEYRING_PASSPHRASE_FILE: {e}"))
            })?;
            let line = text.lines().next().unwrap_or("").to_string();
            if !line.is_empty() {
                return Ok(Zeroizing::new(line));
            }
        }
        Err(SecretError::NoPassphrase)
    }

    fn key(pass: &str, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, SecretError> {
        let mut key = Zeroizing::new([0u8; 32]);
        argon2::Argon2::default()
            .hash_password_into(pass.as_bytes(), salt, key.as_mut())
            .map_err(|e| SecretError::Other(format!("key derivation failed: {e}")))?;
        Ok(key)
    }

    fn read(&self, pass: &str) -> Result<Items, SecretError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Items::default()),
            Err(e) => {
                return Err(SecretError::Other(format!(
                    "cannot read {}: {e}",
                    self.path.display()
                )));
            }
        };
        let corrupt = || SecretError::Corrupt(self.path.display().to_string());
        let env: Envelope = serde_json::from_str(&text).map_err(|_| corrupt())?;
        let salt = B64.decode(&env.salt).map_err(|_| corrupt())?;
        let nonce: [u8; 24] = B64
            .decode(&env.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(corrupt)?;
        let ct = B64.decode(&env.ciphertext).map_err(|_| corrupt())?;
        let key = Self::key(pass, &salt)?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_ref()).map_err(|_| corrupt())?;
        let plain = Zeroizing::new(
            cipher
                .decrypt(&XNonce::from(nonce), ct.as_slice())
                .map_err(|_| SecretError::WrongPassphrase(self.path.display().to_string()))?,
        );
        serde_json::from_slice(&plain).map_err(|_| corrupt())
    }

    fn write(&self, pass: &str, items: &Items) -> Result<(), SecretError> {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 24];
        rand::fill(&mut salt);
        rand::fill(&mut nonce);
        let key = Self::key(pass, &salt)?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_ref())
            .map_err(|e| SecretError::Other(e.to_string()))?;
        let plain = Zeroizing::new(
            serde_json::to_vec(items).map_err(|e| SecretError::Other(e.to_string()))?,
        );
        let ct = cipher
            .encrypt(&XNonce::from(nonce), plain.as_slice())
            .map_err(|_| SecretError::Other("encryption failed".into()))?;
        let env = Envelope {
            version: 1,
            kdf: "argon2id".into(),
            salt: B64.encode(salt),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ct),
        };
        let text =
            serde_json::to_vec_pretty(&env).map_err(|e| SecretError::Other(e.to_string()))?;
        write_atomic(&self.path, &text)
            .map_err(|e| SecretError::Other(format!("cannot write {}: {e}", self.path.display())))
    }

    fn modify(&self, f: impl FnOnce(&mut Items)) -> Result<(), SecretError> {
        let pass = Self::passphrase()?;
        let _lock = FileLock::exclusive(&self.lock_dir, "secrets")
            .map_err(|e| SecretError::Other(format!("cannot lock secrets file: {e}")))?;
        let mut items = self.read(&pass)?;
        f(&mut items);
        self.write(&pass, &items)
    }
}

impl SecretStore for EncryptedFileStore {
    fn backend(&self) -> KeyringBackend {
        KeyringBackend::EncryptedFile
    }

    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive>, SecretError> {
        let pass = Self::passphrase()?;
        Ok(self
            .read(&pass)?
            .0
            .get(&key.account())
            .map(|v| Sensitive::new(v.clone())))
    }

    fn set(&self, key: &SecretKey, value: &Sensitive) -> Result<(), SecretError> {
        self.modify(|items| {
            items.0.insert(key.account(), value.expose().to_string());
        })
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.modify(|items| {
            items.0.remove(&key.account());
        })
    }
}
