//! The no-account demo: sample profiles of several types, all pointing at the
//! local emulator (`alicred-fakecloud`). Used by `alicred demo` and by the
//! desktop app's first run. Kept out of `alicred-core`, so the product never
//! depends on the emulator.

use alicred_core::profile::{ProfileInput, ProfileName};
use alicred_core::sensitive::Sensitive;
use alicred_core::service::{Alicred, ServiceError};
use alicred_core::signin::tokens::{OauthTokens, SsoSessionToken};
use alicred_core::store::secrets::{SecretError, SecretKey, StoredKey};
use alicred_fakecloud::{DemoSeed, FakeCloud, FakeCloudConfig, FakeCloudHandle};

/// The running demo emulator; shut it down with `.shutdown().await`.
pub type DemoCloud = FakeCloudHandle;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot start the demo emulator: {0}")]
    Emulator(String),
    #[error("the emulator was not started with its demo world")]
    NoDemoWorld,
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("demo seeding stopped: {0}")]
    Stopped(String),
    #[error("demo profile name {0:?} is invalid")]
    Name(String),
    #[error(transparent)]
    Profile(#[from] ServiceError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Where the demo emulator listens when it can: a fixed port keeps the demo
/// profiles' endpoints valid from one run to the next.
pub const DEMO_EMULATOR_ADDR: &str = "127.0.0.1:47920";

/// Start the emulator with its demo world (on `addr`, else any free loopback
/// port) and (re)write the demo profiles against it. The emulator keeps its
/// state in memory, so every run re-seeds the keys it issued.
pub async fn start(
    app: &Alicred,
    addr: SocketAddr,
    alicred_bin: Option<PathBuf>,
) -> Result<(FakeCloudHandle, Vec<ProfileName>), DemoError> {
    let cloud = match FakeCloud::start(FakeCloudConfig::demo().listen(addr)).await {
        Ok(c) => c,
        Err(_) => FakeCloud::start(FakeCloudConfig::demo())
            .await
            .map_err(|e| DemoError::Emulator(e.to_string()))?,
    };
    let a = app.clone();
    // Seeding writes the keyring and the profiles file: blocking work.
    tokio::task::spawn_blocking(move || seed(&a, &cloud, alicred_bin).map(|names| (cloud, names)))
        .await
        .map_err(|e| DemoError::Stopped(e.to_string()))?
}

/// Marks a profile as the demo's own, so a later run may rewrite it.
pub const DEMO_DESCRIPTION: &str = "Demo profile (local emulator)";

/// The ClientKey of the demo KMS secret: a throwaway test key (a copy of
/// tests/fixtures/clientkey/, see its README.md), not a credential of any real account.
const CLIENT_KEY_JSON: &str = include_str!("../assets/clientKey_demo.json");
const CLIENT_KEY_PASSWORD: &str = include_str!("../assets/clientKey_demo_password.txt");

/// Does this home hold only demo profiles (or none), so the demo may (re)seed
/// it? Profiles of the user's own are never touched.
pub fn may_seed(app: &Alicred) -> Result<bool, ServiceError> {
    let file = app.profiles()?;
    Ok(file
        .profiles
        .values()
        .all(|p| p.description.as_deref() == Some(DEMO_DESCRIPTION)))
}

/// Add (or refresh) the demo profiles against `cloud`. `alicred_bin` is the
/// `alicred` executable the `external` sample runs; without it that sample is
/// skipped. Returns the names written.
pub fn seed(
    app: &Alicred,
    cloud: &FakeCloudHandle,
    alicred_bin: Option<PathBuf>,
) -> Result<Vec<ProfileName>, DemoError> {
    let seed: &DemoSeed = cloud.demo().ok_or(DemoError::NoDemoWorld)?;
    let dir = app.paths().base().join("demo");
    alicred_core::paths::Paths::ensure_private_dir(&dir).map_err(|e| io_err(&dir, e))?;
    let token_file = dir.join("oidc-token");
    alicred_core::paths::write_atomic(&token_file, seed.oidc_token.as_bytes())
        .map_err(|e| io_err(&token_file, e))?;
    let client_key = dir.join("clientKey_demo.json");
    alicred_core::paths::write_atomic(&client_key, CLIENT_KEY_JSON.as_bytes())
        .map_err(|e| io_err(&client_key, e))?;
    let password_file = dir.join("clientKey_demo_password.txt");
    alicred_core::paths::write_atomic(&password_file, CLIENT_KEY_PASSWORD.trim().as_bytes())
        .map_err(|e| io_err(&password_file, e))?;

    let base = |name: &str, ty: &str| ProfileInput {
        name: name.into(),
        r#type: ty.into(),
        description: Some(DEMO_DESCRIPTION.into()),
        region: Some("cn-hangzhou".into()),
        ..Default::default()
    };
    let role = |n: &str| seed.role_arn(n).map(str::to_string);
    let sts = Some(cloud.sts_url());
    let mut written = Vec::new();
    let mut put = |input: ProfileInput, secret: Option<StoredKey>| -> Result<(), DemoError> {
        app.add_profile(&input, secret, true)?;
        written.push(
            input
                .name
                .parse()
                .map_err(|_: String| DemoError::Name(input.name.clone()))?,
        );
        Ok(())
    };

    put(
        ProfileInput {
            sts_endpoint: sts.clone(),
            ram_endpoint: Some(cloud.ram_url()),
            ..base("demo-alice", "access-key")
        },
        Some(StoredKey {
            access_key_id: seed.alice.access_key_id.clone(),
            access_key_secret: Sensitive::new(seed.alice.access_key_secret.clone()),
            security_token: None,
        }),
    )?;
    put(
        ProfileInput {
            source: Some("demo-alice".into()),
            role_arn: role("admin"),
            session_name: Some("alice-admin".into()),
            sts_endpoint: sts.clone(),
            ..base("demo-admin", "ram-role-arn")
        },
        None,
    )?;
    put(
        ProfileInput {
            source: Some("demo-admin".into()),
            role_arn: role("readonly"),
            session_name: Some("alice-readonly".into()),
            policy: Some(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#.into()),
            sts_endpoint: sts.clone(),
            ..base("demo-readonly", "ram-role-arn")
        },
        None,
    )?;
    put(
        ProfileInput {
            metadata_endpoint: Some(cloud.ecs_url()),
            ..base("demo-ecs", "ecs-ram-role")
        },
        None,
    )?;
    put(
        ProfileInput {
            role_arn: role("dev"),
            oidc_provider_arn: Some(seed.oidc_provider_arn.clone()),
            oidc_token_file: Some(token_file),
            session_name: Some("pod-demo".into()),
            sts_endpoint: sts.clone(),
            ..base("demo-oidc", "oidc-role-arn")
        },
        None,
    )?;
    put(
        ProfileInput {
            uri: Some(cloud.uri_url(&seed.uri_source)),
            ..base("demo-uri", "credentials-uri")
        },
        None,
    )?;
    put(
        ProfileInput {
            secret_name: Some(seed.kms_secret_name.clone()),
            client_key_file: Some(client_key),
            client_key_password_file: Some(password_file),
            kms_endpoint: Some(cloud.kms_url()),
            sts_endpoint: sts.clone(),
            ..base("demo-kms", "kms-secret")
        },
        None,
    )?;
    if let Some(bin) = alicred_bin {
        let command = format!(
            "'{}' export demo-admin --format aliyun-external",
            bin.display().to_string().replace('\'', r"'\''")
        );
        put(
            ProfileInput {
                command: Some(command),
                ..base("demo-external", "external")
            },
            None,
        )?;
    }
    // A CloudSSO session with two accounts, and an OAuth profile, already signed in:
    // the emulator hands the demo its tokens as an approved sign-in would (and
    // approves `alicred sso login demo` / `alicred login demo-oauth` by itself).
    let now = chrono::Utc::now();
    let session: ProfileName = "demo"
        .parse()
        .map_err(|_: String| DemoError::Name("demo".into()))?;
    for a in &seed.sso_assignments {
        for c in &a.access_configurations {
            let name = alicred_core::signin::safe_profile_name("demo", &a.display_name, &c.name);
            put(
                ProfileInput {
                    sso_session: Some(session.to_string()),
                    sign_in_url: Some(cloud.sso_sign_in_url()),
                    account_id: Some(a.account_id.clone()),
                    account_name: Some(a.display_name.clone()),
                    access_config: Some(c.id.clone()),
                    access_config_name: Some(c.name.clone()),
                    sts_endpoint: sts.clone(),
                    ..base(name.as_str(), "cloud-sso")
                },
                None,
            )?;
        }
    }
    let sign_in_url = url::Url::parse(&cloud.sso_sign_in_url())
        .map_err(|e| DemoError::Emulator(format!("demo sign-in URL: {e}")))?;
    let sso_ends = now + chrono::Duration::hours(8);
    app.secrets().set_json(
        &SecretKey::SsoSession(session.clone()),
        &SsoSessionToken {
            sign_in_url,
            access_token: Sensitive::new(cloud.sso_issue_token()),
            expires_at: sso_ends,
        },
    )?;
    // As a real sign-in does: the tray and the reminders show when it ends.
    alicred_core::signin::note_sign_in_end(app, &session, Some(sso_ends))?;
    put(
        ProfileInput {
            oauth_sign_in_url: Some(cloud.base_url()),
            oauth_endpoint: Some(cloud.base_url()),
            client_id: Some(alicred_fakecloud::OAUTH_CLIENT_IDS[0].into()),
            sts_endpoint: sts.clone(),
            ..base("demo-oauth", "oauth")
        },
        None,
    )?;
    let (access, refresh) = cloud.oauth_issue_tokens();
    let oauth: ProfileName = "demo-oauth"
        .parse()
        .map_err(|_: String| DemoError::Name("demo-oauth".into()))?;
    app.secrets().set_json(
        &SecretKey::Profile(oauth),
        &OauthTokens {
            access_token: Sensitive::new(access),
            access_expires_at: now + chrono::Duration::hours(3),
            refresh_token: Sensitive::new(refresh),
            needs_sign_in: false,
        },
    )?;
    // `alicred console demo-admin` signs in to the emulator's own console page.
    let federation = url::Url::parse(&cloud.federation_url())
        .map_err(|e| DemoError::Emulator(format!("demo federation URL: {e}")))?;
    app.config().update(|f| -> Result<(), ServiceError> {
        f.settings.federation_endpoint = Some(federation);
        Ok(())
    })?;
    if app.profiles()?.active.is_none()
        && let Ok(n) = "demo-admin".parse()
    {
        app.set_active(&n)?;
    }
    Ok(written)
}

fn io_err(path: &std::path::Path, e: std::io::Error) -> DemoError {
    DemoError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
