//! A CLI and a running agent refreshing the same OAuth profile at the same
//! moment must not both spend its refresh token (it rotates: the second
//! spend is refused and the profile would need a new sign-in). Two providers
//! with separate contexts — as two processes have — share only the keyring
//! and the home's lock directory; the emulator must see one refresh grant.

use alicred_core::clock::SystemClock;
use alicred_core::paths::Paths;
use alicred_core::profile::{ProfileInput, ProfileName};
use alicred_core::providers::{self, ProviderContext};
use alicred_core::sensitive::Sensitive;
use alicred_core::service::Alicred;
use alicred_core::signin::tokens::OauthTokens;
use alicred_core::store::secrets::{MemoryStore, SecretKey, SecretStore};
use alicred_fakecloud::{FakeCloud, FakeCloudConfig, OAUTH_CLIENT_IDS};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_refreshing_at_once_spend_the_refresh_token_once() {
    let cloud = FakeCloud::start(FakeCloudConfig::new())
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::new(dir.path().join("home"));
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let app = Alicred::with_store(paths.clone(), secrets.clone());
    let input = ProfileInput {
        name: "me".into(),
        r#type: "oauth".into(),
        oauth_sign_in_url: Some(cloud.base_url()),
        oauth_endpoint: Some(cloud.base_url()),
        client_id: Some(OAUTH_CLIENT_IDS[0].into()),
        sts_endpoint: Some(cloud.sts_url()),
        ..Default::default()
    };
    app.add_profile(&input, None, false).expect("add");
    let name: ProfileName = "me".parse().expect("name");
    for round in 0..3 {
        // A signed-in profile whose access token is due for a refresh.
        let (access, refresh) = cloud.oauth_issue_tokens();
        secrets
            .set_json(
                &SecretKey::Profile(name.clone()),
                &OauthTokens {
                    access_token: Sensitive::new(access),
                    access_expires_at: chrono::Utc::now(),
                    refresh_token: Sensitive::new(refresh),
                    needs_sign_in: false,
                },
            )
            .expect("tokens");
        let file = app.profiles().expect("file");
        // Separate contexts (own HTTP client, own provider and its in-process
        // lock), as the CLI and the agent have; the home is what they share.
        let build = || {
            let mut ctx = ProviderContext::new(secrets.clone(), Arc::new(SystemClock))
                .with_locks(paths.lock_dir());
            ctx.env = Arc::new(|_| None);
            providers::build(&name, &file, &ctx).expect("provider")
        };
        let (cli, agent) = (build(), build());
        cloud.reset_counters();
        let (a, b) = tokio::join!(cli.retrieve(), agent.retrieve());
        let (a, b) = (a.expect("the CLI's fetch"), b.expect("the agent's fetch"));
        assert!(a.expiration.is_some() && b.expiration.is_some());
        let grants = cloud
            .counters()
            .requests
            .get("oauth:token")
            .copied()
            .unwrap_or(0);
        assert_eq!(
            grants, 1,
            "round {round}: one refresh-token grant, not {grants}"
        );
        let kept: OauthTokens = secrets
            .get_json(&SecretKey::Profile(name.clone()))
            .expect("keyring")
            .expect("tokens");
        assert!(
            kept.access_expires_at > chrono::Utc::now(),
            "the new pair is kept"
        );
    }
    cloud.shutdown().await;
}
