//! What `alicred profile list`/`show` (and any other shell) tell about a
//! profile: its settings, whether it is active, whether its secret is stored
//! (with at most a hint of the AccessKeyId, never the secret), and one line
//! worth knowing at a glance. Type knowledge stays here.

use super::{UseCaseError, UseCases, blocking};
use crate::credentials::format_expiration;
use crate::engine::status::key_hint;
use crate::profile::{Profile, ProfileKind, ProfileName};
use crate::store::secrets::{SecretKey, StoredKey};
use serde::Serialize;

/// One profile as shells show it. Serialised, it is the profile's own
/// fields plus these (what `profile list --json` prints).
#[derive(Clone, Debug, Serialize)]
pub struct ProfileSummary {
    #[serde(flatten)]
    pub profile: Profile,
    pub active: bool,
    /// A cloud-sso or oauth profile: someone signs in.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub signs_in: bool,
    /// The one thing worth knowing at a glance.
    pub summary: String,
    /// Types that keep a secret in the keyring: whether it is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_secret: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id_hint: Option<String>,
    /// The keyring could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_error: Option<String>,
}

/// The one thing worth knowing about a profile at a glance.
pub fn one_line(p: &Profile) -> String {
    match &p.kind {
        ProfileKind::AccessKey(_) => "long-term AccessKey".into(),
        ProfileKind::KmsSecret(k) => format!("KMS secret {}", k.secret_name),
        ProfileKind::StsToken(s) => match s.expiration {
            Some(e) => format!("expires {}", format_expiration(e)),
            None => "pasted STS token".into(),
        },
        ProfileKind::RamRoleArn(r) => {
            format!("{} -> {} as {}", r.source, r.role_arn, r.session_name)
        }
        ProfileKind::EcsRamRole(e) => format!(
            "instance role {}",
            e.role_name.as_deref().unwrap_or("(discovered)")
        ),
        ProfileKind::OidcRoleArn(o) => {
            format!("{} via {}", o.role_arn, o.oidc_token_file.display())
        }
        ProfileKind::Environment(_) => "ALIBABA_CLOUD_* / OSS_* of the agent".into(),
        ProfileKind::CredentialsUri(c) => c.uri.to_string(),
        ProfileKind::External(x) => format!("runs {}", x.command),
        ProfileKind::CloudSso(c) => format!(
            "{}: {} as {}",
            c.sso_session,
            c.account_name.as_deref().unwrap_or(&c.account_id),
            c.access_config_name.as_deref().unwrap_or(&c.access_config)
        ),
        ProfileKind::Oauth(o) => format!("OAuth sign-in at {}", o.sign_in_url()),
        ProfileKind::BearerToken(b) => format!(
            "bearer token (header {})",
            b.header_key
                .as_deref()
                .unwrap_or(crate::providers::bearer_token::DEFAULT_HEADER_KEY)
        ),
    }
}

impl UseCases {
    /// Every profile, sorted by name.
    pub async fn profile_summaries(&self) -> Result<Vec<ProfileSummary>, UseCaseError> {
        let me = self.clone();
        blocking(move || {
            let file = me.app.profiles()?;
            Ok(file
                .profiles
                .values()
                .map(|p| me.summary_of(p, file.active.as_ref() == Some(&p.name)))
                .collect())
        })
        .await
    }

    /// One profile.
    pub async fn profile_summary(
        &self,
        name: &ProfileName,
    ) -> Result<ProfileSummary, UseCaseError> {
        let (me, name) = (self.clone(), name.clone());
        blocking(move || {
            let file = me.app.profiles()?;
            let p = file.get(&name)?;
            Ok(me.summary_of(p, file.active.as_ref() == Some(&p.name)))
        })
        .await
    }

    /// Blocking: reads the keyring.
    fn summary_of(&self, p: &Profile, active: bool) -> ProfileSummary {
        let ty = p.profile_type();
        let mut s = ProfileSummary {
            profile: p.clone(),
            active,
            signs_in: ty.signs_in(),
            summary: one_line(p),
            has_secret: None,
            access_key_id_hint: None,
            secret_error: None,
        };
        if ty.stores_secret() {
            match self
                .app
                .secrets()
                .get_json::<StoredKey>(&SecretKey::Profile(p.name.clone()))
            {
                Ok(Some(k)) => {
                    s.has_secret = Some(true);
                    s.access_key_id_hint = Some(key_hint(&k.access_key_id));
                }
                Ok(None) => s.has_secret = Some(false),
                Err(e) => s.secret_error = Some(e.to_string()),
            }
        }
        s
    }
}
