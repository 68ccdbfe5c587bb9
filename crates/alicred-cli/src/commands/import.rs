use super::profile::print_json;
use crate::cli::ImportSource;
use crate::error::{CliError, CliResult};
use alicred_core::import::{self, Action};
use alicred_core::service::Alicred;
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
    let path = match (file, from) {
        (Some(f), _) => f,
        (None, ImportSource::AliyunCli) => import::aliyun_cli::default_path().ok_or_else(|| CliError::usage("cannot find your home directory; pass --file"))?,
        (None, ImportSource::Ini) => import::ini::default_path()
            .ok_or_else(|| CliError::usage("no ~/.alibabacloud/credentials.ini or ~/.alibabacloud/credentials (or ALIBABA_CLOUD_CREDENTIALS_FILE); pass --file"))?,
    };
    let plan = match from {
        ImportSource::AliyunCli => import::aliyun_cli::plan(&path),
        ImportSource::Ini => import::ini::plan(&path),
    }
    .map_err(|e| CliError::failed(e.to_string()))?;
    let outcomes = import::apply(app, &plan, replace, dry_run)?;
    if json {
        return print_json(
            &serde_json::json!({"dry_run": dry_run, "source": path, "profiles": outcomes, "skipped": plan.skipped}),
        );
    }
    let verb = |a: Action| match (a, dry_run) {
        (Action::Add, false) => "added",
        (Action::Add, true) => "would add",
        (Action::Replace, false) => "replaced",
        (Action::Replace, true) => "would replace",
        (Action::KeepExisting, _) => "kept existing",
        (Action::Failed, _) => "FAILED",
    };
    println!(
        "{} {}",
        if dry_run {
            "Dry run: nothing changes. From"
        } else {
            "Imported from"
        },
        path.display()
    );
    for o in &outcomes {
        let msg = o
            .message
            .as_deref()
            .map(|m| format!(" — {m}"))
            .unwrap_or_default();
        println!(
            "  {:<14} {:<24} {:<16} {}{msg}",
            verb(o.action),
            o.name,
            o.r#type,
            o.origin
        );
    }
    for s in &plan.skipped {
        println!("  {:<14} {:<24} {}", "not imported", s.name, s.reason);
    }
    if !dry_run {
        println!(
            "Secrets went to the keyring; {} was left as it was.",
            path.display()
        );
    }
    if outcomes.iter().any(|o| o.action == Action::Failed) {
        return Err(CliError::failed(
            "some profiles could not be imported (see above)",
        ));
    }
    Ok(())
}
