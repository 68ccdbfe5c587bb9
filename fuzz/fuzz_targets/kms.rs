//! KMS GetSecretValue replies (docs/protocols.md, "KMS-managed AccessKey") down to the AccessKey in
//! `SecretData`: first byte is the status, an optional first line
//! `retry-after:V` the `x-acs-retry-after` header, the rest the body.
#![no_main]
use alicred_core::aliyun::kms::parse_get_secret_value;
use alicred_core::providers::credentials_from_secret;
use alicred_fuzz::{assert_hidden, now, retry_after, secrets_in, status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&s, rest)) = data.split_first() else {
        return;
    };
    let (retry, body) = retry_after(rest);
    let secrets = secrets_in(body, &["SecretData"]);
    match parse_get_secret_value(status(s), retry, body) {
        Ok(v) => {
            assert_hidden(&secrets, &format!("{v:?}"));
            // The AccessKey inside SecretData (itself JSON in a string).
            // (Only when written once in the whole reply: another field may carry it.)
            let raw = String::from_utf8_lossy(body);
            let mut inner = secrets_in(v.secret_data.expose().as_bytes(), &["AccessKeySecret"]);
            inner.retain(|s| raw.matches(s.as_str()).count() == 1);
            match credentials_from_secret("secret", v, now()) {
                Ok((c, info)) => {
                    assert!(!c.access_key_secret.is_empty());
                    assert!(c.issued_at <= now());
                    assert_hidden(&inner, &format!("{c:?} {info:?}"));
                }
                Err(e) => assert_hidden(&inner, &format!("{e} {e:?}")),
            }
        }
        Err(e) => assert_hidden(&secrets, &format!("{e} {e:?}")),
    }
});
