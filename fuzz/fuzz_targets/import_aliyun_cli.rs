//! `~/.aliyun/config.json` import (docs/import.md): the plan, and every
//! planned profile through the same structural check `profile add` uses.
//! Properties beyond "no panic":
//! - every profile of the file is either planned or skipped, and planning
//!   twice gives the same plan;
//! - a planned AccessKey secret or STS token is exactly a value of the file
//!   (never altered, never invented);
//! - no secret of the file (AccessKey secret, STS token, CloudSSO and OAuth
//!   tokens) reaches the error, a skip reason, an origin, a profile field or
//!   a `Debug` of the plan;
//! - a planned profile that passes the structural check keeps its name.
#![no_main]
use alicred_core::import::aliyun_cli::plan_text;
use alicred_fuzz::{assert_hidden, secrets_in};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const SECRET_FIELDS: [&str; 5] = [
    "access_key_secret",
    "sts_token",
    "cloud_sso_access_token",
    "oauth_access_token",
    "oauth_refresh_token",
];

fuzz_target!(|data: &[u8]| {
    // The importer reads the file with read_to_string: UTF-8 only.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let secrets = secrets_in(data, &SECRET_FIELDS);
    let plan = match plan_text(Path::new("config.json"), text) {
        Ok(plan) => plan,
        Err(e) => {
            assert_hidden(&secrets, &format!("{e} {e:?}"));
            return;
        }
    };
    let again = plan_text(Path::new("config.json"), text).expect("planned once");
    assert_eq!(
        format!("{plan:?}"),
        format!("{again:?}"),
        "planning is deterministic"
    );
    // The importer reads the first JSON value and ignores what follows it,
    // and skips unknown fields unread: the same first value as a Value may
    // still fail (e.g. a lone surrogate in an ignored field). Then the
    // value-based checks below have nothing to compare with.
    let v = match serde_json::Deserializer::from_str(text)
        .into_iter::<serde_json::Value>()
        .next()
    {
        Some(Ok(v)) => v,
        _ => serde_json::Value::Null,
    };
    let values = |field: &str| -> Vec<String> {
        v["profiles"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p[field].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for p in v["profiles"].as_array().into_iter().flatten() {
        let Some(name) = p["name"].as_str() else {
            continue;
        };
        let origin = format!("aliyun CLI profile {name:?} ");
        let planned = plan.profiles.iter().any(|x| x.origin.starts_with(&origin));
        let skipped = plan.skipped.iter().any(|s| s.name == name);
        assert!(
            planned || skipped,
            "profile {name:?} was neither planned nor skipped"
        );
    }
    let (key_secrets, tokens) = (values("access_key_secret"), values("sts_token"));
    for p in &plan.profiles {
        if let Some(k) = &p.secret {
            assert!(
                key_secrets
                    .iter()
                    .any(|s| s == k.access_key_secret.expose()),
                "a planned secret that is no profile's access_key_secret"
            );
            if let Some(t) = &k.security_token {
                assert!(
                    tokens.iter().any(|s| s == t.expose()),
                    "a planned token that is no profile's sts_token"
                );
            }
        }
        assert_hidden(&secrets, &format!("{:?} {}", p.input, p.origin));
        if let Ok(profile) = p.input.into_profile() {
            assert_eq!(
                profile.name.as_str(),
                p.input.name,
                "the structural check renamed a profile"
            );
        }
    }
    for s in &plan.skipped {
        assert_hidden(&secrets, &s.reason);
    }
    assert_hidden(&secrets, &format!("{plan:?}"));
});
