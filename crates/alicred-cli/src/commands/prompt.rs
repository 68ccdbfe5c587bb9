use alicred_core::paths::Paths;
use alicred_core::status_file;
use std::ffi::OsString;
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

/// The `--format` of `alicred prompt [--format F]` when that is the whole
/// command line; `None` for anything else (clap handles it then).
pub fn plain_invocation() -> Option<String> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let args: Vec<&str> = args.iter().map(|a| a.to_str()).collect::<Option<_>>()?;
    match args.as_slice() {
        ["prompt"] => Some(status_file::DEFAULT_FORMAT.to_owned()),
        ["prompt", "--format", f] => Some((*f).to_owned()),
        ["prompt", f] if f.starts_with("--format=") => {
            Some(f.trim_start_matches("--format=").to_owned())
        }
        _ => None,
    }
}
