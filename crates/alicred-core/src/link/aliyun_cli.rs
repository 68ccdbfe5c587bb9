//! `alicred link aliyun-cli`: External profiles in the aliyun CLI's
//! `config.json` whose `process_command` is `alicred export NAME --format
//! aliyun-external`. The SDKs' default chains read that file (the profile
//! named by `ALIBABA_CLOUD_PROFILE`, else `current`) before anything else, so
//! they pick alicred up with no variables at all.
//!
//! What alicred wrote is remembered in its own `links.json` (the CLI drops
//! unknown fields when it rewrites its file, so a marker there would not
//! last); `unlink` removes exactly those profiles, and only while they still
//! run alicred's command.
//!
//! The SDKs write the command's output back into the profile: every pass of
//! [`strip_write_back`] (the running agent on each change of the file,
//! `alicred export` when it runs) takes it out again (docs/link-aliyun-cli.md).

use super::LinkError;
use super::cli_config::{CliConfig, External};
use super::files;
use super::write_back::{self, Linked};
use crate::paths::{Paths, write_atomic};
use crate::profile::{ProfileName, ProfileType};
use crate::service::Alicred;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE_ENV: &str = "ALIBABA_CLOUD_CONFIG_FILE";
/// Region written into linked profiles without one (the CLI's own default).
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// `$ALIBABA_CLOUD_CONFIG_FILE`, else `~/.aliyun/config.json`.
pub fn config_path() -> Result<PathBuf, LinkError> {
    if let Some(p) = std::env::var_os(CONFIG_FILE_ENV).filter(|p| !p.is_empty()) {
        return Ok(absolute(PathBuf::from(p)));
    }
    crate::import::aliyun_cli::default_path().ok_or(LinkError::NoConfigPath)
}

fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

/// The command the CLI and the SDKs run. Refused for a path with white
/// space: older SDKs split it on spaces, not as a shell would.
pub fn process_command(program: &Path, name: &ProfileName) -> Result<String, LinkError> {
    let text = program.to_string_lossy();
    if text.chars().any(char::is_whitespace) || !program.is_absolute() {
        return Err(LinkError::SpaceInPath(program.to_owned()));
    }
    Ok(format!("{text} export {name} --format aliyun-external"))
}

/// One config file alicred wrote into.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub config_file: PathBuf,
    pub program: PathBuf,
    /// Profile name → the `process_command` alicred wrote.
    pub profiles: BTreeMap<String, String>,
    /// `alicred use` moves `current` (linked with `--current`).
    pub follow_active: bool,
    /// `current` before alicred first moved it, put back by `unlink`.
    pub previous_current: Option<String>,
    /// `config_file` was this symlink (as `readlink` gives it) when linked:
    /// the SDKs' `os.replace` turns it into a plain file, and the strip puts
    /// the link back (the text goes to its target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symlink_target: Option<PathBuf>,
    /// Linked with `--allow-long-term-key`: `alicred use` may move `current`
    /// to an access-key or kms-secret profile.
    #[serde(default)]
    pub allow_long_term_key: bool,
}

impl LinkRecord {
    fn linked(&self) -> Vec<Linked<'_>> {
        self.profiles
            .iter()
            .map(|(name, command)| Linked { name, command })
            .collect()
    }
}

/// Types whose credentials are a long-term AccessKey. Linked, the SDKs write
/// that secret into config.json on every refresh, where it lies until the
/// next strip (about a second with the agent running, until the next
/// `alicred export` without it), so linking one takes `--allow-long-term-key`.
pub fn hands_out_long_term_key(t: ProfileType) -> bool {
    matches!(t, ProfileType::AccessKey | ProfileType::KmsSecret)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct LinkState {
    #[serde(default)]
    aliyun_cli: Vec<LinkRecord>,
}

fn state_file(paths: &Paths) -> PathBuf {
    paths.base().join("links.json")
}

fn load_state(paths: &Paths) -> Result<LinkState, LinkError> {
    let path = state_file(paths);
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| LinkError::Malformed {
            path,
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LinkState::default()),
        Err(e) => Err(LinkError::Read {
            path,
            reason: e.to_string(),
        }),
    }
}

