//! `alicred rotate NAME [--yes] [--delete-old | --deactivate-old]`: rotate an
//! access-key profile's AccessKey through RAM (or a kms-secret's secret
//! through KMS), printing each step. Interrupted rotations of every profile
//! are resumed or rolled back first.

use crate::error::{CliError, CliResult};
use alicred_core::profile::ProfileName;
use alicred_core::rotation::{Phase, RotationError, RotationProgress};
use alicred_core::service::Alicred;
use alicred_core::usecases::{OldKey, RotateRequest, UseCaseError, UseCases, rotate_now};
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
    for r in uc.resume_rotations_told(&mut print).await {
        match r.outcome {
            Ok(m) => println!("interrupted rotation of {}: {m}", r.profile),
            Err(e) => eprintln!("alicred: interrupted rotation of {}: {e}", r.profile),
        }
        if r.completed {
            completed.push(r.profile);
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
    let plan = rt.block_on(uc.rotate_plan_with(&a.name, old_key))?;
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
    if !a.yes && !confirm(&rotate_now::question(&a.name, &plan, old_key))? {
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
    for line in rotate_now::report(&result?) {
        println!("{line}");
    }
    Ok(())
}
