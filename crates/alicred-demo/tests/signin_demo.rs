//! The demo's CloudSSO session (two accounts) and OAuth profile: seeded signed in,
//! working, and signing in again needs nobody (the demo emulator approves by itself).

use alicred_core::clock::SystemClock;
use alicred_core::paths::Paths;
use alicred_core::profile::{ProfileKind, ProfileName};
use alicred_core::providers::{self, ProviderContext};
use alicred_core::service::Alicred;
use alicred_core::signin;
use alicred_core::store::secrets::{MemoryStore, SecretStore};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_sign_ins_are_seeded_and_approve_themselves() {
    let dir = tempfile::tempdir().expect("tmp");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let app = Alicred::with_store(Paths::new(dir.path().join("home")), secrets.clone());
    let (cloud, names) = alicred_demo::start(&app, "127.0.0.1:0".parse().expect("addr"), None)
        .await
        .expect("demo");
    let file = app.profiles().expect("profiles");
    let sso: Vec<&ProfileName> = file
        .profiles
        .values()
        .filter(|p| matches!(&p.kind, ProfileKind::CloudSso(c) if c.sso_session.as_str() == "demo"))
        .map(|p| &p.name)
        .collect();
    assert_eq!(sso.len(), 3, "{names:?}");
    let accounts: std::collections::BTreeSet<String> = file
        .profiles
        .values()
        .filter_map(|p| match &p.kind {
            ProfileKind::CloudSso(c) => Some(c.account_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(accounts.len(), 2, "two accounts");
    let mut ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock));
    ctx.env = Arc::new(|_| None);
    for n in [
        "demo-Production-Administrator",
        "demo-Sandbox-Developer",
        "demo-oauth",
    ] {
        let name: ProfileName = n.parse().expect("name");
        let p = providers::build(&name, &file, &ctx).expect("provider");
        let c = p.retrieve().await.unwrap_or_else(|e| panic!("{n}: {e}"));
        assert!(c.access_key_id.starts_with("STS."), "{n}");
    }
    // Signing in again: nobody approves, the demo emulator does.
    let out = signin::sso_login(
        &app,
        &ctx,
        &"demo".parse().expect("name"),
        None,
        false,
        |_| {},
    )
    .await
    .expect("auto-approved");
    assert!(
        out.profiles.iter().all(|c| c.change == "unchanged"),
        "{:?}",
        out.profiles
    );
    drop(cloud);
}
