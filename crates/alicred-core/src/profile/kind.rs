//! The twelve profile types, one struct each.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use url::Url;

use super::ProfileName;

pub const DEFAULT_DURATION_SECONDS: u32 = 3600;
pub const DEFAULT_EXTERNAL_TIMEOUT_SECONDS: u32 = 60;
pub const DEFAULT_MAX_KEY_AGE_DAYS: u32 = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ProfileType {
    AccessKey,
    KmsSecret,
    StsToken,
    RamRoleArn,
    EcsRamRole,
    OidcRoleArn,
    Environment,
    CredentialsUri,
    External,
    CloudSso,
    Oauth,
    BearerToken,
}

/// What only the user can do when a profile of this type needs them: sign in,
/// store a new secret, or fix the profile's settings. Decided here once; each
/// shell words it (the CLI names a command, the dashboard a button).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Remedy {
    SignIn,
    NewSecret,
    EditProfile,
}

/// How a rotatable profile rotates: a new RAM AccessKey (access-key) or
/// KMS `RotateSecret` (kms-secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum RotationMethod {
    Ram,
    Kms,
}

impl ProfileType {
    pub const ALL: [ProfileType; 12] = [
        ProfileType::AccessKey,
        ProfileType::KmsSecret,
        ProfileType::StsToken,
        ProfileType::RamRoleArn,
        ProfileType::EcsRamRole,
        ProfileType::OidcRoleArn,
        ProfileType::Environment,
        ProfileType::CredentialsUri,
        ProfileType::External,
        ProfileType::CloudSso,
        ProfileType::Oauth,
        ProfileType::BearerToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileType::AccessKey => "access-key",
            ProfileType::KmsSecret => "kms-secret",
            ProfileType::StsToken => "sts-token",
            ProfileType::RamRoleArn => "ram-role-arn",
            ProfileType::EcsRamRole => "ecs-ram-role",
            ProfileType::OidcRoleArn => "oidc-role-arn",
            ProfileType::Environment => "environment",
            ProfileType::CredentialsUri => "credentials-uri",
            ProfileType::External => "external",
            ProfileType::CloudSso => "cloud-sso",
            ProfileType::Oauth => "oauth",
            ProfileType::BearerToken => "bearer-token",
        }
    }

    /// Types whose secret material the user hands us (kept in the keyring).
    pub fn stores_secret(self) -> bool {
        matches!(self, ProfileType::AccessKey | ProfileType::StsToken)
    }

    /// The secret inputs a form asks for: an AccessKey pair for a type that
    /// [`Self::stores_secret`] (and for an STS token its security token
    /// too), the token of a bearer-token profile.
    pub fn secret_fields(self) -> &'static [&'static str] {
        match self {
            ProfileType::AccessKey => &["access_key_id", "access_key_secret"],
            ProfileType::StsToken => &["access_key_id", "access_key_secret", "security_token"],
            ProfileType::BearerToken => &["bearer_token"],
            _ => &[],
        }
    }

    /// Types whose credentials come from a browser sign-in (`alicred login`).
    pub fn signs_in(self) -> bool {
        matches!(self, ProfileType::CloudSso | ProfileType::Oauth)
    }

    /// How this type's long-term secret is rotated, if it can be (the one
    /// rule every shell reads, through the profile's capabilities).
    pub fn rotation(self) -> Option<RotationMethod> {
        match self {
            ProfileType::AccessKey => Some(RotationMethod::Ram),
            ProfileType::KmsSecret => Some(RotationMethod::Kms),
            _ => None,
        }
    }

    /// Can open the console (federation needs STS credentials): every type
    /// that hands out STS; credentials-uri, external and environment only
    /// when what they return carries a token (checked when it is used).
    /// Long-term keys cannot sign in to the console.
    pub fn opens_console(self) -> bool {
        !matches!(
            self,
            ProfileType::AccessKey | ProfileType::KmsSecret | ProfileType::BearerToken
        )
    }

    /// Hands out an AccessKey (with or without an STS token): every type but
    /// `bearer-token`, whose token is only ever given to a tool's environment
    /// (`ALIBABA_CLOUD_BEARER_TOKEN`), never served or exported as credentials.
    pub fn serves_credentials(self) -> bool {
        !matches!(self, ProfileType::BearerToken)
    }

    /// What brings a profile of this type back when only the user can.
    pub fn remedy(self) -> Remedy {
        match self {
            ProfileType::CloudSso | ProfileType::Oauth => Remedy::SignIn,
            ProfileType::AccessKey | ProfileType::StsToken | ProfileType::BearerToken => {
                Remedy::NewSecret
            }
            _ => Remedy::EditProfile,
        }
    }

    /// Renews its credentials by itself before they expire. A pasted STS
    /// token cannot: only the user can bring a new one.
    pub fn refreshes_itself(self) -> bool {
        !matches!(self, ProfileType::StsToken | ProfileType::BearerToken)
    }
}

