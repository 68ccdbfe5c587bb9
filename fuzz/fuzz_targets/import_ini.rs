//! The SDKs' `credentials.ini` import (docs/import.md): the plan, and every
//! planned profile through the same structural check `profile add` uses.
//! Properties beyond "no panic":
//! - the INI reader round-trips: its sections written back canonically
//!   (`[name]`, `key = "value"`) read back the same;
//! - every section is either planned or skipped, and the plan does not
//!   depend on anything but the text (planning twice gives the same plan);
//! - a planned secret is a value of its section, and no `access_key_secret`
//!   value reaches a skip reason, an origin, a profile field or a `Debug`;
//! - a ram_role_arn section's source profile is planned with it;
//! - a planned profile that passes the structural check keeps its name.
#![no_main]
use alicred_core::import::ini::{parse, plan_text};
use alicred_fuzz::assert_hidden;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sections = parse(text);
    if let Ok(sections) = &sections {
        let mut canonical = String::new();
        for (name, keys) in sections {
            canonical.push_str(&format!("[{name}]\n"));
            for (k, v) in keys {
                canonical.push_str(&format!("{k} = \"{v}\"\n"));
            }
        }
        let again = parse(&canonical).expect("the canonical form reads back");
        assert_eq!(&again, sections, "round trip through {canonical:?}");
    }
    let plan = plan_text(Path::new("credentials.ini"), text);
    assert_eq!(
        sections.is_ok(),
        plan.is_ok(),
        "the plan fails exactly when the file cannot be read"
    );
    let (Ok(plan), Ok(sections)) = (plan, sections) else {
        return;
    };
    let again = plan_text(Path::new("credentials.ini"), text).expect("planned once");
    assert_eq!(
        format!("{plan:?}"),
        format!("{again:?}"),
        "planning is deterministic"
    );
    // Long secrets only, written once: nothing else in the file can carry them.
    let secrets: Vec<String> = sections
        .iter()
        .filter_map(|(_, k)| k.get("access_key_secret"))
        .map(|s| s.trim().to_string())
        .filter(|s| {
            s.len() >= 12
                && s.bytes().all(|b| b.is_ascii_alphanumeric())
                && text.matches(s.as_str()).count() == 1
        })
        .collect();
    for (name, keys) in &sections {
        let origin = format!("credentials file section [{name}] ");
        let planned = plan.profiles.iter().any(|p| p.origin.starts_with(&origin));
        let skipped = plan.skipped.iter().any(|s| &s.name == name);
        assert!(
            planned || skipped,
            "section [{name}] was neither planned nor skipped"
        );
        if keys.get("type").map(|t| t.trim()) == Some("ram_role_arn") && planned {
            let role = plan
                .profiles
                .iter()
                .filter(|p| p.origin.starts_with(&origin));
            for r in role.filter(|p| p.input.r#type == "ram-role-arn") {
                let src = r
                    .input
                    .source
                    .as_deref()
                    .expect("a ram-role-arn has its source");
                assert!(
                    plan.profiles.iter().any(|p| p.input.name == src),
                    "source {src} not planned"
                );
            }
        }
    }
    for p in &plan.profiles {
        if let Some(k) = &p.secret {
            let s = k.access_key_secret.expose();
            assert!(
                sections
                    .iter()
                    .any(|(_, keys)| keys.get("access_key_secret").is_some_and(|v| v.trim() == s)),
                "a planned secret that is no section's access_key_secret"
            );
        }
        assert_hidden(&secrets, &format!("{:?} {}", p.input, p.origin));
        if let Ok(profile) = p.input.clone().into_profile() {
            assert_eq!(
                profile.name.as_str(),
                p.input.name,
                "the structural check renamed a profile"
            );
        }
    }
    for s in &plan.skipped {
        assert_hidden(&secrets, &format!("{} {}", s.name, s.reason));
    }
    assert_hidden(&secrets, &format!("{plan:?}"));
});
