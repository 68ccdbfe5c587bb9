//! ECS metadata replies (docs/protocols.md, "ECS instance metadata"): the IMDSv2 token, the role listing
//! and the role's credentials. First byte: which call and the status.
#![no_main]
use alicred_core::aliyun::metadata::{parse_credentials, parse_role_listing, parse_token};
use alicred_fuzz::{assert_hidden, now, secrets_in, status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&s, body)) = data.split_first() else {
        return;
    };
    // The client reads metadata bodies as text (reqwest `text()`: lossy UTF-8).
    let text = String::from_utf8_lossy(body);
    let code = status(s >> 2);
    match s % 4 {
        0 => {
            if let Ok(t) = parse_token(code, &text) {
                assert!(!t.is_empty());
                assert_eq!(format!("{t:?}"), "[redacted]");
            }
        }
        1 => {
            if let Ok(role) = parse_role_listing(code, &text) {
                assert!(!role.is_empty() && !role.contains('\n'));
            }
        }
        _ => {
            let secrets = secrets_in(body, &["AccessKeySecret", "SecurityToken"]);
            match parse_credentials(code, &text, "role", now()) {
                Ok(c) => {
                    assert!(c.expiration.is_some_and(|e| e > now()));
                    assert_hidden(&secrets, &format!("{c:?}"));
                }
                Err(e) => assert_hidden(&secrets, &format!("{e} {e:?}")),
            }
        }
    }
});
