//! The add/edit form, per profile type: which fields it shows, in which
//! order, with which words. The dashboard renders this list and does not
//! know the types itself; the core's validation ([`crate::profile`]) judges
//! what is typed.

use crate::profile::ProfileType;
use serde::Serialize;

/// How a field is edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Number,
    Checkbox,
    Textarea,
    /// Another profile's name (a role's source).
    Source,
    Url,
    Path,
    /// A CloudSSO session name, offered from the known ones.
    Session,
    /// One of `options`.
    Select,
    /// Not shown, but kept as loaded when editing.
    Hidden,
}

/// One choice of a `select` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FieldOption {
    pub value: &'static str,
    pub label: &'static str,
}

/// One field of the form: `key` is the `ProfileInput` field it fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub placeholder: Option<&'static str>,
    pub help: Option<&'static str>,
    pub required: bool,
    /// Shown under "Advanced".
    pub advanced: bool,
    /// The choices of a `select` field.
    pub options: &'static [FieldOption],
}

/// The form of one type: the fields every type has (region, description:
/// under "Advanced"), then its own, then the secret inputs it asks for (kept
/// in the keyring, never echoed back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TypeFields {
    pub r#type: ProfileType,
    pub fields: Vec<Field>,
    pub secret_fields: Vec<&'static str>,
}

struct F;

