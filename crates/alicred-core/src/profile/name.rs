use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A profile name: 1–64 of `A-Z a-z 0-9 . _ -`, not starting with `.` or `-`.
/// Kept this tight because names appear in URLs, keyring attributes and
/// shell prompts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProfileName(String);

impl ProfileName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ProfileName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if s.is_empty() || s.len() > 64 || !ok_chars || s.starts_with(['.', '-']) {
            return Err(format!(
                "profile name {s:?} is invalid: use 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'"
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for ProfileName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<ProfileName> for String {
    fn from(n: ProfileName) -> String {
        n.0
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["dev", "prod-cn.hangzhou", "a_b", "A1"] {
            assert!(good.parse::<ProfileName>().is_ok(), "{good}");
        }
        for bad in ["", "-x", ".x", "a b", "a/b", "ü", &"x".repeat(65)] {
            assert!(bad.parse::<ProfileName>().is_err(), "{bad}");
        }
    }
}
