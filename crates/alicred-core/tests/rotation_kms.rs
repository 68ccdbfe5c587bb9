//! kms-secret "rotate now": RotateSecret, then the secret is read again and
//! its version and rotation dates reported; other types are refused.

use alicred_core::clock::SystemClock;
use alicred_core::paths::Paths;
use alicred_core::profile::{ProfileInput, ProfileName};
use alicred_core::providers::ProviderContext;
use alicred_core::rotation::{NoSessions, RotateOptions, RotationError, Rotator};
use alicred_core::service::Alicred;
use alicred_core::store::secrets::MemoryStore;
use alicred_fakecloud::{FakeCloud, FakeCloudConfig, FaultKind, FaultSpec, Service};
use std::path::PathBuf;
use std::sync::Arc;

fn fixture(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/clientkey")
        .join(file)
}

#[tokio::test]
async fn kms_secret_rotate_now_follows_the_new_version() {
    let cloud = FakeCloud::start(FakeCloudConfig::demo())
        .await
        .expect("emulator");
    let home = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(MemoryStore::default());
    let app = Alicred::with_store(Paths::new(home.path()), store.clone());
    let input = ProfileInput {
        name: "kms".into(),
        r#type: "kms-secret".into(),
        secret_name: Some("demo-ram-secret".into()),
        client_key_file: Some(fixture("clientKey_demo.json")),
        client_key_password_file: Some(fixture("clientKey_demo_password.txt")),
        kms_endpoint: Some(cloud.kms_url()),
        sts_endpoint: Some(cloud.sts_url()),
        ..ProfileInput::default()
    };
    app.add_profile(&input, None, false).expect("kms profile");
    let mut ctx = ProviderContext::new(store, Arc::new(SystemClock));
    ctx.env = Arc::new(|_| None);
    let rotator = Rotator::with_context(app, ctx, Arc::new(NoSessions));
    let name: ProfileName = "kms".parse().expect("name");

    let before = cloud.secret_versions("demo-ram-secret").expect("versions");
    let r = rotator.rotate_kms_secret(&name).await.expect("rotate now");
    assert_eq!(r.info.secret_name, "demo-ram-secret");
    assert!(r.switched, "the emulator switches at once: {r:?}");
    assert_eq!(r.info.version_id, r.requested_version);
    assert!(r.info.last_rotation_date.is_some() && r.info.next_rotation_date.is_some());
    let after = cloud.secret_versions("demo-ram-secret").expect("versions");
    assert!(after.len() > before.len(), "{before:?} → {after:?}");

    // An access-key rotation is refused for this profile, and vice versa.
    let mut sink = |_p| {};
    let e = rotator
        .rotate(&name, RotateOptions::default(), &mut sink)
        .await
        .expect_err("not an access-key profile");
    assert!(
        matches!(e, RotationError::NotRotatable { .. }) && e.is_usage(),
        "{e:?}"
    );

    // A failing RotateSecret is one clear line.
    cloud.set_fault(
        FaultSpec::new(FaultKind::CodeNotSuccess)
            .service(Service::Kms)
            .action("RotateSecret")
            .code("Forbidden.NoPermission"),
    );
    let e = rotator.rotate_kms_secret(&name).await.expect_err("refused");
    let msg = e.to_string();
    assert!(
        msg.contains("RotateSecret") && msg.contains("kms:RotateSecret"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}
