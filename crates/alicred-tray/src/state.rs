//! Everything the dashboard's backend, the tray and the notifier share.

use crate::agent::DesktopAgent;
use alicred_core::service::Alicred;
use alicred_core::usecases::{UseCases, export};
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
    pub agent: DesktopAgent,
    /// Every user action goes through these (with the agent's engine).
    pub uc: UseCases,
    pub settings: Mutex<Settings>,
    /// Wakes the tray's update loop ([`crate::tray::request_update`]).
    pub tray_wanted: tokio::sync::Notify,
    /// The sign-in waiting for the user, if any ([`crate::signin`]).
    pub sign_in: Mutex<crate::signin::SignInSlot>,
    /// Wakes the sign-in reminders to look at the profiles again.
    pub reminders_wanted: tokio::sync::Notify,
    /// The in-process emulator of the first-run demo, kept alive here.
    pub demo: Mutex<Option<alicred_demo::DemoCloud>>,
    /// Events for the dashboards connected to the control socket.
    pub hub: crate::control::Hub,
    /// Set by Quit (tray menu, a signal): the app shuts down cleanly.
    pub quit: tokio::sync::Notify,
    /// What "Copy" put on the clipboard stays there while this process runs.
    pub clipboard: crate::clipboard::Clipboard,
}

impl AppState {
    pub fn new(alicred: Alicred, agent: DesktopAgent) -> Self {
        let settings = load_settings(&settings_path(&alicred));
        Self {
            uc: agent.use_cases(&alicred),
            alicred,
            agent,
            settings: Mutex::new(settings),
            tray_wanted: tokio::sync::Notify::new(),
            sign_in: Mutex::default(),
            reminders_wanted: tokio::sync::Notify::new(),
            demo: Mutex::new(None),
            hub: crate::control::Hub::default(),
            quit: tokio::sync::Notify::new(),
            clipboard: crate::clipboard::Clipboard::default(),
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

    /// The active profile's endpoint URL and its `export` line (the same
    /// variables `alicred env` sets).
    pub fn endpoint_lines(&self) -> Result<(String, String), String> {
        let url = self.agent.url_for(None)?;
        let export = export::export_line(&url);
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
