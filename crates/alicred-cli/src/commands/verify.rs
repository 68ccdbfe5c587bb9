use super::profile::print_json;
use super::resolve;
use crate::error::{CliError, CliResult};
use alicred_core::aliyun::{endpoints, sts};
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use url::Url;

/// `alicred verify NAME`: GetCallerIdentity with the profile's credentials.
pub fn verify(
    app: &Alicred,
    name: Option<ProfileName>,
    sts_endpoint: Option<String>,
    json: bool,
) -> CliResult {
    let name = app.resolve_name(name.as_ref())?;
    let ctx = resolve::context(app);
    let provider = resolve::provider(app, &name, &ctx)?;
    let file = app.profiles()?;
    let endpoint = match sts_endpoint {
        Some(s) => Url::parse(&s)
            .map_err(|e| CliError::usage(format!("--sts-endpoint {s:?} is not a URL: {e}")))?,
        None => endpoints::sts_for_profile(file.get(&name)?, &ctx)
            .map_err(|e| CliError::failed(e.to_string()))?,
    };
    let who = super::runtime()?
        .block_on(sts::verify(provider.as_ref(), &ctx, &endpoint))
        .map_err(|e| CliError::failed(format!("profile {name} does not work: {e}")))?;
    if json {
        return print_json(&who);
    }
    println!(
        "profile {name} works: {} ({}, account {})",
        who.arn, who.identity_type, who.account_id
    );
    Ok(())
}
