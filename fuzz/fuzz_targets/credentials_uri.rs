//! A credentials-URI reply (docs/protocols.md, "Credentials URI"): first byte picks the status,
//! the rest is the body.
#![no_main]
use alicred_core::providers::parse_credentials_uri as parse_response;
use alicred_fuzz::{assert_hidden, now, secrets_in, status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&s, body)) = data.split_first() else {
        return;
    };
    let secrets = secrets_in(body, &["AccessKeySecret", "SecurityToken"]);
    match parse_response(status(s), body, now()) {
        Ok(c) => {
            assert!(!c.access_key_id.is_empty() && !c.access_key_secret.is_empty());
            assert!(c.expiration.is_some_and(|e| e > now()));
            assert_hidden(&secrets, &format!("{c:?}"));
        }
        Err(e) => assert_hidden(&secrets, &format!("{e} {e:?}")),
    }
});
