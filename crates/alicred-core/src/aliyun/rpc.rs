//! A small RPC-style (v1) client: common params, signature, GET, and the
//! gateway's error shape mapped onto [`ProviderError`].

use super::signer::RpcAuth;
use super::{endpoint_label, json_reason, network, scrub};
use crate::credentials::format_expiration;
use crate::providers::{ProviderContext, ProviderError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

/// The products alicred talks to, with their API versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Sts,
    Ram,
    Kms,
}

impl Service {
    pub fn version(self) -> &'static str {
        match self {
            Service::Sts => "2015-04-01",
            Service::Ram => "2015-05-01",
            Service::Kms => "2016-01-20",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::Sts => "STS",
            Service::Ram => "RAM",
            Service::Kms => "KMS",
        }
    }
}

/// One endpoint of one product.
#[derive(Clone, Debug)]
pub struct RpcClient {
    ctx: ProviderContext,
    endpoint: Url,
    service: Service,
    timeout: Option<Duration>,
}

/// The gateway's error body.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

impl RpcClient {
    pub fn new(ctx: &ProviderContext, endpoint: Url, service: Service) -> Self {
        Self {
            ctx: ctx.clone(),
            endpoint,
            service,
            timeout: None,
        }
    }

    /// A per-request timeout instead of the shared client's.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The full parameter list for `action`: common params, `extra`, then the
    /// signature params. Public so tests can check what goes on the wire.
    pub fn signed_params(
        &self,
        action: &str,
        extra: &[(&str, String)],
        auth: &RpcAuth,
    ) -> Vec<(String, String)> {
        let (ts, nonce) = self.stamp(auth);
        let mut params: Vec<(String, String)> = self
            .params(action, extra, &ts, nonce.as_deref())
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        auth.sign("GET", &mut params);
        params
    }

    /// `Timestamp` and (when signed) `SignatureNonce` of a new request.
    fn stamp(&self, auth: &RpcAuth) -> (String, Option<String>) {
        let nonce = (!matches!(auth, RpcAuth::Anonymous)).then(|| {
            // A v4 UUID from the thread's CSPRNG: no system call per request.
            uuid::Builder::from_random_bytes(rand::random())
                .into_uuid()
                .hyphenated()
                .to_string()
        });
        (format_expiration(self.ctx.clock.now()), nonce)
    }

    /// Common params, then `extra`, borrowed.
    fn params<'a>(
        &self,
        action: &'a str,
        extra: &'a [(&'a str, String)],
        timestamp: &'a str,
        nonce: Option<&'a str>,
    ) -> Vec<(&'a str, &'a str)> {
        let mut p = Vec::with_capacity(extra.len() + 10);
        p.extend([
            ("Action", action),
            ("Version", self.service.version()),
            ("Format", "JSON"),
            ("Timestamp", timestamp),
        ]);
        if let Some(n) = nonce {
            p.push(("SignatureNonce", n));
        }
        p.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
        p
    }

    /// Call `action` and decode the success body as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        action: &str,
        extra: &[(&str, String)],
        auth: &RpcAuth,
    ) -> Result<T, ProviderError> {
        // The signed canonical query, plus the signature itself.
        let (ts, nonce) = self.stamp(auth);
        let query = auth.signed_query("GET", &self.params(action, extra, &ts, nonce.as_deref()));
        let mut url = self.endpoint.clone();
        url.set_query(Some(&query));

        let label = endpoint_label(&self.endpoint);
        let mut req = self.ctx.http.get(url);
        if let Some(t) = self.timeout {
            req = req.timeout(t);
        }
        let resp = req.send().await.map_err(|e| network(&label, e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get("x-acs-retry-after")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string());
        let body = super::read_capped(resp, self.service.name(), &label).await?;
        // Copies of the secrets only when there is upstream text to scrub.
        let secrets = if status.is_success() {
            Vec::new()
        } else {
            auth.wire_secrets()
        };
        decode_response(
            self.service.name(),
            status.as_u16(),
            retry_after.as_deref(),
            &body,
            &secrets,
        )
    }
}

