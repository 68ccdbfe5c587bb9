//! Keeping the user's other processes out of a process that holds the
//! keyring passphrase (docs/security.md "Child processes").
//!
//! `/proc/PID/environ` keeps the environment a process was started with,
//! even after it removed a variable, and `/proc/PID/mem` holds whatever it
//! read. Both are readable by every process of the same user unless the
//! process is marked not dumpable (`PR_SET_DUMPABLE` 0): then the kernel asks
//! for ptrace rights over it (CAP_SYS_PTRACE, in practice root) and no core
//! file is written. The mark is dropped by `execve`, so a program `alicred
//! exec` becomes is dumpable again, as it should be: it holds no passphrase.

/// Mark this process not dumpable. Called first thing by every process that
/// may hold the passphrase: `alicred` (before `exec` replaces it, and the
/// agent), and the tray agent.
pub fn keep_others_out() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    Ok(())
}

/// Whether this process is marked not dumpable (tests, diagnostics).
pub fn others_kept_out() -> bool {
    #[cfg(target_os = "linux")]
    {
        rustix::process::dumpable_behavior()
            .is_ok_and(|b| b == rustix::process::DumpableBehavior::NotDumpable)
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// [`keep_others_out`], with a warning in the log when it fails (for a
/// process whose logging is set up already: the tray agent).
pub fn keep_others_out_or_warn() {
    if let Err(e) = keep_others_out() {
        tracing::warn!("cannot mark this process not dumpable: {e}");
    }
}
