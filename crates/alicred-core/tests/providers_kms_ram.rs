//! kms-secret (ClientKey signing, rotation facts, rotate now) and the RAM
//! AccessKey client end to end against the emulator.

mod providers_common;

use alicred_core::aliyun::kms::parse_client_key;
use alicred_core::aliyun::ram::{AccessKeyStatus, RamClient};
use alicred_core::aliyun::sts::get_caller_identity;
use alicred_core::credentials::Credentials;
use alicred_core::profile::{Endpoints, KmsSecretProfile, PasswordSource};
use alicred_core::providers::{
    KmsSecretProvider, Provider, ProviderContext, ProviderError, ProviderInfo,
};
use alicred_core::sensitive::Sensitive;
use alicred_fakecloud::{DEMO_KMS_KEY_ID, FakeCloudHandle};
use base64::Engine as _;
use chrono::Utc;
use providers_common::*;
use std::path::PathBuf;

fn fixture(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/clientkey")
        .join(file)
}

fn kms(
    cloud: &FakeCloudHandle,
    ctx: &ProviderContext,
    key_file: PathBuf,
    password: PasswordSource,
) -> KmsSecretProvider {
    KmsSecretProvider::new(
        name("kms"),
        &KmsSecretProfile {
            secret_name: "demo-ram-secret".into(),
            client_key_file: key_file,
            client_key_password: password,
            endpoints: Endpoints::default(),
        },
        url(&cloud.kms_url()),
        ctx,
    )
}

#[tokio::test]
async fn kms_secret_reads_rotates_and_reports() {
    let cloud = cloud().await;
    let ctx = ctx();
    let p = kms(
        &cloud,
        &ctx,
        fixture("clientKey_demo.json"),
        PasswordSource::File(fixture("clientKey_demo_password.txt")),
    );
    let (c, info) = p.fetch().await.expect("GetSecretValue with the ClientKey");
    assert_eq!(c.access_key_id, DEMO_KMS_KEY_ID);
    assert!(c.expiration.is_none() && c.security_token.is_none());
    assert_eq!(info.secret_name, "demo-ram-secret");
    assert_eq!(info.rotation_interval_seconds, Some(604_800));
    assert_eq!(info.version_stages, vec!["ACSCurrent".to_string()]);
    assert!(info.last_rotation_date.is_some() && info.next_rotation_date.is_some());
    assert!(info.key_generated_at.is_some());
    assert_eq!(p.info(), Some(ProviderInfo::KmsSecret(info.clone())));

    // The key from the secret works.
    let id = get_caller_identity(&ctx, &url(&cloud.sts_url()), &c)
        .await
        .expect("identity");
    assert!(id.arn.ends_with("user/kms-app"), "{}", id.arn);

    // Rotate now: the next read follows the new version.
    let rotated = p.rotate_now().await.expect("RotateSecret");
    assert_ne!(rotated.version_id, info.version_id);
    let c2 = p.retrieve().await.expect("after rotation");
    assert_ne!(c2.access_key_id, c.access_key_id);
    assert_eq!(
        p.last_info().map(|i| i.version_id),
        Some(rotated.version_id)
    );
}

#[tokio::test]
async fn kms_password_from_env_and_bad_inputs() {
    let cloud = cloud().await;
    let password = std::fs::read_to_string(fixture("clientKey_demo_password.txt")).expect("pw");
    let (ctx, env) = ctx_with_env(&[("CK_PASSWORD", password.trim())]);
    let p = kms(
        &cloud,
        &ctx,
        fixture("clientKey_demo.json"),
        PasswordSource::Env("CK_PASSWORD".into()),
    );
    p.retrieve().await.expect("password from ctx.env");

    env.lock()
        .expect("env")
        .insert("CK_PASSWORD".into(), "wrong".into());
    let e = p.retrieve().await.expect_err("wrong password");
    assert!(
        matches!(&e, ProviderError::Config(m) if m.contains("clientKey_demo.json") && m.contains("password")),
        "{e:?}"
    );
    env.lock().expect("env").remove("CK_PASSWORD");
    assert!(matches!(
        p.retrieve().await,
        Err(ProviderError::NeedsUser(m)) if m.contains("CK_PASSWORD")
    ));

    let missing = kms(
        &cloud,
        &ctx,
        PathBuf::from("/nonexistent/ck.json"),
        PasswordSource::File(fixture("clientKey_demo_password.txt")),
    );
    assert!(matches!(
        missing.retrieve().await,
        Err(ProviderError::Config(m)) if m.contains("/nonexistent/ck.json")
    ));

    let wrong_secret = KmsSecretProvider::new(
        name("kms"),
        &KmsSecretProfile {
            secret_name: "no-such-secret".into(),
            client_key_file: fixture("clientKey_demo.json"),
            client_key_password: PasswordSource::File(fixture("clientKey_demo_password.txt")),
            endpoints: Endpoints::default(),
        },
        url(&cloud.kms_url()),
        &ctx,
    );
    assert!(matches!(
        wrong_secret.retrieve().await,
        Err(ProviderError::Upstream { status: 404, .. })
    ));
}

fn pem_der(text: &str) -> Vec<u8> {
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("pem body")
}