/// An RPC reply (status, `x-acs-retry-after`, body) as `T` or the error it
/// means, with `secrets` scrubbed from upstream text. Pure so it can be fuzzed.
pub fn decode_response<T: DeserializeOwned>(
    service: &str,
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    secrets: &[String],
) -> Result<T, ProviderError> {
    let service = service.to_string();
    if (200..300).contains(&status) {
        return serde_json::from_slice(body).map_err(|e| ProviderError::Malformed {
            service,
            reason: json_reason(&e),
        });
    }

    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let (code, message) = match parsed {
        Some(ErrorBody {
            code: Some(code),
            message,
            request_id,
        }) => {
            let mut m = scrub(message.as_deref().unwrap_or(""), secrets);
            if let Some(id) = request_id {
                // Upstream text too: scrubbed like the message (found by fuzzing).
                m.push_str(&format!(" (RequestId {})", scrub(&id, secrets)));
            }
            (scrub(&code, secrets), m)
        }
        _ => (
            format!("HTTP{status}"),
            format!("HTTP {status} with a body that is not the error shape"),
        ),
    };
    if code.contains("Throttling") || retry_after.is_some() || status == 429 {
        let retry_after = retry_after
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|ms| ms.is_finite() && *ms > 0.0)
            // `x-acs-retry-after` is in milliseconds (darabonba, emulator).
            .map(|ms| Duration::from_millis(ms.min(3_600_000.0) as u64));
        return Err(ProviderError::Throttled {
            service,
            code,
            retry_after,
        });
    }
    Err(ProviderError::Upstream {
        service,
        status,
        code,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::sensitive::Sensitive;
    use crate::store::secrets::MemoryStore;
    use std::sync::Arc;

    #[test]
    fn signed_params_carry_the_common_params() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let ctx = ProviderContext::new(
            Arc::new(MemoryStore::default()),
            Arc::new(ManualClock::new(t)),
        );
        let c = RpcClient::new(
            &ctx,
            Url::parse("http://127.0.0.1:1/sts").expect("url"),
            Service::Sts,
        );
        let auth = RpcAuth::AccessKey {
            access_key_id: "testid".into(),
            secret: Sensitive::new("testsecret"),
            security_token: Some(Sensitive::new("tok")),
        };
        let p = c.signed_params("GetCallerIdentity", &[], &auth);
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("Timestamp"), Some("2024-01-01T00:00:00Z"));
        assert_eq!(get("Format"), Some("JSON"));
        assert_eq!(get("Version"), Some("2015-04-01"));
        assert_eq!(get("SecurityToken"), Some("tok"));
        assert_eq!(get("SignatureMethod"), Some("HMAC-SHA1"));
        let nonce = get("SignatureNonce").unwrap_or_default();
        assert_eq!(
            uuid::Uuid::parse_str(nonce).map(|u| u.get_version_num()),
            Ok(4)
        );
        assert!(get("Signature").is_some());

        let anon = c.signed_params("AssumeRoleWithOIDC", &[], &RpcAuth::Anonymous);
        assert!(
            !anon
                .iter()
                .any(|(k, _)| k == "Signature" || k == "AccessKeyId")
        );
    }

    /// Found by the `sts` fuzz target: a secret echoed in `RequestId` reached
    /// the error text, since only `Code` and `Message` were scrubbed.
    #[test]
    fn request_id_is_scrubbed_too() {
        let secret = "SigningSecretValue42".to_string();
        let body = br#"{"Code":"InvalidAccessKeyId.NotFound","Message":"no such key","RequestId":"rII SigningSecretValue42 II-6"}"#;
        let e = decode_response::<serde_json::Value>("STS", 400, None, body, &[secret])
            .expect_err("an error reply");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("SigningSecretValue42"), "{shown}");
        assert!(shown.contains("InvalidAccessKeyId.NotFound"), "{shown}");
        assert!(shown.contains("RequestId rII [redacted] II-6"), "{shown}");
    }
}