#[rustfmt::skip]
impl F {
    const REGION: Field = Field {
        key: "region",
        label: "Region",
        kind: FieldKind::Text,
        placeholder: Some("cn-hangzhou"),
        help: Some("Picks regional endpoints (sts.<region>.aliyuncs.com)."),
        required: false,
        advanced: true,
        options: &[],
    };
    const DESCRIPTION: Field = Field {
        key: "description",
        label: "Description",
        kind: FieldKind::Text,
        placeholder: Some("What this profile is for"),
        help: None,
        required: false,
        advanced: true,
        options: &[],
    };
    const ROLE_ARN: Field = Field {
        key: "role_arn",
        label: "Role ARN",
        kind: FieldKind::Text,
        placeholder: Some("acs:ram::1234567890123456:role/my-role"),
        help: None,
        required: true,
        advanced: false,
        options: &[],
    };
    const SESSION_NAME: Field = Field {
        key: "session_name",
        label: "Session name",
        kind: FieldKind::Text,
        placeholder: Some("alicred-you"),
        help: Some("Shown in ActionTrail. Default: alicred-<user>."),
        required: false,
        advanced: false,
        options: &[],
    };
    const DURATION: Field = Field {
        key: "duration",
        label: "Duration (seconds)",
        kind: FieldKind::Number,
        placeholder: Some("3600"),
        help: Some("900 to the role’s maximum (≤ 43200)."),
        required: false,
        advanced: false,
        options: &[],
    };
    const POLICY: Field = Field {
        key: "policy",
        label: "Policy (JSON, optional)",
        kind: FieldKind::Textarea,
        placeholder: Some("{\"Version\":\"1\",\"Statement\":[…]}"),
        help: Some("Narrows the role’s permissions for this session."),
        required: false,
        advanced: false,
        options: &[],
    };
    const EXTERNAL_ID: Field = Field {
        key: "external_id",
        label: "External ID",
        kind: FieldKind::Text,
        placeholder: None,
        help: Some("Only if the role’s trust policy asks for one."),
        required: false,
        advanced: false,
        options: &[],
    };
    const SOURCE: Field = Field {
        key: "source",
        label: "Source profile",
        kind: FieldKind::Source,
        placeholder: None,
        help: Some("Whose credentials assume the role. Any type; chains are allowed."),
        required: true,
        advanced: false,
        options: &[],
    };
    const ROLE_NAME: Field = Field {
        key: "role_name",
        label: "Role name",
        kind: FieldKind::Text,
        placeholder: Some("discovered from the metadata service"),
        help: Some("Leave empty to use the instance’s role."),
        required: false,
        advanced: false,
        options: &[],
    };
    const IMDSV1_DISABLED: Field = Field {
        key: "imdsv1_disabled",
        label: "Require IMDSv2 (refuse the token-less IMDSv1)",
        kind: FieldKind::Checkbox,
        placeholder: None,
        help: None,
        required: false,
        advanced: false,
        options: &[],
    };
    const OIDC_PROVIDER_ARN: Field = Field {
        key: "oidc_provider_arn",
        label: "OIDC provider ARN",
        kind: FieldKind::Text,
        placeholder: Some("acs:ram::1234567890123456:oidc-provider/ack-rrsa"),
        help: None,
        required: true,
        advanced: false,
        options: &[],
    };
    const OIDC_TOKEN_FILE: Field = Field {
        key: "oidc_token_file",
        label: "OIDC token file",
        kind: FieldKind::Path,
        placeholder: Some("/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token"),
        help: Some("Re-read at every refresh."),
        required: true,
        advanced: false,
        options: &[],
    };
    const URI: Field = Field {
        key: "uri",
        label: "Credentials URI",
        kind: FieldKind::Url,
        placeholder: Some("http://127.0.0.1:8080/credentials"),
        help: None,
        required: true,
        advanced: false,
        options: &[],
    };
    const COMMAND: Field = Field {
        key: "command",
        label: "Command",
        kind: FieldKind::Text,
        placeholder: Some("/usr/local/bin/get-creds --profile prod"),
        help: Some("Run without a shell; must print aliyun CLI External JSON."),
        required: true,
        advanced: false,
        options: &[],
    };
    const TIMEOUT_SECONDS: Field = Field {
        key: "timeout_seconds",
        label: "Timeout (seconds)",
        kind: FieldKind::Number,
        placeholder: Some("60"),
        help: None,
        required: false,
        advanced: false,
        options: &[],
    };
    const SECRET_NAME: Field = Field {
        key: "secret_name",
        label: "KMS secret name",
        kind: FieldKind::Text,
        placeholder: Some("my-ram-credentials"),
        help: None,
        required: true,
        advanced: false,
        options: &[],
    };
    const CLIENT_KEY_FILE: Field = Field {
        key: "client_key_file",
        label: "ClientKey file",
        kind: FieldKind::Path,
        placeholder: Some("/home/you/clientKey_KAAP.json"),
        help: None,
        required: true,
        advanced: false,
        options: &[],
    };
    const CLIENT_KEY_PASSWORD_ENV: Field = Field {
        key: "client_key_password_env",
        label: "Password environment variable",
        kind: FieldKind::Text,
        placeholder: Some("CLIENT_KEY_PASSWORD"),
        help: Some("Give this or a password file."),
        required: false,
        advanced: false,
        options: &[],
    };
    const CLIENT_KEY_PASSWORD_FILE: Field = Field {
        key: "client_key_password_file",
        label: "Password file",
        kind: FieldKind::Path,
        placeholder: Some("/home/you/clientKey_password.txt"),
        help: None,
        required: false,
        advanced: false,
        options: &[],
    };
    const EXPIRATION: Field = Field {
        key: "expiration",
        label: "Expiration (UTC)",
        kind: FieldKind::Text,
        placeholder: Some("2026-01-01T12:00:00Z"),
        help: Some("When the token expires, so alicred can warn you in time."),
        required: false,
        advanced: false,
        options: &[],
    };
    const MAX_KEY_AGE_DAYS: Field = Field {
        key: "max_key_age_days",
        label: "Rotate after (days)",
        kind: FieldKind::Number,
        placeholder: Some("90"),
        help: Some("Age policy; alicred reminds you to rotate."),
        required: false,
        advanced: false,
        options: &[],
    };
    const USER_NAME: Field = Field {
        key: "user_name",
        label: "RAM user name",
        kind: FieldKind::Text,
        placeholder: Some("the key’s own user"),
        help: Some("Owner of the key, used for rotation."),
        required: false,
        advanced: false,
        options: &[],
    };
    const STS_ENDPOINT: Field = Field {
        key: "sts_endpoint",
        label: "STS endpoint",
        kind: FieldKind::Url,
        placeholder: Some("https://sts.aliyuncs.com"),
        help: None,
        required: false,
        advanced: true,
        options: &[],
    };
    const RAM_ENDPOINT: Field = Field {
        key: "ram_endpoint",
        label: "RAM endpoint",
        kind: FieldKind::Url,
        placeholder: Some("https://ram.aliyuncs.com"),
        help: None,
        required: false,
        advanced: true,
        options: &[],
    };
    const KMS_ENDPOINT: Field = Field {
        key: "kms_endpoint",
        label: "KMS endpoint",
        kind: FieldKind::Url,
        placeholder: Some("https://kms.cn-hangzhou.aliyuncs.com"),
        help: None,
        required: false,
        advanced: true,
        options: &[],
    };
    const METADATA_ENDPOINT: Field = Field {
        key: "metadata_endpoint",
        label: "Metadata endpoint",
        kind: FieldKind::Url,
        placeholder: Some("http://100.100.100.200"),
        help: None,
        required: false,
        advanced: true,
        options: &[],
    };
    const SSO_SESSION: Field = Field {
        key: "sso_session",
        label: "CloudSSO session",
        kind: FieldKind::Session,
        placeholder: Some("corp"),
        help: Some("The sign-in this profile shares with the other accounts of your organisation."),
        required: true,
        advanced: false,
        options: &[],
    };
    const SIGN_IN_URL: Field = Field {
        key: "sign_in_url",
        label: "Sign-in URL",
        kind: FieldKind::Url,
        placeholder: Some("https://signin-cn-shanghai.alibabacloudsso.com/d-xxxx/login"),
        help: Some("Your CloudSSO user portal; filled in when the session is known."),
        required: false,
        advanced: false,
        options: &[],
    };
    const ACCOUNT_ID: Field = Field {
        key: "account_id",
        label: "Account ID",
        kind: FieldKind::Text,
        placeholder: Some("1234567890123456"),
        help: None,
        required: true,
        advanced: false,
        options: &[],
    };
    const ACCESS_CONFIG: Field = Field {
        key: "access_config",
        label: "Access configuration ID",
        kind: FieldKind::Text,
        placeholder: Some("ac-xxxxxxxx"),
        help: Some("One you are assigned in that account."),
        required: true,
        advanced: false,
        options: &[],
    };
    const ACCOUNT_NAME: Field = Field {
        key: "account_name",
        label: "Account name",
        kind: FieldKind::Hidden,
        placeholder: None,
        help: None,
        required: false,
        advanced: false,
        options: &[],
    };
    const ACCESS_CONFIG_NAME: Field = Field {
        key: "access_config_name",
        label: "Access configuration name",
        kind: FieldKind::Hidden,
        placeholder: None,
        help: None,
        required: false,
        advanced: false,
        options: &[],
    };
    const OAUTH_SIGN_IN_URL: Field = Field {
        key: "oauth_sign_in_url",
        label: "OAuth sign-in URL",
        kind: FieldKind::Url,
        placeholder: Some("https://signin.aliyun.com"),
        help: None,
        required: false,
        advanced: true,
        options: &[],
    };
    const OAUTH_ENDPOINT: Field = Field {
        key: "oauth_endpoint",
        label: "OAuth token endpoint",
        kind: FieldKind::Url,
        placeholder: Some("https://oauth.aliyun.com"),
        help: None,
        required: false,
        advanced: true,
        options: &[],
    };
    const CLIENT_ID: Field = Field {
        key: "client_id",
        label: "OAuth client ID",
        kind: FieldKind::Text,
        placeholder: Some("the site’s aliyun CLI app"),
        help: None,
        required: false,
        advanced: true,
        options: &[],
    };
    const SITE: Field = Field {
        key: "site",
        label: "Site",
        kind: FieldKind::Select,
        placeholder: None,
        help: Some("Where you sign in to the console."),
        required: false,
        advanced: false,
        options: &SITES,
    };
}

