//! `alicred import aliyun-cli|ini`: profiles from the aliyun CLI's
//! `config.json` or the SDKs' credentials file, secrets into the keyring, the
//! source file left as it was. Which file, what each outcome is called and
//! whether the import failed are decided here.

use super::{UseCaseError, UseCases};
use crate::import::{self, Action, Outcome, Skipped};
use serde::Serialize;
use std::path::PathBuf;

/// Where profiles are imported from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportSource {
    /// `~/.aliyun/config.json`
    AliyunCli,
    /// `~/.alibabacloud/credentials(.ini)` or `$ALIBABA_CLOUD_CREDENTIALS_FILE`
    Ini,
}

/// What an import did (or, in a dry run, would do). Serialised, it is what
/// `alicred import --json` prints.
#[derive(Debug, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub source: PathBuf,
    pub profiles: Vec<Outcome>,
    pub skipped: Vec<Skipped>,
}

impl ImportReport {
    /// Some profile could not be imported (the others were).
    pub fn failed(&self) -> bool {
        self.profiles.iter().any(|o| o.action == Action::Failed)
    }

    /// The action in words, for this run.
    pub fn verb(&self, a: Action) -> &'static str {
        match (a, self.dry_run) {
            (Action::Add, false) => "added",
            (Action::Add, true) => "would add",
            (Action::Replace, false) => "replaced",
            (Action::Replace, true) => "would replace",
            (Action::KeepExisting, _) => "kept existing",
            (Action::Failed, _) => "FAILED",
        }
    }
}

impl UseCases {
    /// Import from `file`, else the source's usual file. Blocking (keyring,
    /// profiles file).
    pub fn import(
        &self,
        from: ImportSource,
        file: Option<PathBuf>,
        dry_run: bool,
        replace: bool,
    ) -> Result<ImportReport, UseCaseError> {
        let source = match (file, from) {
            (Some(f), _) => Some(f),
            (None, ImportSource::AliyunCli) => import::aliyun_cli::default_path(),
            (None, ImportSource::Ini) => import::ini::default_path(),
        }
        .ok_or(UseCaseError::NoImportFile(from))?;
        let plan = match from {
            ImportSource::AliyunCli => import::aliyun_cli::plan(&source),
            ImportSource::Ini => import::ini::plan(&source),
        }
        .map_err(|e| UseCaseError::Import(e.to_string()))?;
        let profiles = import::apply(&self.app, &plan, replace, dry_run)?;
        Ok(ImportReport {
            dry_run,
            source,
            profiles,
            skipped: plan.skipped,
        })
    }
}
