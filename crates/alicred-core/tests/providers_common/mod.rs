//! Shared helpers for the provider suites: a context over a MemoryStore,
//! profile builders and the emulator.
#![allow(dead_code)]

use alicred_core::clock::SystemClock;
use alicred_core::profile::{Profile, ProfileKind, ProfileName};
use alicred_core::providers::ProviderContext;
use alicred_core::sensitive::Sensitive;
use alicred_core::store::config::ProfilesFile;
use alicred_core::store::secrets::{MemoryStore, SecretKey, SecretStore, StoredKey};
use alicred_fakecloud::{FakeCloud, FakeCloudConfig, FakeCloudHandle};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use url::Url;

pub async fn cloud() -> FakeCloudHandle {
    FakeCloud::start(FakeCloudConfig::demo())
        .await
        .expect("fakecloud starts")
}

pub fn ctx() -> ProviderContext {
    let mut c = ProviderContext::new(Arc::new(MemoryStore::default()), Arc::new(SystemClock));
    // The tests own their environment: nothing leaks in from the runner's.
    c.env = Arc::new(|_| None);
    c
}

/// A context whose environment is a map the test can change.
pub fn ctx_with_env(
    vars: &[(&str, &str)],
) -> (ProviderContext, Arc<Mutex<HashMap<String, String>>>) {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let map = Arc::new(Mutex::new(map));
    let m = map.clone();
    let mut c = ctx();
    c.env = Arc::new(move |k| m.lock().ok().and_then(|m| m.get(k).cloned()));
    (c, map)
}

pub fn name(s: &str) -> ProfileName {
    s.parse().expect("valid profile name")
}

pub fn url(s: &str) -> Url {
    Url::parse(s).expect("valid url")
}

pub fn store_key(
    ctx: &ProviderContext,
    profile: &str,
    id: &str,
    secret: &str,
    token: Option<&str>,
) {
    let store: &dyn SecretStore = ctx.secrets.as_ref();
    store
        .set_json(
            &SecretKey::Profile(name(profile)),
            &StoredKey {
                access_key_id: id.into(),
                access_key_secret: Sensitive::new(secret),
                security_token: token.map(Sensitive::new),
            },
        )
        .expect("store key");
}

pub fn profile(n: &str, kind: ProfileKind) -> Profile {
    Profile::new(name(n), kind)
}

pub fn profiles(list: Vec<Profile>) -> ProfilesFile {
    let mut f = ProfilesFile::default();
    for p in list {
        f.profiles.insert(p.name.clone(), p);
    }
    f
}

/// alice's demo key stored under profile `name`.
pub fn store_alice(ctx: &ProviderContext, cloud: &FakeCloudHandle, profile: &str) {
    let alice = &cloud.demo().expect("demo seed").alice;
    store_key(
        ctx,
        profile,
        &alice.access_key_id,
        &alice.access_key_secret,
        None,
    );
}

pub fn role_arn(cloud: &FakeCloudHandle, role: &str) -> String {
    cloud
        .demo()
        .and_then(|d| d.role_arn(role))
        .expect("demo role")
        .to_string()
}