fn save_state(paths: &Paths, s: &LinkState) -> Result<(), LinkError> {
    let path = state_file(paths);
    let text = serde_json::to_vec_pretty(s).unwrap_or_default();
    write_atomic(&path, &text).map_err(|e| LinkError::Write {
        path,
        reason: e.to_string(),
    })
}

/// The records alicred keeps (for `alicred link aliyun-cli --list` and tests).
pub fn records(paths: &Paths) -> Result<Vec<LinkRecord>, LinkError> {
    Ok(load_state(paths)?.aliyun_cli)
}

/// The parsed file and its text (`None`: there is no file yet).
fn read_config(path: &Path) -> Result<(CliConfig, Option<String>), LinkError> {
    match std::fs::read_to_string(path) {
        Ok(t) => CliConfig::parse(&t)
            .map(|c| (c, Some(t)))
            .map_err(|reason| LinkError::Malformed {
                path: path.to_owned(),
                reason,
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((CliConfig::empty(), None)),
        Err(e) => Err(LinkError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// Write `cfg` into `rec`'s file (through its symlink), keeping the
/// previous version, without any secret, beside it (0600).
fn write_config(
    rec: &LinkRecord,
    cfg: &CliConfig,
    old: Option<&str>,
) -> Result<Option<PathBuf>, LinkError> {
    let path = &rec.config_file;
    let err = |e: std::io::Error| LinkError::Write {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let backup = match old {
        Some(text) => {
            let clean = write_back::for_backup(text, &rec.linked()).map_err(|reason| {
                LinkError::Malformed {
                    path: path.to_owned(),
                    reason,
                }
            })?;
            let b = backup_path(path);
            files::write_atomic_at(&b, clean.as_bytes(), Some(0o600)).map_err(err)?;
            Some(b)
        }
        None => None,
    };
    // 0600: the SDKs write credentials into this file.
    write_file(rec, cfg.render().as_bytes(), Some(0o600)).map_err(err)?;
    Ok(backup)
}

/// The text goes through the symlink alicred found there; if the SDKs
/// replaced that link by a plain file, the text goes to the link's target
/// and the link is put back.
fn write_file(rec: &LinkRecord, text: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let named = &rec.config_file;
    #[cfg(unix)]
    if let Some(target) = &rec.symlink_target
        && !is_symlink(named)
    {
        let real = match named.parent() {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target.clone(),
        };
        files::write_atomic_at(&files::real_path(&real)?, text, mode)?;
        return files::relink(named, target);
    }
    files::write_atomic_at(&files::real_path(named)?, text, mode)
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".alicred-backup");
    PathBuf::from(s)
}

/// Is the profile in their file alicred's to change?
fn is_ours(cfg: &CliConfig, rec: Option<&LinkRecord>, name: &str, command: &str) -> bool {
    let Some(p) = cfg.get(name) else {
        return true;
    };
    let recorded = rec.and_then(|r| r.profiles.get(name));
    p.head.mode == "External"
        && (p.head.process_command == command
            || recorded.is_some_and(|c| *c == p.head.process_command))
}

pub struct LinkRequest {
    pub names: Vec<ProfileName>,
    pub all: bool,
    pub current: Option<ProfileName>,
    /// The absolute path of the `alicred` binary.
    pub program: PathBuf,
    pub config_file: PathBuf,
    /// Link access-key and kms-secret profiles too (see [`hands_out_long_term_key`]).
    pub allow_long_term_key: bool,
}

#[derive(Debug, Serialize)]
pub struct LinkReport {
    pub config_file: PathBuf,
    pub linked: Vec<String>,
    /// Left out of `--all`: long-term keys, without `--allow-long-term-key`.
    pub skipped_long_term: Vec<String>,
    /// The file's directory lets other users in. alicred leaves its mode
    /// alone (not its directory), but the SDKs' temp files there are
    /// readable for a moment before they chmod them: worth a warning.
    pub open_directory: Option<PathBuf>,
    pub current: Option<String>,
    pub backup: Option<PathBuf>,
}

/// Write (or update) External profiles for `req.names` (and `--current`).
/// Every check runs before anything is written.
pub fn link(app: &Alicred, req: &LinkRequest) -> Result<LinkReport, LinkError> {
    let profiles = app.profiles().map_err(service_err)?;
    let long_term = |n: &ProfileName| {
        !req.allow_long_term_key
            && profiles
                .profiles
                .get(n)
                .is_some_and(|p| hands_out_long_term_key(p.profile_type()))
    };
    let mut skipped_long_term = Vec::new();
    let mut names: Vec<ProfileName> = if req.all {
        let (skip, keep) = profiles
            .profiles
            .keys()
            .cloned()
            .partition(|n| long_term(n));
        skipped_long_term = skip;
        keep
    } else {
        req.names.clone()
    };
    if let Some(c) = &req.current
        && !names.contains(c)
    {
        names.push(c.clone());
    }
    if names.is_empty() {
        return Err(match skipped_long_term.first() {
            Some(n) => long_term_error(n, &profiles),
            None => LinkError::NothingToLink,
        });
    }
    for n in &names {
        if !profiles.profiles.contains_key(n) {
            return Err(LinkError::NoSuchProfile(n.clone()));
        }
        if long_term(n) {
            return Err(long_term_error(n, &profiles));
        }
    }
    let path = &req.config_file;
    let mut state = load_state(app.paths())?;
    let idx = state.aliyun_cli.iter().position(|r| &r.config_file == path);
    if let Some(i) = idx {
        // The SDKs' last write-back goes first, so neither the backup nor
        // the rewritten file can carry it.
        strip_record(&state.aliyun_cli[i])?;
    }
    let _lock = files::lock(path).map_err(|e| LinkError::Write {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let (mut cfg, old) = read_config(path)?;
    let mut rec = idx
        .map(|i| state.aliyun_cli[i].clone())
        .unwrap_or_else(|| LinkRecord {
            config_file: path.clone(),
            ..LinkRecord::default()
        });
    rec.symlink_target = std::fs::read_link(path).ok();
    rec.allow_long_term_key |= req.allow_long_term_key;
    let mut linked = Vec::new();
    for n in &names {
        let command = process_command(&req.program, n)?;
        if !is_ours(&cfg, Some(&rec), n.as_str(), &command) {
            return Err(LinkError::NotOurs {
                name: n.to_string(),
                path: path.clone(),
            });
        }
        let region = profiles
            .profiles
            .get(n)
            .and_then(|p| p.region.clone())
            .unwrap_or_else(|| DEFAULT_REGION.into());
        cfg.put(&External {
            name: n.as_str(),
            mode: "External",
            process_command: &command,
            region_id: &region,
        });
        rec.profiles.insert(n.to_string(), command);
        linked.push(n.to_string());
    }
    rec.program = req.program.clone();
    if let Some(c) = &req.current {
        if !rec.follow_active {
            rec.previous_current = cfg.current.clone().filter(|c| !c.is_empty());
        }
        rec.follow_active = true;
        cfg.current = Some(c.to_string());
    }
    let old_state = state.aliyun_cli.clone();
    match idx {
        Some(i) => state.aliyun_cli[i] = rec,
        None => state.aliyun_cli.push(rec),
    }
    // Remember first: a profile written but not remembered could never be unlinked.
    save_state(app.paths(), &state)?;
    let rec = &state.aliyun_cli[idx.unwrap_or(state.aliyun_cli.len() - 1)];
    let backup = match write_config(rec, &cfg, old.as_deref()) {
        Ok(b) => b,
        Err(e) => {
            state.aliyun_cli = old_state;
            let _ = save_state(app.paths(), &state);
            return Err(e);
        }
    };
    Ok(LinkReport {
        config_file: path.clone(),
        linked,
        skipped_long_term: skipped_long_term.iter().map(ToString::to_string).collect(),
        open_directory: open_directory(path),
        current: req.current.as_ref().map(ToString::to_string),
        backup,
    })
}

#[derive(Debug, Default, Serialize)]
pub struct UnlinkReport {
    pub config_file: PathBuf,
    pub removed: Vec<String>,
    /// Linked once, but changed in their file since: left alone.
    pub kept_changed: Vec<String>,
    pub current: Option<String>,
    pub backup: Option<PathBuf>,
}

/// Remove what alicred wrote into `config_file` (`names` empty: all of it).
pub fn unlink(
    app: &Alicred,
    config_file: &Path,
    names: &[ProfileName],
) -> Result<UnlinkReport, LinkError> {
    let mut state = load_state(app.paths())?;
    let mut report = UnlinkReport {
        config_file: config_file.to_owned(),
        ..UnlinkReport::default()
    };
    let Some(idx) = state
        .aliyun_cli
        .iter()
        .position(|r| r.config_file == config_file)
    else {
        if let Some(n) = names.first() {
            return Err(LinkError::NotLinked {
                name: n.to_string(),
                path: config_file.to_owned(),
            });
        }
        return Ok(report);
    };
    let mut rec = state.aliyun_cli[idx].clone();
    let wanted: Vec<String> = if names.is_empty() {
        rec.profiles.keys().cloned().collect()
    } else {
        names.iter().map(ToString::to_string).collect()
    };
    for n in &wanted {
        if !rec.profiles.contains_key(n) {
            return Err(LinkError::NotLinked {
                name: n.clone(),
                path: config_file.to_owned(),
            });
        }
    }
    strip_record(&rec)?;
    let _lock = files::lock(config_file).map_err(|e| LinkError::Write {
        path: config_file.to_owned(),
        reason: e.to_string(),
    })?;
    let (mut cfg, old) = read_config(config_file)?;
    let before = rec.clone();
    for n in &wanted {
        let command = rec.profiles.remove(n).unwrap_or_default();
        match cfg.get(n) {
            Some(p) if p.head.mode == "External" && p.head.process_command == command => {
                cfg.remove(n);
                report.removed.push(n.clone());
            }
            Some(_) => report.kept_changed.push(n.clone()),
            None => {}
        }
    }
    let current_gone = cfg
        .current
        .as_ref()
        .is_some_and(|c| report.removed.contains(c));
    if current_gone {
        let back = rec
            .previous_current
            .clone()
            .filter(|p| cfg.get(p).is_some())
            .or_else(|| cfg.profiles.first().map(|p| p.head.name.clone()));
        cfg.current = back.clone();
        report.current = back;
    }
    let last = rec.profiles.is_empty();
    if old.is_some() && !report.removed.is_empty() {
        // Nothing of alicred's is left to undo: no backup is kept.
        let keep = (!last).then_some(old.as_deref()).flatten();
        report.backup = write_config(&before, &cfg, keep)?;
    }
    if last {
        remove_backup(config_file)?;
        state.aliyun_cli.remove(idx);
    } else {
        state.aliyun_cli[idx] = rec;
    }
    save_state(app.paths(), &state)?;
    Ok(report)
}

/// After `alicred use NAME`: in every config file linked with `--current`,
/// make NAME current (linking it first if it is not yet). Returns the files
/// changed.
pub fn follow_use(app: &Alicred, name: &ProfileName) -> Result<Vec<PathBuf>, LinkError> {
    let mut changed = Vec::new();
    for rec in load_state(app.paths())?.aliyun_cli {
        if !rec.follow_active {
            continue;
        }
        let req = LinkRequest {
            names: vec![name.clone()],
            all: false,
            current: Some(name.clone()),
            program: rec.program.clone(),
            config_file: rec.config_file.clone(),
            allow_long_term_key: rec.allow_long_term_key,
        };
        link(app, &req)?;
        changed.push(rec.config_file);
    }
    Ok(changed)
}

fn long_term_error(n: &ProfileName, profiles: &crate::store::config::ProfilesFile) -> LinkError {
    let kind = profiles
        .profiles
        .get(n)
        .map(|p| p.profile_type().as_str())
        .unwrap_or("access-key");
    LinkError::LongTermKey {
        name: n.to_string(),
        kind,
    }
}

#[cfg(unix)]
fn open_directory(path: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dir = files::real_path(path).ok()?.parent()?.to_path_buf();
    let mode = std::fs::metadata(&dir).ok()?.permissions().mode();
    (mode & 0o077 != 0).then_some(dir)
}

#[cfg(not(unix))]
fn open_directory(_: &Path) -> Option<PathBuf> {
    None
}

fn remove_backup(config_file: &Path) -> Result<(), LinkError> {
    let b = backup_path(config_file);
    match std::fs::remove_file(&b) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(LinkError::Write {
            path: b,
            reason: e.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Take what the SDKs wrote back out of every linked profile of every file
/// alicred linked into, out of their backups, and out of temp files an SDK
/// left behind. Every file is tried; the first error is returned after.
/// Returns the files that held a write-back.
pub fn strip_write_back(paths: &Paths) -> Result<Vec<PathBuf>, LinkError> {
    let mut changed = Vec::new();
    let mut first_err = None;
    for rec in load_state(paths)?.aliyun_cli {
        match strip_record(&rec) {
            Ok(true) => changed.push(rec.config_file),
            Ok(false) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    first_err.map_or(Ok(changed), Err)
}

/// One file: under the lock the SDK takes for its own write-back, so the
/// two never interleave.
fn strip_record(rec: &LinkRecord) -> Result<bool, LinkError> {
    let path = &rec.config_file;
    let write_err = |e: std::io::Error| LinkError::Write {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let malformed = |path: &Path| {
        let path = path.to_owned();
        move |reason| LinkError::Malformed { path, reason }
    };
    let linked = rec.linked();
    let _lock = files::lock(path).map_err(write_err)?;
    let changed = match std::fs::read_to_string(path) {
        Ok(text) => match write_back::strip(&text, &linked).map_err(malformed(path))? {
            Some(clean) => {
                write_file(rec, clean.as_bytes(), None).map_err(write_err)?;
                true
            }
            None => false,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(LinkError::Read {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    let backup = backup_path(path);
    if let Ok(text) = std::fs::read_to_string(&backup) {
        let clean = write_back::for_backup(&text, &linked).map_err(malformed(&backup))?;
        if clean != text {
            files::write_atomic_at(&backup, clean.as_bytes(), Some(0o600)).map_err(write_err)?;
        }
    }
    remove_abandoned_temps(path, &linked);
    Ok(changed)
}

/// How old an SDK's `config.json.tmp-<microseconds>` must be to count as
/// abandoned (its writer died between writing and renaming it): a live
/// writer renames it within milliseconds.
const ABANDONED_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(5);

fn remove_abandoned_temps(path: &Path, linked: &[Linked<'_>]) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!("{}.tmp-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        let Some(stamp) = n.strip_prefix(&prefix) else {
            continue;
        };
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= ABANDONED_TEMP_AGE);
        let holds_ours = || {
            std::fs::read_to_string(e.path())
                .ok()
                .and_then(|t| write_back::strip(&t, linked).ok().flatten())
                .is_some()
        };
        if !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit()) && old && holds_ours() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn service_err(e: crate::service::ServiceError) -> LinkError {
    match e {
        crate::service::ServiceError::Config(c) => LinkError::Config(c),
        other => LinkError::Read {
            path: PathBuf::from("profiles.toml"),
            reason: other.to_string(),
        },
    }
}
