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

use super::LinkError;
use super::cli_config::{CliConfig, External};
use crate::paths::{Paths, write_atomic};
use crate::profile::ProfileName;
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

fn read_config(path: &Path) -> Result<(CliConfig, bool), LinkError> {
    match std::fs::read_to_string(path) {
        Ok(t) => CliConfig::parse(&t)
            .map(|c| (c, true))
            .map_err(|reason| LinkError::Malformed {
                path: path.to_owned(),
                reason,
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((CliConfig::empty(), false)),
        Err(e) => Err(LinkError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// Backup of the previous version beside it, then the new text atomically.
fn write_config(path: &Path, cfg: &CliConfig, existed: bool) -> Result<Option<PathBuf>, LinkError> {
    let err = |e: std::io::Error| LinkError::Write {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let backup = existed.then(|| backup_path(path));
    if let Some(b) = &backup {
        let old = std::fs::read(path).map_err(err)?;
        write_atomic(b, &old).map_err(err)?;
    }
    write_atomic(path, cfg.render().as_bytes()).map_err(err)?;
    Ok(backup)
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
}

#[derive(Debug, Serialize)]
pub struct LinkReport {
    pub config_file: PathBuf,
    pub linked: Vec<String>,
    pub current: Option<String>,
    pub backup: Option<PathBuf>,
}

/// Write (or update) External profiles for `req.names` (and `--current`).
/// Every check runs before anything is written.
pub fn link(app: &Alicred, req: &LinkRequest) -> Result<LinkReport, LinkError> {
    let profiles = app.profiles().map_err(service_err)?;
    let mut names: Vec<ProfileName> = if req.all {
        profiles.profiles.keys().cloned().collect()
    } else {
        req.names.clone()
    };
    if let Some(c) = &req.current
        && !names.contains(c)
    {
        names.push(c.clone());
    }
    if names.is_empty() {
        return Err(LinkError::NothingToLink);
    }
    for n in &names {
        if !profiles.profiles.contains_key(n) {
            return Err(LinkError::NoSuchProfile(n.clone()));
        }
    }
    let path = &req.config_file;
    let (mut cfg, existed) = read_config(path)?;
    let mut state = load_state(app.paths())?;
    let idx = state.aliyun_cli.iter().position(|r| &r.config_file == path);
    let mut rec = idx
        .map(|i| state.aliyun_cli[i].clone())
        .unwrap_or_else(|| LinkRecord {
            config_file: path.clone(),
            ..LinkRecord::default()
        });
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
    let backup = match write_config(path, &cfg, existed) {
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
    let (mut cfg, existed) = read_config(config_file)?;
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
    if existed && !report.removed.is_empty() {
        report.backup = write_config(config_file, &cfg, true)?;
    }
    if rec.profiles.is_empty() {
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
        };
        link(app, &req)?;
        changed.push(rec.config_file);
    }
    Ok(changed)
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
