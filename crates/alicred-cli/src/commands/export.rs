use super::resolve::show_prompt;
use crate::cli::ExportFormat;
use crate::error::CliResult;
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use alicred_core::usecases::UseCases;

/// `alicred export NAME --format …`: credentials for another tool.
pub fn export(app: &Alicred, name: ProfileName, format: ExportFormat) -> CliResult {
    let uc = UseCases::standalone(app.clone());
    let out = super::runtime()?.block_on(uc.export(&name, format.into(), show_prompt(&uc)))?;
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    println!("{}", out.text.expose());
    Ok(())
}
