//! `access-key`: a long-term AccessKey kept in the keyring.

use super::{Provider, ProviderContext, ProviderError};
use crate::credentials::Credentials;
use crate::profile::ProfileName;
use crate::store::secrets::{SecretKey, StoredKey};
use async_trait::async_trait;

#[derive(Debug)]
pub struct AccessKeyProvider {
    name: ProfileName,
    ctx: ProviderContext,
}

impl AccessKeyProvider {
    pub fn new(name: ProfileName, ctx: &ProviderContext) -> Self {
        Self {
            name,
            ctx: ctx.clone(),
        }
    }
}

/// The profile's keyring item. Keyring calls block (D-Bus, KDF), so they run
/// off the async threads.
pub(crate) async fn load_stored_key(
    ctx: &ProviderContext,
    name: &ProfileName,
) -> Result<Option<StoredKey>, ProviderError> {
    let store = ctx.secrets.clone();
    let key = SecretKey::Profile(name.clone());
    tokio::task::spawn_blocking(move || store.get_json::<StoredKey>(&key))
        .await
        .map_err(|e| ProviderError::Secret(format!("keyring task failed: {e}")))?
        .map_err(|e| ProviderError::Secret(e.to_string()))
}

#[async_trait]
impl Provider for AccessKeyProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let stored = load_stored_key(&self.ctx, &self.name)
            .await?
            .filter(|k| !k.access_key_id.is_empty() && !k.access_key_secret.is_empty())
            .ok_or_else(|| {
                ProviderError::NeedsUser(format!(
                    "profile {} has no AccessKey in the keyring: store one",
                    self.name
                ))
            })?;
        Ok(Credentials::long_term(
            stored.access_key_id,
            stored.access_key_secret,
            self.ctx.clock.now(),
        ))
    }

    fn describe(&self) -> String {
        format!("AccessKey of profile {} (keyring)", self.name)
    }
}
