//! Who may talk to the endpoint: GET/HEAD only, no browsers (`Origin`), no
//! DNS rebinding (`Host` must be a loopback literal or `localhost`).

use std::net::IpAddr;

/// Is this `Host` header acceptable? Loopback literals and `localhost`, with
/// any port; with `allow_non_loopback`, any IP literal too (rebinding needs a
/// DNS name, so literals are safe).
pub fn host_allowed(host: &str, allow_non_loopback: bool) -> bool {
    let Some((name, port)) = split_host(host) else {
        return false;
    };
    if !port.is_empty() && (!port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5) {
        return false;
    }
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || allow_non_loopback,
        Err(_) => false,
    }
}

/// `host[:port]` or `[v6][:port]` → (host, port-or-empty).
fn split_host(h: &str) -> Option<(&str, &str)> {
    if let Some(rest) = h.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = match after {
            "" => "",
            p => p.strip_prefix(':')?,
        };
        return Some((ip, port));
    }
    match h.split_once(':') {
        Some((name, port)) if !port.contains(':') => Some((name, port)),
        Some(_) => None, // a bare IPv6 address is not a valid Host
        None => Some((h, "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:47911",
            "localhost",
            "LOCALHOST:80",
            "[::1]",
            "[::1]:47911",
            "127.0.0.2:1",
        ] {
            assert!(host_allowed(ok, false), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:47911",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "192.168.1.10:47911",
            "::1",
            "[::1]x",
            "127.0.0.1:abc",
            "127.0.0.1:123456",
            "localhost:47911:1",
        ] {
            assert!(!host_allowed(bad, false), "{bad}");
        }
        assert!(host_allowed("192.168.1.10:47911", true));
        assert!(!host_allowed("evil.example", true));
    }
}
