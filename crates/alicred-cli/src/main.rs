//! `alicred`: a thin translation from the command line to `alicred-core`.

mod cli;
mod commands;
mod error;

use clap::Parser;
use clap::error::ErrorKind;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A shell prompt runs `alicred prompt` on every command: answer before
    // clap builds the whole command tree (other spellings go through clap).
    if let Some(format) = commands::prompt::plain_invocation() {
        return commands::prompt::prompt(&format);
    }
    // Before any thread exists: see the function's safety note.
    alicred_core::store::secrets::passphrase::forget_from_env();
    // It may hold the passphrase now: keep the user's other processes out
    // of its memory and /proc/PID/environ (docs/security.md).
    let kept_out = alicred_core::hardening::keep_others_out();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // A shell prompt runs this on every command: answer before any set-up.
    if let cli::Command::Prompt { format } = &cli.command {
        return commands::prompt::prompt(format);
    }
    if cli.command.only_prints() {
        quiet_on_closed_pipe();
    }
    init_logging(cli.verbose);
    if let Err(e) = kept_out {
        tracing::warn!("cannot mark this process not dumpable: {e}");
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("alicred: {e}");
            e.exit_code()
        }
    }
}

/// `alicred profile list | head`: when the reader goes away, end quietly as
/// `ls` does, instead of panicking on the failed write (Rust ignores SIGPIPE).
/// Only for commands that print and exit; a server or a rotation in progress
/// keeps handling the error itself.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition installs no handler
    // (nothing runs in signal context); it is done before any thread exists,
    // and children get the default anyway (std resets it when spawning).
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Logs go to stderr and never carry secrets (the core never logs them).
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,alicred_core=info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALICRED_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// clap's errors, as one line (help and version print as usual).
fn usage_error(e: clap::Error) -> ExitCode {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    let parts: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let msg = parts.join(" ");
    let msg = msg.trim_start_matches("error: ");
    eprintln!("alicred: {msg} (see `alicred --help`)");
    ExitCode::from(2)
}
