//! Keeping the dashboard's own process small (issue 13): WebKitGTK leaves
//! in it something a window that only shows painted bitmaps does not need,
//!
//! an EGL display: WebKit opens one in the UI process when its first web
//!   context is made, and under Mesa that loads `swrast_dri.so` and LLVM
//!   (~30 MiB that stay mapped for the life of the process). The dashboard's
//!   web view draws without GPU compositing, so the UI process only shows
//!   the bitmaps the web process paints; it never needs EGL. See
//!   [`ui_without_egl`].
//!
//! The unsafe blocks here are calls into glibc, each with its reason; none
//! of them reads or writes memory Rust owns.
#![allow(unsafe_code)]

#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// `__EGL_VENDOR_LIBRARY_FILENAMES` naming no vendor file: glvnd's libEGL
/// then finds no EGL implementation, so `eglGetDisplay` fails without
/// loading Mesa, and WebKit's UI process carries on without EGL (it shows the
/// web process's software-painted bitmaps). The web process needs EGL
/// (WebKit aborts without it), so the variable must not reach it: see
/// [`before_first_webview`].
#[cfg(target_os = "linux")]
const EGL_OFF: &[u8] = b"__EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent/alicred-ui-no-egl.json\0";

/// The environment entry itself, handed to `putenv` (which keeps the
/// pointer, not a copy). Atomic bytes so that disarming it later is one
/// atomic store while other threads may read the environment.
#[cfg(target_os = "linux")]
static EGL_OFF_ENTRY: [AtomicU8; EGL_OFF.len()] = {
    let mut a = [const { AtomicU8::new(0) }; EGL_OFF.len()];
    let mut i = 0;
    while i < EGL_OFF.len() {
        a[i] = AtomicU8::new(EGL_OFF[i]);
        i += 1;
    }
    a
};

#[cfg(target_os = "linux")]
static EGL_ARMED: AtomicBool = AtomicBool::new(false);

/// Keep EGL (and so Mesa and LLVM) out of the UI process. Call before GTK
/// starts, with no other threads yet. Not when the user chose the EGL
/// vendors (`__EGL_VENDOR_LIBRARY_*`) or asked for WebKit's defaults
/// (`ALICRED_WEBVIEW_ACCEL=1`: GPU compositing needs EGL in the UI process).
#[cfg(target_os = "linux")]
pub fn ui_without_egl() {
    if crate::lifecycle::webview_accel()
        || std::env::var_os("__EGL_VENDOR_LIBRARY_FILENAMES").is_some()
        || std::env::var_os("__EGL_VENDOR_LIBRARY_DIRS").is_some()
    {
        return;
    }
    // SAFETY: the entry is a NUL-terminated `static` that lives (and stays
    // at the same address) for the whole process, as putenv requires; the
    // caller runs this before any other thread exists, so nothing reads the
    // environment while putenv changes it.
    let rc = unsafe { libc::putenv(EGL_OFF_ENTRY.as_ptr() as *mut libc::c_char) };
    EGL_ARMED.store(rc == 0, Ordering::SeqCst);
}

/// Call on the GTK main thread before the first web view is built. WebKit
/// opens its UI-process EGL display once per process, when the first web
/// context is made; a throwaway context makes that happen now, while glvnd
/// sees no vendor. Then the variable is renamed (one byte: `__EGL…` becomes
/// `X_EGL…`) so the web processes WebKit launches from here on inherit
/// nothing that hides Mesa from them. Renaming in place, instead of
/// `unsetenv`, never moves the environment array other threads may be
/// reading.
pub fn before_first_webview() {
    #[cfg(target_os = "linux")]
    if EGL_ARMED.swap(false, Ordering::SeqCst) {
        drop(webkit2gtk::WebContext::new());
        EGL_OFF_ENTRY[0].store(b'X', Ordering::SeqCst);
    }
}
