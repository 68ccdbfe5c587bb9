use super::env::render;
use super::profile::print_json;
use super::resolve;
use crate::cli::{ExportFormat, Shell};
use crate::error::{CliError, CliResult};
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

/// A running agent answers first: an `external` command that is alicred
/// itself has no keyring passphrase (it is never passed to children), and
/// the agent's cache saves a fetch. With no agent, resolve here.
fn from_agent_or_here(app: &Alicred, name: &ProfileName) -> CliResult<Credentials> {
    // An unknown name is a usage error here, agent or not.
    app.profiles()?.get(name)?;
    #[cfg(unix)]
    match alicred_core::server::local::fetch(app.paths(), name) {
        Ok(c) => return Ok(c),
        Err(alicred_core::server::local::LocalError::NoAgent) => {}
        Err(e) => return Err(CliError::failed(format!("profile {name}: {e}"))),
    }
    resolve::credentials(app, name)
}
