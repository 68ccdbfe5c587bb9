//! Opening the dashboard: it is its own process (`alicred-desktop`, beside
//! this one), started on demand and ended when its window closes, so the
//! tray carries no WebKit. A second start while one is open only focuses the
//! open window (its single-instance check).

/// Overrides where the dashboard's binary is (tests; default: beside us).
pub const DASHBOARD_BIN_ENV: &str = "ALICRED_DASHBOARD_BIN";

pub fn binary() -> Result<std::path::PathBuf, String> {
    alicred_core::api::client::beside_us("alicred-desktop", DASHBOARD_BIN_ENV)
        .map_err(|e| format!("cannot open the dashboard: {e}"))
}

/// Start the dashboard (or focus the open one). Failures are a notification:
/// this runs from a menu click.
pub fn open() {
    let started = binary().and_then(|bin| {
        std::process::Command::new(&bin)
            .spawn()
            .map_err(|e| format!("cannot open the dashboard ({}): {e}", bin.display()))
    });
    match started {
        // Reaped by a thread: the dashboard ends when its window closes.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => crate::notify::show_error(&e),
    }
}
