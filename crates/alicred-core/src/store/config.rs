//! The profiles file: TOML, versioned, written atomically, never overwritten
//! when it cannot be parsed.

use crate::paths::{Paths, write_atomic};
use crate::profile::{Profile, ProfileName};
use crate::store::lock::FileLock;
use crate::store::redact::value_free;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const SCHEMA_VERSION: u32 = 1;
pub const DEFAULT_LISTEN: &str = "127.0.0.1:47911";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "profiles file {path} is invalid at line {line}, column {column}: {reason}; fix it or move it away (alicred will not overwrite it)"
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error(
        "profiles file {path} has schema version {found}, newer than this alicred understands ({SCHEMA_VERSION}); upgrade alicred"
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("profile {0} does not exist; see `alicred profile list`")]
    NoSuchProfile(ProfileName),
}

/// Which secret store to use (README, "Profiles and the keyring").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyringBackend {
    /// The desktop keyring over D-Bus (GNOME Keyring, KWallet).
    SecretService,
    /// Linux kernel keyutils: session-only, for headless machines.
    Keyutils,
    /// A file encrypted with a passphrase (`ALICRED_KEYRING_PASSPHRASE`).
    EncryptedFile,
    /// In memory, gone when the process exits: tests and throwaway demos.
    Memory,
}

impl std::str::FromStr for KeyringBackend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "secret-service" => Ok(Self::SecretService),
            "keyutils" => Ok(Self::Keyutils),
            "encrypted-file" | "file" => Ok(Self::EncryptedFile),
            "memory" => Ok(Self::Memory),
            _ => Err(format!(
                "unknown keyring backend {s:?}; use secret-service, keyutils, encrypted-file or memory"
            )),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Address the agent's endpoint listens on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring: Option<KeyringBackend>,
    /// Start the desktop app at login.
    #[serde(default)]
    pub autostart: bool,
    /// Where `alicred console` asks for sign-in tokens (tests, the demo's
    /// emulator); default: the site's `…/federation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federation_endpoint: Option<url::Url>,
    /// Profiles the agent's socket serves to alicred run as a child, besides
    /// linked ones (`server::local::exposure`, docs/security.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_socket_profiles: Vec<ProfileName>,
}

impl Settings {
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("constant address parses"))
    }
}

/// The whole file. Profiles are kept sorted by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfilesFile {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<ProfileName>,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default, rename = "profile", with = "profile_list")]
    pub profiles: BTreeMap<ProfileName, Profile>,
}

impl Default for ProfilesFile {
    fn default() -> Self {
        Self {
            version: SCHEMA_VERSION,
            active: None,
            settings: Settings::default(),
            profiles: BTreeMap::new(),
        }
    }
}

impl ProfilesFile {
    pub fn get(&self, name: &ProfileName) -> Result<&Profile, ConfigError> {
        self.profiles
            .get(name)
            .ok_or_else(|| ConfigError::NoSuchProfile(name.clone()))
    }

    /// Profiles whose source chain passes through `name`.
    pub fn dependents_of(&self, name: &ProfileName) -> Vec<ProfileName> {
        let mut out = Vec::new();
        for p in self.profiles.values() {
            let mut cur = p.source();
            let mut depth = 0;
            while let Some(s) = cur {
                if s == name {
                    out.push(p.name.clone());
                    break;
                }
                depth += 1;
                if depth > 32 {
                    break;
                }
                cur = self.profiles.get(s).and_then(Profile::source);
            }
        }
        out
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: Option<u32>,
        }
        // Check the version first so a newer file is "upgrade", not "corrupt".
        if let Ok(VersionOnly { version: Some(v) }) = toml::from_str::<VersionOnly>(text)
            && v > SCHEMA_VERSION
        {
            return Err(ConfigError::TooNew {
                path: path.to_owned(),
                found: v,
            });
        }
        toml::from_str(text).map_err(|e| {
            let (mut line, mut column) =
                e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            // Never the value: a secret pasted into the wrong field would
            // otherwise be echoed (toml's Display even quotes the line).
            let mut reason = value_free(e.message());
            if let Some(key) = e.span().and_then(|s| key_before(text, s.start)) {
                reason = format!("field {key}: {reason}");
            }
            if let Some((l, c, r)) = locate_profile_error(text) {
                (line, column, reason) = (l, c, r);
            }
            ConfigError::Corrupt {
                path: path.to_owned(),
                line,
                column,
                reason,
            }
        })
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# serialization failed: {e}\n"));
        format!("# alicred profiles. No secrets here: they live in the OS keyring.\n{body}")
    }
}

