//! `ProfileInput`: the flat shape forms and command-line flags fill in.
//!
//! The CLI's `profile add` flags and the dashboard's add/edit form both
//! produce one of these; [`ProfileInput::into_profile`] turns it into a typed
//! [`Profile`] or says, field by field, what is wrong.

use super::validate::Problem;
use super::*;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use url::Url;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct ProfileInput {
    pub name: String,
    pub r#type: String,
    pub region: Option<String>,
    pub description: Option<String>,
    /// The browser command `alicred console` uses for this profile.
    pub console_browser: Option<String>,
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    pub policy: Option<String>,
    pub duration: Option<u32>,
    pub external_id: Option<String>,
    pub source: Option<String>,
    pub role_name: Option<String>,
    pub imdsv1_disabled: bool,
    pub oidc_provider_arn: Option<String>,
    pub oidc_token_file: Option<PathBuf>,
    pub uri: Option<String>,
    pub command: Option<String>,
    pub timeout_seconds: Option<u32>,
    pub secret_name: Option<String>,
    pub client_key_file: Option<PathBuf>,
    pub client_key_password_env: Option<String>,
    pub client_key_password_file: Option<PathBuf>,
    pub expiration: Option<String>,
    pub max_key_age_days: Option<u32>,
    pub user_name: Option<String>,
    pub sts_endpoint: Option<String>,
    pub ram_endpoint: Option<String>,
    pub kms_endpoint: Option<String>,
    pub metadata_endpoint: Option<String>,
    pub sso_session: Option<String>,
    /// A cloud-sso profile's portal URL; filled from its session, not typed.
    pub sign_in_url: Option<String>,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub access_config: Option<String>,
    pub access_config_name: Option<String>,
    pub site: Option<String>,
    pub oauth_sign_in_url: Option<String>,
    pub oauth_endpoint: Option<String>,
    pub client_id: Option<String>,
    /// A bearer-token profile's header (default `x-acs-bearer-token`).
    pub bearer_token_header_key: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl ProfileInput {
    /// Build the typed profile. Structural problems (missing or unparsable
    /// fields) come back here; rules that need the other profiles or the
    /// file system are [`super::validate::validate`]'s.
    pub fn into_profile(&self) -> Result<Profile, Vec<Problem>> {
        let mut problems = Vec::new();
        let name = match self.name.trim().parse::<ProfileName>() {
            Ok(n) => Some(n),
            Err(e) => {
                problems.push(Problem::error("name", e));
                None
            }
        };
        let ty = match self.r#type.trim().parse::<ProfileType>() {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(Problem::error("type", e));
                None
            }
        };
        let endpoints = self.endpoints(&mut problems);
        let kind = ty.and_then(|t| self.kind(t, endpoints, &mut problems));
        // Flags that mean nothing for this type are a mistake worth naming.
        if let Some(t) = ty {
            for field in self.stray_fields(t) {
                problems.push(Problem::error(
                    field,
                    format!("does not apply to a {t} profile"),
                ));
            }
        }
        match (name, kind) {
            (Some(name), Some(kind)) if problems.is_empty() => {
                let mut p = Profile::new(name, kind);
                p.region = nonempty(&self.region);
                p.description = nonempty(&self.description);
                p.console_browser = nonempty(&self.console_browser);
                Ok(p)
            }
            _ => Err(problems),
        }
    }

    fn required(
        &self,
        field: &'static str,
        v: &Option<String>,
        why: &str,
        problems: &mut Vec<Problem>,
    ) -> String {
        nonempty(v).unwrap_or_else(|| {
            problems.push(Problem::error(field, format!("is required: {why}")));
            String::new()
        })
    }

    fn url(field: &'static str, v: &Option<String>, problems: &mut Vec<Problem>) -> Option<Url> {
        let s = nonempty(v)?;
        match Url::parse(&s) {
            Ok(u) => Some(u),
            Err(e) => {
                problems.push(Problem::error(
                    field,
                    format!(
                        "{s:?} is not a URL ({e}); give a full URL like https://host:port/path"
                    ),
                ));
                None
            }
        }
    }

    fn endpoints(&self, problems: &mut Vec<Problem>) -> Endpoints {
        Endpoints {
            sts: Self::url("sts-endpoint", &self.sts_endpoint, problems),
            ram: Self::url("ram-endpoint", &self.ram_endpoint, problems),
            kms: Self::url("kms-endpoint", &self.kms_endpoint, problems),
            metadata: Self::url("metadata-endpoint", &self.metadata_endpoint, problems),
        }
    }

    fn kind(
        &self,
        t: ProfileType,
        endpoints: Endpoints,
        problems: &mut Vec<Problem>,
    ) -> Option<ProfileKind> {
        let duration = self.duration.unwrap_or(DEFAULT_DURATION_SECONDS);
        Some(match t {
            ProfileType::AccessKey => ProfileKind::AccessKey(AccessKeyProfile {
                max_key_age_days: self.max_key_age_days,
                user_name: nonempty(&self.user_name),
                endpoints,
            }),
            ProfileType::KmsSecret => {
                let secret_name = self.required(
                    "secret-name",
                    &self.secret_name,
                    "the KMS secret holding the RAM credentials",
                    problems,
                );
                let client_key_file = self.client_key_file.clone().unwrap_or_else(|| {
                    problems.push(Problem::error(
                        "client-key-file",
                        "is required: the ClientKey JSON file downloaded from KMS",
                    ));
                    PathBuf::new()
                });
                let password = match (
                    nonempty(&self.client_key_password_env),
                    &self.client_key_password_file,
                ) {
                    (Some(v), None) => PasswordSource::Env(v),
                    (None, Some(f)) => PasswordSource::File(f.clone()),
                    (Some(_), Some(_)) => {
                        problems.push(Problem::error("client-key-password-env", "give either a password environment variable or a password file, not both"));
                        return None;
                    }
                    (None, None) => {
                        problems.push(Problem::error("client-key-password-env", "is required: the environment variable (or the file) holding the ClientKey password"));
                        return None;
                    }
                };
                ProfileKind::KmsSecret(KmsSecretProfile {
                    secret_name,
                    client_key_file,
                    client_key_password: password,
                    endpoints,
                })
            }
            ProfileType::StsToken => {
                let expiration = match nonempty(&self.expiration) {
                    None => None,
                    Some(s) => match crate::credentials::parse_expiration(&s) {
                        Ok(t) => Some(t),
                        Err(e) => {
                            problems.push(Problem::error("expiration", e));
                            None
                        }
                    },
                };
                ProfileKind::StsToken(StsTokenProfile {
                    expiration,
                    endpoints,
                })
            }
            ProfileType::RamRoleArn => {
                let source = match nonempty(&self.source).map(|s| s.parse::<ProfileName>()) {
                    Some(Ok(s)) => Some(s),
                    Some(Err(e)) => {
                        problems.push(Problem::error("source", e));
                        None
                    }
                    None => {
                        problems.push(Problem::error(
                            "source",
                            "is required: the profile whose credentials assume the role",
                        ));
                        None
                    }
                };
                let role_arn = self.required(
                    "role-arn",
                    &self.role_arn,
                    "acs:ram::<account-id>:role/<role-name>",
                    problems,
                );
                let session_name =
                    nonempty(&self.session_name).unwrap_or_else(default_session_name);
                ProfileKind::RamRoleArn(RamRoleArnProfile {
                    source: source?,
                    role_arn,
                    session_name,
                    duration_seconds: duration,
                    policy: nonempty(&self.policy),
                    external_id: nonempty(&self.external_id),
                    endpoints,
                })
            }
            ProfileType::EcsRamRole => ProfileKind::EcsRamRole(EcsRamRoleProfile {
                role_name: nonempty(&self.role_name),
                imdsv1_disabled: self.imdsv1_disabled,
                endpoints,
            }),
            ProfileType::OidcRoleArn => {
                let role_arn = self.required(
                    "role-arn",
                    &self.role_arn,
                    "acs:ram::<account-id>:role/<role-name>",
                    problems,
                );
                let oidc_provider_arn = self.required(
                    "oidc-provider-arn",
                    &self.oidc_provider_arn,
                    "acs:ram::<account-id>:oidc-provider/<name>",
                    problems,
                );
                let oidc_token_file = self.oidc_token_file.clone().unwrap_or_else(|| {
                    problems.push(Problem::error("oidc-token-file", "is required: the path of the OIDC token file (e.g. ALIBABA_CLOUD_OIDC_TOKEN_FILE)"));
                    PathBuf::new()
                });
                ProfileKind::OidcRoleArn(OidcRoleArnProfile {
                    role_arn,
                    oidc_provider_arn,
                    oidc_token_file,
                    session_name: nonempty(&self.session_name).unwrap_or_else(default_session_name),
                    duration_seconds: duration,
                    policy: nonempty(&self.policy),
                    endpoints,
                })
            }
            ProfileType::Environment => ProfileKind::Environment(EnvironmentProfile { endpoints }),
            ProfileType::CredentialsUri => {
                if nonempty(&self.uri).is_none() {
                    problems.push(Problem::error(
                        "uri",
                        "is required: the URL that serves credentials",
                    ));
                }
                ProfileKind::CredentialsUri(CredentialsUriProfile {
                    uri: Self::url("uri", &self.uri, problems)?,
                    endpoints,
                })
            }
            ProfileType::CloudSso => {
                let session = match nonempty(&self.sso_session).map(|s| s.parse::<ProfileName>()) {
                    Some(Ok(s)) => Some(s),
                    Some(Err(e)) => {
                        problems.push(Problem::error(
                            "sso-session",
                            e.replace("profile name", "session name"),
                        ));
                        None
                    }
                    None => {
                        problems.push(Problem::error(
                            "sso-session",
                            "is required: the CloudSSO session (see `alicred sso list`)",
                        ));
                        None
                    }
                };
                let account_id = self.required(
                    "account-id",
                    &self.account_id,
                    "the account to sign in to",
                    problems,
                );
                let access_config = self.required(
                    "access-config",
                    &self.access_config,
                    "the access configuration id (ac-…)",
                    problems,
                );
                if nonempty(&self.sign_in_url).is_none() {
                    problems.push(Problem::error(
                        "sso-session",
                        "has no sign-in URL; run `alicred sso login SESSION --sign-in-url URL` first",
                    ));
                }
                let sign_in_url = Self::url("sign-in-url", &self.sign_in_url, problems);
                ProfileKind::CloudSso(CloudSsoProfile {
                    sso_session: session?,
                    sign_in_url: sign_in_url?,
                    account_id,
                    access_config,
                    account_name: nonempty(&self.account_name),
                    access_config_name: nonempty(&self.access_config_name),
                    sign_in_expires: None,
                    endpoints,
                })
            }
            ProfileType::Oauth => {
                let site = match nonempty(&self.site).map(|s| s.parse::<OauthSite>()) {
                    None => OauthSite::default(),
                    Some(Ok(s)) => s,
                    Some(Err(e)) => {
                        problems.push(Problem::error("site", e));
                        OauthSite::default()
                    }
                };
                ProfileKind::Oauth(OauthProfile {
                    site,
                    oauth_sign_in_url: Self::url(
                        "oauth-sign-in-url",
                        &self.oauth_sign_in_url,
                        problems,
                    ),
                    oauth_endpoint: Self::url("oauth-endpoint", &self.oauth_endpoint, problems),
                    client_id: nonempty(&self.client_id),
                    signed_in_at: None,
                    endpoints,
                })
            }
            ProfileType::BearerToken => {
                let header_key = match nonempty(&self.bearer_token_header_key) {
                    None => None,
                    Some(k) => match crate::providers::bearer_token::check_header_key(&k) {
                        Ok(k) => Some(k),
                        Err(e) => {
                            problems.push(Problem::error("bearer-token-header-key", e));
                            None
                        }
                    },
                };
                ProfileKind::BearerToken(BearerTokenProfile { header_key })
            }
            ProfileType::External => ProfileKind::External(ExternalProfile {
                command: self.required(
                    "command",
                    &self.command,
                    "the program that prints credentials JSON",
                    problems,
                ),
                timeout_seconds: self
                    .timeout_seconds
                    .unwrap_or(DEFAULT_EXTERNAL_TIMEOUT_SECONDS),
                endpoints,
            }),
        })
    }

    fn stray_fields(&self, t: ProfileType) -> Vec<&'static str> {
        use ProfileType::*;
        let set = |v: &Option<String>| nonempty(v).is_some();
        let fields: [(&'static str, bool, &[ProfileType]); 28] = [
            (
                "bearer-token-header-key",
                set(&self.bearer_token_header_key),
                &[BearerToken],
            ),
            ("sso-session", set(&self.sso_session), &[CloudSso]),
            ("sign-in-url", set(&self.sign_in_url), &[CloudSso]),
            ("account-id", set(&self.account_id), &[CloudSso]),
            ("access-config", set(&self.access_config), &[CloudSso]),
            ("site", set(&self.site), &[Oauth]),
            ("oauth-sign-in-url", set(&self.oauth_sign_in_url), &[Oauth]),
            ("oauth-endpoint", set(&self.oauth_endpoint), &[Oauth]),
            ("role-arn", set(&self.role_arn), &[RamRoleArn, OidcRoleArn]),
            (
                "session-name",
                set(&self.session_name),
                &[RamRoleArn, OidcRoleArn],
            ),
            ("policy", set(&self.policy), &[RamRoleArn, OidcRoleArn]),
            (
                "duration",
                self.duration.is_some(),
                &[RamRoleArn, OidcRoleArn],
            ),
            ("external-id", set(&self.external_id), &[RamRoleArn]),
            ("source", set(&self.source), &[RamRoleArn]),
            ("role-name", set(&self.role_name), &[EcsRamRole]),
            ("imdsv1-disabled", self.imdsv1_disabled, &[EcsRamRole]),
            (
                "oidc-provider-arn",
                set(&self.oidc_provider_arn),
                &[OidcRoleArn],
            ),
            (
                "oidc-token-file",
                self.oidc_token_file.is_some(),
                &[OidcRoleArn],
            ),
            ("uri", set(&self.uri), &[CredentialsUri]),
            ("command", set(&self.command), &[External]),
            (
                "timeout-seconds",
                self.timeout_seconds.is_some(),
                &[External],
            ),
            ("secret-name", set(&self.secret_name), &[KmsSecret]),
            (
                "client-key-file",
                self.client_key_file.is_some(),
                &[KmsSecret],
            ),
            ("expiration", set(&self.expiration), &[StsToken]),
            (
                "max-key-age-days",
                self.max_key_age_days.is_some(),
                &[AccessKey],
            ),
            ("user-name", set(&self.user_name), &[AccessKey]),
            ("client-id", set(&self.client_id), &[Oauth]),
            (
                "metadata-endpoint",
                set(&self.metadata_endpoint),
                &[EcsRamRole],
            ),
        ];
        let mut out: Vec<&'static str> = fields
            .iter()
            .filter(|(_, on, ok)| *on && !ok.contains(&t))
            .map(|(f, ..)| *f)
            .collect();
        let no_endpoints = matches!(t, Environment | CredentialsUri | External | BearerToken);
        if no_endpoints {
            for (f, v) in [
                ("sts-endpoint", &self.sts_endpoint),
                ("ram-endpoint", &self.ram_endpoint),
                ("kms-endpoint", &self.kms_endpoint),
            ] {
                if set(v) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// The inverse, for edit forms.
    pub fn from_profile(p: &Profile) -> Self {
        let mut i = ProfileInput {
            name: p.name.to_string(),
            r#type: p.profile_type().to_string(),
            region: p.region.clone(),
            description: p.description.clone(),
            console_browser: p.console_browser.clone(),
            ..Default::default()
        };
        if let Some(e) = p.kind.endpoints() {
            i.sts_endpoint = e.sts.as_ref().map(Url::to_string);
            i.ram_endpoint = e.ram.as_ref().map(Url::to_string);
            i.kms_endpoint = e.kms.as_ref().map(Url::to_string);
            i.metadata_endpoint = e.metadata.as_ref().map(Url::to_string);
        }
        match &p.kind {
            ProfileKind::AccessKey(a) => {
                i.max_key_age_days = a.max_key_age_days;
                i.user_name = a.user_name.clone();
            }
            ProfileKind::KmsSecret(k) => {
                i.secret_name = Some(k.secret_name.clone());
                i.client_key_file = Some(k.client_key_file.clone());
                match &k.client_key_password {
                    PasswordSource::Env(v) => i.client_key_password_env = Some(v.clone()),
                    PasswordSource::File(f) => i.client_key_password_file = Some(f.clone()),
                }
            }
            ProfileKind::StsToken(s) => {
                i.expiration = s.expiration.map(crate::credentials::format_expiration)
            }
            ProfileKind::RamRoleArn(r) => {
                i.source = Some(r.source.to_string());
                i.role_arn = Some(r.role_arn.clone());
                i.session_name = Some(r.session_name.clone());
                i.duration = Some(r.duration_seconds);
                i.policy = r.policy.clone();
                i.external_id = r.external_id.clone();
            }
            ProfileKind::EcsRamRole(e) => {
                i.role_name = e.role_name.clone();
                i.imdsv1_disabled = e.imdsv1_disabled;
            }
            ProfileKind::OidcRoleArn(o) => {
                i.role_arn = Some(o.role_arn.clone());
                i.oidc_provider_arn = Some(o.oidc_provider_arn.clone());
                i.oidc_token_file = Some(o.oidc_token_file.clone());
                i.session_name = Some(o.session_name.clone());
                i.duration = Some(o.duration_seconds);
                i.policy = o.policy.clone();
            }
            ProfileKind::Environment(_) => {}
            ProfileKind::CredentialsUri(c) => i.uri = Some(c.uri.to_string()),
            ProfileKind::External(x) => {
                i.command = Some(x.command.clone());
                i.timeout_seconds = Some(x.timeout_seconds);
            }
            ProfileKind::CloudSso(c) => {
                i.sso_session = Some(c.sso_session.to_string());
                i.sign_in_url = Some(c.sign_in_url.to_string());
                i.account_id = Some(c.account_id.clone());
                i.account_name = c.account_name.clone();
                i.access_config = Some(c.access_config.clone());
                i.access_config_name = c.access_config_name.clone();
            }
            ProfileKind::Oauth(o) => {
                i.site = Some(format!("{:?}", o.site).to_ascii_lowercase());
                i.oauth_sign_in_url = o.oauth_sign_in_url.as_ref().map(Url::to_string);
                i.oauth_endpoint = o.oauth_endpoint.as_ref().map(Url::to_string);
                i.client_id = o.client_id.clone();
            }
            ProfileKind::BearerToken(b) => i.bearer_token_header_key = b.header_key.clone(),
        }
        i
    }
}

/// `alicred-<user>`: what STS will show in ActionTrail when no name is given.
fn default_session_name() -> String {
    let user = std::env::var("USER").unwrap_or_default();
    let clean: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_'))
        .take(24)
        .collect();
    if clean.is_empty() {
        "alicred".into()
    } else {
        format!("alicred-{clean}")
    }
}
