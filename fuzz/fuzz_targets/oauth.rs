//! OAuth replies (docs/protocols.md, "Sign-ins"): `/v1/token` (code or refresh grant) and
//! `/v1/exchange` (STS credentials). First byte: which reply and the status.
//!
//! The token reply is followed through the arithmetic the provider does with
//! it (its expiry, the "refresh when 20 min are left" test): a hostile
//! `expires_in` once panicked there, after the parser had passed.
#![no_main]
use alicred_core::aliyun::oauth::{parse_exchange_reply, parse_token_reply};
use alicred_core::clamp::MAX_LIFETIME;
use alicred_fuzz::{assert_hidden, now, secrets_in, status};
use chrono::Duration;
use libfuzzer_sys::fuzz_target;

/// The provider refreshes when this little is left (providers/oauth.rs).
const REFRESH_WHEN_LEFT: Duration = Duration::minutes(20);

/// What alicred sent (the code, refresh or access token): never echoed back.
const SENT: &str = "SentSecretValue42";

/// The `expires_in` of a body, when it is a whole number (serde also takes
/// the reply as an array, fields in order: then it is the third).
fn expires_in(body: &[u8]) -> Option<u64> {
    // Lossy: the parser skips unknown fields without checking their UTF-8,
    // so a body it takes may hold invalid UTF-8 where a `Value` would not.
    let v: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(body)).ok()?;
    v.get("expires_in").or_else(|| v.get(2))?.as_u64()
}

fuzz_target!(|data: &[u8]| {
    let Some((&s, body)) = data.split_first() else {
        return;
    };
    let code = status(s >> 1);
    let sent = vec![SENT.to_string()];
    if s & 1 == 0 {
        let mut secrets = secrets_in(body, &["access_token", "refresh_token"]);
        match parse_token_reply(code, body, &sent, now()) {
            Ok(t) => {
                assert!(!t.access_token.is_empty() && !t.refresh_token.is_empty());
                assert_hidden(&secrets, &format!("{t:?}"));
                // The expiry is `expires_in` after now, clamped to a year.
                let lifetime = t.expires_at - now();
                assert!(lifetime >= Duration::zero() && lifetime <= MAX_LIFETIME);
                let asked = expires_in(body).unwrap_or(3600);
                let want = i64::try_from(asked)
                    .ok()
                    .and_then(Duration::try_seconds)
                    .map_or(MAX_LIFETIME, |d| d.min(MAX_LIFETIME));
                assert_eq!(lifetime, want, "expires_in {asked}");
                // What the provider and the UI then compute with it.
                let _ = t.expires_at - now() <= REFRESH_WHEN_LEFT;
                let _ = t.expires_at - REFRESH_WHEN_LEFT;
                let _ = alicred_core::credentials::format_expiration(t.expires_at);
            }
            Err(e) => {
                secrets.extend(sent);
                assert_hidden(&secrets, &format!("{e} {e:?}"));
            }
        }
    } else {
        let mut secrets = secrets_in(body, &["AccessKeySecret", "SecurityToken"]);
        match parse_exchange_reply(code, body, &sent, now()) {
            Ok(c) => {
                let exp = c.expiration.expect("STS credentials expire");
                assert!(exp > now() && exp - now() <= MAX_LIFETIME);
                assert_hidden(&secrets, &format!("{c:?}"));
            }
            Err(e) => {
                secrets.extend(sent);
                assert_hidden(&secrets, &format!("{e} {e:?}"));
            }
        }
    }
});
