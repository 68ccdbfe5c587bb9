//! Durations and times that come from outside — a server's `expires_in`,
//! `ExpiresIn`, `Interval`, `Expiration` or retry hint, an imported file's
//! expiry — turned into times with checked arithmetic and clamped to sane
//! bounds. A hostile or buggy server can send `expires_in: 9223372036854775807`;
//! `chrono::Duration::seconds` panics on that, and `DateTime + Duration`
//! panics past year 262143. Every such value goes through here (see
//! docs/security.md, "Sign-in servers and the OAuth callback").

use chrono::{DateTime, Duration, Utc};

/// The longest lifetime believed of anything a server or a file hands out:
/// a token or credentials said to last longer are treated as lasting this.
/// Real ones last hours (STS at most 12 h, sign-in tokens a day or so).
pub const MAX_LIFETIME: Duration = Duration::days(366);

/// `secs` seconds, clamped to `[min, max]` (never panics).
pub fn seconds(secs: u64, min: Duration, max: Duration) -> Duration {
    let d = i64::try_from(secs)
        .ok()
        .and_then(Duration::try_seconds)
        .unwrap_or(Duration::MAX);
    d.clamp(min, max.max(min))
}

/// `secs` seconds as a `std` duration, clamped to `[min, max]`: for timers
/// (`tokio::time::Instant + d` panics on overflow, so `max` must be modest).
pub fn std_seconds(
    secs: u64,
    min: std::time::Duration,
    max: std::time::Duration,
) -> std::time::Duration {
    std::time::Duration::from_secs(secs).clamp(min, max.max(min))
}

/// `now + d`, saturating at the latest time chrono can hold.
pub fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now.checked_add_signed(d)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// When something that lives `expires_in` seconds from `now` expires: at
/// most [`MAX_LIFETIME`] ahead.
pub fn expires_at(now: DateTime<Utc>, expires_in: u64) -> DateTime<Utc> {
    after(now, seconds(expires_in, Duration::zero(), MAX_LIFETIME))
}

/// A time a server or a file named, no later than [`MAX_LIFETIME`] after `now`.
pub fn not_after_max(now: DateTime<Utc>, at: DateTime<Utc>) -> DateTime<Utc> {
    at.min(after(now, MAX_LIFETIME))
}

/// A unix time from a file, clamped as [`not_after_max`]; `None` when it is
/// not a time chrono can hold.
pub fn unix(now: DateTime<Utc>, secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0).map(|t| not_after_max(now, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn absurd_expires_in_is_clamped_not_a_panic() {
        for secs in [u64::MAX, i64::MAX as u64, i64::MAX as u64 + 1, 1 << 62] {
            assert_eq!(expires_at(t0(), secs), t0() + MAX_LIFETIME, "{secs}");
        }
        assert_eq!(expires_at(t0(), 0), t0());
        assert_eq!(expires_at(t0(), 3600), t0() + Duration::hours(1));
    }

    #[test]
    fn after_saturates() {
        let end = after(DateTime::<Utc>::MAX_UTC, Duration::days(1));
        assert_eq!(end, DateTime::<Utc>::MAX_UTC);
        assert_eq!(after(t0(), Duration::MAX), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn seconds_and_std_seconds_clamp() {
        let (lo, hi) = (Duration::seconds(1), Duration::minutes(1));
        assert_eq!(seconds(0, lo, hi), lo);
        assert_eq!(seconds(u64::MAX, lo, hi), hi);
        assert_eq!(seconds(30, lo, hi), Duration::seconds(30));
        let (lo, hi) = (
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(60),
        );
        assert_eq!(std_seconds(u64::MAX, lo, hi), hi);
        assert_eq!(std_seconds(0, lo, hi), lo);
    }

    #[test]
    fn unix_times_are_clamped() {
        assert_eq!(unix(t0(), i64::MAX), None);
        assert_eq!(unix(t0(), 253_402_300_799), Some(t0() + MAX_LIFETIME));
        assert_eq!(
            unix(t0(), 1_767_229_200),
            DateTime::from_timestamp(1_767_229_200, 0)
        );
    }
}
