//! A pasted token (fixed expiry, cannot be renewed): re-read sparingly,
//! "expiring soon" raised once, then "needs user" at expiry — never served expired.

mod common;

use alicred_core::clock::Clock;
use alicred_core::credentials::Credentials;
use alicred_core::engine::{
    Engine, EngineError, EngineOptions, EventKind, ProfileState, TokioClock,
};
use alicred_core::profile::ProfileName;
use alicred_core::providers::{Provider, ProviderContext, ProviderError};
use alicred_core::sensitive::Sensitive;
use alicred_core::store::config::ProfilesFile;
use async_trait::async_trait;
use chrono::{DateTime, Duration as CDuration, Utc};
use common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug)]
struct Pasted {
    clock: Arc<dyn Clock>,
    expires: DateTime<Utc>,
    reads: AtomicU64,
}

#[async_trait]
impl Provider for Pasted {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let now = self.clock.now();
        if self.expires <= now {
            return Err(ProviderError::NeedsUser(
                "the STS token expired; paste a new one".into(),
            ));
        }
        Ok(Credentials {
            access_key_id: "STS.pasted".into(),
            access_key_secret: Sensitive::new(SECRET),
            security_token: Some(Sensitive::new("tok")),
            expiration: Some(self.expires),
            issued_at: now,
        })
    }
    fn describe(&self) -> String {
        "pasted token".into()
    }
}

#[tokio::test(start_paused = true)]
async fn a_pasted_token_warns_once_then_needs_the_user() {
    let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("t")
        .with_timezone(&Utc);
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(t0));
    let pasted = Arc::new(Pasted {
        clock: clock.clone(),
        expires: t0 + CDuration::hours(1),
        reads: AtomicU64::new(0),
    });
    let p = pasted.clone();
    let factory = Arc::new(
        move |_: &ProfileName,
              _: &ProfilesFile,
              _: &ProviderContext,
              _: &mut dyn FnMut(&ProfileName) -> Option<Arc<dyn Provider>>|
              -> Result<Arc<dyn Provider>, ProviderError> {
            Ok(p.clone() as Arc<dyn Provider>)
        },
    );
    let engine = Engine::start_with(
        profiles(vec![access_key("tok")], None),
        ctx(clock.clone()),
        factory,
        EngineOptions {
            rng: Arc::new(|| 0.0),
            ..EngineOptions::default()
        },
    );
    let mut events = engine.subscribe();
    let n = name("tok");
    let mut last_ok = None;
    for _ in 0..(65 * 6) {
        match engine.credentials(&n).await {
            Ok(c) => {
                assert!(c.expiration.expect("exp") - clock.now() > CDuration::seconds(5));
                last_ok = Some(clock.now());
            }
            Err(e) => {
                // in the last seconds: "expired", after: "needs you"
                assert!(
                    matches!(
                        e,
                        EngineError::NeedsUser { .. } | EngineError::Expired { .. }
                    ),
                    "{e}"
                );
            }
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    assert!(last_ok.expect("served") >= t0 + CDuration::minutes(59));
    let reads = pasted.reads.load(Ordering::SeqCst);
    assert!(reads < 40, "re-read sparingly: {reads}");
    let mut soon = Vec::new();
    let mut kinds = Vec::new();
    while let Ok(ev) = events.try_recv() {
        assert!(!ev.message.contains(SECRET));
        if ev.kind == EventKind::ExpiringSoon {
            soon.push(ev.at);
        }
        kinds.push(ev.kind);
    }
    assert_eq!(soon.len(), 1, "{kinds:?}");
    // half-way through the 25-minute window: 12.5 min before expiry
    assert_eq!(soon[0], t0 + CDuration::hours(1) - CDuration::seconds(750));
    assert!(kinds.contains(&EventKind::NeedsUser));
    assert!(matches!(
        engine.watch_state(&n).expect("state").borrow().clone(),
        ProfileState::NeedsUser { .. }
    ));
}
