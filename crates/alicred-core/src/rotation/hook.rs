//! The crash-test hook, compiled only with the `test-hooks` feature (the
//! test suite's builds; never a release binary). With
//! `ALICRED_TEST_CRASH_AT=<point>` set, the process aborts (like `kill -9`:
//! no destructors, no flush) when it reaches `<point>`:
//!
//! - `<step>` (e.g. `switching`): right after the journal entry for that step
//!   is durable, before the step runs;
//! - `<step>:done` (e.g. `creating:done`): right after the step's action
//!   finished, before the next journal write.
//!
//! Step names are those of [`super::Step::as_str`]. Without the feature, or
//! without the variable, this is a no-op; it exists so the crash tests can
//! stop at boundaries a hung network call cannot reach (between two local
//! writes, or after a RAM call succeeded but before its result was recorded).

pub const CRASH_ENV: &str = "ALICRED_TEST_CRASH_AT";

/// Is the hook compiled into this build?
pub const ENABLED: bool = cfg!(feature = "test-hooks");

#[cfg(feature = "test-hooks")]
pub(crate) fn crash_point(point: &str) {
    if let Some(v) = std::env::var_os(CRASH_ENV)
        && v == point
    {
        eprintln!("alicred: {CRASH_ENV}={point}: aborting here (test hook)");
        std::process::abort();
    }
}

/// A build without `test-hooks` has no way to be stopped by a variable.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub(crate) fn crash_point(_point: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBE: &str = "hook-probe";

    /// Run by [`the_variable_works_only_with_the_feature`] in a child
    /// process with the variable set; on its own it only passes through.
    #[test]
    fn child_reaches_a_crash_point() {
        crash_point(PROBE);
    }

    #[test]
    fn the_variable_works_only_with_the_feature() {
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "rotation::hook::tests::child_reaches_a_crash_point",
                "--test-threads=1",
                // libtest captures a test's stderr in memory; an abort would
                // lose it, so let the child write straight to the pipe.
                "--nocapture",
            ])
            .env(CRASH_ENV, PROBE)
            .output()
            .expect("run the test binary");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if ENABLED {
            assert!(!out.status.success(), "the hook should have aborted");
            assert!(stderr.contains("aborting here (test hook)"), "{stderr}");
        } else {
            assert!(
                out.status.success(),
                "a build without test-hooks must ignore {CRASH_ENV}: {stderr}"
            );
            assert!(!stderr.contains("test hook"), "{stderr}");
        }
    }
}
