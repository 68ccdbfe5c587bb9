//! Refresh policy: pure functions of times and a random number, so every
//! decision is testable with a [`crate::clock::ManualClock`] and a fixed `u`.
//!
//! `u` is always a uniform random number in `[0, 1)` supplied by the caller
//! (the engine draws it; tests pass constants).

use crate::credentials::Credentials;
use chrono::{DateTime, Duration, Utc};

/// SDK clients (Python 1.x, Java) treat credentials as stale 15 min before
/// `Expiration`; renewing 25 min ahead keeps every hand-out usable.
pub const MIN_WINDOW: Duration = Duration::minutes(25);
/// Fraction of the window spread as jitter, so 1,000 profiles with the same
/// lifetime do not all refresh in the same second.
pub const JITTER_FRACTION: f64 = 0.05;
/// First back-off step after a failure.
pub const BACKOFF_BASE: Duration = Duration::seconds(1);
/// Longest back-off step.
pub const BACKOFF_CAP: Duration = Duration::minutes(5);
/// A `retry_after` from the upstream is honoured up to this much.
pub const RETRY_AFTER_CAP: Duration = Duration::minutes(15);
/// Credentials closer than this to expiry are not handed out: a client could
/// not use them before they lapse.
pub const SERVE_MARGIN: Duration = Duration::seconds(5);
/// Shortest pause between two attempts of a source that keeps handing out
/// credentials already inside their refresh window (e.g. a pasted token).
pub const MIN_INTERVAL: Duration = Duration::seconds(1);

/// How long before expiry a refresh starts: `min(lifetime/2, max(25 min, lifetime/3))`.
pub fn refresh_window(lifetime: Duration) -> Duration {
    let lifetime = lifetime.max(Duration::zero());
    (lifetime / 2).min(MIN_WINDOW.max(lifetime / 3))
}

/// When credentials issued at `issued` and expiring at `expires` should be
/// renewed. The jitter only ever moves the refresh earlier.
pub fn refresh_at(issued: DateTime<Utc>, expires: DateTime<Utc>, u: f64) -> DateTime<Utc> {
    let window = refresh_window(expires - issued);
    expires - window - scale(window, JITTER_FRACTION * unit(u))
}

/// The next refresh after a successful fetch at `now`, or `None` for
/// long-term credentials (they never need one).
///
/// A source that hands out credentials already inside their window (a pasted
/// STS token, an upstream cache) would be asked again at once; instead ask
/// again after a quarter of what remains, between 1 s and 5 min.
pub fn next_refresh(creds: &Credentials, now: DateTime<Utc>, u: f64) -> Option<DateTime<Utc>> {
    let expires = creds.expiration?;
    let planned = refresh_at(creds.issued_at, expires, u);
    if planned > now {
        return Some(planned);
    }
    let remaining = (expires - now).max(Duration::zero());
    Some(now + (remaining / 4).clamp(MIN_INTERVAL, BACKOFF_CAP))
}

/// Delay before retry number `failures` (1 = first retry): exponential with
/// full jitter between the base and the step, capped at `cap` (the engine's
/// [`BACKOFF_CAP`] unless configured); at least `retry_after`.
pub fn backoff(
    failures: u32,
    u: f64,
    retry_after: Option<std::time::Duration>,
    cap: Duration,
) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    let step = (BACKOFF_BASE * (1i32 << exp)).min(cap.max(BACKOFF_BASE));
    let jittered = BACKOFF_BASE + scale(step - BACKOFF_BASE, unit(u));
    let asked = retry_after
        .and_then(|d| Duration::from_std(d).ok())
        .map(|d| d.min(RETRY_AFTER_CAP))
        .unwrap_or_else(Duration::zero);
    jittered.max(asked)
}

