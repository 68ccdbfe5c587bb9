//! Cached STS sessions in the keyring (`SecretKey::Session`), so a restart
//! does not re-assume every role. A saved session is used only for the same
//! profile chain (fingerprint) and only while it is valid and not due.

use crate::credentials::Credentials;
use crate::profile::{ProfileName, ProfileType};
use crate::sensitive::{Sensitive, serialize_exposed, serialize_exposed_opt};
use crate::store::config::ProfilesFile;
use crate::store::secrets::{SecretKey, SecretStore};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Sessions of these types cost an API call each: worth keeping.
pub fn worth_keeping(t: ProfileType) -> bool {
    matches!(t, ProfileType::RamRoleArn | ProfileType::OidcRoleArn)
}

#[derive(Clone)]
pub struct SessionStore {
    secrets: Arc<dyn SecretStore>,
    key: SecretKey,
    fingerprint: String,
    /// Bumped when the sessions are dropped; a save from before is skipped.
    generation: Arc<AtomicU64>,
    /// Keyring writes of this profile, one at a time.
    writes: Arc<Mutex<()>>,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("key", &self.key.account())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Saved {
    fingerprint: String,
    access_key_id: String,
    #[serde(serialize_with = "serialize_exposed")]
    access_key_secret: Sensitive,
    #[serde(default, serialize_with = "serialize_exposed_opt")]
    security_token: Option<Sensitive>,
    expiration: DateTime<Utc>,
    issued_at: DateTime<Utc>,
}

impl SessionStore {
    /// For `name` in `profiles`, or `None` when its type is not worth it.
    pub fn for_profile(
        secrets: Arc<dyn SecretStore>,
        name: &ProfileName,
        profiles: &ProfilesFile,
    ) -> Option<Self> {
        let p = profiles.profiles.get(name)?;
        worth_keeping(p.profile_type()).then(|| Self {
            secrets,
            key: SecretKey::Session(name.clone()),
            fingerprint: fingerprint(name, profiles),
            generation: Arc::new(AtomicU64::new(0)),
            writes: Arc::new(Mutex::new(())),
        })
    }

    /// The saved session, if it belongs to this chain. Blocking.
    pub fn load(&self) -> Option<Credentials> {
        let saved: Saved = self.secrets.get_json(&self.key).ok()??;
        (saved.fingerprint == self.fingerprint).then_some(Credentials {
            access_key_id: saved.access_key_id,
            access_key_secret: saved.access_key_secret,
            security_token: saved.security_token,
            expiration: Some(saved.expiration),
            issued_at: saved.issued_at,
        })
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Mark every save scheduled before as stale (call before [`Self::forget`]).
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Keep temporary credentials fetched in `generation` (skipped if the
    /// sessions were dropped since; errors are ignored: this is a cache). Blocking.
    pub fn save(&self, c: &Credentials, generation: u64) {
        let Some(expiration) = c.expiration else {
            return;
        };
        let saved = Saved {
            fingerprint: self.fingerprint.clone(),
            access_key_id: c.access_key_id.clone(),
            access_key_secret: c.access_key_secret.clone(),
            security_token: c.security_token.clone(),
            expiration,
            issued_at: c.issued_at,
        };
        let _turn = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() == generation {
            let _ = self.secrets.set_json(&self.key, &saved);
        }
    }

    /// Blocking.
    pub fn forget(&self) {
        let _turn = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        let _ = self.secrets.delete(&self.key);
    }
}

/// A hash of what determines a session: each link's type, settings and region.
pub fn fingerprint(name: &ProfileName, profiles: &ProfilesFile) -> String {
    let mut links = Vec::new();
    let mut cur = Some(name);
    while let Some(n) = cur {
        let Some(p) = profiles.profiles.get(n) else {
            break;
        };
        if links.len() > 32 {
            break;
        }
        links.push(serde_json::json!({"name": n, "kind": p.kind, "region": p.region}));
        cur = p.source();
    }
    let bytes = serde_json::to_vec(&links).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
