//! An `external` command's stdout (aliyun CLI External JSON, docs/protocols.md).
#![no_main]
use alicred_core::providers::parse_external_output as parse_output;
use alicred_fuzz::{assert_hidden, now, secrets_in};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let secrets = secrets_in(data, &["access_key_secret", "sts_token"]);
    match parse_output("helper", data, now()) {
        Ok(c) => {
            assert!(!c.access_key_id.is_empty() && !c.access_key_secret.is_empty());
            assert!(c.expiration.is_none_or(|e| e > now()));
            assert_hidden(&secrets, &format!("{c:?}"));
        }
        Err(e) => assert_hidden(&secrets, &format!("{e} {e:?}")),
    }
});
