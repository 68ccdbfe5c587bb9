//! `alicred console [NAME] [--destination URL] [--print] [--browser CMD]
//! [--federation-endpoint URL]`: thin over `UseCases::console_*`.

use crate::error::{CliError, CliResult};
use alicred_core::service::Alicred;
use alicred_core::signin::NO_BROWSER_ENV;
use alicred_core::usecases::console::launch;
use alicred_core::usecases::console_redirect::ONE_SHOT_LIFETIME;
use alicred_core::usecases::{ConsoleOutcome, ConsoleRequest, UseCaseError, UseCases};
use std::io::Write as _;

pub fn console(app: &Alicred, req: ConsoleRequest, print: bool) -> CliResult {
    let uc = UseCases::standalone(app.clone());
    let rt = super::runtime()?;
    let flag_endpoint = req.federation_endpoint.is_some();
    let plan = rt.block_on(uc.console_plan(&req)).map_err(|e| match e {
        UseCaseError::BadUrl { value, reason } if flag_endpoint => CliError::usage(format!(
            "--federation-endpoint {value:?} is not a URL: {reason}"
        )),
        UseCaseError::BadUrl { value, reason } => CliError::failed(format!(
            "[settings] federation_endpoint {value:?} in the profiles file is not a URL: {reason}"
        )),
        other => other.into(),
    })?;
    if print {
        // Asked for: the Login URL itself, a secret for 30 s.
        let url = rt.block_on(uc.console_login_url(&plan))?;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", url.expose());
        let _ = out.flush();
        eprintln!(
            "this URL signs anyone in as profile {} for the next 30 s, once; do not share or log it",
            plan.profile
        );
        return Ok(());
    }
    let session = rt.block_on(uc.console_open(&plan))?;
    let secs = ONE_SHOT_LIFETIME.as_secs();
    if std::env::var_os(NO_BROWSER_ENV).is_some() {
        eprintln!(
            "open {} in your browser within {secs} s (it works once, for you only)",
            session.url
        );
    } else if let Err(e) = launch(&plan.browser, &session.url) {
        eprintln!(
            "{e}; open {} in your browser within {secs} s (it works once, for you only)",
            session.url
        );
    } else {
        eprintln!(
            "opening the console for profile {} in your browser (waiting up to {secs} s)…",
            plan.profile
        );
    }
    match rt.block_on(session.wait()) {
        ConsoleOutcome::Opened => {
            println!(
                "signed in to the console as profile {} ({})",
                plan.profile, plan.destination
            );
            Ok(())
        }
        ConsoleOutcome::Failed(e) => Err(e.into()),
        ConsoleOutcome::Expired => Err(CliError::failed(format!(
            "the browser did not open the console link within {secs} s; nothing was signed in (run `alicred console {}` again)",
            plan.profile
        ))),
    }
}
