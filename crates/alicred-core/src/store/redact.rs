//! Parse errors without the values they were about.
//!
//! serde and its formats quote the offending value (`invalid type: string
//! "LTAI…", expected u32`), and a secret pasted into the wrong field would
//! end up on screen and in logs. These helpers keep the field and the
//! reason and drop the value.

/// A serde-style message with every user value removed. Field and variant
/// names the program expects (in backticks after "expected") stay.
pub fn value_free(msg: &str) -> String {
    let msg = msg.trim();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            // `string "v"`, `integer `5``, `map`: keep only the kind.
            let kind = rest
                .split(['`', '"', ','])
                .next()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .unwrap_or("value");
            return match rest.rsplit_once(", expected ") {
                Some((_, expected)) => format!("{prefix}{kind}, expected {expected}"),
                None => format!("{prefix}{kind}"),
            };
        }
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        return match rest.rsplit_once(", expected ") {
            Some((_, expected)) => format!("unknown variant, expected {expected}"),
            None => "unknown variant".to_string(),
        };
    }
    without_quoted(msg)
}

/// Every `"…"` span replaced by `"…"`: custom messages (ours, url's,
/// chrono's) quote the input with `{:?}`.
fn without_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut inside = false;
    let mut escaped = false;
    for c in msg.chars() {
        if inside {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    inside = false;
                    out.push_str("…\"");
                }
                _ => escaped = false,
            }
        } else {
            out.push(c);
            inside = c == '"';
        }
    }
    if inside {
        out.push('…');
    }
    out
}

/// A `serde_json` error as one line with the field path and the reason,
/// never the value: `field profiles[0].sts_expiration: invalid type:
/// string, expected i64 (line 5, column 30)`.
pub fn json_error(path: &str, e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "the JSON ends early".to_string(),
        Category::Syntax | Category::Io => {
            format!("not valid JSON (line {}, column {})", e.line(), e.column())
        }
        Category::Data => {
            let text = e.to_string();
            let msg = text
                .rsplit_once(" at line ")
                .map_or(text.as_str(), |(m, _)| m);
            let field = match path {
                "" | "." => String::new(),
                p => format!("field {p}: "),
            };
            format!(
                "{field}{} (line {}, column {})",
                value_free(msg),
                e.line(),
                e.column()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_lose_their_values() {
        let cases = [
            (
                "invalid type: string \"LTAIsecret\", expected u32",
                "invalid type: string, expected u32",
            ),
            (
                "invalid value: string \"LTAIsecret\", expected relative URL without a base",
                "invalid value: string, expected relative URL without a base",
            ),
            (
                "invalid type: integer `12345`, expected a string",
                "invalid type: integer, expected a string",
            ),
            (
                "unknown variant `LTAIsecret`, expected one of `a`, `b`",
                "unknown variant, expected one of `a`, `b`",
            ),
            (
                "profile name \"LTAI\\\"secret\" is invalid",
                "profile name \"…\" is invalid",
            ),
            (
                "unknown field `colour`, expected `color`",
                "unknown field `colour`, expected `color`",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(value_free(raw), want);
        }
    }
}
