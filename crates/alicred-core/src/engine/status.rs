//! What the dashboard, the tray and `alicred profile list` show for one
//! profile, and who used it: the API sends it as is, and the dashboard's
//! TypeScript type is generated from it (`api/ts.rs`).

use super::cached::CacheMeta;
use super::policy;
use super::state::ProfileState;
use crate::profile::{Profile, ProfileKind, ProfileName, ProfileType, Remedy, RotationMethod};
use crate::providers::ProviderInfo;
use crate::store::config::ProfilesFile;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub use super::usage::{Consumer, ConsumerId, MAX_CONSUMERS, Usage};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ProfileStatus {
    pub name: String,
    #[serde(rename = "type")]
    pub r#type: ProfileType,
    pub active: bool,
    pub state: ProfileState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id_hint: Option<String>,
    /// What the user can do with this profile and what it needs; shells
    /// read these flags and never re-derive them.
    pub capabilities: Capabilities,
    /// The role the last fetch assumed (role profiles), from the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// When KMS rotates the secret next (kms-secret profiles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation: Option<DateTime<Utc>>,
    /// The sign-in behind a cloud-sso or oauth profile (none for other types).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<SignInView>,
    /// Root source first, this profile last.
    pub chain: Vec<ChainLink>,
    pub handouts: u64,
    pub consumers: Vec<Consumer>,
    /// When this status was read, as a count: a read that started later has
    /// a higher number. Statuses reach a shell by different paths (a pushed
    /// change, a list it asked for) and may arrive out of order; a shell
    /// keeps, per profile, the status with the highest number. Every change
    /// is followed by a push read after it, so that one is what stays.
    pub seq: u64,
}

/// The product rules about one profile, decided here once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Capabilities {
    /// "Rotate now" applies (`rotation` says how).
    pub rotatable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationMethod>,
    /// Renews its credentials by itself (else only the user can).
    pub refreshes_itself: bool,
    /// Something is wrong that the user should see (tray icon, badge).
    pub needs_attention: bool,
    /// Only an interactive sign-in brings it back.
    pub needs_sign_in: bool,
    /// What the user must do, when only the user can bring it back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<Remedy>,
    /// "Open console" applies (`alicred console`, `UseCases::console_*`).
    pub console: bool,
}

impl Capabilities {
    pub fn of(ty: ProfileType, state: &ProfileState) -> Self {
        Self {
            rotatable: ty.rotation().is_some(),
            rotation: ty.rotation(),
            refreshes_itself: ty.refreshes_itself(),
            needs_attention: state.needs_attention(),
            needs_sign_in: ty.signs_in() && matches!(state, ProfileState::NeedsUser { .. }),
            remedy: matches!(state, ProfileState::NeedsUser { .. }).then(|| ty.remedy()),
            console: ty.opens_console(),
        }
    }

    /// As [`Capabilities::of`], with what the profile's sign-in says: a
    /// CloudSSO sign-in that has ended needs a new one even while the last
    /// STS credentials are still served.
    pub fn with_sign_in(
        ty: ProfileType,
        state: &ProfileState,
        sign_in: Option<&SignInView>,
    ) -> Self {
        let mut c = Self::of(ty, state);
        if let Some(s) = sign_in {
            c.needs_sign_in = !s.signed_in;
            if c.needs_sign_in {
                c.remedy = Some(Remedy::SignIn);
            }
        }
        c
    }
}

/// Whether the last fetch was refused for want of a sign-in: the profile
/// needs the user, or its refresh was refused while the last credentials are
/// still served (a revoked sign-in is known before they expire).
pub fn sign_in_refused(
    state: &ProfileState,
    last_error: Option<&crate::providers::ProviderError>,
) -> bool {
    matches!(state, ProfileState::NeedsUser { .. })
        || matches!(
            last_error,
            Some(crate::providers::ProviderError::NeedsUser(_))
        )
}

/// The sign-in behind a cloud-sso or oauth profile, for the tray and the
/// dashboard. Read from the profiles file (a sign-in's end is not a secret)
/// and the profile's state: no keyring read per status. Every field is sent
/// (null when unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SignInView {
    /// `cloud-sso` or `oauth`.
    pub kind: ProfileType,
    /// The CloudSSO session (its profiles share one sign-in).
    pub session: Option<String>,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub access_config_id: Option<String>,
    pub access_config_name: Option<String>,
    /// When the CloudSSO session's sign-in ends (OAuth sign-ins renew themselves).
    pub expires_at: Option<DateTime<Utc>>,
    /// False: only a sign-in brings the profile back.
    pub signed_in: bool,
}

