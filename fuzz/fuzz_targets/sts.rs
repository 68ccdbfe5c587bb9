//! STS replies (protocols §1, §3, §4): AssumeRole / AssumeRoleWithOIDC and
//! GetCallerIdentity, through the shared RPC reply decoder. First byte: the
//! call and the status; an optional first line `retry-after:V` is the
//! `x-acs-retry-after` header; the rest is the body.
#![no_main]
use alicred_core::aliyun::rpc::decode_response;
use alicred_core::aliyun::sts::{parse_assume_role, parse_caller_identity};
use alicred_core::providers::ProviderError;
use alicred_fuzz::{assert_hidden, now, retry_after, secrets_in, status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&s, rest)) = data.split_first() else {
        return;
    };
    let (retry, body) = retry_after(rest);
    let code = status(s >> 2);
    let secrets = secrets_in(body, &["AccessKeySecret", "SecurityToken"]);
    match s % 4 {
        0 | 1 => match parse_assume_role(code, retry, body, now()) {
            Ok(r) => {
                assert!(r.credentials.expiration.is_some_and(|e| e > now()));
                assert_hidden(&secrets, &format!("{:?}", r.credentials));
            }
            Err(e) => {
                assert_hidden(&secrets, &format!("{e} {e:?}"));
                check_throttle(&e);
            }
        },
        2 => {
            let _ = parse_caller_identity(code, retry, body);
        }
        _ => {
            // Upstream error text has the caller's signing secrets scrubbed.
            let signing = vec!["SigningSecretValue42".to_string()];
            let r: Result<serde_json::Value, _> =
                decode_response("STS", code, retry, body, &signing);
            if let Err(e) = r {
                assert_hidden(&signing, &format!("{e} {e:?}"));
                check_throttle(&e);
            }
        }
    }
});

/// A retry hint is capped at an hour.
fn check_throttle(e: &ProviderError) {
    if let ProviderError::Throttled {
        retry_after: Some(d),
        ..
    } = e
    {
        assert!(d.as_secs() <= 3600);
    }
}
