//! CloudSSO replies (protocols §12): a device-flow `/token` poll and
//! `/cloud-credentials`. First byte: which reply and the status.
#![no_main]
use alicred_core::Sensitive;
use alicred_core::aliyun::sso::{parse_cloud_credentials_reply, parse_poll_reply};
use alicred_fuzz::{assert_hidden, now, secrets_in, status};
use libfuzzer_sys::fuzz_target;

/// What alicred sent (the device code, the bearer token): never echoed back.
const SENT: &str = "SentSecretValue42";

fuzz_target!(|data: &[u8]| {
    let Some((&s, body)) = data.split_first() else {
        return;
    };
    let code = status(s >> 1);
    let sent = vec![SENT.to_string()];
    if s & 1 == 0 {
        let mut secrets = secrets_in(body, &["AccessToken"]);
        match parse_poll_reply(code, body, &sent) {
            Ok(p) => assert_hidden(&secrets, &format!("{p:?}")),
            Err(e) => {
                secrets.extend(sent);
                assert_hidden(&secrets, &format!("{e} {e:?}"));
            }
        }
    } else {
        let mut secrets = secrets_in(body, &["AccessKeySecret", "SecurityToken"]);
        match parse_cloud_credentials_reply(code, body, &Sensitive::new(SENT), now()) {
            Ok(c) => {
                assert!(c.expiration.is_some_and(|e| e > now()));
                assert_hidden(&secrets, &format!("{c:?}"));
            }
            Err(e) => {
                secrets.extend(sent);
                assert_hidden(&secrets, &format!("{e} {e:?}"));
            }
        }
    }
});
