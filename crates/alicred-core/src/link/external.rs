//! What `alicred export NAME --format aliyun-external` prints: the aliyun
//! CLI's External-mode JSON, which the SDKs' External providers parse.

use crate::Credentials;
use crate::credentials::{ROLLING_EXPIRATION, format_expiration};
use chrono::{DateTime, Utc};

/// `{"mode":"AK"|"StsToken","access_key_id","access_key_secret"[,"sts_token"],"expiration"}`.
///
/// `expiration` is always there. The SDKs cache the output until 180 s
/// before it; with none they treat the value as stale at once: every call
/// runs alicred again and logs "stale time is in the past"
/// (docs/link-aliyun-cli.md). Temporary credentials give their real expiry;
/// a long-term key the same rolling hour the endpoint serves, so a process
/// runs alicred about once every 57 minutes and picks up a rotated key
/// within the hour.
pub fn output(c: &Credentials, now: DateTime<Utc>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "mode": if c.security_token.is_some() { "StsToken" } else { "AK" },
        "access_key_id": c.access_key_id,
        "access_key_secret": c.access_key_secret.expose(),
    });
    if let Some(t) = &c.security_token {
        v["sts_token"] = t.expose().into();
    }
    let expiration = c.expiration.unwrap_or(now + ROLLING_EXPIRATION);
    v["expiration"] = format_expiration(expiration).into();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;

    #[test]
    fn a_key_without_expiry_gets_the_rolling_hour() {
        let now = Utc::now();
        let c = Credentials::long_term("LTAIx", Sensitive::new("s"), now);
        let v = output(&c, now);
        assert_eq!(v["mode"], "AK");
        assert_eq!(v["expiration"], format_expiration(now + ROLLING_EXPIRATION));
        assert!(v.get("sts_token").is_none());
    }
}
