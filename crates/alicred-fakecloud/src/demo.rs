//! The demo world seeded by [`crate::FakeCloudConfig::demo`].

use crate::error::ApiError;
use crate::info::{AccessKeyPair, RoleInfo};
use crate::sso::{SsoAccessConfig, SsoAssignment};
use crate::state::World;
use serde::Serialize;

/// Demo account id.
pub const DEMO_ACCOUNT_ID: &str = "1234567890123456";
/// AccessKey ID of the demo RAM user `alice`.
pub const DEMO_ALICE_KEY_ID: &str = "LTAI5tDemoAliceKey000001";
/// RAM user whose keys the demo KMS secret holds.
pub const DEMO_KMS_USER: &str = "kms-app";
/// AccessKey ID in the demo KMS secret's first version.
pub const DEMO_KMS_KEY_ID: &str = "LTAI5tDemoKmsAppKey00001";
/// Demo OIDC provider.
pub const DEMO_OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/demo";
/// The OIDC token the demo provider accepts (a fixed, public demo value).
pub const DEMO_OIDC_TOKEN: &str = "demo-oidc-token";
/// Demo ClientKey id (its key pair is `tests/fixtures/clientkey/`).
pub const DEMO_CLIENT_KEY_ID: &str = "KAAP.demo-client-key";
/// The fixture ClientKey's public key.
pub const DEMO_CLIENT_KEY_PUBLIC_PEM: &str =
    include_str!("../../../tests/fixtures/clientkey/public.pem");

/// What the demo seed created. `Debug` never shows secrets; the JSON form (admin
/// `GET /_admin/demo`) does.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSeed {
    /// `1234567890123456`.
    pub account_id: String,
    /// RAM user `alice`.
    pub user_name: String,
    /// alice's AccessKey (id `LTAI5tDemoAliceKey000001`, random secret).
    pub alice: AccessKeyPair,
    /// Roles `admin`, `readonly`, `dev`, `EcsDemoRole`.
    pub roles: Vec<RoleInfo>,
    /// `acs:ram::1234567890123456:oidc-provider/demo`.
    pub oidc_provider_arn: String,
    /// `demo-oidc-token`.
    pub oidc_token: String,
    /// ECS instance role name: `EcsDemoRole`.
    pub ecs_role: String,
    /// Credentials-URI source name: `demo` (serves STS credentials of role `readonly`).
    pub uri_source: String,
    /// KMS secret name: `demo-ram-secret`.
    pub kms_secret_name: String,
    /// RAM user behind the secret: `kms-app`.
    pub kms_secret_user: String,
    /// The key in the secret's first version.
    pub kms_secret_key: AccessKeyPair,
    /// ClientKey id: `KAAP.demo-client-key`.
    pub client_key_id: String,
    /// CloudSSO assignments: two accounts, three access configurations.
    pub sso_assignments: Vec<SsoAssignment>,
}

/// The demo's second account (CloudSSO only).
pub const DEMO_SANDBOX_ACCOUNT_ID: &str = "2345678901234567";

fn demo_assignments() -> Vec<SsoAssignment> {
    let ac = |id: &str, name: &str, description: &str| SsoAccessConfig {
        id: id.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        role_name: None,
    };
    vec![
        SsoAssignment {
            account_id: DEMO_ACCOUNT_ID.to_owned(),
            display_name: "Production".to_owned(),
            access_configurations: vec![
                ac("ac-demo-admin", "Administrator", "Full access"),
                ac("ac-demo-readonly", "ReadOnly", "Read-only access"),
            ],
        },
        SsoAssignment {
            account_id: DEMO_SANDBOX_ACCOUNT_ID.to_owned(),
            display_name: "Sandbox".to_owned(),
            access_configurations: vec![ac("ac-demo-dev", "Developer", "Sandbox developer")],
        },
    ]
}

impl DemoSeed {
    /// ARN of a seeded role by name.
    pub fn role_arn(&self, name: &str) -> Option<&str> {
        self.roles
            .iter()
            .find(|r| r.role_name.eq_ignore_ascii_case(name))
            .map(|r| r.arn.as_str())
    }
}

pub(crate) fn seed(w: &mut World) -> Result<DemoSeed, ApiError> {
    let acct = DEMO_ACCOUNT_ID;
    w.ensure_account(acct);
    w.create_user(acct, "alice")?;
    let (id, secret) = w.create_access_key(
        acct,
        crate::state::Owner::User("alice".into()),
        Some(DEMO_ALICE_KEY_ID),
        "demo",
    )?;
    let alice = AccessKeyPair {
        access_key_id: id,
        access_key_secret: secret,
    };
    let mut roles = Vec::new();
    for (name, max) in [
        ("admin", 3600),
        ("readonly", 3600),
        ("dev", 43200),
        ("EcsDemoRole", 3600),
    ] {
        roles.push(w.op_create_role(acct, name, max)?);
    }
    w.op_register_oidc(
        DEMO_OIDC_PROVIDER_ARN,
        vec![DEMO_OIDC_TOKEN.to_owned()],
        None,
        None,
        None,
    )?;
    w.op_set_ecs(acct, Some("EcsDemoRole"), Some(false))?;
    w.op_add_uri_source("demo", acct, Some("readonly"), None, Some(3600))?;
    w.op_register_client_key(acct, DEMO_CLIENT_KEY_ID, DEMO_CLIENT_KEY_PUBLIC_PEM)?;
    let sso_assignments = demo_assignments();
    for a in &sso_assignments {
        w.sso_assign(a.clone())?;
    }
    let secret = w.op_create_secret(
        acct,
        "demo-ram-secret",
        DEMO_KMS_USER,
        604_800,
        true,
        Some(DEMO_KMS_KEY_ID),
    )?;
    Ok(DemoSeed {
        account_id: acct.to_owned(),
        user_name: "alice".to_owned(),
        alice,
        roles,
        oidc_provider_arn: DEMO_OIDC_PROVIDER_ARN.to_owned(),
        oidc_token: DEMO_OIDC_TOKEN.to_owned(),
        ecs_role: "EcsDemoRole".to_owned(),
        uri_source: "demo".to_owned(),
        kms_secret_name: secret.secret_name,
        kms_secret_user: DEMO_KMS_USER.to_owned(),
        kms_secret_key: secret.access_key,
        client_key_id: DEMO_CLIENT_KEY_ID.to_owned(),
        sso_assignments,
    })
}
