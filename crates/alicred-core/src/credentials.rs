//! The value every provider produces and the endpoint serves.

use crate::sensitive::{Sensitive, serialize_exposed};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// A set of Alibaba Cloud credentials. `expiration` is `None` for long-term
/// AccessKeys; temporary credentials always carry one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: Sensitive,
    pub security_token: Option<Sensitive>,
    pub expiration: Option<DateTime<Utc>>,
    /// When the source issued (or we obtained) them; the lifetime bar starts here.
    pub issued_at: DateTime<Utc>,
}

impl Credentials {
    pub fn long_term(
        access_key_id: impl Into<String>,
        secret: Sensitive,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: secret,
            security_token: None,
            expiration: None,
            issued_at: now,
        }
    }

    pub fn is_temporary(&self) -> bool {
        self.security_token.is_some() || self.expiration.is_some()
    }

    /// Expired at `now`? Long-term keys never expire.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expiration.is_some_and(|e| e <= now)
    }

    /// Seconds of validity left at `now` (`None` for long-term keys).
    pub fn remaining_at(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.expiration.map(|e| e - now)
    }

    /// What a client is handed at `now`: the real expiry for temporary
    /// credentials; for long-term keys a rolling [`ROLLING_EXPIRATION`], so
    /// clients re-read (and pick up a rotated key) without treating the key as
    /// expiring. Used by the endpoint and by `alicred creds`/`export`.
    pub fn served_at(&self, now: DateTime<Utc>) -> UriResponse {
        match self.expiration {
            Some(e) => self.to_uri_response(e, self.issued_at.min(now)),
            None => self.to_uri_response(now + ROLLING_EXPIRATION, now),
        }
    }

    /// [`Self::served_at`] as the endpoint's JSON body, written straight from
    /// these credentials (no copy of the secrets, no intermediate strings):
    /// the same bytes `serde_json::to_vec(&self.served_at(now))` gives.
    pub fn served_json(&self, now: DateTime<Utc>) -> serde_json::Result<Vec<u8>> {
        let (expiration, last_updated) = match self.expiration {
            Some(e) => (e, self.issued_at.min(now)),
            None => (now + ROLLING_EXPIRATION, now),
        };
        let body = ServedRef {
            code: "Success",
            access_key_id: &self.access_key_id,
            access_key_secret: self.access_key_secret.expose(),
            security_token: self.security_token.as_ref().map_or("", Sensitive::expose),
            expiration: SdkTime(expiration),
            last_updated: SdkTime(last_updated),
        };
        let mut out =
            Vec::with_capacity(256 + self.security_token.as_ref().map_or(0, |t| t.expose().len()));
        serde_json::to_writer(&mut out, &body)?;
        Ok(out)
    }

    /// The credentials-URI JSON (docs/protocols.md, "Credentials URI") plus `LastUpdated` for oss2.
    /// `expiration` is what the client is told: the real one for STS, a
    /// rolling one for long-term keys.
    pub fn to_uri_response(
        &self,
        expiration: DateTime<Utc>,
        last_updated: DateTime<Utc>,
    ) -> UriResponse {
        UriResponse {
            code: "Success".into(),
            access_key_id: self.access_key_id.clone(),
            access_key_secret: self.access_key_secret.clone(),
            security_token: self
                .security_token
                .clone()
                .unwrap_or_else(|| Sensitive::new("")),
            expiration: format_expiration(expiration),
            last_updated: format_expiration(last_updated),
        }
    }
}

/// How far ahead a long-term key's served `Expiration` lies.
pub const ROLLING_EXPIRATION: chrono::Duration = chrono::Duration::hours(1);

