//! Opening the dashboard: it is its own process (`alicred-desktop`, beside
//! this one), started on demand and ended when its window closes, so the
//! tray carries no WebKit. A second start while one is open only focuses the
//! open window (its single-instance check).

/// Overrides where the dashboard's binary is (tests; default: beside us).
pub const DASHBOARD_BIN_ENV: &str = "ALICRED_DASHBOARD_BIN";

pub fn binary() -> Result<std::path::PathBuf, String> {
    beside_us("alicred-desktop", DASHBOARD_BIN_ENV)
        .map_err(|e| format!("cannot open the dashboard: {e}"))
}

/// The binary `name` installed beside the running one (the two desktop
/// binaries and the CLI ship together), or the path in `env` when set.
pub fn beside_us(name: &str, env: &str) -> Result<std::path::PathBuf, String> {
    if let Some(p) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return Ok(p.into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find {name}: {e}"))?;
    let bin = exe.with_file_name(name);
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} is missing: {name} is installed beside {}",
            bin.display(),
            exe.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ))
    }
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
