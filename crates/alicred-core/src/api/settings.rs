//! The desktop's preferences (start at login, theme), kept beside the
//! profiles file as `app-settings.json`. Before the tray agent became its own
//! process the file was `desktop.json`: it is still read when the new one is
//! absent, and removed once the new one is written.

use crate::paths::Paths;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "app-settings.json";
const OLD_FILE_NAME: &str = "desktop.json";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct Settings {
    pub autostart: bool,
    pub theme: Theme,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            autostart: false,
            theme: Theme::System,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    System,
    Light,
    Dark,
}

pub fn path(paths: &Paths) -> PathBuf {
    paths.base().join(FILE_NAME)
}

/// The saved settings (defaults when none are saved or the file is unreadable).
pub fn load(paths: &Paths) -> Settings {
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
    };
    read(&path(paths))
        .or_else(|| read(&paths.base().join(OLD_FILE_NAME)))
        .unwrap_or_default()
}

pub fn save(paths: &Paths, s: &Settings) -> Result<(), String> {
    let path = path(paths);
    let text = serde_json::to_string_pretty(s).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        Paths::ensure_private_dir(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    crate::paths::write_atomic(&path, text.as_bytes())
        .map_err(|e| format!("cannot save {}: {e}", path.display()))?;
    let _ = std::fs::remove_file(paths.base().join(OLD_FILE_NAME));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_file_is_read_until_the_new_one_is_written() {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::new(dir.path());
        assert_eq!(load(&paths), Settings::default());
        std::fs::write(
            dir.path().join(OLD_FILE_NAME),
            r#"{"autostart":true,"theme":"dark"}"#,
        )
        .expect("write");
        let old = load(&paths);
        assert_eq!(
            old,
            Settings {
                autostart: true,
                theme: Theme::Dark
            }
        );
        let new = Settings {
            theme: Theme::Light,
            ..old
        };
        save(&paths, &new).expect("save");
        assert_eq!(load(&paths), new);
        assert!(!dir.path().join(OLD_FILE_NAME).exists());
    }
}
