use crate::cli::{LinkCmd, UnlinkCmd};
use crate::error::{CliError, CliResult};
use alicred_core::link::LinkError;
use alicred_core::link::aliyun_cli::{self, LinkRequest};
use alicred_core::service::Alicred;

fn cli_err(e: LinkError) -> CliError {
    if e.is_usage() {
        CliError::usage(e.to_string())
    } else {
        CliError::failed(e.to_string())
    }
}

/// `alicred link aliyun-cli [NAME…|--all] [--current NAME]`
pub fn link(app: &Alicred, cmd: LinkCmd) -> CliResult {
    let LinkCmd::AliyunCli {
        names,
        all,
        current,
        allow_long_term_key,
    } = cmd;
    let program = std::env::current_exe()
        .map_err(|e| CliError::failed(format!("cannot find the alicred binary's path: {e}")))?;
    let req = LinkRequest {
        names,
        all,
        current,
        program,
        config_file: aliyun_cli::config_path().map_err(cli_err)?,
        allow_long_term_key,
    };
    let r = aliyun_cli::link(app, &req).map_err(cli_err)?;
    println!(
        "linked {} into {}",
        r.linked.join(", "),
        r.config_file.display()
    );
    if let Some(c) = &r.current {
        println!("current aliyun CLI profile: {c} (`alicred use` moves it along)");
    }
    if !r.skipped_long_term.is_empty() {
        eprintln!(
            "note: not linked (long-term keys; see --allow-long-term-key): {}",
            r.skipped_long_term.join(", ")
        );
    }
    if let Some(d) = &r.open_directory {
        eprintln!(
            "warning: {} lets other users in; the SDKs write credentials to temp files there before they restrict them: `chmod 700` it (alicred leaves directories it did not create alone)",
            d.display()
        );
    }
    if let Some(b) = &r.backup {
        println!("previous version kept in {}", b.display());
    }
    Ok(())
}

/// `alicred unlink aliyun-cli [NAME…]`
pub fn unlink(app: &Alicred, cmd: UnlinkCmd) -> CliResult {
    let UnlinkCmd::AliyunCli { names } = cmd;
    let path = aliyun_cli::config_path().map_err(cli_err)?;
    let r = aliyun_cli::unlink(app, &path, &names).map_err(cli_err)?;
    if r.removed.is_empty() && r.kept_changed.is_empty() {
        println!("nothing alicred wrote is left in {}", path.display());
    }
    if !r.removed.is_empty() {
        println!("removed {} from {}", r.removed.join(", "), path.display());
    }
    for n in &r.kept_changed {
        eprintln!("warning: left {n} in place: it was changed since alicred linked it");
    }
    if let Some(c) = &r.current {
        println!("current aliyun CLI profile: {c}");
    }
    Ok(())
}
