//! Text from outside — a portal's display names, a server's error message, a
//! name in an imported file — made safe to store and to show: control
//! characters (C0, DEL, C1: terminal escapes such as `\e]0;title\a` or
//! `\e[2J`) and the bidirectional overrides that make text read other than it
//! is are removed; a line break or tab becomes a space, so one line stays
//! one line. Applied where such text enters the core (see docs/security.md,
//! "Sign-in servers and the OAuth callback").

/// `s` without control characters or bidi overrides.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\n' | '\r' | '\t') {
            out.push(' ');
        } else if !c.is_control() && !is_bidi_control(c) {
            out.push(c);
        }
    }
    out
}

/// Whether `s` is already what [`printable`] makes of it.
pub fn is_printable(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() || is_bidi_control(c))
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `#[serde(deserialize_with = "crate::printable::de")]` for a `String` field
/// a server fills.
pub fn de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    Ok(if is_printable(&s) { s } else { printable(&s) })
}

/// [`de`] for an `Option<String>` field.
pub fn de_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = <Option<String> as serde::Deserialize>::deserialize(d)?;
    Ok(s.map(|s| if is_printable(&s) { s } else { printable(&s) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_bidi_overrides_are_removed() {
        let hostile = "Prod\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202E}gnp.exe\r\nnext\tcol\u{7f}";
        let shown = printable(hostile);
        assert_eq!(shown, "Prod]0;pwned[2J31mgnp.exe  next col");
        assert!(is_printable(&shown));
        assert!(!is_printable(hostile));
        assert_eq!(printable("Prod Account (生产)"), "Prod Account (生产)");
    }
}
