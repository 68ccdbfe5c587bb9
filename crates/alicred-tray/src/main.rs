fn main() {
    // This process runs the agent and starts `external` commands: keep the
    // keyring passphrase in memory only. First thing, before any thread.
    alicred_core::store::secrets::passphrase::forget_from_env();
    alicred_tray::app::run()
}
