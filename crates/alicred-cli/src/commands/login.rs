//! `alicred login NAME [--no-browser]`: thin over `alicred_core::signin::login`.

use super::resolve;
use crate::error::CliResult;
use alicred_core::credentials::format_expiration;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use alicred_core::signin::{self, LoginOutcome};
use std::io::Write as _;

pub fn login(app: &Alicred, name: &ProfileName, no_browser: bool) -> CliResult {
    let ctx = resolve::context(app);
    let out = super::runtime()?.block_on(signin::login(
        app,
        &ctx,
        name,
        |p| super::sso::show_device_prompt(p, no_browser),
        |url| {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "To sign in, open this URL in your browser:");
            // The whole URL on one line, so it can be copied as is.
            let _ = writeln!(err, "{url}");
            let _ = writeln!(err, "Waiting for the browser…");
            let _ = err.flush();
            drop(err);
            if !no_browser {
                open_browser(url.as_str());
            }
        },
    ))?;
    match out {
        LoginOutcome::CloudSso(o) => super::sso::print_outcome(&o),
        LoginOutcome::Oauth { expires_at } => println!(
            "signed in profile {name}; the access token renews itself (current one until {})",
            format_expiration(expires_at)
        ),
    }
    Ok(())
}

/// Opens `url` in the desktop's browser (core's opener, which
/// `ALICRED_NO_BROWSER` switches off); a failure only means the user opens it.
pub fn open_browser(url: &str) {
    if let Err(e) = signin::open_browser(url) {
        eprintln!("{e}; open the URL above yourself");
    }
}
