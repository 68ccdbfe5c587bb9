//! The aliyun CLI's `config.json`, edited without disturbing it: every
//! top-level field and every profile alicred does not touch is written back
//! byte for byte (as raw JSON), in its place; only alicred's own profiles
//! and `current` change.

use serde::{Deserialize, Serialize};

/// A JSON value's exact text in the file (validated by serde_json first).
#[derive(Debug, Clone)]
struct Raw(String);

impl Raw {
    fn get(&self) -> &str {
        &self.0
    }
}

/// Split a JSON object's text into its fields' key and exact value text,
/// in file order. The text must already be valid JSON.
fn object_fields(text: &str) -> Result<Vec<(String, Raw)>, String> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Err("expected a JSON object".into());
    }
    i += 1;
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
        let key_end = value_end(b, i)?;
        let key: String = serde_json::from_str(&text[i..key_end]).map_err(|e| e.to_string())?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return Err("expected ':'".into());
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start)?;
        out.push((key, Raw(text[start..end].to_owned())));
        i = end;
    }
}

/// The elements of a JSON array's text, exactly.
fn array_items(text: &str) -> Result<Vec<Raw>, String> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return Err("expected a JSON array".into());
    }
    i += 1;
    let mut out = Vec::new();
    loop {
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b']') => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => {
                let end = value_end(b, i)?;
                out.push(Raw(text[i..end].to_owned()));
                i = end;
            }
            None => return Err("unterminated array".into()),
        }
    }
}

pub(super) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Where the value starting at `i` ends (exclusive): strings with their
/// escapes, nested objects and arrays, or a bare literal.
pub(super) fn value_end(b: &[u8], i: usize) -> Result<usize, String> {
    let (mut depth, mut j, mut in_str) = (0usize, i, false);
    while let Some(&c) = b.get(j) {
        j += 1;
        if in_str {
            match c {
                b'\\' => j += 1,
                b'"' => {
                    in_str = false;
                    if depth == 0 {
                        return Ok(j);
                    }
                }
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return Ok(j);
                }
            }
            b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return Ok(j - 1),
            _ => {}
        }
    }
    if depth == 0 && !in_str {
        Ok(j)
    } else {
        Err("unterminated value".into())
    }
}

/// What alicred reads of a profile; the rest stays in the raw text.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileHead {
    pub name: String,
    pub mode: String,
    pub process_command: String,
}

/// A profile: as found (raw), or written by alicred now.
#[derive(Debug)]
pub struct CliProfile {
    pub head: ProfileHead,
    raw: Raw,
}

/// An External profile as alicred writes it.
#[derive(Debug, Serialize)]
pub struct External<'a> {
    pub name: &'a str,
    pub mode: &'static str,
    pub process_command: &'a str,
    pub region_id: &'a str,
}

#[derive(Debug)]
pub struct CliConfig {
    fields: Vec<(String, Raw)>,
    pub profiles: Vec<CliProfile>,
    pub current: Option<String>,
}

impl CliConfig {
    pub fn empty() -> Self {
        Self {
            fields: Vec::new(),
            profiles: Vec::new(),
            current: None,
        }
    }

    /// Parse; the error is serde_json's (line and column, never a value).
    pub fn parse(text: &str) -> Result<Self, String> {
        let _: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut cfg = Self::empty();
        for (k, v) in object_fields(text)? {
            match k.as_str() {
                "profiles" => {
                    for raw in array_items(v.get()).map_err(|e| format!("profiles: {e}"))? {
                        let head: ProfileHead = serde_json::from_str(raw.get())
                            .map_err(|e| format!("a profile: {e}"))?;
                        cfg.profiles.push(CliProfile { head, raw });
                    }
                }
                "current" => {
                    cfg.current =
                        serde_json::from_str(v.get()).map_err(|e| format!("current: {e}"))?;
                }
                _ => {}
            }
            cfg.fields.push((k, v));
        }
        Ok(cfg)
    }

    pub fn get(&self, name: &str) -> Option<&CliProfile> {
        self.profiles.iter().find(|p| p.head.name == name)
    }

