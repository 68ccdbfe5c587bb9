use alicred_core::paths::Paths;
use alicred_core::status_file;
use std::io::Write;
use std::process::ExitCode;

/// `alicred prompt`: one line for a shell prompt, or nothing. It never fails
/// loudly: a prompt that prints errors on every command is worse than none.
pub fn prompt(format: &str) -> ExitCode {
    let Ok(paths) = Paths::from_env() else {
        return ExitCode::SUCCESS;
    };
    let env_profile = std::env::var("ALICRED_PROFILE").ok();
    let text = status_file::prompt(&paths, env_profile.as_deref(), format, chrono::Utc::now());
    if !text.is_empty() {
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    }
    ExitCode::SUCCESS
}
