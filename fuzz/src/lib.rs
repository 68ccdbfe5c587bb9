//! What the fuzz targets share: a fixed clock, a status picker and the
//! oracle that no secret from the input reaches an error or `Debug` text.

use chrono::{DateTime, TimeZone, Utc};

/// A fixed "now", so expiry checks are deterministic.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("fixed date")
}

/// Mostly 200, sometimes the statuses the parsers treat specially.
pub fn status(b: u8) -> u16 {
    const S: [u16; 16] = [
        200, 200, 200, 200, 200, 200, 200, 201, 204, 400, 401, 403, 404, 429, 500, 503,
    ];
    S[usize::from(b) % S.len()]
}

/// An optional first line `retry-after:V` (the `x-acs-retry-after` header),
/// then the body.
pub fn retry_after(data: &[u8]) -> (Option<&str>, &[u8]) {
    if let Some(i) = data.iter().position(|&b| b == b'\n')
        && let Ok(head) = std::str::from_utf8(&data[..i])
        && let Some(v) = head.strip_prefix("retry-after:")
    {
        return (Some(v), &data[i + 1..]);
    }
    (None, data)
}

/// The string values of `fields` (at any depth of a JSON body) that are
/// clearly secrets: long, plain, and written exactly once in the raw input,
/// so no other field (a `Message`, an `Expiration`) can carry them legitimately.
pub fn secrets_in(body: &[u8], fields: &[&str]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let raw = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    collect(&v, fields, &mut out);
    out.retain(|s| {
        s.len() >= 12
            && s.bytes().all(|b| b.is_ascii_alphanumeric())
            && raw.matches(s.as_str()).count() == 1
    });
    out
}

fn collect(v: &serde_json::Value, fields: &[&str], out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if let (true, Some(s)) = (fields.contains(&k.as_str()), x.as_str()) {
                    out.push(s.to_string());
                }
                collect(x, fields, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, fields, out)),
        _ => {}
    }
}

/// The oracle: no secret may appear in what a person or a log sees.
pub fn assert_hidden(secrets: &[String], shown: &str) {
    for s in secrets {
        assert!(!shown.contains(s.as_str()), "a secret leaked into: {shown}");
    }
}
