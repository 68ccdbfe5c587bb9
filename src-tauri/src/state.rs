//! Everything the commands, the tray and the notifier share.

use crate::agent::Agent;
use alicred_core::service::Alicred;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Mutex;

/// Desktop-only preferences, kept beside the profiles file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[serde(rename_all = "lowercase")]
pub enum Theme {
    System,
    Light,
    Dark,
}

pub struct AppState {
    pub alicred: Alicred,
    pub agent: Agent,
    pub settings: Mutex<Settings>,
    /// The in-process emulator of the first-run demo, kept alive here.
    pub demo: Mutex<Option<alicred_fakecloud::FakeCloudHandle>>,
}

impl AppState {
    pub fn new(alicred: Alicred, agent: Agent) -> Self {
        let settings = load_settings(&settings_path(&alicred));
        Self {
            alicred,
            agent,
            settings: Mutex::new(settings),
            demo: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn save_settings(&self, s: Settings) -> Result<(), String> {
        let path = settings_path(&self.alicred);
        let text = serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            alicred_core::paths::Paths::ensure_private_dir(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        alicred_core::paths::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("cannot save {}: {e}", path.display()))?;
        if let Ok(mut g) = self.settings.lock() {
            *g = s;
        }
        Ok(())
    }

    /// Re-read the profiles file into the engine after a change.
    pub fn reload(&self) -> Result<(), alicred_core::service::ServiceError> {
        let file = self.alicred.profiles()?;
        self.agent.reload(file);
        Ok(())
    }

    /// The active profile's endpoint URL and its `export` line.
    pub fn endpoint_lines(&self) -> Result<(String, String), String> {
        let url = self.agent.url_for(None)?;
        let export = format!("export ALIBABA_CLOUD_CREDENTIALS_URI={url}");
        Ok((url, export))
    }
}

fn settings_path(a: &Alicred) -> PathBuf {
    a.paths().base().join("desktop.json")
}

fn load_settings(path: &std::path::Path) -> Settings {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}
