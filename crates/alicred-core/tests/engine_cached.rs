//! `CachedProvider` with a manual clock: cache, due refresh, failures, back-off.

mod common;

use alicred_core::clock::{Clock, ManualClock};
use alicred_core::engine::CachedProvider;
use alicred_core::providers::{Provider, ProviderError};
use chrono::{DateTime, Duration, Utc};
use common::*;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("t")
        .with_timezone(&Utc)
}

fn setup(lifetime: Option<Duration>) -> (Arc<ManualClock>, Arc<Scripted>, CachedProvider) {
    let clock = Arc::new(ManualClock::new(t0()));
    let dynclock: Arc<dyn Clock> = clock.clone();
    let s = Scripted::new("p", dynclock.clone(), lifetime);
    let node = Arc::new(Node {
        me: s.clone(),
        source: None,
    });
    let c = CachedProvider::new("p", node, dynclock).with_rng(Arc::new(|| 0.0));
    (clock, s, c)
}

#[tokio::test]
async fn serves_the_cache_until_due_then_refetches() {
    let (clock, s, c) = setup(Some(Duration::hours(1)));
    let a = c.retrieve().await.expect("first");
    clock.advance(Duration::minutes(34));
    assert_eq!(
        c.retrieve().await.expect("cached").access_key_id,
        a.access_key_id
    );
    assert_eq!(s.calls(), 1);
    let m = c.meta();
    assert_eq!(m.refresh_at, Some(t0() + Duration::minutes(35)));
    clock.advance(Duration::minutes(1));
    let b = c.retrieve().await.expect("refetched");
    assert_ne!(a.access_key_id, b.access_key_id);
    assert_eq!(s.calls(), 2);
}

#[tokio::test]
async fn failure_keeps_the_valid_cache_and_never_returns_expired() {
    let (clock, s, c) = setup(Some(Duration::hours(1)));
    let a = c.retrieve().await.expect("first");
    s.fail_with(Some(network_error()));
    clock.advance(Duration::minutes(40));
    let b = c.retrieve().await.expect("cache while valid");
    assert_eq!(a.access_key_id, b.access_key_id);
    let m = c.meta();
    assert_eq!(m.failures, 1);
    assert!(m.last_error.is_some());
    assert_eq!(m.retry_at, Some(clock.now() + Duration::seconds(1)));
    // during back-off callers get the cache without a new attempt
    assert!(c.retrieve().await.is_ok());
    assert_eq!(s.calls(), 2);
    // past expiry: an error, never the expired credentials
    clock.advance(Duration::minutes(20));
    let e = c.retrieve().await.expect_err("expired");
    assert!(matches!(e, ProviderError::Network { .. }));
    assert!(c.current().is_none());
    // within the back-off the error is returned without calling the source
    let calls = s.calls();
    assert!(c.retrieve().await.is_err());
    assert_eq!(s.calls(), calls);
    // after it, the source is asked again and recovers
    s.fail_with(None);
    clock.advance(Duration::seconds(30));
    assert!(c.retrieve().await.is_ok());
    assert_eq!(c.meta().failures, 0);
}

#[tokio::test]
async fn already_expired_credentials_from_the_source_are_refused() {
    let (_clock, _s, c) = setup(Some(Duration::seconds(-10)));
    let e = c.retrieve().await.expect_err("refused");
    assert!(matches!(e, ProviderError::AlreadyExpired { .. }), "{e}");
    assert!(e.is_transient());
}

#[tokio::test]
async fn long_term_keys_are_never_due_and_invalidate_drops_them() {
    let (clock, s, c) = setup(None);
    c.retrieve().await.expect("first");
    clock.advance(Duration::days(365));
    c.retrieve().await.expect("cached");
    assert_eq!(s.calls(), 1);
    assert_eq!(c.meta().refresh_at, None);
    c.invalidate();
    assert!(c.current().is_none());
    c.retrieve().await.expect("fetched again");
    assert_eq!(s.calls(), 2);
}

/// A provider that learned which role it assumed.
#[derive(Debug)]
struct Assumed;

#[async_trait::async_trait]
impl Provider for Assumed {
    async fn retrieve(&self) -> Result<alicred_core::Credentials, ProviderError> {
        Err(ProviderError::Config("not needed".into()))
    }
    fn describe(&self) -> String {
        "assumed".into()
    }
    fn info(&self) -> Option<alicred_core::providers::ProviderInfo> {
        Some(alicred_core::providers::ProviderInfo::AssumedRole {
            arn: "acs:ram::1:assumed-role/dev/s".into(),
            assumed_role_id: "1:s".into(),
        })
    }
}

#[test]
fn the_cache_passes_the_providers_info_through() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t0()));
    let c = CachedProvider::new("p", Arc::new(Assumed), clock);
    assert!(
        matches!(c.info(), Some(alicred_core::providers::ProviderInfo::AssumedRole { arn, .. }) if arn.ends_with("dev/s"))
    );
}
