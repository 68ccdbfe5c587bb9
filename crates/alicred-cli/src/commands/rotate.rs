//! `alicred rotate NAME [--yes] [--delete-old | --deactivate-old]`: rotate an
//! access-key profile's AccessKey through RAM (or a kms-secret's secret
//! through KMS), printing each step. Interrupted rotations of every profile
//! are resumed or rolled back first.

use crate::error::{CliError, CliResult};
use alicred_core::profile::{ProfileName, RotationMethod};
use alicred_core::rotation::{Phase, RotationError, RotationProgress, Step};
use alicred_core::service::Alicred;
use alicred_core::usecases::{OldKey, RotatePlan, RotateRequest, Rotated, UseCaseError, UseCases};
use std::io::{BufRead, IsTerminal, Write};

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
async fn resume_all(uc: &UseCases) -> Vec<ProfileName> {
    let mut print = print_progress;
    let mut completed = Vec::new();
    for (name, r) in uc.resume_rotations(&mut print).await {
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
    let uc = UseCases::standalone(app.clone());
    let rt = super::runtime()?;
    let old_key = if a.delete_old {
        Some(OldKey::DeleteNow)
    } else if a.deactivate_old {
        Some(OldKey::KeepInactive)
    } else {
        None
    };
    // The core decides whether and how this profile rotates.
    let plan = rt.block_on(uc.rotate_plan(&a.name))?;
    if plan.method == RotationMethod::Kms && old_key.is_some() {
        return Err(UseCaseError::OldKeyChoiceForKms {
            profile: a.name.clone(),
        }
        .into());
    }
    let interactive = std::io::stdin().is_terminal();
    if !a.yes && !interactive {
        return Err(CliError::usage(
            "alicred rotate asks for confirmation, but stdin is not a terminal; pass --yes to rotate without asking",
        ));
    }
    let completed = rt.block_on(resume_all(&uc));
    if completed.contains(&a.name) {
        println!(
            "the interrupted rotation of {} is finished; not starting another",
            a.name
        );
        return Ok(());
    }
    if !a.yes && !confirm(&question(&a.name, &plan, old_key))? {
        return Err(CliError::failed("not rotated"));
    }
    // --yes also agrees to delete an *inactive* key that is not the profile's
    // when RAM's two slots are full; an active key is never deleted.
    let mut req = RotateRequest {
        old_key,
        delete_inactive: a.yes,
    };
    let mut print = print_progress;
    let mut result = rt.block_on(uc.rotate(&a.name, req, &mut print));
    if let Err(UseCaseError::Rotation(RotationError::TwoKeys {
        message,
        deletable: Some(id),
    })) = &result
        && interactive
        && !a.yes
    {
        println!("{message}");
        if confirm(&format!("Delete the inactive key {id} and rotate?"))? {
            req.delete_inactive = true;
            result = rt.block_on(uc.rotate(&a.name, req, &mut print));
        }
    }
    match result? {
        Rotated::Ram(report) => println!("{}", report.message),
        done @ Rotated::Kms(_) => {
            println!("{}", done.message());
            if let Rotated::Kms(r) = &done {
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
            }
        }
    }
    Ok(())
}

/// The confirmation question, in the words of what will happen.
fn question(name: &ProfileName, plan: &RotatePlan, old_key: Option<OldKey>) -> String {
    if plan.method == RotationMethod::Kms {
        return format!("Rotate the KMS secret of profile {name} now?");
    }
    let then = match old_key.unwrap_or_default() {
        OldKey::DeleteNow => "deactivated and deleted at once".to_string(),
        OldKey::KeepInactive => "deactivated (not deleted)".to_string(),
        OldKey::DeleteAfterGrace => format!(
            "deactivated now and deleted after {} hours",
            plan.grace_seconds.unwrap_or_default() / 3600
        ),
    };
    format!(
        "Rotate the AccessKey of profile {name}? A new key is created and verified, then the old key is {then}."
    )
}
