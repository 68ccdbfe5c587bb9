//! RPC signature v1 (docs/protocols.md, "RPC signature"): HMAC-SHA1 with an AccessKey, or
//! SHA256withRSA with a KMS ClientKey (§9). Both sign the same string.

use crate::sensitive::Sensitive;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use rsa::PrivateKey as RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer as _};
use std::fmt;
use std::sync::Arc;

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// RFC 3986 unreserved characters stay; everything else is `%XX` (so a space
/// is `%20`, never `+`, and `*` is `%2A`), as Java and Go do.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    encode_into(&mut out, s);
    out
}

/// Appends `s` percent-encoded (RFC 3986 unreserved characters stay, every
/// other byte of its UTF-8 is `%XX`, upper-case hex). By hand rather than
/// through `fmt`: every refresh encodes a dozen parameters twice, and the
/// formatter made signing a tenth of the engine's CPU at 10,000 profiles.
fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            continue;
        }
        // A run of unreserved bytes is ASCII, so it starts and ends on char
        // boundaries (an empty run may not: it is skipped).
        if start < i {
            out.push_str(&s[start..i]);
        }
        out.push('%');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Step 1–3: every parameter but `Signature`, encoded, sorted, `k=v&k=v`.
/// The same string is the query we send, so what we sign is what arrives.
pub fn canonical_query<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    // Every pair encoded into one buffer, sorted as (key, value) byte
    // strings, then joined: three allocations instead of two per parameter.
    let size: usize = params
        .iter()
        .map(|(k, v)| k.as_ref().len() + v.as_ref().len())
        .sum();
    let mut buf = String::with_capacity(size * 3 / 2);
    let mut spans: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> =
        Vec::with_capacity(params.len());
    for (k, v) in params.iter().filter(|(k, _)| k.as_ref() != "Signature") {
        let k0 = buf.len();
        encode_into(&mut buf, k.as_ref());
        let v0 = buf.len();
        encode_into(&mut buf, v.as_ref());
        spans.push((k0..v0, v0..buf.len()));
    }
    let b = buf.as_bytes();
    spans.sort_by(|(ka, va), (kb, vb)| {
        b[ka.clone()]
            .cmp(&b[kb.clone()])
            .then_with(|| b[va.clone()].cmp(&b[vb.clone()]))
    });
    let mut out = String::with_capacity(buf.len() + 2 * spans.len());
    for (i, (k, v)) in spans.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&buf[k]);
        out.push('=');
        out.push_str(&buf[v]);
    }
    out
}

/// Step 4: `METHOD&%2F&` + percentEncode(canonical query).
pub fn string_to_sign<K: AsRef<str>, V: AsRef<str>>(method: &str, params: &[(K, V)]) -> String {
    string_to_sign_of(method, &canonical_query(params))
}

