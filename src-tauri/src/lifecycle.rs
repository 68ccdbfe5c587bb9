//! How the dashboard's process sets up GTK and WebKit to carry as little as
//! a small document needs. (Closing the window ends the process: nothing of
//! WebKit stays behind; the tray agent is another process.)

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
