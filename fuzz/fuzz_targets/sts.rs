//! STS replies (docs/protocols.md, "STS AssumeRole"): AssumeRole / AssumeRoleWithOIDC and
//! GetCallerIdentity, through the shared RPC reply decoder. First byte: the
//! call and the status; an optional first line `retry-after:V` is the
//! `x-acs-retry-after` header; the rest is the body.
#![no_main]
use alicred_core::aliyun::rpc::decode_response;
use alicred_core::aliyun::sts::{parse_assume_role, parse_caller_identity};
use alicred_core::clamp::MAX_LIFETIME;
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
                // Expires after now, and no later than the clamp allows
                // (a far `Expiration` once overflowed the refresh arithmetic).
                assert!(
                    r.credentials
                        .expiration
                        .is_some_and(|e| e > now() && e - now() <= MAX_LIFETIME),
                    "{:?}",
                    r.credentials.expiration
                );
                assert_hidden(&secrets, &format!("{:?}", r.credentials));
            }
            Err(e) => {
                assert_hidden(&secrets, &format!("{e} {e:?}"));
                check_throttle(&e);
            }
        },
        2 => caller_identity(code, retry, body),
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

/// GetCallerIdentity: an identity only from a success status, made of the
/// body's own fields; written back as an STS reply it decodes to itself
/// (nothing lost or invented); an error is one line and its retry hint capped.
fn caller_identity(code: u16, retry: Option<&str>, body: &[u8]) {
    match parse_caller_identity(code, retry, body) {
        Ok(id) => {
            assert!((200..300).contains(&code), "an identity from status {code}");
            // Unknown fields are skipped unread, so the body may not parse as
            // a Value (e.g. invalid UTF-8 inside one); when it does, the
            // identity is its fields.
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
                assert_eq!(v["AccountId"].as_str(), Some(id.account_id.as_str()));
                assert_eq!(v["Arn"].as_str(), Some(id.arn.as_str()));
            }
            let mut wire = serde_json::json!({
                "AccountId": id.account_id,
                "Arn": id.arn,
                "IdentityType": id.identity_type,
                "PrincipalId": id.principal_id,
            });
            for (k, f) in [
                ("UserId", &id.user_id),
                ("RoleId", &id.role_id),
                ("RequestId", &id.request_id),
            ] {
                if let Some(x) = f {
                    wire[k] = serde_json::Value::String(x.clone());
                }
            }
            let again = parse_caller_identity(200, None, wire.to_string().as_bytes())
                .expect("an identity written as an STS reply decodes");
            assert_eq!(again, id, "the round trip changed the identity");
        }
        Err(e) => {
            assert!(!e.to_string().contains('\n'), "not one line: {e}");
            check_throttle(&e);
        }
    }
}

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
