use super::env::render;
use super::profile::print_json;
use super::resolve;
use crate::cli::{ExportFormat, Shell};
use crate::error::CliResult;
use alicred_core::Credentials;
use alicred_core::credentials::format_expiration;
use alicred_core::env_vars;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use chrono::Utc;

/// `alicred export NAME --format …`: credentials for another tool.
pub fn export(app: &Alicred, name: ProfileName, format: ExportFormat) -> CliResult {
    let c = from_agent_or_here(app, &name)?;
    match format {
        ExportFormat::AliyunExternal => {
            // aliyun CLI External mode (protocols §8); `expiration` is read by the SDKs.
            let mut v = serde_json::json!({
                "mode": if c.security_token.is_some() { "StsToken" } else { "AK" },
                "access_key_id": c.access_key_id,
                "access_key_secret": c.access_key_secret.expose(),
            });
            if let Some(t) = &c.security_token {
                v["sts_token"] = t.expose().into();
            }
            if let Some(e) = c.expiration {
                v["expiration"] = format_expiration(e).into();
            }
            print_json(&v)
        }
        ExportFormat::Json => print_json(&c.served_at(Utc::now())),
        ExportFormat::Env => {
            for line in render(Shell::Bash, &env_vars::for_tool(Some(&c), None)) {
                println!("{line}");
            }
            Ok(())
        }
    }
}

/// A running agent answers first; with no agent, resolve here (and sign a
/// signed-out profile in once for every caller).
fn from_agent_or_here(app: &Alicred, name: &ProfileName) -> CliResult<Credentials> {
    // An unknown name is a usage error here, agent or not.
    app.profiles()?.get(name)?;
    resolve::from_agent_or_here(app, name)
}
