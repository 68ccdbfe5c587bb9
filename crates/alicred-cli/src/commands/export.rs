use super::resolve;
use crate::cli::ExportFormat;
use crate::error::CliResult;
use alicred_core::Credentials;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use chrono::Utc;

/// `alicred export NAME --format …`: credentials for another tool.
pub fn export(app: &Alicred, name: ProfileName, format: ExportFormat) -> CliResult {
    if matches!(format, ExportFormat::AliyunExternal)
        && let Err(e) = alicred_core::link::aliyun_cli::strip_write_back(app.paths())
    {
        // What the SDKs wrote back from the last output, out first (docs/link-aliyun-cli.md).
        eprintln!("warning: {e}");
    }
    let c = from_agent_or_here(app, &name)?;
    let text = alicred_core::usecases::export::render(format.into(), &c, Utc::now());
    println!("{}", text.expose());
    Ok(())
}

/// A running agent answers first; with no agent, resolve here (and sign a
/// signed-out profile in once for every caller).
fn from_agent_or_here(app: &Alicred, name: &ProfileName) -> CliResult<Credentials> {
    // An unknown name is a usage error here, agent or not.
    app.profiles()?.get(name)?;
    resolve::from_agent_or_here(app, name)
}
