use super::profile::print_json;
use crate::error::CliResult;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use alicred_core::usecases::UseCases;

/// `alicred verify NAME`: GetCallerIdentity with the profile's credentials.
pub fn verify(
    app: &Alicred,
    name: Option<ProfileName>,
    sts_endpoint: Option<String>,
    json: bool,
) -> CliResult {
    let name = app.resolve_name(name.as_ref())?;
    let uc = UseCases::standalone(app.clone());
    let who = super::runtime()?.block_on(uc.verify(&name, sts_endpoint.as_deref()))?;
    if json {
        return print_json(&who);
    }
    println!(
        "profile {name} works: {} ({}, account {})",
        who.arn, who.identity_type, who.account_id
    );
    Ok(())
}
