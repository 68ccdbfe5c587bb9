//! The SDKs' environment-variable conventions (docs/protocols.md, "Credentials URI" and "Files and variables…"), in one
//! place: what the `environment` profile reads, what `--from-env` reads, and
//! what `alicred exec`/`env` set for a tool.

use crate::credentials::Credentials;
use crate::sensitive::Sensitive;

/// `[id, secret, token]` per family, in the order the SDKs prefer them.
pub const FAMILIES: [[&str; 3]; 2] = [
    [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ],
    [
        "OSS_ACCESS_KEY_ID",
        "OSS_ACCESS_KEY_SECRET",
        "OSS_SESSION_TOKEN",
    ],
];

pub const CREDENTIALS_URI: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

/// Variables a tool may have inherited that would win over what alicred
/// sets (the SDKs read static keys first): cleared before setting ours.
pub const INHERITED: [&str; 9] = [
    FAMILIES[0][0],
    FAMILIES[0][1],
    FAMILIES[0][2],
    FAMILIES[1][0],
    FAMILIES[1][1],
    FAMILIES[1][2],
    CREDENTIALS_URI,
    "ALIBABA_CLOUD_PROFILE",
    "ALIBABA_CLOUD_ROLE_ARN",
];

/// alicred's own secret-store settings: `ALICRED_KEYRING` (backend),
/// `ALICRED_KEYRING_PASSPHRASE` and `ALICRED_KEYRING_PASSPHRASE_FILE`, and
/// anything else under that prefix. The passphrase opens every stored
/// secret, so no child alicred starts (an `exec` tool, an `external`
/// command) ever gets one of them; an alicred started as such a child asks
/// the running agent instead (see `server::local`).
pub const KEYRING_PREFIX: &str = "ALICRED_KEYRING";
pub const KEYRING_PASSPHRASE: &str = "ALICRED_KEYRING_PASSPHRASE";
pub const KEYRING_PASSPHRASE_FILE: &str = "ALICRED_KEYRING_PASSPHRASE_FILE";

/// Is this one of the [`KEYRING_PREFIX`] variables?
pub fn is_keyring_var(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes()
        .starts_with(KEYRING_PREFIX.as_bytes())
}

/// Remove every [`KEYRING_PREFIX`] variable this process has from what
/// `cmd` passes on. The one place every child process goes through.
pub fn scrub_child(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for (k, _) in std::env::vars_os() {
        if is_keyring_var(&k) {
            cmd.env_remove(k);
        }
    }
    // Set on the command itself (not inherited): removed too.
    let set: Vec<std::ffi::OsString> = cmd
        .get_envs()
        .filter(|(k, v)| v.is_some() && is_keyring_var(k))
        .map(|(k, _)| k.to_owned())
        .collect();
    for k in set {
        cmd.env_remove(k);
    }
    cmd
}

/// An AccessKey (and token) read from the first complete family. A family
/// counts only when complete: an ID of one with the secret of the other
/// would only fail upstream.
pub fn read_key(
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, Sensitive, Option<Sensitive>)> {
    let var = |k: &str| {
        env(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    FAMILIES.iter().find_map(|[id, secret, token]| {
        let (id, secret) = (var(id)?, var(secret)?);
        Some((id, Sensitive::new(secret), var(token).map(Sensitive::new)))
    })
}

/// The environment a tool gets for a profile: static credentials in both
/// families and, when an agent runs, the credentials URI plus the switches
/// that keep the SDKs' default chains from probing ECS metadata (a 1 s
/// timeout) or preferring `~/.aliyun/config.json`.
pub fn for_tool(creds: Option<&Credentials>, uri: Option<&str>) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(c) = creds {
        for [id, secret, token] in FAMILIES {
            v.push((id, c.access_key_id.clone()));
            v.push((secret, c.access_key_secret.expose().to_string()));
            if let Some(t) = &c.security_token {
                v.push((token, t.expose().to_string()));
            }
        }
    }
    if let Some(u) = uri {
        v.push((CREDENTIALS_URI, u.to_string()));
        v.push(("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true".into()));
        v.push(("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true".into()));
    }
    v
}

/// A value as one POSIX shell word: bare when it only holds characters no
/// shell treats specially, else single-quoted.
pub fn posix_quote(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,:/=@%+".contains(c));
    if plain {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_complete_family_counts() {
        let env = |k: &str| match k {
            "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some("half".to_string()),
            "OSS_ACCESS_KEY_ID" => Some("oss-id".to_string()),
            "OSS_ACCESS_KEY_SECRET" => Some("oss-secret".to_string()),
            _ => None,
        };
        let (id, secret, token) = read_key(&env).expect("oss family");
        assert_eq!(
            (id.as_str(), secret.expose(), token.is_none()),
            ("oss-id", "oss-secret", true)
        );
    }

    #[test]
    fn keyring_vars_never_reach_a_child() {
        let mut cmd = std::process::Command::new("env");
        cmd.env("ALICRED_KEYRING_PASSPHRASE", "p")
            .env("ALICRED_KEYRING", "encrypted-file")
            .env("ALICRED_HOME", "/h");
        scrub_child(&mut cmd);
        let passed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(passed, ["ALICRED_HOME"]);
        assert!(is_keyring_var("ALICRED_KEYRING_PASSPHRASE_FILE".as_ref()));
        assert!(!is_keyring_var("ALICRED_HOME".as_ref()));
    }

    #[test]
    fn a_tool_gets_both_families_and_the_uri_switches() {
        let c = Credentials::long_term("id", Sensitive::new("s"), chrono::Utc::now());
        let names: Vec<_> = for_tool(Some(&c), Some("http://127.0.0.1:1/t"))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert!(
            names.contains(&"OSS_ACCESS_KEY_SECRET")
                && names.contains(&"ALIBABA_CLOUD_ECS_METADATA_DISABLED")
        );
        assert!(
            !names.contains(&"OSS_SESSION_TOKEN"),
            "no token for a long-term key"
        );
    }
}
