use super::resolve::show_prompt;
use crate::error::{CliError, CliResult};
use alicred_core::profile::ProfileName;
use alicred_core::service::Alicred;
use alicred_core::usecases::UseCases;
use alicred_core::usecases::exec::ExecRequest;
use std::process::ExitCode;

/// `alicred exec NAME -- CMD…`: alicred becomes CMD, so its exit status is
/// CMD's own. When CMD cannot be run: 127 (not found) or 126, as `env` does.
pub fn exec(
    app: &Alicred,
    name: ProfileName,
    uri_only: bool,
    command: Vec<String>,
) -> CliResult<ExitCode> {
    if command.is_empty() {
        return Err(CliError::usage("give a command after --"));
    }
    let uc = UseCases::standalone(app.clone());
    let req = ExecRequest {
        name,
        uri_only,
        command,
    };
    let cmd = super::runtime()?.block_on(uc.exec_command(&req, show_prompt(&uc)))?;
    // Become the tool (execve): no alicred process holding the passphrase
    // stays behind it, and its exit status (a signal too) is its own.
    let e = alicred_core::usecases::exec::replace_process(cmd);
    if let alicred_core::usecases::UseCaseError::Exec { not_found, .. } = &e {
        eprintln!("alicred: {e}");
        return Ok(ExitCode::from(if *not_found { 127 } else { 126 }));
    }
    Err(e.into())
}
