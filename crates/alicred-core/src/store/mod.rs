//! Persistence: the profiles file (no secrets) and the secret store (keyring).

pub mod config;
pub mod lock;
pub mod redact;
pub mod secrets;
