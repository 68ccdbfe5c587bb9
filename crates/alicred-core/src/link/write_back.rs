//! What the official SDKs write back into a linked profile, and taking it
//! out again without touching anything else in the file.
//!
//! The SDKs' CLI-profile provider (Python `_update_external_credentials`,
//! and the Go, Java and Node equivalents) copies an External command's output
//! into that profile of `config.json`: `access_key_id`, `access_key_secret`,
//! `sts_token`, `sts_expiration` (docs/link-aliyun-cli.md). Stripping is an
//! edit of the text, not a re-rendering: every byte outside the removed
//! members (the user's own profiles, unknown keys, indentation, whatever
//! layout the last writer chose) stays as it is.

use super::cli_config::{skip_ws, value_end};

/// The members the SDKs add to an External profile.
pub const WRITE_BACK_KEYS: [&str; 4] = [
    "access_key_id",
    "access_key_secret",
    "sts_token",
    "sts_expiration",
];

/// One `"key": value` member of an object, as byte offsets into the text.
#[derive(Debug, Clone)]
struct Member {
    key: String,
    key_start: usize,
    value_start: usize,
    value_end: usize,
}

/// The members of the object starting at `start` (which must be `{`).
fn members(text: &str, start: usize) -> Result<Vec<Member>, String> {
    let b = text.as_bytes();
    if b.get(start) != Some(&b'{') {
        return Err("expected a JSON object".into());
    }
    let mut i = start + 1;
    let mut out = Vec::new();
    loop {
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b'}') => return Ok(out),
            Some(b',') => {
                i += 1;
                continue;
            }
            Some(b'"') => {}
            _ => return Err("expected a field name".into()),
        }
        let key_start = i;
        let key_end = value_end(b, i)?;
        let key: String =
            serde_json::from_str(&text[key_start..key_end]).map_err(|e| e.to_string())?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return Err("expected ':'".into());
        }
        let value_start = skip_ws(b, i + 1);
        let end = value_end(b, value_start)?;
        out.push(Member {
            key,
            key_start,
            value_start,
            value_end: end,
        });
        i = end;
    }
}

/// The start offsets of the elements of the array starting at `start`.
fn array_elements(text: &str, start: usize) -> Result<Vec<usize>, String> {
    let b = text.as_bytes();
    if b.get(start) != Some(&b'[') {
        return Err("expected a JSON array".into());
    }
    let mut i = start + 1;
    let mut out = Vec::new();
    loop {
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b']') => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => {
                out.push(i);
                i = value_end(b, i)?;
            }
            None => return Err("unterminated array".into()),
        }
    }
}

fn string_value(text: &str, m: &Member) -> Option<String> {
    serde_json::from_str(&text[m.value_start..m.value_end]).ok()
}

/// Byte ranges that remove the members `remove` selects from `ms`, leaving
/// valid JSON laid out as before: a member after a kept one goes with the
/// comma before it; a leading run goes with the separator after it.
fn removal_ranges(ms: &[Member], remove: impl Fn(&Member) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut kept_before = false;
    for (i, m) in ms.iter().enumerate() {
        if !remove(m) {
            kept_before = true;
            continue;
        }
        let range = match (kept_before, ms.get(i + 1)) {
            (true, _) => (ms[i - 1].value_end, m.value_end),
            (false, Some(next)) => (m.key_start, next.key_start),
            (false, None) => (m.key_start, m.value_end),
        };
        out.push(range);
    }
    out
}

fn apply(text: &str, mut ranges: Vec<(usize, usize)>) -> String {
    ranges.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in ranges {
        if s >= at {
            out.push_str(&text[at..s]);
            at = e;
        }
    }
    out.push_str(&text[at..]);
    out
}

/// A profile alicred linked: its name and the `process_command` it wrote.
/// Only a profile that still is External and still runs that command is
/// alicred's to strip; anything else is the user's.
pub struct Linked<'a> {
    pub name: &'a str,
    pub command: &'a str,
}

/// Each profile object of the file: its start offset and members.
fn profiles(text: &str) -> Result<Vec<Vec<Member>>, String> {
    let _: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| e.to_string())?;
    let b = text.as_bytes();
    let top = members(text, skip_ws(b, 0))?;
    let Some(list) = top.iter().find(|m| m.key == "profiles") else {
        return Ok(Vec::new());
    };
    if b.get(list.value_start) != Some(&b'[') {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for start in array_elements(text, list.value_start)? {
        if b.get(start) == Some(&b'{') {
            out.push(members(text, start)?);
        }
    }
    Ok(out)
}

