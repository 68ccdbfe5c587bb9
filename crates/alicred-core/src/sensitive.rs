//! `Sensitive`: the one wrapper every secret travels in.
//!
//! It zeroizes on drop, prints as `[redacted]` in `Debug` and `Display`, and
//! can only be read through [`Sensitive::expose`], so a grep for `expose`
//! finds every place a secret leaves its box.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use std::fmt;

#[derive(Clone)]
pub struct Sensitive(SecretString);

impl Sensitive {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret itself. Call it only where the value must leave the process
    /// (a signature, the keyring, the endpoint's response body).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for Sensitive {
    /// Constant-time, so comparing a presented token leaks nothing by timing.
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.expose()
            .as_bytes()
            .ct_eq(other.expose().as_bytes())
            .into()
    }
}
impl Eq for Sensitive {}

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Sensitive::new)
    }
}

/// Serialize the exposed value. Used only for types that go to the keyring or
/// onto the endpoint's wire; nothing that reaches a file or a log derives it.
pub fn serialize_exposed<S: serde::Serializer>(v: &Sensitive, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.expose())
}

pub fn serialize_exposed_opt<S: serde::Serializer>(
    v: &Option<Sensitive>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(v.expose()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Sensitive::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(Sensitive::new("a"), Sensitive::new("a"));
        assert_ne!(Sensitive::new("a"), Sensitive::new("b"));
    }
}
