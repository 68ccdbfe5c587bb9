//! The endpoint's capability token: ≥ 128 random bits in the URL path,
//! kept in the keyring, compared in constant time, regenerable.

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

/// `http://127.0.0.1:PORT/<token>/v1/credentials[/<profile>]`. It carries
/// the token, so it is a secret too.
pub fn endpoint_url(url_base: &str, token: &Sensitive, profile: Option<&ProfileName>) -> Sensitive {
    let base = url_base.trim_end_matches('/');
    Sensitive::new(match profile {
        Some(p) => format!("{base}/{}/v1/credentials/{p}", token.expose()),
        None => format!("{base}/{}/v1/credentials", token.expose()),
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
    fn urls() {
        let t = Sensitive::new("abc");
        let p: ProfileName = "dev".parse().expect("name");
        assert_eq!(
            endpoint_url("http://127.0.0.1:1/", &t, Some(&p)).expose(),
            "http://127.0.0.1:1/abc/v1/credentials/dev"
        );
        assert_eq!(
            endpoint_url("http://127.0.0.1:1", &t, None).expose(),
            "http://127.0.0.1:1/abc/v1/credentials"
        );
    }
}
