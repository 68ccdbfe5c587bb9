//! `~/.aliyun/config.json`: every mode of the aliyun CLI (`config/profile.go`'s
//! `knownModes`, checked against its source of July 2026), each mapped onto our
//! types or skipped by name with the reason:
//!
//! | CLI mode | alicred |
//! |---|---|
//! | AK | access-key |
//! | StsToken | sts-token |
//! | RamRoleArn | access-key `NAME-source` + ram-role-arn on it |
//! | ChainableRamRoleArn | ram-role-arn on `source_profile` |
//! | EcsRamRole | ecs-ram-role |
//! | OIDC | oidc-role-arn |
//! | External | external |
//! | CredentialsURI | credentials-uri |
//! | CloudSSO | cloud-sso (token moved to the keyring) |
//! | OAuth | oauth (tokens moved to the keyring) |
//! | BearerToken | bearer-token (token moved to the keyring) |
//! | Anonymous | skipped: it has no credentials to import |
//! | RsaKeyPair, RamRoleArnWithRoleName | skipped: deprecated by the CLI |
//!
//! Mode names are case-insensitive, as in the CLI.

use super::{ImportError, ImportPlan, Planned, Skipped, clean_name, read};
use crate::profile::ProfileInput;
use crate::sensitive::Sensitive;
use crate::signin::tokens::ImportedSignIn;
use crate::store::redact::json_error;
use crate::store::secrets::StoredKey;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CliProfile {
    pub(super) name: String,
    pub(super) mode: String,
    pub(super) region_id: String,
    pub(super) access_key_id: String,
    pub(super) access_key_secret: Option<Sensitive>,
    pub(super) sts_token: Option<Sensitive>,
    pub(super) sts_expiration: Option<i64>,
    pub(super) ram_role_name: String,
    pub(super) ram_role_arn: String,
    pub(super) ram_session_name: String,
    pub(super) external_id: String,
    pub(super) source_profile: String,
    pub(super) expired_seconds: Option<u32>,
    pub(super) process_command: String,
    pub(super) credentials_uri: String,
    pub(super) oidc_provider_arn: String,
    pub(super) oidc_token_file: String,
    pub(super) sts_endpoint: String,
    pub(super) cloud_sso_sign_in_url: String,
    pub(super) cloud_sso_access_token: Option<Sensitive>,
    pub(super) cloud_sso_access_token_expire: Option<i64>,
    pub(super) cloud_sso_account_id: String,
    pub(super) cloud_sso_access_config: String,
    pub(super) oauth_site_type: String,
    pub(super) oauth_access_token: Option<Sensitive>,
    pub(super) oauth_refresh_token: Option<Sensitive>,
    pub(super) oauth_access_token_expire: Option<i64>,
    pub(super) bearer_token: Option<Sensitive>,
    pub(super) bearer_token_header_key: String,
}

/// The default location: `~/.aliyun/config.json`.
pub fn default_path() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".aliyun").join("config.json"))
}

pub fn plan(path: &Path) -> Result<ImportPlan, ImportError> {
    plan_text(path, &read(path)?)
}