impl SignInView {
    /// The view of `p`, if it signs in. `refused`: the source said only a
    /// sign-in helps ([`sign_in_refused`]); the file tells when it ends.
    pub fn of(p: &Profile, refused: bool, now: DateTime<Utc>) -> Option<Self> {
        match &p.kind {
            ProfileKind::CloudSso(c) => Some(Self {
                kind: ProfileType::CloudSso,
                session: Some(c.sso_session.to_string()),
                account_id: Some(c.account_id.clone()),
                account_name: c.account_name.clone(),
                access_config_id: Some(c.access_config.clone()),
                access_config_name: c.access_config_name.clone(),
                expires_at: c.sign_in_expires,
                // No recorded end (added by hand, imported): the state decides.
                signed_in: !refused && c.sign_in_expires.is_none_or(|e| e > now),
            }),
            ProfileKind::Oauth(_) => Some(Self {
                kind: ProfileType::Oauth,
                session: None,
                account_id: None,
                account_name: None,
                access_config_id: None,
                access_config_name: None,
                expires_at: None,
                signed_in: !refused,
            }),
            _ => None,
        }
    }
}

/// The role ARN and KMS next rotation a provider learned, for the status.
pub fn from_info(info: Option<&ProviderInfo>) -> (Option<String>, Option<DateTime<Utc>>) {
    match info {
        Some(ProviderInfo::AssumedRole { arn, .. }) => (Some(arn.clone()), None),
        Some(ProviderInfo::KmsSecret(k)) => (None, k.next_rotation_date),
        None => (None, None),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChainLink {
    pub name: String,
    #[serde(rename = "type")]
    pub r#type: ProfileType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// Whether a session policy narrows this link.
    pub policy: bool,
}

/// `LTAI…abcd`: enough to recognise a key, too little to matter.
pub fn key_hint(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() >= 12 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else {
        let head: String = chars.iter().take(2).collect();
        format!("{head}…")
    }
}

/// The source chain of `name`, root first, `name` last (cycles cut).
pub fn chain_of(name: &ProfileName, profiles: &ProfilesFile) -> Vec<ChainLink> {
    let mut out = Vec::new();
    let mut cur = Some(name);
    while let Some(n) = cur {
        let Some(p) = profiles.profiles.get(n) else {
            break;
        };
        if out.iter().any(|l: &ChainLink| l.name == n.as_str()) || out.len() > 32 {
            break;
        }
        let (role_arn, session_name, duration_seconds, policy) = match &p.kind {
            ProfileKind::RamRoleArn(r) => (
                Some(r.role_arn.clone()),
                Some(r.session_name.clone()),
                Some(r.duration_seconds),
                r.policy.is_some(),
            ),
            ProfileKind::OidcRoleArn(r) => (
                Some(r.role_arn.clone()),
                Some(r.session_name.clone()),
                Some(r.duration_seconds),
                r.policy.is_some(),
            ),
            _ => (None, None, None, false),
        };
        out.push(ChainLink {
            name: n.to_string(),
            r#type: p.profile_type(),
            role_arn,
            session_name,
            duration_seconds,
            policy,
        });
        cur = p.source();
    }
    out.reverse();
    out
}

/// The state that the cache's facts amount to. `serving`: the expiry of
/// the credentials handed out now, if any ([`super::CachedProvider::serving_expiry`]).
pub fn derive_state(
    meta: &CacheMeta,
    serving: Option<Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
) -> ProfileState {
    let expires = serving.flatten();
    if meta.refreshing {
        return ProfileState::Refreshing { expires };
    }
    match (serving, &meta.last_error) {
        (Some(_), None) => ProfileState::Fresh { expires },
        (Some(_), Some(e)) => ProfileState::Degraded {
            error: e.to_string(),
            retry_at: meta.retry_at.unwrap_or(now),
            expires,
        },
        (None, Some(e)) if !e.is_transient() => ProfileState::NeedsUser { why: e.to_string() },
        (None, Some(e)) => ProfileState::Expired {
            error: e.to_string(),
        },
        (None, None) if meta.has_credentials => ProfileState::Expired {
            error: match meta.expires {
                Some(e) => format!(
                    "credentials expired at {} and were not renewed yet",
                    crate::credentials::format_expiration(e)
                ),
                None => "credentials expired and were not renewed yet".into(),
            },
        },
        (None, None) => ProfileState::Idle,
    }
}

/// When served credentials should raise "expiring soon": halfway through
/// their refresh window without a renewal.
pub fn expiring_soon_at(meta: &CacheMeta) -> Option<DateTime<Utc>> {
    let (issued, expires) = (meta.issued_at?, meta.expires?);
    Some(expires - policy::refresh_window(expires - issued) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ProviderError;

    #[test]
    fn consumers_are_counted_and_bounded() {
        let mut u = Usage::default();
        let now = Utc::now();
        let a = ConsumerId {
            pid: 1,
            exe: "/usr/bin/python3".into(),
        };
        assert!(u.note_consumer(&a, now));
        assert!(!u.note_consumer(&a, now));
        assert_eq!(u.consumers[0].count, 2);
        for pid in 2..100 {
            let id = ConsumerId {
                pid,
                exe: "x".into(),
            };
            u.note_consumer(&id, now + chrono::Duration::seconds(pid.into()));
        }
        assert_eq!(u.consumers.len(), MAX_CONSUMERS);
    }

    #[test]
    fn capabilities_are_decided_here() {
        let fresh = ProfileState::Fresh { expires: None };
        let ak = Capabilities::of(ProfileType::AccessKey, &fresh);
        assert!(ak.rotatable && ak.rotation == Some(RotationMethod::Ram));
        let kms = Capabilities::of(ProfileType::KmsSecret, &fresh);
        assert!(kms.rotatable && kms.rotation == Some(RotationMethod::Kms));
        for ty in ProfileType::ALL {
            let c = Capabilities::of(ty, &fresh);
            assert_eq!(
                c.rotatable,
                matches!(ty, ProfileType::AccessKey | ProfileType::KmsSecret),
                "{ty}"
            );
            assert_eq!(
                c.refreshes_itself,
                !matches!(ty, ProfileType::StsToken | ProfileType::BearerToken),
                "{ty}"
            );
            assert_eq!(
                c.console,
                !matches!(
                    ty,
                    ProfileType::AccessKey | ProfileType::KmsSecret | ProfileType::BearerToken
                ),
                "{ty}"
            );
            assert!(!c.needs_attention && !c.needs_sign_in && c.remedy.is_none());
        }
        let stuck = ProfileState::NeedsUser { why: "x".into() };
        assert!(Capabilities::of(ProfileType::StsToken, &stuck).needs_attention);
        // What the user must do, by type, only when only the user can.
        for (ty, remedy) in [
            (ProfileType::CloudSso, Remedy::SignIn),
            (ProfileType::Oauth, Remedy::SignIn),
            (ProfileType::AccessKey, Remedy::NewSecret),
            (ProfileType::StsToken, Remedy::NewSecret),
            (ProfileType::KmsSecret, Remedy::EditProfile),
            (ProfileType::External, Remedy::EditProfile),
        ] {
            let c = Capabilities::of(ty, &stuck);
            assert_eq!(c.remedy, Some(remedy), "{ty}");
            assert_eq!(c.needs_sign_in, remedy == Remedy::SignIn, "{ty}");
        }
        let j =
            serde_json::to_value(Capabilities::of(ProfileType::StsToken, &stuck)).expect("json");
        assert_eq!(j["remedy"], "new-secret");
        let j = serde_json::to_value(ak).expect("json");
        assert_eq!(j["rotation"], "ram");
        assert_eq!(j["rotatable"], true);
    }

    fn sso_profile(expires: Option<DateTime<Utc>>) -> Profile {
        let name: ProfileName = "corp-Prod-Admin".parse().expect("name");
        Profile::new(
            name,
            ProfileKind::CloudSso(crate::profile::CloudSsoProfile {
                sso_session: "corp".parse().expect("name"),
                sign_in_url: "https://signin.example/d-1/login".parse().expect("url"),
                account_id: "1234567890123456".into(),
                access_config: "ac-1".into(),
                account_name: Some("Prod".into()),
                access_config_name: Some("Admin".into()),
                sign_in_expires: expires,
                endpoints: Default::default(),
            }),
        )
    }

    #[test]
    fn the_sign_in_view_tells_the_session_and_its_end() {
        let now = Utc::now();
        let end = now + chrono::Duration::hours(7);
        let fresh = ProfileState::Fresh {
            expires: Some(now + chrono::Duration::hours(1)),
        };
        let v = SignInView::of(&sso_profile(Some(end)), false, now).expect("cloud-sso signs in");
        assert!(v.signed_in);
        let c = Capabilities::with_sign_in(ProfileType::CloudSso, &fresh, Some(&v));
        assert!(!c.needs_sign_in);
        let j = serde_json::to_value(&v).expect("json");
        assert_eq!(j["kind"], "cloud-sso");
        assert_eq!(j["session"], "corp");
        assert_eq!(j["account_id"], "1234567890123456");
        assert_eq!(j["account_name"], "Prod");
        assert_eq!(j["access_config_id"], "ac-1");
        assert_eq!(j["access_config_name"], "Admin");
        assert_eq!(j["signed_in"], true);
        let back: DateTime<Utc> = serde_json::from_value(j["expires_at"].clone()).expect("rfc3339");
        assert_eq!(back, end);

        // Ended: still serving the last STS credentials, but only a sign-in helps.
        let ended = SignInView::of(&sso_profile(Some(now)), false, now).expect("view");
        assert!(!ended.signed_in);
        let c = Capabilities::with_sign_in(ProfileType::CloudSso, &fresh, Some(&ended));
        assert!(c.needs_sign_in && c.remedy == Some(Remedy::SignIn));
        // Revoked early: the provider said so.
        let refused = ProfileState::NeedsUser {
            why: "revoked".into(),
        };
        let revoked = SignInView::of(&sso_profile(Some(end)), true, now).expect("view");
        assert!(!revoked.signed_in);
        // No recorded end (added by hand): the state decides.
        assert!(
            SignInView::of(&sso_profile(None), false, now)
                .expect("view")
                .signed_in
        );

        let oauth = Profile::new(
            "o".parse().expect("name"),
            ProfileKind::Oauth(crate::profile::OauthProfile {
                site: Default::default(),
                oauth_sign_in_url: None,
                oauth_endpoint: None,
                client_id: None,
                signed_in_at: None,
                endpoints: Default::default(),
            }),
        );
        let o = SignInView::of(&oauth, false, now).expect("oauth signs in");
        assert_eq!(serde_json::to_value(&o).expect("json")["kind"], "oauth");
        assert!(o.signed_in && o.expires_at.is_none() && o.session.is_none());
        let j = serde_json::to_value(&o).expect("json");
        assert!(
            j["session"].is_null() && j["expires_at"].is_null(),
            "sent as null: {j}"
        );
        assert!(!SignInView::of(&oauth, true, now).expect("view").signed_in);

        let ak = Profile::new(
            "k".parse().expect("name"),
            ProfileKind::AccessKey(crate::profile::AccessKeyProfile {
                max_key_age_days: None,
                user_name: None,
                endpoints: Default::default(),
            }),
        );
        assert_eq!(SignInView::of(&ak, false, now), None);

        // A refused refresh while the last credentials are served: refused.
        let degraded = ProfileState::Degraded {
            error: "x".into(),
            retry_at: now,
            expires: Some(end),
        };
        let revoked = crate::providers::ProviderError::NeedsUser("revoked".into());
        assert!(sign_in_refused(&degraded, Some(&revoked)));
        let net = crate::providers::ProviderError::Network {
            endpoint: "portal".into(),
            reason: "refused".into(),
        };
        assert!(
            !sign_in_refused(&degraded, Some(&net)),
            "a network blip is not"
        );
        assert!(sign_in_refused(&refused, None));
        assert!(!sign_in_refused(&fresh, None));
    }

    #[test]
    fn provider_info_reaches_the_status() {
        let arn = ProviderInfo::AssumedRole {
            arn: "acs:ram::1:assumed-role/dev/s".into(),
            assumed_role_id: "id".into(),
        };
        assert_eq!(
            from_info(Some(&arn)).0.as_deref(),
            Some("acs:ram::1:assumed-role/dev/s")
        );
        assert_eq!(from_info(None), (None, None));
    }

    #[test]
    fn states_follow_the_cache() {
        let now = Utc::now();
        let mut m = CacheMeta::default();
        assert_eq!(derive_state(&m, None, now), ProfileState::Idle);
        m.last_error = Some(ProviderError::NeedsUser("paste a new token".into()));
        assert_eq!(
            derive_state(&m, None, now),
            ProfileState::NeedsUser {
                why: "paste a new token".into()
            }
        );
        m.last_error = Some(ProviderError::Network {
            endpoint: "sts".into(),
            reason: "refused".into(),
        });
        assert_eq!(derive_state(&m, None, now).kind_str(), "expired");
        m.refreshing = true;
        assert_eq!(derive_state(&m, None, now).kind_str(), "refreshing");
    }
}