impl fmt::Display for ProfileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for ProfileType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ProfileType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = ProfileType::ALL.iter().map(|t| t.as_str()).collect();
                format!(
                    "unknown profile type {s:?}; expected one of: {}",
                    all.join(", ")
                )
            })
    }
}

/// What a profile is, with exactly the fields its type needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ProfileKind {
    AccessKey(AccessKeyProfile),
    KmsSecret(KmsSecretProfile),
    StsToken(StsTokenProfile),
    RamRoleArn(RamRoleArnProfile),
    EcsRamRole(EcsRamRoleProfile),
    OidcRoleArn(OidcRoleArnProfile),
    Environment(EnvironmentProfile),
    CredentialsUri(CredentialsUriProfile),
    External(ExternalProfile),
    CloudSso(CloudSsoProfile),
    Oauth(OauthProfile),
    BearerToken(BearerTokenProfile),
}

impl ProfileKind {
    pub fn profile_type(&self) -> ProfileType {
        match self {
            ProfileKind::AccessKey(_) => ProfileType::AccessKey,
            ProfileKind::KmsSecret(_) => ProfileType::KmsSecret,
            ProfileKind::StsToken(_) => ProfileType::StsToken,
            ProfileKind::RamRoleArn(_) => ProfileType::RamRoleArn,
            ProfileKind::EcsRamRole(_) => ProfileType::EcsRamRole,
            ProfileKind::OidcRoleArn(_) => ProfileType::OidcRoleArn,
            ProfileKind::Environment(_) => ProfileType::Environment,
            ProfileKind::CredentialsUri(_) => ProfileType::CredentialsUri,
            ProfileKind::External(_) => ProfileType::External,
            ProfileKind::CloudSso(_) => ProfileType::CloudSso,
            ProfileKind::Oauth(_) => ProfileType::Oauth,
            ProfileKind::BearerToken(_) => ProfileType::BearerToken,
        }
    }
}

/// Endpoint overrides shared by every type that calls STS/RAM/KMS: a full
/// URL (scheme included) so tests and the demo reach the local emulator and
/// users can pick regional or VPC endpoints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ram: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Url>,
}