/// Exactly what the SDKs accept: `YYYY-MM-DDThh:mm:ssZ`, UTC, whole seconds.
pub fn format_expiration(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parse an upstream `Expiration`. Strict: the SDKs reject anything else, so
/// accepting it here would only move the failure to the user's tool. The
/// error never quotes the value: a hostile server can put anything there,
/// including a secret alicred sent it (docs/security.md, "Errors").
pub fn parse_expiration(s: &str) -> Result<DateTime<Utc>, String> {
    let ok_shape = s.len() == 20 && s.ends_with('Z') && s.as_bytes().get(10) == Some(&b'T');
    if !ok_shape {
        return Err(
            "Expiration is not in the form YYYY-MM-DDThh:mm:ssZ (e.g. 2030-01-31T12:00:00Z)"
                .to_string(),
        );
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("Expiration is not a valid time: {e}"))
}

/// [`UriResponse`] borrowed from the credentials ([`Credentials::served_json`]).
#[derive(Serialize)]
struct ServedRef<'a> {
    #[serde(rename = "Code")]
    code: &'a str,
    #[serde(rename = "AccessKeyId")]
    access_key_id: &'a str,
    #[serde(rename = "AccessKeySecret")]
    access_key_secret: &'a str,
    #[serde(rename = "SecurityToken")]
    security_token: &'a str,
    #[serde(rename = "Expiration")]
    expiration: SdkTime,
    #[serde(rename = "LastUpdated")]
    last_updated: SdkTime,
}

/// A time as [`format_expiration`] writes it, without a `String`.
struct SdkTime(DateTime<Utc>);

impl Serialize for SdkTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

/// Wire form of the credentials-URI protocol (what we serve and consume).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UriResponse {
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "AccessKeyId")]
    pub access_key_id: String,
    #[serde(rename = "AccessKeySecret", serialize_with = "serialize_exposed")]
    pub access_key_secret: Sensitive,
    #[serde(rename = "SecurityToken", serialize_with = "serialize_exposed")]
    pub security_token: Sensitive,
    #[serde(rename = "Expiration")]
    pub expiration: String,
    #[serde(rename = "LastUpdated")]
    pub last_updated: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_round_trips_in_sdk_format() {
        let t = parse_expiration("2015-04-09T11:52:19Z").expect("valid");
        assert_eq!(format_expiration(t), "2015-04-09T11:52:19Z");
    }

    #[test]
    fn other_time_formats_are_rejected() {
        for bad in [
            "2015-04-09 11:52:19",
            "2015-04-09T11:52:19.123Z",
            "2015-04-09T11:52:19+08:00",
            "",
        ] {
            assert!(parse_expiration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_served_json_is_the_served_response() {
        let t = parse_expiration("2026-01-01T00:00:00Z").expect("t");
        let sts = Credentials {
            access_key_id: "STS.id".into(),
            access_key_secret: Sensitive::new("s3cr\"et"),
            security_token: Some(Sensitive::new("tok\\en")),
            expiration: Some(t + chrono::Duration::hours(1)),
            issued_at: t,
        };
        let ak = Credentials::long_term("LTAI", Sensitive::new("sec"), t);
        for c in [sts, ak] {
            for now in [t, t + chrono::Duration::seconds(61)] {
                let want = serde_json::to_vec(&c.served_at(now)).expect("json");
                assert_eq!(c.served_json(now).expect("json"), want);
            }
        }
    }

    #[test]
    fn a_bad_expiration_is_not_quoted_back() {
        // A server may echo what it was sent (a token) into the field.
        for bad in ["9999-12-31rT23:5Secret429:59Z", "2015-04-09T99:52:19Secret"] {
            let e = parse_expiration(bad).expect_err(bad);
            assert!(!e.contains("Secret"), "{e}");
            assert!(e.starts_with("Expiration is not"), "{e}");
        }
    }

    #[test]
    fn debug_redacts_secret_and_token() {
        let c = Credentials {
            access_key_id: "STS.id".into(),
            access_key_secret: Sensitive::new("s3cr3t-value"),
            security_token: Some(Sensitive::new("tok3n-value")),
            expiration: None,
            issued_at: Utc::now(),
        };
        let d = format!("{c:?}");
        assert!(
            !d.contains("s3cr3t-value") && !d.contains("tok3n-value"),
            "{d}"
        );
    }
}
