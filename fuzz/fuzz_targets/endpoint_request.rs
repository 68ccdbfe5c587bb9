//! The endpoint's request checks (`server::guard::check_request`): method,
//! `Origin`, one `Host` (or an absolute-form target) that is loopback, the
//! path shape and the per-URL capability.
//!
//! Input: a flags byte, then `METHOD TARGET` and `Name: value` lines. Flag 1
//! allows non-loopback IP literals; flag 2 swaps the first `CAP` in the
//! target for the right capability (so the fuzzer gets past the 401); flag 4
//! uses the capability of profile `dev` instead, which may open `dev` only.
#![no_main]
use alicred_core::Sensitive;
use alicred_core::server::guard::{Target, check_request};
use alicred_core::server::token::{Scope, capability_for};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

const AGENT_TOKEN: &str = "4f6c1a0e9b2d7c3e5a8f0b1d2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c";

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let open = flags & 1 != 0;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let Some((method, target)) = lines.next().and_then(|l| l.split_once(' ')) else {
        return;
    };
    let token = Sensitive::new(AGENT_TOKEN);
    let dev_cap = capability_for(&token, Scope::Profile("dev"));
    let mut target = target.to_string();
    if flags & 6 != 0 && target.contains("CAP") {
        let cap = if flags & 4 != 0 {
            dev_cap.clone()
        } else {
            let segs: Vec<&str> = path_of(&target).split('/').collect();
            match segs.as_slice() {
                [_, "v1", "credentials", p] => capability_for(&token, Scope::Profile(p)),
                _ => capability_for(&token, Scope::Active),
            }
        };
        target = target.replacen("CAP", cap.expose(), 1);
    }
    // What hyper would refuse never reaches the check.
    let (Ok(method), Ok(uri)) = (Method::from_bytes(method.as_bytes()), target.parse::<Uri>())
    else {
        return;
    };
    let mut headers = HeaderMap::new();
    for l in lines {
        if let Some((n, v)) = l.split_once(':')
            && let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(n.trim().as_bytes()),
                HeaderValue::from_bytes(v.trim().as_bytes()),
            )
        {
            headers.append(n, v);
        }
    }
    let Ok(got) = check_request(&method, &uri, &headers, &token, open) else {
        return;
    };
    // Accepted: every rule must hold.
    assert!(method == Method::GET || method == Method::HEAD);
    assert!(!headers.contains_key(header::ORIGIN));
    assert!(headers.get_all(header::HOST).iter().count() <= 1);
    let host = match uri.authority() {
        Some(a) => a.as_str().to_string(),
        None => headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string(),
    };
    assert!(host_ok(&host, open), "Host {host:?} accepted");
    let segs: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let presented = Sensitive::new(segs[0]);
    match &got {
        Target::Active => {
            assert_eq!(segs.len(), 3);
            assert!(presented == capability_for(&token, Scope::Active));
        }
        Target::Profile(p) => {
            assert_eq!(segs.len(), 4);
            assert_eq!(segs[3], p.as_str());
            assert!(presented == capability_for(&token, Scope::Profile(p)));
        }
    }
    if flags & 4 != 0 && presented == dev_cap {
        // dev's URL opens dev, nothing else (issue 11 item 2).
        assert_eq!(got, Target::Profile("dev".into()));
    }
});

fn path_of(target: &str) -> &str {
    let t = target
        .split_once("://")
        .map_or(target, |(_, r)| r.find('/').map_or("", |i| &r[i..]));
    t.split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_start_matches('/')
}

/// Loopback literal or `localhost` (with `open`: any IP literal), any port.
fn host_ok(host: &str, open: bool) -> bool {
    let name = match host.strip_prefix('[') {
        Some(r) => r.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || open)
}
