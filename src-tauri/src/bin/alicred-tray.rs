//! The tray agent (see the `alicred-tray` crate): the engine, the endpoint,
//! the tray icon and notifications, without WebKit. Started at login, and by
//! the dashboard when none runs.

fn main() {
    // This process runs the agent and starts `external` commands: keep the
    // keyring passphrase in memory only. First thing, before any thread.
    alicred_core::store::secrets::passphrase::forget_from_env();
    alicred_tray::app::run()
}
