//! CloudSSO replies (docs/protocols.md, "Sign-ins"): `/device-authorization`, a device-flow
//! `/token` poll and `/cloud-credentials`. First byte: which reply (low two
//! bits) and the status.
//!
//! The device reply and the poll are followed through the arithmetic the
//! sign-in does with them (timers from `Interval`/`ExpiresIn`, the session's
//! end from the token's `ExpiresIn`): a hostile `ExpiresIn` once panicked
//! there, after the parser had passed.
#![no_main]
use alicred_core::Sensitive;
use alicred_core::aliyun::sso::{
    MAX_DEVICE_WAIT, MAX_POLL_INTERVAL, Poll, parse_cloud_credentials_reply, parse_device_reply,
    parse_poll_reply,
};
use alicred_core::clamp::MAX_LIFETIME;
use alicred_fuzz::{assert_hidden, now, secrets_in, status};
use chrono::Duration;
use libfuzzer_sys::fuzz_target;

/// What alicred sent (the device code, the bearer token): never echoed back.
const SENT: &str = "SentSecretValue42";

/// The `field` of a body, when it is a whole number (serde also takes the
/// reply as an array, fields in order: then it is at `index`).
fn number(body: &[u8], field: &str, index: usize) -> Option<u64> {
    // Lossy: the parser skips unknown fields without checking their UTF-8,
    // so a body it takes may hold invalid UTF-8 where a `Value` would not.
    let v: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(body)).ok()?;
    v.get(field).or_else(|| v.get(index))?.as_u64()
}

fn clamped(secs: u64) -> Duration {
    i64::try_from(secs)
        .ok()
        .and_then(Duration::try_seconds)
        .map_or(MAX_LIFETIME, |d| d.min(MAX_LIFETIME))
}

fuzz_target!(|data: &[u8]| {
    let Some((&s, body)) = data.split_first() else {
        return;
    };
    let code = status(s >> 2);
    let sent = vec![SENT.to_string()];
    match s & 3 {
        0 | 3 => {
            let mut secrets = secrets_in(body, &["AccessToken"]);
            match parse_poll_reply(code, body, &sent, now()) {
                Ok(p) => {
                    assert_hidden(&secrets, &format!("{p:?}"));
                    if let Poll::Done { expires_at, .. } = p {
                        let asked = number(body, "ExpiresIn", 1).expect("a token has ExpiresIn");
                        assert_eq!(expires_at - now(), clamped(asked), "ExpiresIn {asked}");
                        // What the profiles and reminders compute with it.
                        let _ = alicred_core::credentials::format_expiration(expires_at);
                        let _ = expires_at - alicred_core::signin::reminders::REMIND_BEFORE;
                    }
                }
                Err(e) => {
                    secrets.extend(sent);
                    assert_hidden(&secrets, &format!("{e} {e:?}"));
                }
            }
        }
        1 => {
            let mut secrets = secrets_in(body, &["AccessKeySecret", "SecurityToken"]);
            match parse_cloud_credentials_reply(code, body, &Sensitive::new(SENT), now()) {
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
        _ => {
            let secrets = secrets_in(body, &["DeviceCode"]);
            match parse_device_reply(code, body) {
                Ok(d) => {
                    assert_hidden(&secrets, &format!("{d:?}"));
                    let (every, wait) = (d.poll_interval(), d.wait());
                    let one = std::time::Duration::from_secs(1);
                    assert!(every >= one && every <= MAX_POLL_INTERVAL);
                    assert!(wait >= one && wait <= MAX_DEVICE_WAIT);
                    // The sign-in's deadline and first poll: no overflow.
                    let start = std::time::Instant::now();
                    assert!(start + wait + every >= start);
                }
                Err(e) => assert_hidden(&secrets, &format!("{e} {e:?}")),
            }
        }
    }
});
