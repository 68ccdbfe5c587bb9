//! alicred's tray agent: one long-lived process that runs the core's API
//! (the refresh engine and the endpoint, the same as `alicred agent`), shows
//! its tray menu and notifications, and serves the dashboard.
//!
//! It links no WebKit and no GTK: the tray is a StatusNotifierItem over
//! D-Bus ([`tray`]), so a tray that runs all day costs what the engine costs.
//! The dashboard is a separate process (`alicred-desktop`, Tauri) that starts
//! when it is opened, ends when it is closed, and reaches this one over the
//! API's private Unix socket (`alicred_core::api::wire`). Everything here
//! shows what the core decided or forwards a click to it.

pub mod app;
pub mod autostart;
pub mod clipboard;
pub mod dashboard;
pub mod notify;
pub mod tray;
