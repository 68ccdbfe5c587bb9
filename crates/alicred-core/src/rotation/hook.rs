//! The crash-test hook. With `ALICRED_TEST_CRASH_AT=<point>` set, the process
//! aborts (like `kill -9`: no destructors, no flush) when it reaches `<point>`:
//!
//! - `<step>` (e.g. `switching`): right after the journal entry for that step
//!   is durable, before the step runs;
//! - `<step>:done` (e.g. `creating:done`): right after the step's action
//!   finished, before the next journal write.
//!
//! Step names are those of [`super::Step::as_str`]. Without the variable
//! this is a no-op; it exists so the crash tests can stop at boundaries a
//! hung network call cannot reach (between two local writes, or after a RAM
//! call succeeded but before its result was recorded).

pub const CRASH_ENV: &str = "ALICRED_TEST_CRASH_AT";

pub(crate) fn crash_point(point: &str) {
    if let Some(v) = std::env::var_os(CRASH_ENV)
        && v == point
    {
        eprintln!("alicred: {CRASH_ENV}={point}: aborting here (test hook)");
        std::process::abort();
    }
}