/// Profiles are read through a tagged enum, which loses serde's position
/// information; find the failing profile and field again so the user is
/// pointed at the exact line.
fn locate_profile_error(text: &str) -> Option<(usize, usize, String)> {
    let table: toml::Table = text.parse().ok()?;
    let list = table.get("profile")?.as_array()?;
    for (index, item) in list.iter().enumerate() {
        let t = item.as_table()?;
        let Err(err) = item.clone().try_into::<Profile>() else {
            continue;
        };
        let msg = err.message().trim().to_string();
        let shown = value_free(&msg);
        let header = text
            .match_indices("[[profile]]")
            .nth(index)
            .map_or(0, |(o, _)| o);
        // The name only when it is a valid one: an invalid name is a value of
        // the file like any other, and is not echoed (store/redact.rs).
        let name = t
            .get("name")
            .and_then(|v| v.as_str())
            .filter(|n| n.parse::<crate::profile::ProfileName>().is_ok())
            .map_or_else(|| format!("#{}", index + 1), str::to_string);
        // The culprit is the key whose removal changes the error.
        let culprit = t
            .keys()
            .filter(|k| !matches!(k.as_str(), "name" | "type"))
            .find(|k| {
                let mut without = t.clone();
                without.remove(k.as_str());
                match toml::Value::Table(without).try_into::<Profile>() {
                    Ok(_) => true,
                    Err(e) => e.message().trim() != msg,
                }
            });
        let mut pos = line_col(text, header);
        if let Some(k) = &culprit {
            // Byte offsets from the text itself: `lines()` hides whether a
            // line ended in "\n" or "\r\n", and guessing one byte per end
            // drifts into the middle of a multi-byte character on CRLF files.
            let mut offset = header;
            for l in text[header..].split_inclusive('\n') {
                let trimmed = l.trim_start();
                if trimmed.starts_with(k.as_str())
                    && trimmed[k.len()..].trim_start().starts_with('=')
                {
                    pos = line_col(text, offset + (l.len() - trimmed.len()));
                    break;
                }
                offset += l.len();
            }
        }
        let field = culprit.map(|k| format!(" field {k}")).unwrap_or_default();
        return Some((pos.0, pos.1, format!("profile {name}{field}: {shown}")));
    }
    None
}

/// The bare key of a `key = value` line when `offset` is in its value.
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let key = line.split_once('=')?.0.trim();
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    bare.then_some(key)
}

/// 1-based line and column (in characters) of a byte offset; an offset
/// inside a character counts as that character.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

mod profile_list {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<ProfileName, Profile>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.values())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<ProfileName, Profile>, D::Error> {
        let list = Vec::<Profile>::deserialize(d)?;
        let mut m = BTreeMap::new();
        for p in list {
            if m.contains_key(&p.name) {
                return Err(serde::de::Error::custom(format!(
                    "profile {} is defined twice",
                    p.name
                )));
            }
            m.insert(p.name.clone(), p);
        }
        Ok(m)
    }
}

/// Reads and updates the profiles file under a lock shared by every alicred process.
#[derive(Clone, Debug)]
pub struct ConfigStore {
    paths: Paths,
}