fn string_to_sign_of(method: &str, canonical: &str) -> String {
    let mut out = String::with_capacity(method.len() + 5 + canonical.len() * 5 / 4);
    out.push_str(&method.to_ascii_uppercase());
    out.push_str("&%2F&");
    encode_into(&mut out, canonical);
    out
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

enum Signer<'a> {
    Hmac(&'a Sensitive),
    Rsa(&'a ClientKey),
}

impl Signer<'_> {
    fn sign(&self, string_to_sign: &str) -> String {
        match self {
            Signer::Hmac(secret) => hmac_sha1(secret, string_to_sign),
            Signer::Rsa(ck) => ck.sign(string_to_sign),
        }
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

    /// [`Self::from_credentials`], taking them rather than copying them.
    pub fn from_owned(c: crate::credentials::Credentials) -> Self {
        RpcAuth::AccessKey {
            access_key_id: c.access_key_id,
            secret: c.access_key_secret,
            security_token: c.security_token.filter(|t| !t.is_empty()),
        }
    }

    /// Adds the signature parameters and `Signature` itself to `params`.
    pub fn sign(&self, method: &str, params: &mut Vec<(String, String)>) {
        let (added, signer) = self.auth_params();
        params.extend(
            added
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string())),
        );
        if let Some(signer) = signer {
            let sig = signer.sign(&string_to_sign(method, params));
            params.push(("Signature".into(), sig));
        }
    }

    /// The query to send `params` with: the signature parameters added, the
    /// canonical query (built once: it is both what is signed and what is
    /// sent), then `&Signature=…`. Borrows every value, secrets included,
    /// rather than copying them into a parameter list.
    pub fn signed_query(&self, method: &str, params: &[(&str, &str)]) -> String {
        let (added, signer) = self.auth_params();
        let all: Vec<(&str, &str)> = params.iter().chain(added.iter()).copied().collect();
        let mut query = canonical_query(&all);
        if let Some(signer) = signer {
            let sig = signer.sign(&string_to_sign_of(method, &query));
            query.push_str("&Signature=");
            encode_into(&mut query, &sig);
        }
        query
    }

    /// The parameters this auth adds to a request (before `Signature`), and
    /// who signs it.
    fn auth_params(&self) -> (Vec<(&'static str, &str)>, Option<Signer<'_>>) {
        match self {
            RpcAuth::Anonymous => (Vec::new(), None),
            RpcAuth::AccessKey {
                access_key_id,
                secret,
                security_token,
            } => {
                let mut p = vec![
                    ("AccessKeyId", access_key_id.as_str()),
                    ("SignatureMethod", "HMAC-SHA1"),
                    ("SignatureVersion", "1.0"),
                ];
                if let Some(t) = security_token {
                    p.push(("SecurityToken", t.expose()));
                }
                (p, Some(Signer::Hmac(secret)))
            }
            RpcAuth::ClientKey(ck) => (
                vec![
                    ("AccessKeyId", ck.key_id.as_str()),
                    ("SignatureMethod", "SHA256withRSA"),
                    ("SignatureType", "PRIVATEKEY"),
                    ("SignatureVersion", "1.0"),
                ],
                Some(Signer::Rsa(ck)),
            ),
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

    /// The encoder and canonical query as first written (through the
    /// `percent-encoding` crate and `format!`), as references for the
    /// hand-written ones.
    mod reference {
        use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
        const RPC_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');

        pub fn percent_encode(s: &str) -> String {
            utf8_percent_encode(s, RPC_ESCAPE).to_string()
        }

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
    }

    #[test]
    fn encoding_and_canonical_query_match_the_reference() {
        let mut samples: Vec<String> = (0u8..128).map(|b| char::from(b).to_string()).collect();
        samples.extend(
            [
                "",
                "a b+c*d~e",
                "é漢字🦀",
                "acs:ram::1234567890123456:role/admin",
                "{\"Version\": \"1\"}",
                "100%",
                "x\u{7f}\u{80}\u{ffff}",
            ]
            .map(String::from),
        );
        let all: String = samples.concat();
        samples.push(all);
        for s in &samples {
            assert_eq!(percent_encode(s), reference::percent_encode(s), "{s:?}");
        }
        // Keys that sort differently raw and encoded, a repeated key, the
        // signature left out.
        let mut params: Vec<(String, String)> = samples
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("{s}k"), format!("{i}{s}")))
            .collect();
        params.push(("Dup".into(), "b".into()));
        params.push(("Dup".into(), "a b".into()));
        params.push(("Signature".into(), "sig".into()));
        params.push(("_".into(), "1".into()));
        params.push(("~".into(), "2".into()));
        params.push(("%".into(), "3".into()));
        assert_eq!(
            canonical_query(&params),
            reference::canonical_query(&params)
        );
        assert_eq!(canonical_query::<&str, &str>(&[]), "");
    }

    #[test]
    fn signed_query_is_the_canonical_query_and_the_signature() {
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
        let borrowed: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let q = auth.signed_query("GET", &borrowed);
        auth.sign("GET", &mut params);
        assert_eq!(
            canonical_query(&params),
            canonical_query(&assume_role_params()),
            "sign adds the same parameters"
        );
        assert_eq!(
            q,
            format!(
                "{}&Signature=Nf9sExifv%2Fqf8XrcabKhJtPKMyI%3D",
                canonical_query(&assume_role_params())
            )
        );
        assert_eq!(
            RpcAuth::Anonymous.signed_query("GET", &[("A", "1 2")]),
            "A=1%202"
        );
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
        let mut params: Vec<(String, String)> = assume_role_params();
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
