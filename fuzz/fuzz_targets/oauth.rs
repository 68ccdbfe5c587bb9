//! OAuth replies (protocols §12): `/v1/token` (code or refresh grant) and
//! `/v1/exchange` (STS credentials). First byte: which reply and the status.
#![no_main]
use alicred_core::aliyun::oauth::{parse_exchange_reply, parse_token_reply};
use alicred_fuzz::{assert_hidden, now, secrets_in, status};
use libfuzzer_sys::fuzz_target;

/// What alicred sent (the code, refresh or access token): never echoed back.
const SENT: &str = "SentSecretValue42";

fuzz_target!(|data: &[u8]| {
    let Some((&s, body)) = data.split_first() else {
        return;
    };
    let code = status(s >> 1);
    let sent = vec![SENT.to_string()];
    if s & 1 == 0 {
        let mut secrets = secrets_in(body, &["access_token", "refresh_token"]);
        match parse_token_reply(code, body, &sent) {
            Ok(t) => {
                assert!(!t.access_token.is_empty() && !t.refresh_token.is_empty());
                assert_hidden(&secrets, &format!("{t:?}"));
            }
            Err(e) => {
                secrets.extend(sent);
                assert_hidden(&secrets, &format!("{e} {e:?}"));
            }
        }
    } else {
        let mut secrets = secrets_in(body, &["AccessKeySecret", "SecurityToken"]);
        match parse_exchange_reply(code, body, &sent, now()) {
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
