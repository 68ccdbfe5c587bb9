use crate::error::{CliError, CliResult};
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use alicred_core::usecases::UseCases;

/// `alicred endpoint [NAME] [--rotate-token]`
pub fn endpoint(app: &Alicred, name: Option<ProfileName>, rotate: bool) -> CliResult {
    let uc = UseCases::standalone(app.clone());
    if let Some(n) = &name {
        app.profiles()?.get(n)?;
    }
    if rotate {
        eprintln!("{}", uc.rotate_endpoint_token()?);
    }
    match uc.running_url(name.as_ref())? {
        Some(url) => {
            println!("{}", url.expose());
            Ok(())
        }
        None if rotate => Ok(()),
        None => Err(CliError::failed(
            "no alicred agent is running; start one with `alicred agent` (or open the desktop app)",
        )),
    }
}
