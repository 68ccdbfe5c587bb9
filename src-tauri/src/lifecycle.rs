//! What the dashboard's window leaves behind. Closing it destroys the window
//! and its webview (WebKit's web process ends with it); the tray agent runs
//! all day, so it should carry as little of WebKit as it can.

/// The process environment, set before GTK starts (with no threads yet):
///
/// - `GDK_GL=disable`: GTK sets up OpenGL when it opens the display, only to
///   pick X11 visuals for GL, which loads Mesa (and LLVM with it: ~30 MiB in
///   a tray agent that never draws with GL). Nothing of ours uses GTK's GL.
/// - no EGL in this (WebKit's UI) process: [`crate::memory::ui_without_egl`].
/// - `JSC_useJIT=false`, inherited by WebKit's web process: the dashboard is
///   a small page; JavaScriptCore's interpreter runs it without the JIT's
///   executable memory and compiler threads (~5 MiB less in the web process).
///
/// A user's own value of each variable wins, and `ALICRED_WEBVIEW_ACCEL=1`
/// keeps WebKit's and GTK's defaults for all of them.
#[cfg(target_os = "linux")]
pub fn before_gtk() {
    if webview_accel() {
        return;
    }
    for (name, value) in [("GDK_GL", "disable"), ("JSC_useJIT", "false")] {
        if std::env::var_os(name).is_none() {
            let _ = webkit2gtk::glib::setenv(name, value, false);
        }
    }
    crate::memory::ui_without_egl();
}

/// `ALICRED_WEBVIEW_ACCEL=1`: WebKit's and GTK's defaults (GPU compositing).
pub fn webview_accel() -> bool {
    std::env::var_os("ALICRED_WEBVIEW_ACCEL").is_some_and(|v| v == "1")
}

/// WebKitGTK keeps its network process running after the last webview is
/// gone (and Tauri keeps the web context for the app's lifetime); ending it
/// frees ~15 MiB. WebKit starts a new one with the next webview. Then the
/// heap the closed dashboard used is handed back ([`crate::memory::hand_back`]).
pub fn end_idle_network_process(app: &tauri::AppHandle) {
    #[cfg(target_os = "linux")]
    {
        use tauri::Manager;
        let app = app.clone();
        std::thread::spawn(move || {
            // Let WebKit finish tearing the page down first.
            std::thread::sleep(std::time::Duration::from_secs(2));
            if !app.webview_windows().is_empty() {
                return; // reopened meanwhile: it is in use again
            }
            let me = std::process::id();
            for pid in children_named(me, "WebKitNetworkProcess") {
                if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
                }
            }
            // Once WebKit has let go of the page's last objects.
            std::thread::sleep(std::time::Duration::from_secs(1));
            if app.webview_windows().is_empty() {
                crate::memory::hand_back();
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

/// Pids of our direct children whose executable's file name is `name`.
#[cfg(target_os = "linux")]
fn children_named(parent: u32, name: &str) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            ppid == Some(parent)
                && std::fs::read_link(format!("/proc/{pid}/exe"))
                    .is_ok_and(|exe| exe.file_name().is_some_and(|n| n == name))
        })
        .collect()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn finds_only_our_children_by_executable_name() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep starts");
        let found = children_named(std::process::id(), "sleep");
        let other = children_named(1, "sleep");
        let none = children_named(std::process::id(), "WebKitNetworkProcess");
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found, vec![child.id() as i32]);
        assert!(!other.contains(&(child.id() as i32)));
        assert!(none.is_empty());
    }
}