/// [`plan`] for a file already read (`path` only names it in errors).
pub fn plan_text(path: &Path, text: &str) -> Result<ImportPlan, ImportError> {
    // The field path and the reason, never the value: serde_json quotes a
    // string of the wrong type, and that string may be a secret.
    let de = &mut serde_json::Deserializer::from_str(text);
    let file: ConfigFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        ImportError::Malformed {
            path: path.to_owned(),
            format: "aliyun CLI config JSON",
            reason: json_error(&field, e.inner()),
        }
    })?;
    let mut plan = ImportPlan::default();
    for p in file.profiles {
        map_profile(p, &mut plan);
    }
    Ok(plan)
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn map_profile(p: CliProfile, plan: &mut ImportPlan) {
    let name = clean_name(&p.name);
    let origin = format!("aliyun CLI profile {:?} (mode {})", p.name, p.mode);
    let base = ProfileInput {
        name: name.clone(),
        region: opt(&p.region_id),
        description: Some(format!("imported from aliyun CLI ({})", p.mode)),
        sts_endpoint: opt(&p.sts_endpoint).map(|e| {
            if e.contains("://") {
                e
            } else {
                format!("https://{e}")
            }
        }),
        ..Default::default()
    };
    let key = |with_token: bool| -> Result<StoredKey, String> {
        let secret = p
            .access_key_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or("access_key_secret is empty")?;
        if p.access_key_id.trim().is_empty() {
            return Err("access_key_id is empty".into());
        }
        let token = if with_token {
            Some(
                p.sts_token
                    .clone()
                    .filter(|s| !s.is_empty())
                    .ok_or("sts_token is empty")?,
            )
        } else {
            None
        };
        Ok(StoredKey {
            access_key_id: p.access_key_id.trim().to_string(),
            access_key_secret: secret,
            security_token: token,
        })
    };
    let mut skip = |reason: String| {
        plan.skipped.push(Skipped {
            name: p.name.clone(),
            reason,
        })
    };
    let role = |source: String| ProfileInput {
        r#type: "ram-role-arn".into(),
        source: Some(source),
        role_arn: opt(&p.ram_role_arn),
        session_name: opt(&p.ram_session_name),
        external_id: opt(&p.external_id),
        duration: p.expired_seconds.filter(|d| *d > 0),
        ..base.clone()
    };
    let planned = match p.mode.to_ascii_lowercase().as_str() {
        "ak" => match key(false) {
            Ok(k) => vec![(
                ProfileInput {
                    r#type: "access-key".into(),
                    sts_endpoint: None,
                    ..base.clone()
                },
                Some(k),
            )],
            Err(e) => return skip(e),
        },
        "ststoken" => match key(true) {
            Ok(k) => {
                let expiration = p
                    .sts_expiration
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map(crate::credentials::format_expiration);
                vec![(
                    ProfileInput {
                        r#type: "sts-token".into(),
                        expiration,
                        ..base.clone()
                    },
                    Some(k),
                )]
            }
            Err(e) => return skip(e),
        },
        // The CLI keeps the AccessKey inside the role profile; we split it into
        // a source profile and the role that chains on it.
        "ramrolearn" => match key(false) {
            Ok(k) => {
                let source = clean_name(&format!("{name}-source"));
                vec![
                    (
                        ProfileInput {
                            name: source.clone(),
                            r#type: "access-key".into(),
                            sts_endpoint: None,
                            ..base.clone()
                        },
                        Some(k),
                    ),
                    (role(source), None),
                ]
            }
            Err(e) => return skip(e),
        },
        "chainableramrolearn" => match opt(&p.source_profile) {
            Some(src) => vec![(role(clean_name(&src)), None)],
            None => return skip("source_profile is empty".into()),
        },
        "ecsramrole" => vec![(
            ProfileInput {
                r#type: "ecs-ram-role".into(),
                role_name: opt(&p.ram_role_name),
                sts_endpoint: None,
                ..base.clone()
            },
            None,
        )],
        "oidc" => vec![(
            ProfileInput {
                r#type: "oidc-role-arn".into(),
                role_arn: opt(&p.ram_role_arn),
                oidc_provider_arn: opt(&p.oidc_provider_arn),
                oidc_token_file: opt(&p.oidc_token_file).map(PathBuf::from),
                session_name: opt(&p.ram_session_name),
                duration: p.expired_seconds.filter(|d| *d > 0),
                ..base.clone()
            },
            None,
        )],
        "external" => vec![(ProfileInput { r#type: "external".into(), command: opt(&p.process_command), sts_endpoint: None, ..base.clone() }, None)],
        "credentialsuri" => vec![(ProfileInput { r#type: "credentials-uri".into(), uri: opt(&p.credentials_uri), sts_endpoint: None, ..base.clone() }, None)],
        "cloudsso" => match super::sign_in::cloud_sso(&p, &base) {
            Ok((input, sign_in)) => return push_sign_in(plan, input, sign_in, &origin),
            Err(e) => return skip(e),
        },
        "oauth" => match super::sign_in::oauth(&p, &base) {
            Ok((input, sign_in)) => return push_sign_in(plan, input, sign_in, &origin),
            Err(e) => return skip(e),
        },
        "bearertoken" => {
            let token = p
                .bearer_token
                .as_ref()
                .map(|t| crate::providers::bearer_token::sanitize(t.expose()))
                .filter(|t| !t.is_empty());
            let Some(token) = token else {
                return skip("bearer_token is empty".into());
            };
            plan.profiles.push(Planned {
                input: ProfileInput {
                    r#type: "bearer-token".into(),
                    bearer_token_header_key: opt(&p.bearer_token_header_key),
                    sts_endpoint: None,
                    ..base.clone()
                },
                secret: None,
                origin,
                sign_in: None,
                bearer_token: Some(token),
            });
            return;
        }
        "anonymous" => return skip("Anonymous mode has no credentials to import (it calls anonymous APIs only)".into()),
        "ramrolearnwithrolename" => return skip("RamRoleArnWithRoleName is deprecated by the aliyun CLI; re-create it as RamRoleArn".into()),
        "rsakeypair" => return skip("RsaKeyPair is deprecated by the aliyun CLI and Alibaba Cloud; use an AccessKey (AK) or a role instead".into()),
        // Not the value itself: it may be a secret put in the wrong field.
        _ => return skip("field mode: unknown mode; expected AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC, External, CredentialsURI, CloudSSO, OAuth, BearerToken or Anonymous".into()),
    };
    for (input, secret) in planned {
        plan.profiles.push(Planned {
            input,
            secret,
            origin: origin.clone(),
            sign_in: None,
            bearer_token: None,
        });
    }
}

fn push_sign_in(
    plan: &mut ImportPlan,
    input: ProfileInput,
    sign_in: Option<ImportedSignIn>,
    origin: &str,
) {
    plan.profiles.push(Planned {
        input,
        secret: None,
        origin: origin.to_string(),
        sign_in,
        bearer_token: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "LTAI5tSecretLookingValue0123";

    fn plan_of(text: &str) -> Result<ImportPlan, ImportError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        std::fs::write(&path, text).expect("write");
        plan(&path)
    }

    #[test]
    fn a_value_in_the_wrong_field_is_named_not_echoed() {
        let text = format!(
            r#"{{"profiles": [{{"name": "p", "mode": "AK", "expired_seconds": "{SECRET}"}}]}}"#
        );
        let msg = plan_of(&text).expect_err("wrong type").to_string();
        assert!(!msg.contains(SECRET), "{msg}");
        assert!(msg.contains("profiles[0].expired_seconds"), "{msg}");
    }

    /// Issue 18 item 9: an imported role ARN was quoted by the profile
    /// checks, and `apply` passed their message on unscrubbed.
    #[test]
    fn an_imported_role_arn_is_not_echoed() {
        let text = format!(
            r#"{{"profiles": [{{"name": "r", "mode": "RamRoleArn", "access_key_id": "LTAIkey", "access_key_secret": "sec", "ram_role_arn": "{SECRET}", "ram_session_name": "s"}}]}}"#
        );
        let plan = plan_of(&text).expect("plan");
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets: std::sync::Arc<dyn crate::store::secrets::SecretStore> =
            std::sync::Arc::new(crate::store::secrets::MemoryStore::default());
        let app = crate::service::Alicred::with_store(
            crate::paths::Paths::new(dir.path().join("home")),
            secrets,
        );
        let mut seen = format!("{:?}", plan.skipped);
        for dry_run in [true, false] {
            let out = super::super::apply(&app, &plan, false, dry_run).expect("apply");
            seen.push_str(&format!("{out:?}"));
            assert!(
                out.iter()
                    .any(|o| o.message.as_deref().is_some_and(|m| m.contains("role"))),
                "{out:?}"
            );
        }
        assert!(!seen.contains(SECRET), "{seen}");
    }

    /// Issue 18 item 9: `oauth_site_type` was quoted.
    #[test]
    fn an_unknown_oauth_site_type_is_not_echoed() {
        let text = format!(
            r#"{{"profiles": [{{"name": "o", "mode": "OAuth", "oauth_site_type": "{SECRET}"}}]}}"#
        );
        let plan = plan_of(&text).expect("plan");
        let shown = format!("{:?} {:?}", plan.skipped, plan.profiles);
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("oauth_site_type"), "{shown}");
    }

    #[test]
    fn an_unknown_mode_is_not_echoed() {
        let text = format!(r#"{{"profiles": [{{"name": "p", "mode": "{SECRET}"}}]}}"#);
        let plan = plan_of(&text).expect("plan");
        let reason = &plan.skipped.first().expect("skipped").reason;
        assert!(
            !reason.contains(SECRET) && reason.contains("mode"),
            "{reason}"
        );
    }

    /// Every mode of the aliyun CLI: imported or skipped by name, never
    /// silently dropped, and no secret in what the plan says.
    #[test]
    fn every_cli_mode_is_covered() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/aliyun-cli/all-modes.json");
        let plan = plan(&path).expect("plan");
        let imported: Vec<(String, String)> = plan
            .profiles
            .iter()
            .map(|p| (p.input.name.clone(), p.input.r#type.clone()))
            .collect();
        let has = |name: &str, ty: &str| imported.iter().any(|(n, t)| n == name && t == ty);
        for (name, ty) in [
            ("ak", "access-key"),
            ("sts", "sts-token"),
            ("role-source", "access-key"),
            ("role", "ram-role-arn"),
            ("chained", "ram-role-arn"),
            ("ecs", "ecs-ram-role"),
            ("oidc", "oidc-role-arn"),
            ("external", "external"),
            ("uri", "credentials-uri"),
            ("sso", "cloud-sso"),
            ("oauth", "oauth"),
            ("bearer", "bearer-token"),
            ("bearer-header", "bearer-token"),
            ("mixed-case", "access-key"),
        ] {
            assert!(has(name, ty), "{name} as {ty}: {imported:?}");
        }
        let skipped = |name: &str| {
            plan.skipped
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.reason.clone())
                .unwrap_or_default()
        };
        assert!(skipped("anon").contains("Anonymous mode has no credentials"));
        assert!(skipped("old").contains("RamRoleArnWithRoleName is deprecated"));
        assert!(skipped("rsa").contains("RsaKeyPair is deprecated"));
        assert!(skipped("empty-bearer").contains("bearer_token is empty"));
        assert_eq!(plan.profiles.len() + plan.skipped.len(), 18);
        let b = plan
            .profiles
            .iter()
            .find(|p| p.input.name == "bearer")
            .expect("bearer");
        assert_eq!(
            b.bearer_token.as_ref().map(Sensitive::expose),
            Some("FixtureBearerToken0001")
        );
        assert!(!format!("{b:?}").contains("FixtureBearerToken0001"));
        let h = plan
            .profiles
            .iter()
            .find(|p| p.input.name == "bearer-header")
            .expect("bearer-header");
        assert_eq!(
            h.input.bearer_token_header_key.as_deref(),
            Some("x-acs-custom-token")
        );
        // Every mode the CLI knows appears in the fixture.
        let text = std::fs::read_to_string(&path).expect("fixture");
        for mode in [
            "AK",
            "StsToken",
            "RamRoleArn",
            "EcsRamRole",
            "RsaKeyPair",
            "RamRoleArnWithRoleName",
            "ChainableRamRoleArn",
            "External",
            "CredentialsURI",
            "OIDC",
            "CloudSSO",
            "OAuth",
            "BearerToken",
            "Anonymous",
        ] {
            assert!(text.contains(&format!("\"mode\": \"{mode}\"")), "{mode}");
        }
    }
}
