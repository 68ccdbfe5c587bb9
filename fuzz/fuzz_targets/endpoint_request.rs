//! The endpoint's request checks: the `Host` header guard (DNS rebinding).
#![no_main]
use alicred_core::server::guard::host_allowed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flag, rest)) = data.split_first() else {
        return;
    };
    let Ok(host) = std::str::from_utf8(rest) else {
        return;
    };
    let open = flag & 1 == 1;
    if host_allowed(host, open) && !open {
        // Only loopback literals and `localhost` pass in the default mode.
        let name = host
            .strip_prefix('[')
            .and_then(|h| h.split(']').next())
            .unwrap_or_else(|| host.split(':').next().unwrap_or(""));
        let loopback = name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        assert!(loopback, "non-loopback Host accepted: {host:?}");
    }
});
