//! `alicred sso login|list|logout`: thin over
//! `alicred_core::signin`.

use super::profile::print_json;
use super::resolve;
use crate::cli::SsoCmd;
use crate::error::CliResult;
use alicred_core::credentials::format_expiration;
use alicred_core::service::Alicred;
use alicred_core::signin::{self, DevicePrompt, SsoLoginOutcome};
use std::io::Write as _;

pub fn run(app: &Alicred, cmd: SsoCmd) -> CliResult {
    let ctx = resolve::context(app);
    let rt = super::runtime()?;
    match cmd {
        SsoCmd::Login {
            session,
            sign_in_url,
            no_browser,
            prune,
            accounts,
            access_configs,
            json,
        } => {
            let filter = signin::SsoFilter {
                accounts,
                access_configs,
            };
            let out = rt.block_on(signin::sso_login_filtered(
                app,
                &ctx,
                &session,
                sign_in_url.as_deref(),
                prune,
                &filter,
                |p| show_device_prompt(p, no_browser),
            ))?;
            if json {
                return print_json(&out);
            }
            print_outcome(&out);
            Ok(())
        }
        SsoCmd::List { json } => {
            let sessions = rt.block_on(signin::sso_sessions(app, &ctx))?;
            if json {
                return print_json(&sessions);
            }
            if sessions.is_empty() {
                println!(
                    "no CloudSSO sessions; sign in with `alicred sso login SESSION --sign-in-url URL`"
                );
            }
            for s in sessions {
                let state = match (s.signed_in, s.expires_at) {
                    (true, Some(e)) => format!("signed in until {}", format_expiration(e)),
                    (false, Some(e)) => format!("sign-in expired at {}", format_expiration(e)),
                    _ => "not signed in".into(),
                };
                println!(
                    "{}  {}  {}  ({} profiles)",
                    s.name,
                    s.sign_in_url.as_deref().unwrap_or("?"),
                    state,
                    s.profiles.len()
                );
            }
            Ok(())
        }
        SsoCmd::Logout { session } => {
            rt.block_on(signin::sso_logout(app, &ctx, &session))?;
            println!(
                "signed out of CloudSSO session {session}; its profiles need `alicred sso login {session}` before use"
            );
            Ok(())
        }
    }
}

/// The user code and URL, on stderr (stdout carries the result), then the browser.
pub fn show_device_prompt(p: &DevicePrompt, no_browser: bool) {
    let url = p
        .verification_uri_complete
        .as_deref()
        .unwrap_or(&p.verification_uri);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "To sign in to CloudSSO session {}, open:", p.session);
    let _ = writeln!(err, "  {url}");
    let _ = writeln!(err, "and confirm the code: {}", p.user_code);
    let _ = writeln!(err, "Waiting for approval (up to {} s)…", p.expires_in);
    let _ = err.flush();
    drop(err);
    if !no_browser {
        super::login::open_browser(url);
    }
}

pub fn print_outcome(out: &SsoLoginOutcome) {
    println!(
        "signed in to CloudSSO session {} until {}",
        out.session,
        format_expiration(out.expires_at)
    );
    if out.profiles.is_empty() {
        println!("no accounts are assigned to you in this directory yet");
    }
    for c in &out.profiles {
        println!(
            "{:<9} {}  (account {} {}, {} {})",
            c.change, c.name, c.account_id, c.account_name, c.access_config_name, c.access_config
        );
    }
    for n in &out.pruned {
        println!("{:<9} {n}", "removed");
    }
}
