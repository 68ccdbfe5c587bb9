//! The endpoint's agent token (≥ 128 random bits, kept in the keyring,
//! regenerable) and the per-URL capabilities derived from it: each profile's
//! URL and the active-profile URL carry their own, so a URL handed to one
//! tool opens that one path only.

use crate::profile::ProfileName;
use crate::sensitive::Sensitive;
use crate::store::secrets::{SecretError, SecretKey, SecretStore};

/// 16 random bytes as 32 lowercase hex characters (128 bits).
pub fn generate() -> Sensitive {
    let bytes: [u8; 16] = rand::random();
    let mut s = String::with_capacity(32);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    Sensitive::new(s)
}

/// A stored token we accept as is: long enough and URL-safe.
pub fn well_formed(t: &Sensitive) -> bool {
    let s = t.expose();
    s.len() >= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The token in the keyring, created on first use. Blocking (keyring).
pub fn load_or_create(secrets: &dyn SecretStore) -> Result<Sensitive, SecretError> {
    match secrets.get(&SecretKey::EndpointToken)? {
        Some(t) if well_formed(&t) => Ok(t),
        _ => rotate(secrets),
    }
}

/// Replace the token; every URL handed out before stops working. Blocking.
pub fn rotate(secrets: &dyn SecretStore) -> Result<Sensitive, SecretError> {
    let t = generate();
    secrets.set(&SecretKey::EndpointToken, &t)?;
    Ok(t)
}

/// Which URL a capability opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// `/v1/credentials`: whatever profile is active when asked.
    Active,
    /// `/v1/credentials/<name>`: that profile only.
    Profile(&'a str),
}

/// Bytes of HMAC output kept: 128 bits, as 32 hex characters.
const CAPABILITY_BYTES: usize = 16;

/// The capability for one URL: HMAC-SHA256 keyed with the agent token over a
/// domain-separated label (`alicred-endpoint-v1\0active`, or
/// `…\0profile\0<name>`; names cannot hold NUL, so no label is another's),
/// truncated to 128 bits, lowercase hex. The one place URLs are derived;
/// the server checks what it receives against the same function.
pub fn capability_for(agent_token: &Sensitive, scope: Scope<'_>) -> Sensitive {
    use hmac::{KeyInit, Mac};
    type HmacSha256 = hmac::Hmac<sha2::Sha256>;
    // HMAC takes keys of any length; the error arm cannot happen.
    let Ok(mut mac) = HmacSha256::new_from_slice(agent_token.expose().as_bytes()) else {
        return Sensitive::new(String::new());
    };
    mac.update(b"alicred-endpoint-v1\0");
    match scope {
        Scope::Active => mac.update(b"active"),
        Scope::Profile(name) => {
            mac.update(b"profile\0");
            mac.update(name.as_bytes());
        }
    }
    let out = mac.finalize().into_bytes();
    let mut s = String::with_capacity(CAPABILITY_BYTES * 2);
    for b in &out[..CAPABILITY_BYTES] {
        s.push_str(&format!("{b:02x}"));
    }
    Sensitive::new(s)
}

/// `http://127.0.0.1:PORT/<capability>/v1/credentials[/<profile>]`, the
/// capability for exactly that URL. A secret too.
pub fn endpoint_url(
    url_base: &str,
    agent_token: &Sensitive,
    profile: Option<&ProfileName>,
) -> Sensitive {
    let base = url_base.trim_end_matches('/');
    Sensitive::new(match profile {
        Some(p) => {
            let cap = capability_for(agent_token, Scope::Profile(p.as_str()));
            format!("{base}/{}/v1/credentials/{p}", cap.expose())
        }
        None => {
            let cap = capability_for(agent_token, Scope::Active);
            format!("{base}/{}/v1/credentials", cap.expose())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::secrets::MemoryStore;

    #[test]
    fn tokens_are_random_hex_and_persist() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 32);
        assert!(well_formed(&a));
        let store = MemoryStore::default();
        let t1 = load_or_create(&store).expect("create");
        let t2 = load_or_create(&store).expect("load");
        assert_eq!(t1, t2);
        let t3 = rotate(&store).expect("rotate");
        assert_ne!(t1, t3);
        store
            .set(&SecretKey::EndpointToken, &Sensitive::new("short"))
            .expect("set");
        assert!(well_formed(&load_or_create(&store).expect("regen")));
    }

    #[test]
    fn urls_carry_a_capability_per_path() {
        let t = Sensitive::new("abc");
        let p: ProfileName = "dev".parse().expect("name");
        let dev = capability_for(&t, Scope::Profile("dev"));
        let active = capability_for(&t, Scope::Active);
        assert_eq!(
            endpoint_url("http://127.0.0.1:1/", &t, Some(&p)).expose(),
            format!("http://127.0.0.1:1/{}/v1/credentials/dev", dev.expose())
        );
        assert_eq!(
            endpoint_url("http://127.0.0.1:1", &t, None).expose(),
            format!("http://127.0.0.1:1/{}/v1/credentials", active.expose())
        );
        assert_eq!(dev.expose().len(), 32);
        assert!(well_formed(&dev));
        assert_ne!(dev, active);
        assert_ne!(dev, capability_for(&t, Scope::Profile("prod")));
        assert_ne!(
            dev,
            capability_for(&Sensitive::new("abd"), Scope::Profile("dev"))
        );
        // "active" as a profile name is not the active-profile URL
        assert_ne!(active, capability_for(&t, Scope::Profile("active")));
        assert!(
            !endpoint_url("http://x", &t, Some(&p))
                .expose()
                .contains("/abc/")
        );
        // Known answer: HMAC-SHA256(key "abc", "alicred-endpoint-v1\0profile\0dev")[..16],
        // computed with Python's hmac module.
        assert_eq!(dev.expose(), "1f83b85ad370a969038bdb452cbb99ad");
        assert_eq!(active.expose(), "6348f60fc5325f0e83b57c410a2c9720");
    }
}
