//! Secrets in one file, encrypted with a passphrase (Argon2id +
//! XChaCha20-Poly1305): for headless machines with no Secret Service that
//! still need secrets to survive a reboot.
//!
//! The header names the format version and the Argon2id parameters (bound
//! to the ciphertext as associated data), so they can be raised later and
//! old files still open. A file in an older format, or with weaker
//! parameters, is rewritten in the current one on the next write.

use super::{SecretError, SecretKey, SecretStore, passphrase};
use crate::paths::write_atomic;
use crate::sensitive::Sensitive;
use crate::store::config::KeyringBackend;
use crate::store::lock::FileLock;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// The format written today.
pub const VERSION: u32 = 2;
const KDF: &str = "argon2id";

/// Argon2id cost, as stored in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes over the memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl KdfParams {
    /// What new files get: 64 MiB, 3 passes (above OWASP's Argon2id floor).
    pub const CURRENT: KdfParams = KdfParams {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };
    /// Version 1 files used the argon2 crate's defaults (19 MiB, 2 passes).
    const V1: KdfParams = KdfParams {
        m_cost_kib: argon2::Params::DEFAULT_M_COST,
        t_cost: argon2::Params::DEFAULT_T_COST,
        p_cost: argon2::Params::DEFAULT_P_COST,
    };
    /// Beyond this a header is damaged (or hostile: 4 GiB of RAM per read).
    const MAX_M_COST_KIB: u32 = 4 * 1024 * 1024;
    const MAX_T_COST: u32 = 64;
    const MAX_P_COST: u32 = 64;

    fn plausible(&self) -> bool {
        (8..=Self::MAX_M_COST_KIB).contains(&self.m_cost_kib)
            && (1..=Self::MAX_T_COST).contains(&self.t_cost)
            && (1..=Self::MAX_P_COST).contains(&self.p_cost)
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    version: u32,
    kdf: String,
    /// Absent in version 1 (which used [`KdfParams::V1`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kdf_params: Option<KdfParams>,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// The associated data a version-2 ciphertext is bound to: changing the
/// header's parameters makes it fail to decrypt instead of misleading.
fn aad(version: u32, p: &KdfParams) -> Vec<u8> {
    if version < 2 {
        return Vec::new();
    }
    format!(
        "alicred-secrets/v{version}/{KDF}/m={},t={},p={}",
        p.m_cost_kib, p.t_cost, p.p_cost
    )
    .into_bytes()
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

/// The last key derived, so a process pays for Argon2id once, not per item.
struct Derived {
    pass: Zeroizing<String>,
    salt: Vec<u8>,
    params: KdfParams,
    key: Zeroizing<[u8; 32]>,
}

/// The file as found: its items, and what its header says.
struct Opened {
    items: Items,
    /// `Some` when the file is already in the current format and cost,
    /// so a write may keep its salt (and the cached key).
    current_salt: Option<Vec<u8>>,
}

pub struct EncryptedFileStore {
    path: PathBuf,
    lock_dir: PathBuf,
    /// Given explicitly (tests), instead of the process's passphrase.
    pass: Option<Zeroizing<String>>,
    derived: Mutex<Option<Derived>>,
}

impl std::fmt::Debug for EncryptedFileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedFileStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl EncryptedFileStore {
    pub fn new(path: PathBuf, lock_dir: PathBuf) -> Self {
        Self {
            path,
            lock_dir,
            pass: None,
            derived: Mutex::new(None),
        }
    }

    /// A store with its own passphrase (not the environment's).
    pub fn with_passphrase(path: PathBuf, lock_dir: PathBuf, pass: &Sensitive) -> Self {
        Self {
            pass: Some(Zeroizing::new(pass.expose().to_string())),
            ..Self::new(path, lock_dir)
        }
    }

    fn passphrase(&self) -> Result<Zeroizing<String>, SecretError> {
        match &self.pass {
            Some(p) => Ok(p.clone()),
            None => passphrase::get(),
        }
    }

    fn key(
        &self,
        pass: &Zeroizing<String>,
        salt: &[u8],
        params: KdfParams,
    ) -> Result<Zeroizing<[u8; 32]>, SecretError> {
        let mut cache = self.derived.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = cache.as_ref()
            && d.pass == *pass
            && d.salt == salt
            && d.params == params
        {
            return Ok(d.key.clone());
        }
        let p = argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
            .map_err(|_| SecretError::Corrupt(self.path.display().to_string()))?;
        let mut key = Zeroizing::new([0u8; 32]);
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p)
            .hash_password_into(pass.as_bytes(), salt, key.as_mut())
            .map_err(|e| SecretError::Other(format!("key derivation failed: {e}")))?;
        *cache = Some(Derived {
            pass: pass.clone(),
            salt: salt.to_vec(),
            params,
            key: key.clone(),
        });
        Ok(key)
    }

    fn read(&self, pass: &Zeroizing<String>) -> Result<Opened, SecretError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Opened {
                    items: Items::default(),
                    current_salt: None,
                });
            }
            Err(e) => {
                return Err(SecretError::Other(format!(
                    "cannot read {}: {e}",
                    self.path.display()
                )));
            }
        };
        let corrupt = || SecretError::Corrupt(self.path.display().to_string());
        let env: Envelope = serde_json::from_str(&text).map_err(|_| corrupt())?;
        if env.version > VERSION {
            return Err(SecretError::Other(format!(
                "{} was written by a newer alicred (format version {}, this one reads up to {VERSION}); upgrade alicred",
                self.path.display(),
                env.version
            )));
        }
        if env.kdf != KDF {
            return Err(SecretError::Other(format!(
                "{} uses an unknown key derivation ({}); only {KDF} is supported",
                self.path.display(),
                env.kdf.chars().take(32).collect::<String>()
            )));
        }
        let params = match (env.version, env.kdf_params) {
            (1, None) => KdfParams::V1,
            (2, Some(p)) if p.plausible() => p,
            _ => return Err(corrupt()),
        };
        let salt = B64.decode(&env.salt).map_err(|_| corrupt())?;
        if salt.len() < 16 {
            return Err(corrupt());
        }
        let nonce: [u8; 24] = B64
            .decode(&env.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(corrupt)?;
        let ct = B64.decode(&env.ciphertext).map_err(|_| corrupt())?;
        let key = self.key(pass, &salt, params)?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_ref()).map_err(|_| corrupt())?;
        let aad = aad(env.version, &params);
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: ct.as_slice(),
                        aad: &aad,
                    },
                )
                .map_err(|_| SecretError::WrongPassphrase(self.path.display().to_string()))?,
        );
        let items = serde_json::from_slice(&plain).map_err(|_| corrupt())?;
        let current = env.version == VERSION && params == KdfParams::CURRENT;
        Ok(Opened {
            items,
            current_salt: current.then_some(salt),
        })
    }

    /// Always the current format and cost: this is where old files migrate.
    fn write(
        &self,
        pass: &Zeroizing<String>,
        items: &Items,
        salt: Option<Vec<u8>>,
    ) -> Result<(), SecretError> {
        let salt = salt.unwrap_or_else(|| {
            let mut s = [0u8; 16];
            rand::fill(&mut s);
            s.to_vec()
        });
        let mut nonce = [0u8; 24];
        rand::fill(&mut nonce);
        let params = KdfParams::CURRENT;
        let key = self.key(pass, &salt, params)?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_ref())
            .map_err(|e| SecretError::Other(e.to_string()))?;
        let plain = Zeroizing::new(
            serde_json::to_vec(items).map_err(|e| SecretError::Other(e.to_string()))?,
        );
        let aad = aad(VERSION, &params);
        let ct = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_slice(),
                    aad: &aad,
                },
            )
            .map_err(|_| SecretError::Other("encryption failed".into()))?;
        let env = Envelope {
            version: VERSION,
            kdf: KDF.into(),
            kdf_params: Some(params),
            salt: B64.encode(&salt),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ct),
        };
        let text =
            serde_json::to_vec_pretty(&env).map_err(|e| SecretError::Other(e.to_string()))?;
        write_atomic(&self.path, &text)
            .map_err(|e| SecretError::Other(format!("cannot write {}: {e}", self.path.display())))
    }

    fn modify(&self, f: impl FnOnce(&mut Items)) -> Result<(), SecretError> {
        let pass = self.passphrase()?;
        let _lock = FileLock::exclusive(&self.lock_dir, "secrets")
            .map_err(|e| SecretError::Other(format!("cannot lock secrets file: {e}")))?;
        let mut opened = self.read(&pass)?;
        f(&mut opened.items);
        self.write(&pass, &opened.items, opened.current_salt.take())
    }
}

impl SecretStore for EncryptedFileStore {
    fn backend(&self) -> KeyringBackend {
        KeyringBackend::EncryptedFile
    }

    fn get(&self, key: &SecretKey) -> Result<Option<Sensitive>, SecretError> {
        let pass = self.passphrase()?;
        Ok(self
            .read(&pass)?
            .items
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

#[cfg(test)]
#[path = "encrypted_file_tests.rs"]
mod tests;
