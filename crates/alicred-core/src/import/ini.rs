//! The SDKs' credentials file (docs/protocols.md, "Files and variables of the SDKs"): `ALIBABA_CLOUD_CREDENTIALS_FILE`,
//! else `~/.alibabacloud/credentials.ini` (Python, Java) or
//! `~/.alibabacloud/credentials` (Go).

use super::{ImportError, ImportPlan, Planned, Skipped, clean_name, read};
use crate::profile::ProfileInput;
use crate::sensitive::Sensitive;
use crate::store::secrets::StoredKey;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file the SDKs would read, if any exists.
pub fn default_path() -> Option<PathBuf> {
    if let Some(f) = std::env::var_os("ALIBABA_CLOUD_CREDENTIALS_FILE").filter(|f| !f.is_empty()) {
        return Some(PathBuf::from(f));
    }
    let dir = dirs::home_dir()?.join(".alibabacloud");
    [dir.join("credentials.ini"), dir.join("credentials")]
        .into_iter()
        .find(|p| p.exists())
}

type Section = BTreeMap<String, String>;

/// A small INI reader: `[section]`, `key = value`, `;`/`#` comments, quotes
/// around values stripped. Errors name the line.
pub fn parse(text: &str) -> Result<Vec<(String, Section)>, String> {
    let mut out: Vec<(String, Section)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .ok_or(format!("line {}: section header without ']'", i + 1))?
                .trim();
            if name.is_empty() {
                return Err(format!("line {}: empty section name", i + 1));
            }
            out.push((name.to_string(), Section::new()));
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or(format!("line {}: expected key = value", i + 1))?;
        let section = out
            .last_mut()
            .ok_or(format!("line {}: key outside any [section]", i + 1))?;
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        section
            .1
            .insert(k.trim().to_ascii_lowercase(), v.to_string());
    }
    Ok(out)
}

pub fn plan(path: &Path) -> Result<ImportPlan, ImportError> {
    plan_text(path, &read(path)?)
}

/// [`plan`] for a file already read (`path` only names it in errors).
pub fn plan_text(path: &Path, text: &str) -> Result<ImportPlan, ImportError> {
    let sections = parse(text).map_err(|reason| ImportError::Malformed {
        path: path.to_owned(),
        format: "INI",
        reason,
    })?;
    let mut plan = ImportPlan::default();
    for (name, s) in sections {
        map_section(&name, &s, &mut plan);
    }
    Ok(plan)
}

fn map_section(raw_name: &str, s: &Section, plan: &mut ImportPlan) {
    let get = |k: &str| {
        s.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let name = clean_name(raw_name);
    let ty = get("type").unwrap_or_default();
    let origin = format!("credentials file section [{raw_name}] (type {ty})");
    let base = ProfileInput {
        name: name.clone(),
        description: Some(format!("imported from credentials file ({ty})")),
        region: get("region_id"),
        ..Default::default()
    };
    let key = || -> Result<StoredKey, String> {
        match (get("access_key_id"), get("access_key_secret")) {
            (Some(id), Some(secret)) => Ok(StoredKey {
                access_key_id: id,
                access_key_secret: Sensitive::new(secret),
                security_token: None,
            }),
            _ => Err("access_key_id and access_key_secret are required".into()),
        }
    };
    let mut push = |input: ProfileInput, secret: Option<StoredKey>| {
        plan.profiles.push(Planned {
            input,
            secret,
            origin: origin.clone(),
            sign_in: None,
            bearer_token: None,
        })
    };
    let planned: Result<(), String> = match ty.as_str() {
        "access_key" => key().map(|k| push(ProfileInput { r#type: "access-key".into(), ..base.clone() }, Some(k))),
        "ram_role_arn" => key().map(|k| {
            let source = clean_name(&format!("{name}-source"));
            push(ProfileInput { name: source.clone(), r#type: "access-key".into(), ..base.clone() }, Some(k));
            push(
                ProfileInput {
                    r#type: "ram-role-arn".into(),
                    source: Some(source),
                    role_arn: get("role_arn"),
                    session_name: get("role_session_name"),
                    policy: get("policy"),
                    ..base.clone()
                },
                None,
            );
        }),
        "ecs_ram_role" => {
            push(ProfileInput { r#type: "ecs-ram-role".into(), role_name: get("role_name"), ..base.clone() }, None);
            Ok(())
        }
        "oidc_role_arn" => {
            push(
                ProfileInput {
                    r#type: "oidc-role-arn".into(),
                    role_arn: get("role_arn"),
                    oidc_provider_arn: get("oidc_provider_arn"),
                    oidc_token_file: get("oidc_token_file_path").map(PathBuf::from),
                    session_name: get("role_session_name"),
                    policy: get("policy"),
                    ..base.clone()
                },
                None,
            );
            Ok(())
        }
        "rsa_key_pair" => Err("rsa_key_pair is deprecated and only worked on the Japan site; create a RAM user AccessKey instead".into()),
        "" => Err("the section has no type".into()),
        // Not the value itself: it may be a secret put in the wrong field.
        _ => Err("field type: unknown type; expected access_key, ram_role_arn, ecs_ram_role or oidc_role_arn".into()),
    };
    if let Err(reason) = planned {
        plan.skipped.push(Skipped {
            name: raw_name.to_string(),
            reason,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_in_the_wrong_field_is_named_not_echoed() {
        const SECRET: &str = "LTAI5tSecretLookingValue0123";
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials.ini");
        std::fs::write(&path, format!("[default]\ntype = {SECRET}\n")).expect("write");
        let plan = plan(&path).expect("plan");
        let reason = &plan.skipped.first().expect("skipped").reason;
        assert!(!reason.contains(SECRET), "{reason}");
        assert!(reason.contains("field type"), "{reason}");
        // A line with no `=` (e.g. a pasted secret) is named by its line only.
        std::fs::write(&path, format!("[default]\n{SECRET}\n")).expect("write");
        let msg = super::plan(&path).expect_err("malformed").to_string();
        assert!(!msg.contains(SECRET) && msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn parse_errors_name_the_line() {
        assert!(parse("[a]\nkey\n").expect_err("no =").contains("line 2"));
        assert!(parse("k = v\n").expect_err("outside").contains("line 1"));
        assert!(parse("[a\n").expect_err("header").contains("line 1"));
    }
}