/// The retry after a failed refresh, moved earlier when the credentials
/// still served would stop being served before it: one more try just before
/// they lapse, however far the back-off has grown (an outage that ends in
/// time must not leave the profile expired). An upstream's `Retry-After` is
/// kept as asked.
pub fn retry_before_lapse(
    planned: DateTime<Utc>,
    now: DateTime<Utc>,
    serving_expires: Option<DateTime<Utc>>,
    upstream_asked: bool,
) -> DateTime<Utc> {
    let Some(exp) = serving_expires else {
        return planned;
    };
    let last_chance = exp - SERVE_MARGIN - MIN_INTERVAL;
    if upstream_asked || planned <= last_chance || last_chance <= now {
        return planned;
    }
    last_chance
}

/// May these credentials be handed out at `now`? Never when expired or about to.
pub fn serveable(creds: &Credentials, now: DateTime<Utc>) -> bool {
    creds.expiration.is_none_or(|e| e - now > SERVE_MARGIN)
}

/// Is a refresh due at `now`?
pub fn due(refresh_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    refresh_at.is_some_and(|r| r <= now)
}

fn unit(u: f64) -> f64 {
    if u.is_finite() {
        u.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn scale(d: Duration, f: f64) -> Duration {
    let ms = d.num_milliseconds() as f64 * f;
    Duration::milliseconds(ms as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::sensitive::Sensitive;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn sts(issued: DateTime<Utc>, lifetime: Duration) -> Credentials {
        Credentials {
            access_key_id: "STS.x".into(),
            access_key_secret: Sensitive::new("s"),
            security_token: Some(Sensitive::new("t")),
            expiration: Some(issued + lifetime),
            issued_at: issued,
        }
    }

    #[test]
    fn window_table() {
        let m = Duration::minutes;
        let s = Duration::seconds;
        let h = Duration::hours;
        // (lifetime, window): min(lifetime/2, max(25 min, lifetime/3))
        for (lifetime, window) in [
            (h(1), m(25)),
            (h(12), h(4)),
            (s(60), s(30)),
            (m(15), s(450)),
            (m(50), m(25)),
            (h(6), h(2)),
            (Duration::zero(), Duration::zero()),
        ] {
            assert_eq!(refresh_window(lifetime), window, "lifetime {lifetime}");
        }
    }

    #[test]
    fn refresh_times_leave_more_than_15_minutes_when_the_lifetime_allows() {
        let clock = ManualClock::new(t0());
        for (lifetime, expect_left_min) in [
            (Duration::hours(1), Duration::minutes(25)),
            (Duration::hours(12), Duration::hours(4)),
            (Duration::seconds(60), Duration::seconds(30)),
            (Duration::minutes(15), Duration::seconds(450)),
        ] {
            let c = sts(clock.now(), lifetime);
            for u in [0.0, 0.5, 0.999] {
                let at = next_refresh(&c, clock.now(), u).expect("temporary");
                let left = c.expiration.expect("exp") - at;
                assert!(left >= expect_left_min, "{lifetime}: {left}");
                // jitter is at most 5 % of the window, earlier only
                assert!(left <= expect_left_min + scale(expect_left_min, 0.051));
            }
            // not due just after issue, due at the refresh time
            let at = next_refresh(&c, clock.now(), 0.0).expect("temporary");
            assert!(!due(Some(at), clock.now()));
            clock.set(at);
            assert!(due(Some(at), clock.now()));
            assert!(serveable(&c, clock.now()));
            clock.set(c.expiration.expect("exp"));
            assert!(!serveable(&c, clock.now()), "expired is never serveable");
            clock.set(t0());
        }
    }

    #[test]
    fn long_term_keys_never_refresh_and_are_always_serveable() {
        let clock = ManualClock::new(t0());
        let c = Credentials::long_term("LTAIxxxx", Sensitive::new("s"), clock.now());
        assert_eq!(next_refresh(&c, clock.now(), 0.3), None);
        clock.advance(Duration::days(400));
        assert!(serveable(&c, clock.now()));
        assert!(!due(None, clock.now()));
    }

    #[test]
    fn credentials_inside_their_window_are_retried_later_not_at_once() {
        let clock = ManualClock::new(t0());
        // a pasted token issued long ago with 8 minutes left
        let mut c = sts(
            t0() - Duration::hours(11),
            Duration::hours(11) + Duration::minutes(8),
        );
        c.issued_at = t0() - Duration::hours(11);
        let at = next_refresh(&c, clock.now(), 0.0).expect("temporary");
        assert_eq!(at, clock.now() + Duration::minutes(2));
        // almost expired: at least a second apart
        let c2 = sts(
            t0() - Duration::hours(1),
            Duration::hours(1) + Duration::seconds(2),
        );
        assert_eq!(
            next_refresh(&c2, clock.now(), 0.0),
            Some(clock.now() + MIN_INTERVAL)
        );
        assert!(
            !serveable(&c2, clock.now()),
            "2 s left is inside the margin"
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        assert_eq!(backoff(1, 0.99, None, BACKOFF_CAP), BACKOFF_BASE);
        let mut prev_max = Duration::zero();
        for n in 1..=12 {
            let lo = backoff(n, 0.0, None, BACKOFF_CAP);
            let hi = backoff(n, 0.999_999, None, BACKOFF_CAP);
            assert_eq!(lo, BACKOFF_BASE, "full jitter starts at the base");
            assert!(hi >= prev_max, "grows: {n}");
            assert!(hi <= BACKOFF_CAP, "capped: {n}");
            prev_max = hi;
        }
        assert!(prev_max > Duration::minutes(4));
        let ra = std::time::Duration::from_secs(90);
        assert_eq!(
            backoff(1, 0.5, Some(ra), BACKOFF_CAP),
            Duration::seconds(90)
        );
        let huge = std::time::Duration::from_secs(86_400);
        assert_eq!(backoff(1, 0.5, Some(huge), BACKOFF_CAP), RETRY_AFTER_CAP);
        assert!(backoff(u32::MAX, 0.999_999, None, BACKOFF_CAP) <= BACKOFF_CAP);
        // A configured cap holds when the upstream asks for a shorter pause too
        // (the engine ignored it then, and waited up to BACKOFF_CAP).
        let cap = Duration::seconds(12);
        let one_s = Some(std::time::Duration::from_secs(1));
        for n in 1..=30 {
            assert!(backoff(n, 0.999_999, one_s, cap) <= cap, "{n}");
        }
        assert_eq!(backoff(30, 0.5, Some(ra), cap), Duration::seconds(90));
    }

    #[test]
    fn a_retry_comes_before_the_served_credentials_lapse() {
        let now = t0();
        let exp = now + Duration::seconds(20);
        let last = exp - SERVE_MARGIN - MIN_INTERVAL;
        // The back-off would wait past the lapse: one try just before it.
        assert_eq!(
            retry_before_lapse(now + Duration::seconds(16), now, Some(exp), false),
            last
        );
        // Already before it, nothing served, or the upstream asked: as planned.
        let soon = now + Duration::seconds(2);
        assert_eq!(retry_before_lapse(soon, now, Some(exp), false), soon);
        let late = now + Duration::seconds(40);
        assert_eq!(retry_before_lapse(late, now, None, false), late);
        assert_eq!(retry_before_lapse(late, now, Some(exp), true), late);
        // Too late for a last chance: the back-off stands.
        let nearly = now + SERVE_MARGIN;
        assert_eq!(retry_before_lapse(late, now, Some(nearly), false), late);
    }

    #[test]
    fn odd_random_inputs_are_safe() {
        let c = sts(t0(), Duration::hours(1));
        for u in [f64::NAN, -1.0, 7.0, f64::INFINITY] {
            let at = next_refresh(&c, t0(), u).expect("temporary");
            assert!(at < c.expiration.expect("exp"));
            assert!(backoff(3, u, None, BACKOFF_CAP) <= BACKOFF_CAP);
        }
    }
}
