use super::profile::print_json;
use crate::error::CliResult;
use alicred_core::credentials::format_expiration;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use alicred_core::time_left;
use alicred_core::usecases::UseCases;
use chrono::Utc;
use std::io::IsTerminal;

/// `alicred creds [NAME] [--json]`
pub fn creds(app: &Alicred, name: Option<ProfileName>, json: bool) -> CliResult {
    let name = app.resolve_name(name.as_ref())?;
    let uc = UseCases::standalone(app.clone());
    let c =
        super::runtime()?.block_on(uc.resolve_for_tool(&name, super::resolve::show_prompt(&uc)))?;
    let now = Utc::now();
    if json || !std::io::stdout().is_terminal() {
        // Exactly what the endpoint would hand out now.
        return print_json(&c.served_at(now));
    }
    // On a terminal, show what it is without printing the secret.
    println!("profile:        {name}");
    println!("AccessKeyId:    {}", c.access_key_id);
    println!("AccessKeySecret: (hidden; use --json to print)");
    match c.expiration {
        Some(e) => println!(
            "expires:        {} (in {})",
            format_expiration(e),
            time_left::words(e - now)
        ),
        None => println!("expires:        never (long-term AccessKey)"),
    }
    Ok(())
}
