//! The ClientKey (SHA256withRSA) signer against a known answer made by
//! another implementation: OpenSSL. The StringToSign below follows
//! docs/protocols.md ("RPC signature", "KMS-managed AccessKey") (computed in Python's urllib, not by alicred), and the
//! signature is what
//!
//! ```sh
//! printf '%s' "$STRING_TO_SIGN" > sts.txt
//! openssl dgst -sha256 -sign tests/fixtures/clientkey/private.pem sts.txt | base64 -w0
//! ```
//!
//! printed with the fixture key (`private.pem` is the key inside
//! `clientKey_demo.json`). RSA PKCS#1 v1.5 is deterministic, so the
//! signature must match byte for byte.

use alicred_core::aliyun::kms::load_client_key;
use alicred_core::aliyun::signer::{RpcAuth, string_to_sign};
use alicred_core::sensitive::Sensitive;
use std::path::PathBuf;

const STRING_TO_SIGN: &str = "POST&%2F&AccessKeyId%3DKAAP.demo-client-key%26Action%3DGetSecretValue%26Format%3DJSON%26SecretName%3Dalicred%252Fdemo%2520secret%26SignatureMethod%3DSHA256withRSA%26SignatureNonce%3D6a1f7c2e-0000-4000-8000-000000000001%26SignatureType%3DPRIVATEKEY%26SignatureVersion%3D1.0%26Timestamp%3D2026-01-02T03%253A04%253A05Z%26Version%3D2016-01-20%26VersionStage%3DACSCurrent";

const OPENSSL_SIGNATURE: &str = "aVyWkT6SH070/vSYd778q995mKP9hsOUH6vuDLKreDkVi7ww1PM3CJNB1zh8LHLRMYP9dwciQKf5WpT5z9VRdEpMr94nZteUVK+sQcBx2jGG7jRBH2FlRKh7AttVc0ShaHn/XEsAJzjq+f2LhBzck0tAIRIjnYc0c3cYxrVFVg2YiNQv2Zt+aNa8ECvkN/kTkFYaVJABdSik+Ghj9PpQ40i1SfAP3SuPR/rUTH2XTIyrIJGcRgbktZfG+cFBvMQMfI/WSIekvbUfgU/S09WHz8xadAdgU4raKWHnJ8/oPt5xTz5C/F0LnBTRg+a7Q2ltscgrd0bgvz0TYoSt9O7qEg==";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/clientkey")
        .join(name)
}

fn params() -> Vec<(String, String)> {
    [
        ("Action", "GetSecretValue"),
        ("Format", "JSON"),
        ("Version", "2016-01-20"),
        ("SecretName", "alicred/demo secret"),
        ("VersionStage", "ACSCurrent"),
        ("Timestamp", "2026-01-02T03:04:05Z"),
        ("SignatureNonce", "6a1f7c2e-0000-4000-8000-000000000001"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[test]
fn clientkey_signature_matches_openssl() {
    let password = std::fs::read_to_string(fixture("clientKey_demo_password.txt")).expect("pw");
    let key = load_client_key(&fixture("clientKey_demo.json"), &Sensitive::new(password))
        .expect("the fixture ClientKey loads");
    assert_eq!(key.key_id, "KAAP.demo-client-key");

    // The signer alone, over the fixed string.
    assert_eq!(key.sign(STRING_TO_SIGN), OPENSSL_SIGNATURE);

    // The whole request signing: the parameters it adds, the string it signs
    // and the signature it attaches.
    let mut p = params();
    RpcAuth::ClientKey(key).sign("POST", &mut p);
    let get = |k: &str| {
        p.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("SignatureMethod"), "SHA256withRSA");
    assert_eq!(get("SignatureType"), "PRIVATEKEY");
    assert_eq!(get("AccessKeyId"), "KAAP.demo-client-key");
    assert_eq!(string_to_sign("POST", &p), STRING_TO_SIGN);
    assert_eq!(get("Signature"), OPENSSL_SIGNATURE);
}
