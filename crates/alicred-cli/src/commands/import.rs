use super::profile::print_json;
use crate::error::{CliError, CliResult};
use alicred_core::service::Alicred;
use alicred_core::usecases::UseCases;
use alicred_core::usecases::import::ImportSource;
use std::path::PathBuf;

/// `alicred import aliyun-cli|ini [--file F] [--dry-run] [--replace]`
pub fn import(
    app: &Alicred,
    from: ImportSource,
    file: Option<PathBuf>,
    dry_run: bool,
    replace: bool,
    json: bool,
) -> CliResult {
    let r = UseCases::standalone(app.clone()).import(from, file, dry_run, replace)?;
    if json {
        return print_json(&r);
    }
    let from = if dry_run {
        "Dry run: nothing changes. From"
    } else {
        "Imported from"
    };
    println!("{from} {}", r.source.display());
    for o in &r.profiles {
        let msg = o
            .message
            .as_deref()
            .map(|m| format!(" — {m}"))
            .unwrap_or_default();
        let verb = r.verb(o.action);
        println!(
            "  {verb:<14} {:<24} {:<16} {}{msg}",
            o.name, o.r#type, o.origin
        );
    }
    for s in &r.skipped {
        println!("  {:<14} {:<24} {}", "not imported", s.name, s.reason);
    }
    if !dry_run {
        println!(
            "Secrets went to the keyring; {} was left as it was.",
            r.source.display()
        );
    }
    if r.failed() {
        return Err(CliError::failed(
            "some profiles could not be imported (see above)",
        ));
    }
    Ok(())
}