#[tokio::test]
async fn modern_pbes2_client_keys_work_too() {
    use p12_keystore::{
        Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
        PrivateKeyChain,
    };
    // Re-wrap the fixture key as PBES2/AES-256 + HMAC-SHA256, as current
    // OpenSSL writes by default.
    let key = pem_der(&std::fs::read_to_string(fixture("private.pem")).expect("key"));
    let cert = pem_der(&std::fs::read_to_string(fixture("cert.pem")).expect("cert"));
    let mut ks = KeyStore::new();
    ks.add_entry(
        "demo",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
            b"1".as_slice(),
            PrivateKey::from_der(&key).expect("pkcs8"),
            [Certificate::from_der(&cert).expect("cert")],
        )),
    );
    let p12 = ks
        .writer("modern-pw")
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .write()
        .expect("write p12");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("modern.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "KeyId": "KAAP.demo-client-key",
            "PrivateKeyData": base64::engine::general_purpose::STANDARD.encode(&p12),
        })
        .to_string(),
    )
    .expect("write");
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "modern-pw\n").expect("write");

    let cloud = cloud().await;
    let ctx = ctx();
    let p = kms(&cloud, &ctx, file, PasswordSource::File(pw));
    let c = p.retrieve().await.expect("PBES2 ClientKey signs");
    assert_eq!(c.access_key_id, DEMO_KMS_KEY_ID);
}

#[test]
fn client_key_errors_never_show_the_key() {
    let pw = Sensitive::new("x");
    for text in [
        "not json at all PRIVATE-DATA",
        r#"{"KeyId":"k","PrivateKeyData":"@@@PRIVATE-DATA"}"#,
        r#"{"KeyId":"k","PrivateKeyData":"UFJJVkFURS1EQVRB"}"#,
    ] {
        let e = parse_client_key(text, &pw).expect_err("invalid");
        assert!(!e.contains("PRIVATE-DATA") && !e.contains("UFJJ"), "{e}");
    }
}

#[tokio::test]
async fn ram_access_key_lifecycle() {
    let cloud = cloud().await;
    let ctx = ctx();
    let ram_url = url(&cloud.ram_url());
    let sts_url = url(&cloud.sts_url());
    let key = cloud.create_user("rotator").expect("user");
    let old = Credentials::long_term(
        key.access_key_id.clone(),
        Sensitive::new(key.access_key_secret.clone()),
        Utc::now(),
    );
    let ram = RamClient::new(&ctx, ram_url.clone(), &old, None);

    let keys = ram.list_access_keys().await.expect("list");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].access_key_id, key.access_key_id);
    assert_eq!(keys[0].status, AccessKeyStatus::Active);
    assert!((Utc::now() - keys[0].create_date).num_seconds().abs() < 60);

    let new = ram.create_access_key().await.expect("create");
    assert_ne!(new.access_key_id, key.access_key_id);
    assert!(!format!("{new:?}").contains(new.access_key_secret.expose()));
    let new_creds = new.to_credentials(Utc::now());
    get_caller_identity(&ctx, &sts_url, &new_creds)
        .await
        .expect("the new key works");

    // The two-key limit.
    let e = ram.create_access_key().await.expect_err("third key");
    assert!(
        matches!(&e, ProviderError::Upstream { status: 409, code, .. } if code == "LimitExceeded.User.AccessKey"),
        "{e:?}"
    );

    // Switch to the new key, disable and delete the old one.
    let ram2 = RamClient::new(&ctx, ram_url, &new_creds, Some("rotator".into()));
    ram2.update_access_key(&key.access_key_id, AccessKeyStatus::Inactive)
        .await
        .expect("disable old");
    let listed = ram2.list_access_keys().await.expect("list");
    assert_eq!(listed.len(), 2);
    let status_of = |id: &str| {
        listed
            .iter()
            .find(|k| k.access_key_id == id)
            .map(|k| k.status.clone())
    };
    assert_eq!(
        status_of(&key.access_key_id),
        Some(AccessKeyStatus::Inactive)
    );
    assert_eq!(status_of(&new.access_key_id), Some(AccessKeyStatus::Active));
    let e = get_caller_identity(&ctx, &sts_url, &old)
        .await
        .expect_err("old key disabled");
    assert!(
        matches!(&e, ProviderError::Upstream { code, .. } if code == "InvalidAccessKeyId.Inactive")
    );
    ram2.delete_access_key(&key.access_key_id)
        .await
        .expect("delete old");
    let left = ram2.list_access_keys().await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].access_key_id, new.access_key_id);
}

#[tokio::test]
async fn kms_provider_from_profile() {
    let cloud = cloud().await;
    let ctx = ctx();
    let p = profile(
        "kmsp",
        alicred_core::profile::ProfileKind::KmsSecret(KmsSecretProfile {
            secret_name: "demo-ram-secret".into(),
            client_key_file: fixture("clientKey_demo.json"),
            client_key_password: PasswordSource::File(fixture("clientKey_demo_password.txt")),
            endpoints: Endpoints {
                kms: Some(url(&cloud.kms_url())),
                ..Endpoints::default()
            },
        }),
    );
    let kms = KmsSecretProvider::from_profile(&p, &ctx).expect("kms-secret profile");
    assert_eq!(
        kms.retrieve().await.expect("retrieve").access_key_id,
        DEMO_KMS_KEY_ID
    );
    let env = profile(
        "env",
        alicred_core::profile::ProfileKind::Environment(Default::default()),
    );
    assert!(matches!(
        KmsSecretProvider::from_profile(&env, &ctx),
        Err(ProviderError::Config(_))
    ));
}
