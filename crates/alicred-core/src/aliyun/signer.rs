//! RPC signature v1 (protocols §2): HMAC-SHA1 with an AccessKey, or
//! SHA256withRSA with a KMS ClientKey (§9). Both sign the same string.

use crate::sensitive::Sensitive;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rsa::PrivateKey as RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer as _};
use std::fmt;
use std::sync::Arc;

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// RFC 3986 unreserved characters stay; everything else is `%XX` (so a space
/// is `%20`, never `+`, and `*` is `%2A`), as Java and Go do.
const RPC_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RPC_ESCAPE).to_string()
}

/// Step 1–3: every parameter but `Signature`, encoded, sorted, `k=v&k=v`.
/// The same string is the query we send, so what we sign is what arrives.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Step 4: `METHOD&%2F&` + percentEncode(canonical query).
pub fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&%2F&{}",
        method.to_ascii_uppercase(),
        percent_encode(&canonical_query(params))
    )
}

/// Step 5: Base64(HMAC-SHA1(secret + "&", StringToSign)).
pub fn hmac_sha1(secret: &Sensitive, string_to_sign: &str) -> String {
    let mut key = zeroize::Zeroizing::new(String::with_capacity(secret.expose().len() + 1));
    key.push_str(secret.expose());
    key.push('&');
    // HMAC takes keys of any length; the error arm cannot happen.
    let Ok(mut mac) = HmacSha1::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A KMS ClientKey: the key id plus its RSA private key (from the PKCS#12).
#[derive(Clone)]
pub struct ClientKey {
    pub key_id: String,
    // Shared: the key is large and requests clone their auth.
    key: Arc<SigningKey<Sha256>>,
}

impl ClientKey {
    pub fn new(key_id: impl Into<String>, key: RsaPrivateKey) -> Self {
        Self {
            key_id: key_id.into(),
            key: Arc::new(SigningKey::<Sha256>::new(key)),
        }
    }

    /// Base64(RSA PKCS#1 v1.5 over SHA-256 of StringToSign).
    pub fn sign(&self, string_to_sign: &str) -> String {
        let sig = self.key.sign(string_to_sign.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKey")
            .field("key_id", &self.key_id)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// Who signs a request.
#[derive(Clone, Debug)]
pub enum RpcAuth {
    /// Unsigned (AssumeRoleWithOIDC).
    Anonymous,
    /// An AccessKey; `security_token` is sent (and signed) for STS credentials.
    AccessKey {
        access_key_id: String,
        secret: Sensitive,
        security_token: Option<Sensitive>,
    },
    ClientKey(ClientKey),
}

impl RpcAuth {
    pub fn from_credentials(c: &crate::credentials::Credentials) -> Self {
        RpcAuth::AccessKey {
            access_key_id: c.access_key_id.clone(),
            secret: c.access_key_secret.clone(),
            security_token: c.security_token.clone().filter(|t| !t.is_empty()),
        }
    }

    /// Adds the signature parameters and `Signature` itself to `params`.
    pub fn sign(&self, method: &str, params: &mut Vec<(String, String)>) {
        match self {
            RpcAuth::Anonymous => {}
            RpcAuth::AccessKey {
                access_key_id,
                secret,
                security_token,
            } => {
                params.push(("AccessKeyId".into(), access_key_id.clone()));
                params.push(("SignatureMethod".into(), "HMAC-SHA1".into()));
                params.push(("SignatureVersion".into(), "1.0".into()));
                if let Some(t) = security_token {
                    params.push(("SecurityToken".into(), t.expose().to_string()));
                }
                let sts = string_to_sign(method, params);
                params.push(("Signature".into(), hmac_sha1(secret, &sts)));
            }
            RpcAuth::ClientKey(ck) => {
                params.push(("AccessKeyId".into(), ck.key_id.clone()));
                params.push(("SignatureMethod".into(), "SHA256withRSA".into()));
                params.push(("SignatureType".into(), "PRIVATEKEY".into()));
                params.push(("SignatureVersion".into(), "1.0".into()));
                let sts = string_to_sign(method, params);
                params.push(("Signature".into(), ck.sign(&sts)));
            }
        }
    }

    /// Secrets this auth puts on the wire, so error text can be scrubbed of them.
    pub(crate) fn wire_secrets(&self) -> Vec<String> {
        match self {
            RpcAuth::AccessKey {
                secret,
                security_token,
                ..
            } => {
                let mut v = vec![secret.expose().to_string()];
                if let Some(t) = security_token {
                    v.push(t.expose().to_string());
                }
                v
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn percent_encoding_vector() {
        assert_eq!(
            percent_encode("123abc!@#$%^&*()-=_+ ~|\\/"),
            "123abc%21%40%23%24%25%5E%26%2A%28%29-%3D_%2B%20~%7C%5C%2F"
        );
    }

    #[test]
    fn percent_encoding_utf8() {
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn simple_vector() {
        let params = p(&[("query", "test"), ("body", "test")]);
        let sts = string_to_sign("GET", &params);
        assert_eq!(sts, "GET&%2F&body%3Dtest%26query%3Dtest");
        assert_eq!(
            hmac_sha1(&Sensitive::new("secret"), &sts),
            "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
        );
    }

    fn assume_role_params() -> Vec<(String, String)> {
        p(&[
            ("AccessKeyId", "testid"),
            ("Action", "AssumeRole"),
            ("DurationSeconds", "3600"),
            ("Format", "JSON"),
            ("RoleArn", "acs:ram::1234567890123456:role/admin"),
            ("RoleSessionName", "alice"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2024-01-01T00:00:00Z"),
            ("Version", "2015-04-01"),
        ])
    }

    #[test]
    fn assume_role_vector() {
        let sts = string_to_sign("GET", &assume_role_params());
        assert_eq!(
            hmac_sha1(&Sensitive::new("testsecret"), &sts),
            "Nf9sExifv/qf8XrcabKhJtPKMyI="
        );
    }

    #[test]
    fn assume_role_with_token_and_policy_vector() {
        let mut params = assume_role_params();
        params.push(("SecurityToken".into(), "CAIS+abc/def==".into()));
        params.push((
            "Policy".into(),
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#
                .into(),
        ));
        let sts = string_to_sign("GET", &params);
        assert_eq!(
            hmac_sha1(&Sensitive::new("testsecret"), &sts),
            "C2/JkSNb7b9qohfHb/9y0xoRcU0="
        );
    }

    #[test]
    fn auth_sign_adds_the_signature_params_in_order_independent_way() {
        // The AssumeRole vector again, but built through RpcAuth::sign.
        let mut params: Vec<(String, String)> = assume_role_params()
            .into_iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "AccessKeyId" | "SignatureMethod" | "SignatureVersion"
                )
            })
            .collect();
        let auth = RpcAuth::AccessKey {
            access_key_id: "testid".into(),
            secret: Sensitive::new("testsecret"),
            security_token: None,
        };
        auth.sign("GET", &mut params);
        let sig = params
            .iter()
            .find(|(k, _)| k == "Signature")
            .map(|(_, v)| v);
        assert_eq!(
            sig.map(String::as_str),
            Some("Nf9sExifv/qf8XrcabKhJtPKMyI=")
        );
    }

    #[test]
    fn signature_is_excluded_from_string_to_sign() {
        let a = string_to_sign("GET", &p(&[("a", "1")]));
        let b = string_to_sign("GET", &p(&[("a", "1"), ("Signature", "x")]));
        assert_eq!(a, b);
    }

    #[test]
    fn debug_hides_secrets() {
        let auth = RpcAuth::AccessKey {
            access_key_id: "id".into(),
            secret: Sensitive::new("very-secret-value"),
            security_token: Some(Sensitive::new("very-secret-token")),
        };
        let d = format!("{auth:?}");
        assert!(!d.contains("very-secret"), "{d}");
    }
}