impl ConfigStore {
    pub fn new(paths: Paths) -> Self {
        Self { paths }
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The current file; an absent file is an empty one.
    pub fn load(&self) -> Result<ProfilesFile, ConfigError> {
        let path = self.paths.profiles_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => ProfilesFile::parse(&path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProfilesFile::default()),
            Err(source) => Err(ConfigError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Read-modify-write under the lock. Nothing is written when `f` fails,
    /// and a file that does not parse is never touched.
    pub fn update<T, E>(&self, f: impl FnOnce(&mut ProfilesFile) -> Result<T, E>) -> Result<T, E>
    where
        E: From<ConfigError>,
    {
        let _lock = FileLock::exclusive(&self.paths.lock_dir(), "profiles").map_err(|source| {
            ConfigError::Io {
                action: "lock",
                path: self.paths.lock_dir(),
                source,
            }
        })?;
        let mut file = self.load()?;
        let before = file.clone();
        let out = f(&mut file)?;
        if file != before {
            self.save_locked(&file)?;
        }
        Ok(out)
    }

    fn save_locked(&self, file: &ProfilesFile) -> Result<(), ConfigError> {
        let path = self.paths.profiles_file();
        Paths::ensure_private_dir(self.paths.base()).map_err(|source| ConfigError::Io {
            action: "create",
            path: self.paths.base().to_owned(),
            source,
        })?;
        write_atomic(&path, file.to_toml().as_bytes()).map_err(|source| ConfigError::Io {
            action: "write",
            path,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{AccessKeyProfile, ProfileKind, RamRoleArnProfile};

    /// A file written before outside text was cleaned (a portal's names with
    /// terminal escapes and a bidi override): read, every shell sees clean text.
    #[test]
    fn outside_text_in_an_older_file_is_read_printable() {
        let text = r#"version = 1
[[profile]]
name = "corp-Prod-Admin"
type = "cloud-sso"
sso_session = "corp"
sign_in_url = "http://127.0.0.1:9/d-corp/login"
account_id = "1234567890123456"
account_name = "Prod\u001b]0;owned\u0007\u001b[2J"
access_config = "ac-1"
access_config_name = "Ad\u202emin"
description = "line one\nline two\u009b31m"
"#;
        let f = ProfilesFile::parse(Path::new("profiles.toml"), text).expect("parses");
        let p = f
            .get(&"corp-Prod-Admin".parse().expect("name"))
            .expect("profile");
        let ProfileKind::CloudSso(sso) = &p.kind else {
            panic!("{:?}", p.kind)
        };
        assert_eq!(sso.account_name.as_deref(), Some("Prod]0;owned[2J"));
        assert_eq!(sso.access_config_name.as_deref(), Some("Admin"));
        assert_eq!(p.description.as_deref(), Some("line one line two31m"));
    }

    fn sample() -> ProfilesFile {
        let mut f = ProfilesFile::default();
        let base: ProfileName = "base".parse().expect("name");
        f.profiles.insert(
            base.clone(),
            Profile::new(
                base.clone(),
                ProfileKind::AccessKey(AccessKeyProfile {
                    max_key_age_days: Some(30),
                    user_name: None,
                    endpoints: Default::default(),
                }),
            ),
        );
        let role: ProfileName = "role".parse().expect("name");
        f.profiles.insert(
            role.clone(),
            Profile::new(
                role,
                ProfileKind::RamRoleArn(RamRoleArnProfile {
                    source: base,
                    role_arn: "acs:ram::1234567890123456:role/admin".into(),
                    session_name: "alice".into(),
                    duration_seconds: 3600,
                    policy: Some("{\"Version\":\"1\"}".into()),
                    external_id: None,
                    endpoints: Default::default(),
                }),
            ),
        );
        f.active = Some("role".parse().expect("name"));
        f
    }

    #[test]
    fn round_trips() {
        let f = sample();
        let text = f.to_toml();
        let back = ProfilesFile::parse(Path::new("p.toml"), &text).expect("parses");
        assert_eq!(back, f);
        assert!(text.contains("type = \"ram-role-arn\""), "{text}");
    }

    #[test]
    fn corrupt_file_reports_line_and_column() {
        let err = ProfilesFile::parse(
            Path::new("p.toml"),
            "version = 1\n[[profile]]\nname = \"x\"\ntype = \"nope\"\n",
        )
        .expect_err("bad type");
        let msg = err.to_string();
        assert!(msg.contains("line 2") || msg.contains("line 4"), "{msg}");
        assert!(msg.contains("will not overwrite"), "{msg}");
    }

    #[test]
    fn crlf_and_non_ascii_locate_the_exact_field_without_panicking() {
        // Each CRLF line end is two bytes; counting one drifted the offset
        // back into the "€" of the line above and panicked.
        let text = "version = 1\r\n[[profile]]\r\nname = \"x\"\r\ntype = \"external\"\r\ncommand = \"run\"\r\ndescription = \"café €x\"\r\ntimeout_seconds = \"soon\"\r\n";
        let err = ProfilesFile::parse(Path::new("p.toml"), text).expect_err("bad timeout");
        let ConfigError::Corrupt {
            line,
            column,
            reason,
            ..
        } = err
        else {
            panic!("not a corrupt-file error: {err}");
        };
        assert_eq!((line, column), (7, 1), "{reason}");
        assert!(reason.contains("timeout_seconds"), "{reason}");
    }

    #[test]
    fn errors_name_the_field_never_the_value() {
        const SECRET: &str = "LTAI5tSecretLookingValue0123";
        let files = [
            (
                format!(
                    "version = 1\n[[profile]]\nname = \"x\"\ntype = \"external\"\ncommand = \"run\"\ntimeout_seconds = \"{SECRET}\"\n"
                ),
                "timeout_seconds",
            ),
            (
                format!(
                    "version = 1\n[[profile]]\nname = \"x\"\ntype = \"credentials-uri\"\nuri = \"{SECRET}\"\n"
                ),
                "uri",
            ),
            (
                format!("version = 1\n[settings]\nkeyring = \"{SECRET}\"\n"),
                "keyring",
            ),
            (
                format!("version = 1\n[settings]\nautostart = \"{SECRET}\"\n"),
                "autostart",
            ),
        ];
        for (text, field) in files {
            let msg = ProfilesFile::parse(Path::new("p.toml"), &text)
                .expect_err("wrong field")
                .to_string();
            assert!(!msg.contains(SECRET), "{msg}");
            assert!(msg.contains(field) || msg.contains("line 3"), "{msg}");
        }
    }

    /// Issue 18 item 9: an invalid profile name was quoted in the error
    /// (`profile <name>: …`), and a secret pasted there was echoed.
    #[test]
    fn an_invalid_profile_name_is_not_echoed() {
        const SECRET: &str = "LTAI5tSecret/Looking+Value0123";
        for rest in [
            "type = \"access-key\"\n",
            "type = \"external\"\ncommand = 7\n",
        ] {
            let text = format!("version = 1\n[[profile]]\nname = \"{SECRET}\"\n{rest}");
            let msg = ProfilesFile::parse(Path::new("p.toml"), &text)
                .expect_err("invalid name")
                .to_string();
            assert!(!msg.contains("LTAI5t"), "{msg}");
            assert!(msg.contains("line"), "{msg}");
        }
    }

    #[test]
    fn line_col_counts_characters_and_never_splits_one() {
        let text = "é€\r\nab€c";
        assert_eq!(line_col(text, text.find('c').expect("c")), (2, 4));
        // An offset inside "€" is that character, not a panic.
        assert_eq!(line_col(text, 3), (1, 2));
    }

    #[test]
    fn newer_version_is_not_called_corrupt() {
        let err = ProfilesFile::parse(Path::new("p.toml"), "version = 99\n").expect_err("too new");
        assert!(matches!(err, ConfigError::TooNew { found: 99, .. }));
    }

    #[test]
    fn dependents_follow_chains() {
        let f = sample();
        assert_eq!(
            f.dependents_of(&"base".parse().expect("name")),
            vec!["role".parse::<ProfileName>().expect("n")]
        );
    }

    #[test]
    fn update_writes_0600_and_never_touches_a_corrupt_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ConfigStore::new(Paths::new(dir.path().join("home")));
        store
            .update(|f| {
                *f = sample();
                Ok::<_, ConfigError>(())
            })
            .expect("update");
        let path = store.paths().profiles_file();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                std::fs::metadata(store.paths().base())
                    .expect("meta")
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
        }
        std::fs::write(&path, "version = 1\n[[profile]\n").expect("write");
        let r = store.update(|f| {
            f.active = None;
            Ok::<_, ConfigError>(())
        });
        assert!(matches!(r, Err(ConfigError::Corrupt { .. })));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "version = 1\n[[profile]\n"
        );
    }
}
