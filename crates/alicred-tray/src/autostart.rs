//! "Start at login": an XDG autostart entry that starts the tray agent alone
//! (no dashboard, no WebKit). It has the name Tauri's autostart plugin gave
//! the entry before the tray became its own process, so turning it on or off
//! here replaces an older entry rather than adding a second one.

use auto_launch::{AutoLaunch, AutoLaunchBuilder};

/// The entry's name (`~/.config/autostart/alicred.desktop`).
const NAME: &str = "alicred";

fn entry() -> Result<AutoLaunch, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find alicred-tray: {e}"))?;
    let path = exe
        .to_str()
        .ok_or("the path of alicred-tray is not UTF-8; start at login cannot name it")?;
    AutoLaunchBuilder::new()
        .set_app_name(NAME)
        .set_app_path(path)
        .build()
        .map_err(|e| format!("start at login: {e}"))
}

/// Whether the entry exists (`None`: it cannot be told).
pub fn enabled() -> Option<bool> {
    entry().ok()?.is_enabled().ok()
}

pub fn set(on: bool) -> Result<(), String> {
    let e = entry()?;
    if e.is_enabled().unwrap_or(false) == on {
        return Ok(());
    }
    if on { e.enable() } else { e.disable() }
        .map_err(|err| format!("could not change start at login: {err}"))
}