#[rustfmt::skip]
impl F {
    const BEARER_TOKEN_HEADER_KEY: Field = Field {
        key: "bearer_token_header_key",
        label: "Header name",
        kind: FieldKind::Text,
        placeholder: Some("x-acs-bearer-token"),
        help: Some("The header the token is sent in (the aliyun CLI's default when empty)."),
        required: false,
        advanced: true,
        options: &[],
    };
}

/// The site choices of an OAuth profile.
const SITES: [FieldOption; 2] = [
    FieldOption {
        value: "cn",
        label: "China (aliyun.com)",
    },
    FieldOption {
        value: "intl",
        label: "International (alibabacloud.com)",
    },
];

/// The fields of `ty`, common ones first.
pub fn fields_of(ty: ProfileType) -> Vec<Field> {
    let own: &[Field] = match ty {
        ProfileType::AccessKey => &[
            F::MAX_KEY_AGE_DAYS,
            F::USER_NAME,
            F::STS_ENDPOINT,
            F::RAM_ENDPOINT,
        ],
        ProfileType::KmsSecret => &[
            F::SECRET_NAME,
            F::CLIENT_KEY_FILE,
            F::CLIENT_KEY_PASSWORD_ENV,
            F::CLIENT_KEY_PASSWORD_FILE,
            F::KMS_ENDPOINT,
        ],
        ProfileType::StsToken => &[F::EXPIRATION, F::STS_ENDPOINT],
        ProfileType::RamRoleArn => &[
            F::SOURCE,
            F::ROLE_ARN,
            F::SESSION_NAME,
            F::DURATION,
            F::EXTERNAL_ID,
            F::POLICY,
            F::STS_ENDPOINT,
        ],
        ProfileType::EcsRamRole => &[F::ROLE_NAME, F::IMDSV1_DISABLED, F::METADATA_ENDPOINT],
        ProfileType::OidcRoleArn => &[
            F::ROLE_ARN,
            F::OIDC_PROVIDER_ARN,
            F::OIDC_TOKEN_FILE,
            F::SESSION_NAME,
            F::DURATION,
            F::POLICY,
            F::STS_ENDPOINT,
        ],
        ProfileType::Environment => &[],
        ProfileType::CredentialsUri => &[F::URI],
        ProfileType::External => &[F::COMMAND, F::TIMEOUT_SECONDS],
        ProfileType::CloudSso => &[
            F::SSO_SESSION,
            F::SIGN_IN_URL,
            F::ACCOUNT_ID,
            F::ACCESS_CONFIG,
            F::ACCOUNT_NAME,
            F::ACCESS_CONFIG_NAME,
            F::STS_ENDPOINT,
        ],
        // The token itself comes by import or `alicred profile add`.
        ProfileType::BearerToken => &[F::BEARER_TOKEN_HEADER_KEY],
        ProfileType::Oauth => &[
            F::SITE,
            F::OAUTH_SIGN_IN_URL,
            F::OAUTH_ENDPOINT,
            F::CLIENT_ID,
            F::STS_ENDPOINT,
        ],
    };
    [F::REGION, F::DESCRIPTION]
        .into_iter()
        .chain(own.iter().copied())
        .collect()
}

/// Every type's form, in the order of [`ProfileType::ALL`].
pub fn all() -> Vec<TypeFields> {
    ProfileType::ALL
        .iter()
        .map(|&ty| TypeFields {
            r#type: ty,
            fields: fields_of(ty),
            secret_fields: ty.guide().secret_fields.to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileInput;

    #[test]
    fn every_field_of_every_type_is_a_field_of_the_input_and_applies_to_it() {
        let known = serde_json::to_value(ProfileInput::default()).expect("json");
        for t in all() {
            for f in &t.fields {
                assert!(
                    known.get(f.key).is_some(),
                    "{}: {} is not an input field",
                    t.r#type.as_str(),
                    f.key
                );
            }
            // A form filled with every required field names no field that
            // does not apply to the type.
            let keys: Vec<&str> = t.fields.iter().map(|f| f.key).collect();
            let mut unique = keys.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(
                unique.len(),
                keys.len(),
                "{}: a field twice",
                t.r#type.as_str()
            );
        }
        assert_eq!(all().len(), ProfileType::ALL.len());
    }
}
