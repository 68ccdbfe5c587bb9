//! `alicred rotate NAME [--yes] [--delete-old | --deactivate-old]`: rotate an
//! access-key profile's AccessKey through RAM (or a kms-secret's secret
//! through KMS), printing each step. Interrupted rotations of every profile
//! are resumed or rolled back first.

use crate::error::{CliError, CliResult};
use alicred_core::profile::{ProfileName, ProfileType};
use alicred_core::rotation::{
    DEFAULT_GRACE, NoSessions, OldKeyAction, Phase, RotateOptions, RotationError, RotationProgress,
    Rotator, Step,
};
use alicred_core::service::Alicred;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

pub struct RotateArgs {
    pub name: ProfileName,
    pub yes: bool,
    pub delete_old: bool,
    pub deactivate_old: bool,
}

fn print_progress(p: RotationProgress) {
    match p.phase {
        Phase::Started if p.step.is_terminal() => {}
        Phase::Started => println!("[{}] {}", p.step, p.message),
        Phase::Retrying => println!("[{}]   retrying: {}", p.step, p.message),
        Phase::Finished => println!("[{}]   ok: {}", p.step, p.message),
    }
}

fn failed(e: RotationError) -> CliError {
    if e.is_usage() {
        CliError::usage(e.to_string())
    } else {
        CliError::failed(e.to_string())
    }
}

/// Ask on stderr, read one line from stdin; only "y"/"yes" agree.
fn confirm(question: &str) -> CliResult<bool> {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::failed(format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Resume or roll back every interrupted rotation, printing one line each.
/// Returns the profiles whose rotation this completed (not rolled back).
async fn resume_all(rotator: &Rotator) -> Vec<ProfileName> {
    let mut print = print_progress;
    let mut completed = Vec::new();
    for (name, r) in rotator.resume_all(&mut print).await {
        match r {
            Ok(rep) => {
                println!("interrupted rotation of {name}: {}", rep.message);
                if rep.step != Step::RolledBack {
                    completed.push(name);
                }
            }
            Err(e) => eprintln!("alicred: interrupted rotation of {name}: {e}"),
        }
    }
    completed
}

pub fn rotate(app: &Alicred, a: RotateArgs) -> CliResult {
    let file = app.profiles()?;
    let ty = file.get(&a.name)?.profile_type();
    if !matches!(ty, ProfileType::AccessKey | ProfileType::KmsSecret) {
        return Err(CliError::usage(format!(
            "profile {} is a {ty} profile; only access-key profiles (RAM) and kms-secret profiles (KMS) can be rotated",
            a.name
        )));
    }
    if ty == ProfileType::KmsSecret && (a.delete_old || a.deactivate_old) {
        return Err(CliError::usage(
            "--delete-old and --deactivate-old apply to access-key profiles; KMS retires a secret's old keys itself",
        ));
    }
    let interactive = std::io::stdin().is_terminal();
    if !a.yes && !interactive {
        return Err(CliError::usage(
            "alicred rotate asks for confirmation, but stdin is not a terminal; pass --yes to rotate without asking",
        ));
    }
    let rt = super::runtime()?;
    let rotator = Rotator::new(app.clone(), Arc::new(NoSessions));
    let completed = rt.block_on(resume_all(&rotator));
    if completed.contains(&a.name) {
        println!(
            "the interrupted rotation of {} is finished; not starting another",
            a.name
        );
        return Ok(());
    }

    if ty == ProfileType::KmsSecret {
        if !a.yes && !confirm(&format!("Rotate the KMS secret of profile {} now?", a.name))? {
            return Err(CliError::failed("not rotated"));
        }
        let r = rt
            .block_on(rotator.rotate_kms_secret(&a.name))
            .map_err(failed)?;
        println!(
            "KMS secret {} rotated: new version {}{}",
            r.info.secret_name,
            r.requested_version,
            if r.switched {
                " (current)"
            } else {
                " (KMS switches to it shortly)"
            }
        );
        let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map(|d| d.to_rfc3339())
                .unwrap_or_else(|| "unknown".into())
        };
        println!(
            "current version {}; last rotation {}; next rotation {}",
            r.info.version_id,
            date(r.info.last_rotation_date),
            date(r.info.next_rotation_date)
        );
        return Ok(());
    }

    let old_key = if a.delete_old {
        OldKeyAction::DeleteNow
    } else if a.deactivate_old {
        OldKeyAction::KeepInactive
    } else {
        OldKeyAction::DeleteAfter {
            grace_seconds: DEFAULT_GRACE.as_secs(),
        }
    };
    if !a.yes {
        let then = match old_key {
            OldKeyAction::DeleteNow => "deactivated and deleted at once",
            OldKeyAction::KeepInactive => "deactivated (not deleted)",
            OldKeyAction::DeleteAfter { .. } => "deactivated now and deleted after 24 hours",
        };
        let q = format!(
            "Rotate the AccessKey of profile {}? A new key is created and verified, then the old key is {then}.",
            a.name
        );
        if !confirm(&q)? {
            return Err(CliError::failed("not rotated"));
        }
    }
    // --yes also agrees to delete an *inactive* key that is not the profile's
    // when RAM's two slots are full; an active key is never deleted.
    let mut opts = RotateOptions {
        old_key,
        delete_inactive: a.yes,
    };
    let mut print = print_progress;
    let mut result = rt.block_on(rotator.rotate(&a.name, opts, &mut print));
    if let Err(RotationError::TwoKeys {
        message,
        deletable: Some(id),
    }) = &result
        && interactive
        && !a.yes
    {
        println!("{message}");
        if confirm(&format!("Delete the inactive key {id} and rotate?"))? {
            opts.delete_inactive = true;
            result = rt.block_on(rotator.rotate(&a.name, opts, &mut print));
        }
    }
    let report = result.map_err(failed)?;
    println!("{}", report.message);
    Ok(())
}
