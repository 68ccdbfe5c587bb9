//! A scripted provider and helpers shared by the engine and server tests.
#![allow(dead_code)]

use alicred_core::clock::Clock;
use alicred_core::engine::ProviderFactory;
use alicred_core::profile::{
    AccessKeyProfile, Profile, ProfileKind, ProfileName, RamRoleArnProfile,
};
use alicred_core::providers::{Provider, ProviderContext, ProviderError};
use alicred_core::store::config::ProfilesFile;
use alicred_core::store::secrets::MemoryStore;
use alicred_core::{Credentials, Sensitive};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SECRET: &str = "very-secret-value-0123456789";

/// Returns credentials with the lifetime it is told (or `None`: long-term),
/// or the error it is told; counts calls and when they happened.
#[derive(Debug)]
pub struct Scripted {
    pub name: String,
    pub clock: Arc<dyn Clock>,
    pub lifetime: Mutex<Option<chrono::Duration>>,
    pub fail: Mutex<Option<ProviderError>>,
    pub delay: Mutex<Duration>,
    pub calls: AtomicU64,
    pub times: Mutex<Vec<DateTime<Utc>>>,
}

impl Scripted {
    pub fn new(name: &str, clock: Arc<dyn Clock>, lifetime: Option<chrono::Duration>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            clock,
            lifetime: Mutex::new(lifetime),
            fail: Mutex::new(None),
            delay: Mutex::new(Duration::ZERO),
            calls: AtomicU64::new(0),
            times: Mutex::new(Vec::new()),
        })
    }
    pub fn fail_with(&self, e: Option<ProviderError>) {
        *self.fail.lock().expect("lock") = e;
    }
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
    pub fn times(&self) -> Vec<DateTime<Utc>> {
        self.times.lock().expect("lock").clone()
    }
    async fn make(&self) -> Result<Credentials, ProviderError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.times.lock().expect("lock").push(self.clock.now());
        let delay = *self.delay.lock().expect("lock");
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if let Some(e) = self.fail.lock().expect("lock").clone() {
            return Err(e);
        }
        let now = self.clock.now();
        let lifetime = *self.lifetime.lock().expect("lock");
        Ok(Credentials {
            access_key_id: format!("STS.{}.{n:08}", self.name),
            access_key_secret: Sensitive::new(SECRET),
            security_token: lifetime.map(|_| Sensitive::new("token-secret-value")),
            expiration: lifetime.map(|l| now + l),
            issued_at: now,
        })
    }
}

/// A scripted profile, optionally chained on a source provider.
#[derive(Debug)]
pub struct Node {
    pub me: Arc<Scripted>,
    pub source: Option<Arc<dyn Provider>>,
}

#[async_trait]
impl Provider for Node {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        if let Some(s) = &self.source {
            s.retrieve().await?;
        }
        self.me.make().await
    }
    fn describe(&self) -> String {
        format!("scripted {}", self.me.name)
    }
}

/// A factory over scripted providers by profile name.
pub fn factory(script: HashMap<String, Arc<Scripted>>) -> Arc<dyn ProviderFactory> {
    Arc::new(
        move |name: &ProfileName,
              profiles: &ProfilesFile,
              _ctx: &ProviderContext,
              source: &mut dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>>|
              -> Result<Arc<dyn Provider>, ProviderError> {
            let me = script
                .get(name.as_str())
                .cloned()
                .ok_or_else(|| ProviderError::Config(format!("no script for {name}")))?;
            let src = match profiles.get(name).ok().and_then(|p| p.source().cloned()) {
                Some(s) => Some(
                    source(&s)
                        .ok_or_else(|| ProviderError::Config(format!("source {s} missing")))?,
                ),
                None => None,
            };
            Ok(Arc::new(Node { me, source: src }) as Arc<dyn Provider>)
        },
    )
}

pub fn name(s: &str) -> ProfileName {
    s.parse().expect("name")
}

pub fn access_key(n: &str) -> Profile {
    Profile::new(
        name(n),
        ProfileKind::AccessKey(AccessKeyProfile {
            max_key_age_days: None,
            user_name: None,
            endpoints: Default::default(),
        }),
    )
}

pub fn role(n: &str, source: &str) -> Profile {
    Profile::new(
        name(n),
        ProfileKind::RamRoleArn(RamRoleArnProfile {
            source: name(source),
            role_arn: "acs:ram::1234567890123456:role/admin".into(),
            session_name: "alice".into(),
            duration_seconds: 3600,
            policy: Some("{}".into()),
            external_id: None,
            endpoints: Default::default(),
        }),
    )
}

pub fn profiles(list: Vec<Profile>, active: Option<&str>) -> ProfilesFile {
    let mut f = ProfilesFile::default();
    for p in list {
        f.profiles.insert(p.name.clone(), p);
    }
    f.active = active.map(name);
    f
}

pub fn ctx(clock: Arc<dyn Clock>) -> ProviderContext {
    ProviderContext::new(Arc::new(MemoryStore::default()), clock)
}

pub fn network_error() -> ProviderError {
    ProviderError::Network {
        endpoint: "https://sts.example".into(),
        reason: "connection refused".into(),
    }
}
