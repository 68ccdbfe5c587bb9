//! The fault matrix's fixtures: the profiles for each provider under test and
//! where its fault goes.

use super::*;
use alicred_core::profile::ProfileInput;
use alicred_core::sensitive::Sensitive;
use alicred_core::signin::tokens::{OauthTokens, SsoSessionToken};
use alicred_core::store::config::ProfilesFile;
use alicred_core::store::secrets::{SecretKey, StoredKey};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn input(name: &str, ty: &str) -> ProfileInput {
    ProfileInput {
        name: name.into(),
        r#type: ty.into(),
        ..Default::default()
    }
}

/// Profiles for `prov` (the one under test is named `target`) and where its fault goes.
pub(super) fn setup(
    prov: Prov,
    cloud: &FakeCloudHandle,
    dir: &std::path::Path,
    secrets: &Arc<dyn SecretStore>,
) -> (ProfilesFile, Service, String) {
    let seed = cloud.demo().expect("demo seed");
    let sts = Some(cloud.sts_url());
    let mut inputs = Vec::new();
    let (service, action) = match prov {
        Prov::RamRoleArn => {
            inputs.push(ProfileInput {
                sts_endpoint: sts.clone(),
                ..input("alice", "access-key")
            });
            secrets
                .set_json(
                    &SecretKey::Profile("alice".parse().expect("name")),
                    &StoredKey {
                        access_key_id: seed.alice.access_key_id.clone(),
                        access_key_secret: Sensitive::new(seed.alice.access_key_secret.clone()),
                        security_token: None,
                    },
                )
                .expect("store");
            inputs.push(ProfileInput {
                source: Some("alice".into()),
                role_arn: seed.role_arn("admin").map(str::to_string),
                sts_endpoint: sts,
                ..input("target", "ram-role-arn")
            });
            (Service::Sts, "AssumeRole")
        }
        Prov::OidcRoleArn => {
            let token = dir.join("oidc-token");
            std::fs::write(&token, &seed.oidc_token).expect("token");
            inputs.push(ProfileInput {
                role_arn: seed.role_arn("dev").map(str::to_string),
                oidc_provider_arn: Some(seed.oidc_provider_arn.clone()),
                oidc_token_file: Some(token),
                sts_endpoint: sts,
                ..input("target", "oidc-role-arn")
            });
            (Service::Sts, "AssumeRoleWithOIDC")
        }
        Prov::EcsRamRole => {
            inputs.push(ProfileInput {
                metadata_endpoint: Some(cloud.ecs_url()),
                ..input("target", "ecs-ram-role")
            });
            (Service::Ecs, "credentials")
        }
        Prov::CredentialsUri => {
            inputs.push(ProfileInput {
                uri: Some(cloud.uri_url(&seed.uri_source)),
                ..input("target", "credentials-uri")
            });
            (Service::Uri, seed.uri_source.as_str())
        }
        Prov::CloudSso => {
            // Signed in as an approved device sign-in leaves it: the session's
            // token in the store, one profile for one access configuration.
            let a = seed
                .sso_assignments
                .first()
                .expect("a demo CloudSSO account");
            let c = a
                .access_configurations
                .first()
                .expect("an access configuration");
            secrets
                .set_json(
                    &SecretKey::SsoSession("corp".parse().expect("name")),
                    &SsoSessionToken {
                        sign_in_url: url::Url::parse(&cloud.sso_sign_in_url()).expect("url"),
                        access_token: Sensitive::new(cloud.sso_issue_token()),
                        expires_at: Utc::now() + chrono::Duration::hours(8),
                    },
                )
                .expect("store");
            inputs.push(ProfileInput {
                sso_session: Some("corp".into()),
                sign_in_url: Some(cloud.sso_sign_in_url()),
                account_id: Some(a.account_id.clone()),
                account_name: Some(a.display_name.clone()),
                access_config: Some(c.id.clone()),
                access_config_name: Some(c.name.clone()),
                sts_endpoint: sts,
                ..input("target", "cloud-sso")
            });
            (Service::Sso, "cloud-credentials")
        }
        Prov::Oauth => {
            let (access, refresh) = cloud.oauth_issue_tokens();
            secrets
                .set_json(
                    &SecretKey::Profile("target".parse().expect("name")),
                    &OauthTokens {
                        access_token: Sensitive::new(access),
                        access_expires_at: Utc::now() + chrono::Duration::hours(3),
                        refresh_token: Sensitive::new(refresh),
                        needs_sign_in: false,
                    },
                )
                .expect("store");
            inputs.push(ProfileInput {
                oauth_sign_in_url: Some(cloud.base_url()),
                oauth_endpoint: Some(cloud.base_url()),
                client_id: Some(alicred_fakecloud::OAUTH_CLIENT_IDS[0].into()),
                sts_endpoint: sts,
                ..input("target", "oauth")
            });
            (Service::Oauth, "exchange")
        }
        Prov::KmsSecret => {
            inputs.push(ProfileInput {
                secret_name: Some(seed.kms_secret_name.clone()),
                client_key_file: Some(fixture("clientkey/clientKey_demo.json")),
                client_key_password_file: Some(fixture("clientkey/clientKey_demo_password.txt")),
                kms_endpoint: Some(cloud.kms_url()),
                ..input("target", "kms-secret")
            });
            (Service::Kms, "GetSecretValue")
        }
    };
    let mut file = ProfilesFile::default();
    for i in inputs {
        let p = i.into_profile().expect("valid profile");
        file.profiles.insert(p.name.clone(), p);
    }
    (file, service, action.to_string())
}
