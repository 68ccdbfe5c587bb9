#!/usr/bin/env bash
# The whole test suite: lint, build once, then every suite on the built
# binaries. Installs what it needs first (scripts/setup.sh). Exit 0 only
# when every suite ran and passed.
#
# Nothing is skipped quietly: a suite whose files or tools are missing fails
# with its reason, and a test suite that ran no test fails (scripts/lib/
# suites.sh counts them). The summary lists each suite's time and count; the
# same rows go to $CACHE/suite-times.tsv (BENCHMARKS.md's "CI suites" table
# comes from scripts/lib/suite-table.sh).
set -uo pipefail
source "$(dirname "$0")/lib/env.sh"
source "$ROOT/scripts/lib/suites.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" test || die "setup failed"

# Every Rust and Python suite runs against a real Secret Service (with-keyring.sh);
# their harnesses refuse to fall back to the encrypted-file store when
# ALICRED_TEST_KEYRING=secret-service says one is expected.
export ALICRED_TEST_KEYRING=secret-service
# Listener tests run their client as another user (tests/rust/other_user.rs,
# conftest.as_other_user): here that must work, never be skipped.
export ALICRED_TEST_OTHER_UID=required
KEYRING=("$ROOT/scripts/lib/with-keyring.sh")

suite "rustfmt" step cargo fmt --all --check

if [ -f "$ROOT/ui/package.json" ]; then
  suite "ui: svelte-check" step bash -c "cd ui && npm run --silent check"
  suite "ui: vitest" vitest bash -c "cd ui && npm test --silent"
  # The desktop app embeds the built UI, so build it before any cargo build.
  suite "ui: build" step bash -c "cd ui && npm run --silent build"
else
  for s in "ui: svelte-check" "ui: vitest" "ui: build"; do cannot "$s" "ui/package.json is missing"; done
fi
suite "clippy" step cargo clippy --workspace --all-targets --locked -- -D warnings
# One build of everything; the suites below only run what it produced. Test
# builds carry the rotation crash hook (ALICRED_TEST_CRASH_AT); release
# builds never do.
TEST_FEATURES=(--features alicred-cli/test-hooks)
suite "build" step cargo build --workspace --all-targets --locked "${TEST_FEATURES[@]}"

# Rust tests run against a real Secret Service in a private D-Bus session.
rust_tests() {
  "${KEYRING[@]}" cargo test --workspace --locked --no-fail-fast "${TEST_FEATURES[@]}"
}
suite "rust tests" cargo rust_tests
# Tests whose absence would go unnoticed (a module renamed, a file moved):
# the crash hook's both sides, the Secret Service idle check, the fault
# matrix, the other-user harness. Each must have run and passed.
suite "rust tests: named tests ran" checks require_ran "$SUITE_LAST_LOG" \
  "rotation::hook::tests::the_variable_works_only_with_the_feature" \
  "no_thread_wakes_up_after_secret_service_calls" \
  "every_fault_against_every_refreshing_provider" \
  "the_other_user_client_runs_as_nobody"
# The desktop build, after the tests: `cargo test --workspace` builds the same
# binaries with the test build's features, and the last build's copies are
# the ones in target/debug that the E2E runs.
if [ -f "$ROOT/src-tauri/Cargo.toml" ]; then
  suite "build: desktop (bundled UI)" step cargo build -p alicred-desktop --features custom-protocol --locked
else
  cannot "build: desktop (bundled UI)" "src-tauri/Cargo.toml is missing"
fi
# The other side of the crash hook: the desktop build above was made without
# `test-hooks` (like a release), and must not carry the hook's code, while the
# test build's `alicred` must (the probe's positive control). This replaced a
# 202-s rebuild of alicred-core's unit tests without the feature; the E2E's
# test_no_test_hooks.py runs a rotation through the desktop build with the
# variable set.
suite "crash hook absent without test-hooks" checks "$ROOT/scripts/lib/hook-absent.sh" \
  "$CARGO_TARGET_DIR/debug/alicred" "$CARGO_TARGET_DIR/debug/alicred-tray" "$CARGO_TARGET_DIR/debug/alicred-desktop"

# Every fuzz target briefly, on the seed corpus and what earlier runs learned.
# An unoptimised build: the cold build is what CI pays for, not the executions.
suite "fuzz (20 s per target)" fuzz env ALICRED_FUZZ_DEV=1 "$ROOT/scripts/fuzz.sh" 20

run_pytest() { # run_pytest DIR: exit 5 ("no tests collected") is a failure here
  "${KEYRING[@]}" "$VENV/bin/python" -m pytest -q -p no:cacheprovider -rs "$@"
  local rc=$?
  [ $rc -eq 5 ] && echo "pytest collected no tests in $*" >&2
  return $rc
}
# Python and Node official clients against the emulator and the running agent.
suite "official SDK interop (Python, Node)" pytest run_pytest tests/python
if [ -x tests/e2e/run.sh ]; then
  suite "desktop end-to-end" pytest tests/e2e/run.sh
else
  cannot "desktop end-to-end" "tests/e2e/run.sh is missing or not executable"
fi

suite_summary
[ ${#failed[@]} -eq 0 ]
