use super::*;

fn store(dir: &std::path::Path, pass: &str) -> EncryptedFileStore {
    EncryptedFileStore::with_passphrase(
        dir.join("secrets.enc"),
        dir.join("locks"),
        &Sensitive::new(pass),
    )
}

fn header(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("secrets.enc")).expect("read");
    serde_json::from_str(&text).expect("json")
}

fn key() -> SecretKey {
    SecretKey::Profile("dev".parse().expect("name"))
}

/// A file exactly as version 1 wrote it: argon2 crate defaults, no
/// parameters in the header, no associated data.
fn write_v1(dir: &std::path::Path, pass: &str, items: &str) {
    let salt = [7u8; 16];
    let nonce = [9u8; 24];
    let mut key = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(pass.as_bytes(), &salt, &mut key)
        .expect("kdf");
    let ct = XChaCha20Poly1305::new_from_slice(&key)
        .expect("key")
        .encrypt(&XNonce::from(nonce), items.as_bytes())
        .expect("encrypt");
    let env = serde_json::json!({
        "version": 1,
        "kdf": "argon2id",
        "salt": B64.encode(salt),
        "nonce": B64.encode(nonce),
        "ciphertext": B64.encode(ct),
    });
    std::fs::write(dir.join("secrets.enc"), env.to_string()).expect("write");
}

#[test]
fn the_header_carries_strong_argon2id_parameters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = store(dir.path(), "pw");
    s.set(&key(), &Sensitive::new("v")).expect("set");
    let h = header(dir.path());
    assert_eq!(h["version"], 2);
    assert_eq!(h["kdf"], "argon2id");
    assert!(h["kdf_params"]["m_cost_kib"].as_u64().expect("m") >= 64 * 1024);
    assert!(h["kdf_params"]["t_cost"].as_u64().expect("t") >= 3);
    // A fresh store (no cached key) reads it back.
    let again = store(dir.path(), "pw");
    assert_eq!(again.get(&key()).expect("get").expect("some").expose(), "v");
}

#[test]
fn an_old_file_is_read_and_migrated_on_the_next_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_v1(dir.path(), "pw", r#"{"profile/dev":"old-secret"}"#);
    let s = store(dir.path(), "pw");
    assert_eq!(
        s.get(&key()).expect("get v1").expect("some").expose(),
        "old-secret"
    );
    assert_eq!(
        header(dir.path())["version"],
        1,
        "reading alone changes nothing"
    );
    let other = SecretKey::Session("dev".parse().expect("name"));
    s.set(&other, &Sensitive::new("new")).expect("set");
    let h = header(dir.path());
    assert_eq!(h["version"], 2);
    assert_eq!(h["kdf_params"]["m_cost_kib"], 64 * 1024);
    let fresh = store(dir.path(), "pw");
    assert_eq!(
        fresh.get(&key()).expect("get").expect("kept").expose(),
        "old-secret"
    );
    assert_eq!(
        fresh.get(&other).expect("get").expect("new").expose(),
        "new"
    );
}

#[test]
fn unknown_versions_and_kdfs_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = store(dir.path(), "pw");
    s.set(&key(), &Sensitive::new("v")).expect("set");
    let good = header(dir.path());
    let path = dir.path().join("secrets.enc");
    let mut newer = good.clone();
    newer["version"] = 3.into();
    std::fs::write(&path, newer.to_string()).expect("write");
    let msg = store(dir.path(), "pw")
        .get(&key())
        .expect_err("newer")
        .to_string();
    assert!(msg.contains("newer alicred"), "{msg}");
    // A refused file is never overwritten by a write.
    assert!(
        store(dir.path(), "pw")
            .set(&key(), &Sensitive::new("x"))
            .is_err()
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        newer.to_string()
    );
    let mut scrypt = good.clone();
    scrypt["kdf"] = "scrypt".into();
    std::fs::write(&path, scrypt.to_string()).expect("write");
    let msg = store(dir.path(), "pw")
        .get(&key())
        .expect_err("kdf")
        .to_string();
    assert!(msg.contains("unknown key derivation"), "{msg}");
    // Weakened parameters in the header no longer decrypt (bound as AAD).
    let mut weak = good;
    weak["kdf_params"]["t_cost"] = 1.into();
    std::fs::write(&path, weak.to_string()).expect("write");
    assert!(matches!(
        store(dir.path(), "pw").get(&key()),
        Err(SecretError::WrongPassphrase(_))
    ));
}

#[test]
fn a_wrong_passphrase_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    store(dir.path(), "pw")
        .set(&key(), &Sensitive::new("v"))
        .expect("set");
    assert!(matches!(
        store(dir.path(), "other").get(&key()),
        Err(SecretError::WrongPassphrase(_))
    ));
}