    /// Add or replace the profile named `p.name`, keeping its place.
    pub fn put(&mut self, p: &External<'_>) {
        let raw = Raw(serde_json::to_string(p).unwrap_or_default());
        let new = CliProfile {
            head: ProfileHead {
                name: p.name.to_owned(),
                mode: p.mode.to_owned(),
                process_command: p.process_command.to_owned(),
            },
            raw,
        };
        match self.profiles.iter_mut().find(|q| q.head.name == p.name) {
            Some(slot) => *slot = new,
            None => self.profiles.push(new),
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.profiles.retain(|p| p.head.name != name);
    }

    /// The file's text: fields in their order (`current` first and
    /// `profiles` next when the file had neither), tab-indented like the CLI.
    pub fn render(&self) -> String {
        let mut fields: Vec<(&str, String)> = self
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.get().to_owned()))
            .collect();
        let current = serde_json::to_string(self.current.as_deref().unwrap_or(""))
            .unwrap_or_else(|_| "\"\"".into());
        let profiles = self.render_profiles();
        set_or_insert(&mut fields, "current", current, 0);
        set_or_insert(&mut fields, "profiles", profiles, 1);
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                let key = serde_json::to_string(k).unwrap_or_default();
                format!("\t{key}: {v}")
            })
            .collect();
        format!("{{\n{}\n}}\n", body.join(",\n"))
    }

    fn render_profiles(&self) -> String {
        if self.profiles.is_empty() {
            return "[]".into();
        }
        let items: Vec<String> = self
            .profiles
            .iter()
            .map(|p| format!("\t\t{}", pretty_if_compact(p.raw.get())))
            .collect();
        format!("[\n{}\n\t]", items.join(",\n"))
    }
}

fn set_or_insert(fields: &mut Vec<(&str, String)>, key: &'static str, v: String, at: usize) {
    match fields.iter_mut().find(|(k, _)| *k == key) {
        Some(f) => f.1 = v,
        None => fields.insert(at.min(fields.len()), (key, v)),
    }
}

/// Our own compact profiles, laid out like the CLI's; others as they were.
fn pretty_if_compact(raw: &str) -> String {
    if raw.contains('\n') {
        return raw.to_owned();
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) else {
        return raw.to_owned();
    };
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    if v.serialize(&mut ser).is_err() {
        return raw.to_owned();
    }
    String::from_utf8_lossy(&out).replace('\n', "\n\t\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    const THEIRS: &str = r#"{
	"current": "default",
	"profiles": [
		{
			"name": "default",
			"mode": "AK",
			"access_key_id": "LTAIkeep",
			"access_key_secret": "keep-this-secret",
			"region_id": "cn-hangzhou",
			"output_format": "json",
			"some_future_field": {"nested": [1, 2, 3]}
		}
	],
	"meta_path": "",
	"unknown_top": 42
}"#;

    #[test]
    fn others_are_kept_byte_for_byte() {
        let mut c = CliConfig::parse(THEIRS).expect("parse");
        assert_eq!(c.current.as_deref(), Some("default"));
        assert_eq!(c.render(), format!("{THEIRS}\n"), "unchanged round trip");
        c.put(&External {
            name: "prod",
            mode: "External",
            process_command: "/usr/bin/alicred export prod --format aliyun-external",
            region_id: "cn-shanghai",
        });
        c.current = Some("prod".into());
        let text = c.render();
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["current"], "prod");
        assert_eq!(v["unknown_top"], 42);
        assert_eq!(v["profiles"][1]["mode"], "External");
        let before: serde_json::Value = serde_json::from_str(THEIRS).expect("json");
        assert_eq!(v["profiles"][0], before["profiles"][0]);
        assert!(text.contains("\"some_future_field\": {\"nested\": [1, 2, 3]}"));
        let again = CliConfig::parse(&text).expect("parse");
        assert_eq!(again.render(), text, "stable");
    }

    #[test]
    fn an_empty_file_gets_current_and_profiles() {
        let mut c = CliConfig::empty();
        c.put(&External {
            name: "dev",
            mode: "External",
            process_command: "x",
            region_id: "cn-hangzhou",
        });
        let v: serde_json::Value = serde_json::from_str(&c.render()).expect("json");
        assert_eq!(v["current"], "");
        assert_eq!(v["profiles"][0]["name"], "dev");
        c.remove("dev");
        let v: serde_json::Value = serde_json::from_str(&c.render()).expect("json");
        assert_eq!(v["profiles"], serde_json::json!([]));
    }

    #[test]
    fn malformed_files_are_refused() {
        for bad in ["", "[]", "{", r#"{"profiles": 3}"#, r#"{"profiles": [3]}"#] {
            assert!(CliConfig::parse(bad).is_err(), "{bad:?}");
        }
    }
}
