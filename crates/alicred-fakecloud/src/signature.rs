//! RPC signature v1 verification, written independently of `alicred-core`.
//!
//! StringToSign = `METHOD&%2F&` + percentEncode(sorted `k=v&k=v` of every parameter but
//! `Signature`), keys and values percent-encoded first (RFC 3986 unreserved kept, `%20` for a
//! space, `%2A` for `*`). HMAC-SHA1 uses the key `secret + "&"`; ClientKey requests carry a
//! Base64 RSA PKCS#1 v1.5 SHA-256 signature of the same string.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rsa::pkcs1v15::{Signature as RsaSignature, VerifyingKey};
use rsa::signature::Verifier as _;

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// Everything but `A-Z a-z 0-9 - _ . ~` is escaped.
const RPC_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one name or value the way the RPC gateway does.
pub(crate) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RPC_ESCAPE).to_string()
}

/// The canonical string to sign for `method` and the received parameters.
pub(crate) fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    let canonical = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(&canonical)
    )
}

/// Base64(HMAC-SHA1(secret + "&", string_to_sign)) — the client side, for tests.
#[cfg(test)]
pub(crate) fn hmac_sha1_signature(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    let mut mac = HmacSha1::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Constant-time check of a received Base64 HMAC-SHA1 signature.
pub(crate) fn verify_hmac_sha1(secret: &str, string_to_sign: &str, signature_b64: &str) -> bool {
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let key = format!("{secret}&");
    let Ok(mut mac) = HmacSha1::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// Checks a Base64 RSA PKCS#1 v1.5 SHA-256 signature (a KMS ClientKey request).
pub(crate) fn verify_sha256_with_rsa(
    key: &rsa::PublicKey,
    string_to_sign: &str,
    signature_b64: &str,
) -> bool {
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let Ok(sig) = RsaSignature::try_from(raw.as_slice()) else {
        return false;
    };
    let verifier = VerifyingKey::<rsa::sha2::Sha256>::new(key.clone());
    verifier.verify(string_to_sign.as_bytes(), &sig).is_ok()
}

/// Parses an SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
pub(crate) fn parse_public_key_pem(pem: &str) -> Option<rsa::PublicKey> {
    use rsa::pkcs1::DecodeRsaPublicKey as _;
    use rsa::pkcs8::DecodePublicKey as _;
    let pem = pem.trim();
    rsa::PublicKey::from_public_key_pem(pem)
        .ok()
        .or_else(|| rsa::PublicKey::from_pkcs1_pem(pem).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn percent_encoding_vector() {
        assert_eq!(
            percent_encode("123abc!@#$%^&*()-=_+ ~|\\/"),
            "123abc%21%40%23%24%25%5E%26%2A%28%29-%3D_%2B%20~%7C%5C%2F"
        );
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn simple_vector() {
        let params = p(&[("query", "test"), ("body", "test")]);
        let sts = string_to_sign("GET", &params);
        assert_eq!(sts, "GET&%2F&body%3Dtest%26query%3Dtest");
        assert_eq!(
            hmac_sha1_signature("secret", &sts),
            "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
        );
        assert!(verify_hmac_sha1(
            "secret",
            &sts,
            "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
        ));
        assert!(!verify_hmac_sha1(
            "wrong",
            &sts,
            "XlUyV4sXjOuX5FnjUz9IF9tm5rU="
        ));
        assert!(!verify_hmac_sha1("secret", &sts, "not base64!"));
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
        let mut params = assume_role_params();
        // The received Signature itself is never part of the string to sign.
        params.push(("Signature".into(), "ignored".into()));
        let sts = string_to_sign("GET", &params);
        assert_eq!(
            hmac_sha1_signature("testsecret", &sts),
            "Nf9sExifv/qf8XrcabKhJtPKMyI="
        );
    }

    #[test]
    fn assume_role_vector_with_token_and_policy() {
        let mut params = assume_role_params();
        params.push(("SecurityToken".into(), "CAIS+abc/def==".into()));
        params.push((
            "Policy".into(),
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#
                .into(),
        ));
        let sts = string_to_sign("GET", &params);
        assert_eq!(
            hmac_sha1_signature("testsecret", &sts),
            "C2/JkSNb7b9qohfHb/9y0xoRcU0="
        );
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let mut params = assume_role_params();
        params.reverse();
        let sts = string_to_sign("get", &params);
        assert_eq!(
            hmac_sha1_signature("testsecret", &sts),
            "Nf9sExifv/qf8XrcabKhJtPKMyI="
        );
    }

    #[test]
    fn fixture_public_key_parses() {
        let pem = include_str!("../../../tests/fixtures/clientkey/public.pem");
        assert!(parse_public_key_pem(pem).is_some());
        assert!(parse_public_key_pem("garbage").is_none());
    }
}
