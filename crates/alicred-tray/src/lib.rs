//! alicred's tray agent: one long-lived process that runs the refresh engine
//! and the endpoint (the same core as `alicred agent`), the tray icon, the
//! notifications and the dashboard's backend.
//!
//! It links no WebKit and no GTK: the tray is a StatusNotifierItem over
//! D-Bus ([`tray`]), so a tray that runs all day costs what the engine costs.
//! The dashboard is a separate process (`alicred-desktop`, Tauri) that starts
//! when it is opened, ends when it is closed, and reaches this one over a
//! private Unix socket ([`control`]).

pub mod agent;
pub mod app;
pub mod autostart;
pub mod backend;
pub mod clipboard;
pub mod confirm;
pub mod control;
pub mod control_client;
pub mod dashboard;
pub mod error;
pub mod notify;
pub mod reminders;
pub mod signin;
pub mod state;
pub mod tray;
pub mod tray_labels;
pub mod tray_model;
pub mod tray_sso;
