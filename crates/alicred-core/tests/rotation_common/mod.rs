//! Shared set-up for the rotation tests: the emulator, a RAM user with one
//! key, an `access-key` profile for it in a temp home with a memory keyring.
#![allow(dead_code)]

use alicred_core::aliyun::sts::get_caller_identity;
use alicred_core::clock::SystemClock;
use alicred_core::credentials::Credentials;
use alicred_core::paths::Paths;
use alicred_core::profile::{ProfileInput, ProfileName};
use alicred_core::providers::ProviderContext;
use alicred_core::rotation::{
    RotationProgress, RotationSettings, Rotator, SessionInvalidator, Step,
};
use alicred_core::sensitive::Sensitive;
use alicred_core::service::Alicred;
use alicred_core::store::secrets::{MemoryStore, SecretKey, StoredKey};
use alicred_fakecloud::{AccessKeyInfo, FakeCloud, FakeCloudConfig, FakeCloudHandle, KeyStatus};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

pub const USER: &str = "alice";

/// Records which profiles had their sessions dropped.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<String>>);

impl SessionInvalidator for Recorder {
    fn invalidate(&self, profile: &ProfileName) {
        self.0.lock().expect("lock").push(profile.to_string());
    }
}

pub struct World {
    pub cloud: FakeCloudHandle,
    pub app: Alicred,
    pub ctx: ProviderContext,
    pub sessions: Arc<Recorder>,
    pub name: ProfileName,
    pub first_key: String,
    pub _home: tempfile::TempDir,
}

pub fn name(s: &str) -> ProfileName {
    s.parse().expect("profile name")
}

pub fn fast() -> RotationSettings {
    RotationSettings {
        verify_window: Duration::from_secs(2),
        verify_first_delay: Duration::from_millis(100),
        ram_attempts: 2,
    }
}

impl World {
    pub async fn new() -> Self {
        let cloud = FakeCloud::start(FakeCloudConfig::new())
            .await
            .expect("fakecloud starts");
        let pair = cloud.create_user(USER).expect("user");
        let home = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(MemoryStore::default());
        let app = Alicred::with_store(Paths::new(home.path()), store.clone());
        let input = ProfileInput {
            name: "dev".into(),
            r#type: "access-key".into(),
            sts_endpoint: Some(cloud.sts_url()),
            ram_endpoint: Some(cloud.ram_url()),
            ..ProfileInput::default()
        };
        let key = StoredKey {
            access_key_id: pair.access_key_id.clone(),
            access_key_secret: Sensitive::new(pair.access_key_secret.clone()),
            security_token: None,
        };
        app.add_profile(&input, Some(key), false)
            .expect("profile added");
        let mut ctx = ProviderContext::new(store, Arc::new(SystemClock));
        ctx.env = Arc::new(|_| None);
        Self {
            cloud,
            app,
            ctx,
            sessions: Arc::new(Recorder::default()),
            name: name("dev"),
            first_key: pair.access_key_id,
            _home: home,
        }
    }

    pub fn rotator(&self) -> Rotator {
        Rotator::with_context(self.app.clone(), self.ctx.clone(), self.sessions.clone())
            .with_settings(fast())
    }

    pub fn stored(&self, which: SecretKey) -> Option<StoredKey> {
        self.app
            .secrets()
            .get_json::<StoredKey>(&which)
            .expect("keyring")
    }

    pub fn profile_key(&self) -> StoredKey {
        self.stored(SecretKey::Profile(self.name.clone()))
            .expect("the profile has a key")
    }

    pub fn keys(&self) -> Vec<AccessKeyInfo> {
        self.cloud.list_access_keys(Some(USER)).expect("list keys")
    }

    pub fn status_of(&self, id: &str) -> Option<KeyStatus> {
        self.keys()
            .into_iter()
            .find(|k| k.access_key_id == id)
            .map(|k| k.status)
    }

    /// GetCallerIdentity with the profile's stored key.
    pub async fn profile_key_works(&self) -> Result<String, String> {
        let k = self.profile_key();
        let creds =
            Credentials::long_term(k.access_key_id, k.access_key_secret, chrono::Utc::now());
        let sts = Url::parse(&self.cloud.sts_url()).expect("url");
        get_caller_identity(&self.ctx, &sts, &creds)
            .await
            .map(|id| id.arn)
            .map_err(|e| e.to_string())
    }

    pub fn journal_step(&self) -> Option<Step> {
        self.rotator()
            .journals()
            .load(&self.name)
            .expect("journal readable")
            .map(|j| j.step)
    }

    /// The invariants that must hold after anything: the stored key works,
    /// at most two keys, the stored key is Active in RAM.
    pub async fn assert_invariants(&self) {
        let arn = self
            .profile_key_works()
            .await
            .unwrap_or_else(|e| panic!("the profile's stored key must work: {e}"));
        assert!(arn.ends_with(&format!("user/{USER}")), "{arn}");
        let keys = self.keys();
        assert!(keys.len() <= 2, "at most two keys: {keys:?}");
        let id = self.profile_key().access_key_id;
        assert_eq!(
            self.status_of(&id),
            Some(KeyStatus::Active),
            "the profile's key is Active in RAM"
        );
    }
}

/// A progress sink that keeps every line.
pub fn collect() -> (
    Arc<Mutex<Vec<RotationProgress>>>,
    impl FnMut(RotationProgress) + Send + Sync,
) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    (lines, move |p: RotationProgress| {
        l.lock().expect("lock").push(p)
    })
}