impl Endpoints {
    pub fn is_empty(&self) -> bool {
        self == &Endpoints::default()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessKeyProfile {
    /// Rotation age policy; `None` = the default of 90 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_key_age_days: Option<u32>,
    /// RAM user that owns the key; `None` = the caller (RAM's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordSource {
    /// Name of an environment variable of the agent's process.
    Env(String),
    /// A file holding the password (first line).
    File(PathBuf),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KmsSecretProfile {
    pub secret_name: String,
    pub client_key_file: PathBuf,
    pub client_key_password: PasswordSource,
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StsTokenProfile {
    /// When the pasted token expires, if the user told us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RamRoleArnProfile {
    pub source: ProfileName,
    pub role_arn: String,
    pub session_name: String,
    #[serde(default = "default_duration")]
    pub duration_seconds: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EcsRamRoleProfile {
    /// `None` = discover the instance's role from the metadata service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// Refuse IMDSv1 (no token) — `ALIBABA_CLOUD_IMDSV1_DISABLED`.
    #[serde(default)]
    pub imdsv1_disabled: bool,
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OidcRoleArnProfile {
    pub role_arn: String,
    pub oidc_provider_arn: String,
    pub oidc_token_file: PathBuf,
    pub session_name: String,
    #[serde(default = "default_duration")]
    pub duration_seconds: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentProfile {
    /// Only `sts` is used: where `alicred verify` asks who the credentials are.
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialsUriProfile {
    pub uri: Url,
    /// Only `sts` is used: where `alicred verify` asks who the credentials are.
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

impl CredentialsUriProfile {
    /// What may be shown and written to the profiles file: scheme, host,
    /// port and path. Userinfo, query and fragment may carry a token; a URL
    /// with any of them is kept whole in the keyring instead.
    pub fn public_part(uri: &Url) -> Url {
        let mut u = uri.clone();
        u.set_query(None);
        u.set_fragment(None);
        let _ = u.set_password(None);
        let _ = u.set_username("");
        u
    }

    /// Does the URL hold more than [`Self::public_part`]?
    pub fn has_secret_parts(uri: &Url) -> bool {
        Self::public_part(uri) != *uri
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExternalProfile {
    /// Program and arguments, split like a shell would (no shell is run).
    pub command: String,
    #[serde(default = "default_external_timeout")]
    pub timeout_seconds: u32,
    /// Only `sts` is used: where `alicred verify` asks who the credentials are.
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

/// One account × access configuration of a CloudSSO session. The session's access
/// token is in the keyring under the session, shared by all its profiles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloudSsoProfile {
    pub sso_session: ProfileName,
    /// The session's portal sign-in URL (the API lives at its scheme://host).
    pub sign_in_url: Url,
    pub account_id: String,
    pub access_config: String,
    /// The portal's display names: outside text, made printable when read,
    /// so a file written before that was done shows clean too.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::printable::de_opt"
    )]
    pub account_name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::printable::de_opt"
    )]
    pub access_config_name: Option<String>,
    /// When the session's current sign-in ends (not a secret): shown by the UI, and a
    /// new sign-in changes the profile so a running agent tries it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_expires: Option<DateTime<Utc>>,
    /// Only `sts` is used: where `alicred verify` asks who the credentials are.
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

/// Which Alibaba Cloud site an OAuth profile signs in to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OauthSite {
    #[default]
    Cn,
    Intl,
}

impl OauthSite {
    pub fn sign_in_url(self) -> &'static str {
        match self {
            OauthSite::Cn => "https://signin.aliyun.com",
            OauthSite::Intl => "https://signin.alibabacloud.com",
        }
    }
    pub fn oauth_endpoint(self) -> &'static str {
        match self {
            OauthSite::Cn => "https://oauth.aliyun.com",
            OauthSite::Intl => "https://oauth.alibabacloud.com",
        }
    }
    pub fn client_id(self) -> &'static str {
        match self {
            OauthSite::Cn => "4038181954557748008",
            OauthSite::Intl => "4103531455503354461",
        }
    }
}

impl FromStr for OauthSite {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "cn" => Ok(OauthSite::Cn),
            "intl" => Ok(OauthSite::Intl),
            _ => Err(format!("unknown site {s:?}; use cn or intl")),
        }
    }
}

/// A console user signed in with OAuth. Tokens live in the keyring under the profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OauthProfile {
    #[serde(default)]
    pub site: OauthSite,
    /// Overrides the site's sign-in URL (tests, the emulator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_sign_in_url: Option<Url>,
    /// Overrides the site's token API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_endpoint: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// When the user last signed in (not a secret); a new sign-in changes the profile
    /// so a running agent tries it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_in_at: Option<DateTime<Utc>>,
    /// Only `sts` is used: where `alicred verify` asks who the credentials are.
    #[serde(default, skip_serializing_if = "Endpoints::is_empty")]
    pub endpoints: Endpoints,
}

impl OauthProfile {
    pub fn sign_in_url(&self) -> Url {
        self.oauth_sign_in_url
            .clone()
            .unwrap_or_else(|| Url::parse(self.site.sign_in_url()).expect("constant URL"))
    }
    pub fn endpoint(&self) -> Url {
        self.oauth_endpoint
            .clone()
            .unwrap_or_else(|| Url::parse(self.site.oauth_endpoint()).expect("constant URL"))
    }
    pub fn client(&self) -> String {
        self.client_id
            .clone()
            .unwrap_or_else(|| self.site.client_id().to_string())
    }
}

/// An OpenAPI bearer token (the aliyun CLI's `BearerToken` mode). The token is
/// in the keyring under the profile; only the header it travels in is here.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BearerTokenProfile {
    /// The header a tool sends the token in; `None` = `x-acs-bearer-token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_key: Option<String>,
}

fn default_duration() -> u32 {
    DEFAULT_DURATION_SECONDS
}

fn default_external_timeout() -> u32 {
    DEFAULT_EXTERNAL_TIMEOUT_SECONDS
}

impl ProfileKind {
    /// Endpoint overrides of this profile, if its type has any.
    pub fn endpoints(&self) -> Option<&Endpoints> {
        match self {
            ProfileKind::AccessKey(p) => Some(&p.endpoints),
            ProfileKind::KmsSecret(p) => Some(&p.endpoints),
            ProfileKind::StsToken(p) => Some(&p.endpoints),
            ProfileKind::RamRoleArn(p) => Some(&p.endpoints),
            ProfileKind::EcsRamRole(p) => Some(&p.endpoints),
            ProfileKind::OidcRoleArn(p) => Some(&p.endpoints),
            ProfileKind::Environment(p) => Some(&p.endpoints),
            ProfileKind::CredentialsUri(p) => Some(&p.endpoints),
            ProfileKind::External(p) => Some(&p.endpoints),
            ProfileKind::CloudSso(p) => Some(&p.endpoints),
            ProfileKind::Oauth(p) => Some(&p.endpoints),
            ProfileKind::BearerToken(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_types_that_store_a_secret_ask_for_one() {
        for t in ProfileType::ALL {
            assert_eq!(
                t.stores_secret(),
                t.guide().secret_fields.contains(&"access_key_secret"),
                "{t}"
            );
        }
        assert_eq!(
            ProfileType::BearerToken.guide().secret_fields,
            ["bearer_token"]
        );
        assert_eq!(
            ProfileType::StsToken.guide().secret_fields,
            ["access_key_id", "access_key_secret", "security_token"]
        );
        let json = serde_json::to_value(ProfileType::AccessKey.guide()).expect("json");
        assert_eq!(
            json["secret_fields"],
            serde_json::json!(["access_key_id", "access_key_secret"])
        );
    }
}
