//! Small helpers: random identifiers, time formatting, parameter lists.

use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write as _;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` random characters from `[A-Za-z0-9]`.
pub(crate) fn random_alnum(n: usize) -> String {
    (0..n)
        .map(|_| char::from(ALNUM[rand::random_range(0..ALNUM.len())]))
        .collect()
}

/// `n` random decimal digits, the first one non-zero.
pub(crate) fn random_digits(n: usize) -> String {
    let mut s = String::with_capacity(n);
    for i in 0..n {
        let d: u8 = if i == 0 {
            rand::random_range(1..10)
        } else {
            rand::random_range(0..10)
        };
        s.push(char::from(b'0' + d));
    }
    s
}

/// `n` random bytes, standard Base64 (so `+`, `/` and `=` appear, as in real tokens).
pub(crate) fn random_base64(n: usize) -> String {
    use base64::Engine as _;
    let mut bytes = vec![0u8; n];
    rand::fill(&mut bytes[..]);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A request id shaped like Alibaba's (`8-4-4-4-12` upper-case hex).
pub(crate) fn request_id() -> String {
    let mut b = [0u8; 16];
    rand::fill(&mut b[..]);
    let mut hex = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            hex.push('-');
        }
        let _ = write!(hex, "{byte:02X}");
    }
    hex
}

/// `YYYY-MM-DDThh:mm:ssZ`, the only `Expiration` format the SDKs accept.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses `YYYY-MM-DDThh:mm:ssZ` strictly.
pub(crate) fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ")
        .ok()
        .map(|n| n.and_utc())
}

/// Request parameters (query + form body), in the order received.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    /// Decodes `application/x-www-form-urlencoded` text (`+` is a space) and appends it.
    /// Returns false when a name or value is not valid UTF-8.
    pub(crate) fn extend_from_urlencoded(&mut self, s: &str) -> bool {
        for pair in s.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match (form_decode(k), form_decode(v)) {
                (Some(k), Some(v)) => self.0.push((k, v)),
                _ => return false,
            }
        }
        true
    }

    /// First value of `name`, if present.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// First value of `name` when present and not empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

fn form_decode(s: &str) -> Option<String> {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_shape() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }

    #[test]
    fn iso_round_trip() {
        let t = parse_iso("2024-01-01T00:00:00Z").expect("parses");
        assert_eq!(iso(t), "2024-01-01T00:00:00Z");
        assert!(parse_iso("2024-01-01 00:00:00").is_none());
        assert!(parse_iso("2024-01-01T00:00:00.123Z").is_none());
    }

    #[test]
    fn form_decoding() {
        let mut p = Params::default();
        assert!(p.extend_from_urlencoded("a=b+c&d=%2Bx%3D&e&f="));
        assert_eq!(p.get("a"), Some("b c"));
        assert_eq!(p.get("d"), Some("+x="));
        assert_eq!(p.get("e"), Some(""));
        assert_eq!(p.non_empty("f"), None);
        assert!(!p.extend_from_urlencoded("x=%FF"));
    }

    #[test]
    fn randoms() {
        assert_eq!(random_alnum(18).len(), 18);
        let d = random_digits(16);
        assert!(d.chars().all(|c| c.is_ascii_digit()) && !d.starts_with('0'));
    }
}
