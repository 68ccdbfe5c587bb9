// Keep a console-less window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // The app runs the agent and starts `external` commands: keep the keyring
    // passphrase in memory only. First thing, before GTK or tokio start threads.
    alicred_core::store::secrets::passphrase::forget_from_env();
    // Taken out of the environment, the passphrase is still in this
    // process's memory and in /proc/self/environ (which unsetenv does not
    // change): not dumpable, so the user's other processes cannot read
    // either (docs/security.md, "agent.sock and child processes").
    if let Err(e) = alicred_core::hardening::keep_others_out() {
        eprintln!("alicred: cannot mark this process not dumpable: {e}");
    }
    alicred_desktop::run();
}