fn is_linked(text: &str, ms: &[Member], linked: &[Linked<'_>]) -> bool {
    let field = |k: &str| {
        ms.iter()
            .find(|m| m.key == k)
            .and_then(|m| string_value(text, m))
    };
    let (Some(name), Some(mode), Some(cmd)) =
        (field("name"), field("mode"), field("process_command"))
    else {
        return false;
    };
    mode == "External" && linked.iter().any(|l| l.name == name && l.command == cmd)
}

/// `text` without the write-back in alicred's linked profiles; `None` when
/// there is none (nothing to write). Errors: the text is not valid JSON of
/// the expected shape (the reason is serde_json's position, never a value).
pub fn strip(text: &str, linked: &[Linked<'_>]) -> Result<Option<String>, String> {
    let mut ranges = Vec::new();
    for ms in profiles(text)? {
        if is_linked(text, &ms, linked) {
            ranges.extend(removal_ranges(&ms, |m| {
                WRITE_BACK_KEYS.contains(&m.key.as_str())
            }));
        }
    }
    Ok((!ranges.is_empty()).then(|| apply(text, ranges)))
}

/// Does a member of a profile hold a secret? The aliyun CLI's secret fields
/// (`access_key_secret`, `sts_token`, `cloud_sso_access_token`,
/// `oauth_access_token`, `oauth_refresh_token`, `bearer_token`, …) and
/// anything named like one.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("secret")
        || k.contains("password")
        || k.contains("private_key")
        || k.ends_with("token")
}

/// What `config.json.alicred-backup` holds: the file as it was, with the
/// write-back gone from alicred's profiles and every secret-valued member of
/// every profile left out, so a backup never holds a secret (not even one
/// the user keeps in their own profile: that one stays only where they put
/// it, and is gone from disk when they remove it there).
pub fn for_backup(text: &str, linked: &[Linked<'_>]) -> Result<String, String> {
    let mut ranges = Vec::new();
    for ms in profiles(text)? {
        let ours = is_linked(text, &ms, linked);
        ranges.extend(removal_ranges(&ms, |m| {
            is_secret_key(&m.key) || (ours && WRITE_BACK_KEYS.contains(&m.key.as_str()))
        }));
    }
    Ok(apply(text, ranges))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: &str = "/usr/bin/alicred export prod --format aliyun-external";

    fn linked() -> Vec<Linked<'static>> {
        vec![Linked {
            name: "prod",
            command: CMD,
        }]
    }

    /// What Python's json.dump(indent=4) makes of a file after a write-back.
    fn after_sdk(user_profile: &str) -> String {
        format!(
            r#"{{
    "current": "prod",
    "profiles": [
{user_profile},
        {{
            "name": "prod",
            "mode": "External",
            "process_command": "{CMD}",
            "region_id": "cn-hangzhou",
            "access_key_id": "LTAIwrittenback",
            "access_key_secret": "sdk-wrote-this-secret",
            "sts_token": null,
            "sts_expiration": 1893456000
        }}
    ],
    "meta_path": "",
    "unknown": {{"x": [1, 2]}}
}}"#
        )
    }

    const MINE: &str = r#"        {
            "name": "mine",
            "mode": "AK",
            "access_key_id": "LTAImine",
            "access_key_secret": "their-own",
            "a_future_field": {"kept": true}
        }"#;

    #[test]
    fn the_write_back_goes_and_every_other_byte_stays() {
        let text = after_sdk(MINE);
        let out = strip(&text, &linked()).expect("parse").expect("changed");
        assert!(!out.contains("sdk-wrote-this-secret") && !out.contains("LTAIwrittenback"));
        assert!(!out.contains("sts_expiration") && !out.contains("sts_token"));
        let expected = text.replace(
            ",\n            \"access_key_id\": \"LTAIwrittenback\",\n            \"access_key_secret\": \"sdk-wrote-this-secret\",\n            \"sts_token\": null,\n            \"sts_expiration\": 1893456000",
            "",
        );
        assert_eq!(out, expected, "only the write-back members removed");
        assert!(out.contains(MINE), "the user's profile byte for byte");
        serde_json::from_str::<serde_json::Value>(&out).expect("still JSON");
        assert_eq!(strip(&out, &linked()).expect("parse"), None, "idempotent");
    }

    #[test]
    fn only_profiles_alicred_linked_and_still_owns_are_touched() {
        let text = after_sdk(MINE);
        assert_eq!(strip(&text, &[]).expect("parse"), None);
        let other = Linked {
            name: "prod",
            command: "/somewhere/else export prod --format aliyun-external",
        };
        assert_eq!(strip(&text, &[other]).expect("parse"), None);
        // Their own profile named like a linked one, not External: theirs.
        let theirs = text.replace("\"External\"", "\"AK\"");
        assert_eq!(strip(&theirs, &linked()).expect("parse"), None);
    }

    #[test]
    fn leading_and_whole_runs_are_removed_cleanly() {
        let t = format!(
            r#"{{"profiles":[{{"access_key_secret":"s1","sts_token":"t1","name":"prod","mode":"External","process_command":"{CMD}"}}]}}"#
        );
        let out = strip(&t, &linked()).expect("parse").expect("changed");
        assert_eq!(
            out,
            format!(
                r#"{{"profiles":[{{"name":"prod","mode":"External","process_command":"{CMD}"}}]}}"#
            )
        );
    }

    #[test]
    fn a_backup_holds_no_secret_of_anyone() {
        let text = after_sdk(MINE);
        let b = for_backup(&text, &linked()).expect("parse");
        for s in ["sdk-wrote-this-secret", "their-own", "LTAIwrittenback"] {
            assert!(!b.contains(s), "{s} in the backup");
        }
        let v: serde_json::Value = serde_json::from_str(&b).expect("JSON");
        assert_eq!(v["profiles"][0]["access_key_id"], "LTAImine");
        assert_eq!(v["profiles"][0]["a_future_field"]["kept"], true);
        assert_eq!(v["unknown"]["x"][1], 2);
    }

    #[test]
    fn invalid_text_is_an_error_without_its_content() {
        let e = strip(r#"{"profiles": [{"name": "secret-value",, }]}"#, &linked())
            .expect_err("invalid");
        assert!(!e.contains("secret-value"), "{e}");
    }
}
