// Keep a console-less window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // The app runs the agent and starts `external` commands: keep the keyring
    // passphrase in memory only. First thing, before GTK or tokio start threads.
    alicred_core::store::secrets::passphrase::forget_from_env();
    alicred_desktop::run();
}
