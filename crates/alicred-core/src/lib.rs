//! alicred-core: the engine behind the `alicred` CLI, agent and desktop app.
//!
//! Everything a user can do is a function here; the shells (the CLI, the
//! tray agent, the dashboard) only translate between people and the
//! application API, [`api`]: its one front door.

pub mod aliyun;
pub mod api;
pub mod clamp;
pub mod clock;
pub mod credentials;
pub mod engine;
pub(crate) mod env_vars;
pub(crate) mod fswatch;
pub mod hardening;
pub mod import;
pub mod link;
pub mod paths;
pub(crate) mod printable;
pub mod profile;
pub mod prompt_status;
pub mod providers;
pub mod rotation;
pub mod sensitive;
pub mod server;
pub mod service;
pub(crate) mod shell_words;
pub mod signin;
pub mod store;
pub mod time_left;
pub mod usecases;

/// The old name of [`prompt_status`], kept while other branches still use it.
pub use prompt_status as status_file;

pub use credentials::Credentials;
pub use sensitive::Sensitive;
