#!/usr/bin/env bash
# The whole test suite: lint, build once, then every suite on the built
# binaries. Installs what it needs first (scripts/setup.sh). Exit 0 only
# when every suite passed.
set -uo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" test || die "setup failed"

passed=(); failed=()
suite() { # suite NAME CMD...
  local name="$1"; shift
  log "$name"
  local t0=$SECONDS
  if "$@"; then passed+=("$name"); log "$name: ok ($((SECONDS - t0)) s)"
  else failed+=("$name"); log "$name: FAILED ($((SECONDS - t0)) s)"; fi
}

has_ui() { [ -f "$ROOT/ui/package.json" ]; }
has_desktop() { [ -f "$ROOT/src-tauri/Cargo.toml" ]; }

suite "rustfmt" cargo fmt --all --check
has_ui && suite "ui: svelte-check" bash -c "cd ui && npm run --silent check"
has_ui && suite "ui: vitest" bash -c "cd ui && npm test --silent"
# The desktop app embeds the built UI, so build it before any cargo build.
has_ui && suite "ui: build" bash -c "cd ui && npm run --silent build"
suite "clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
# One build of everything; the suites below only run what it produced. Test
# builds carry the rotation crash hook (ALICRED_TEST_CRASH_AT); release
# builds never do.
TEST_FEATURES=(--features alicred-cli/test-hooks)
suite "build" cargo build --workspace --all-targets --locked "${TEST_FEATURES[@]}"
has_desktop && suite "build: desktop (bundled UI)" cargo build -p alicred-desktop --features custom-protocol --locked

# Rust tests run against a real Secret Service in a private D-Bus session.
suite "rust tests" "$ROOT/scripts/lib/with-keyring.sh" cargo test --workspace --locked --no-fail-fast "${TEST_FEATURES[@]}"
# The other side: a build without the feature ignores ALICRED_TEST_CRASH_AT
# (recompiles alicred-core's unit tests only).
suite "crash hook absent without test-hooks" cargo test -p alicred-core --lib --locked rotation::hook

# Every fuzz target briefly, on the seed corpus and what earlier runs learned.
# An unoptimised build: the cold build is what CI pays for, not the executions.
suite "fuzz (20 s per target)" env ALICRED_FUZZ_DEV=1 "$ROOT/scripts/fuzz.sh" 20

run_pytest() { # run_pytest DIR: exit 5 ("no tests collected") is a failure here
  "$ROOT/scripts/lib/with-keyring.sh" "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
  local rc=$?
  [ $rc -eq 5 ] && echo "pytest collected no tests in $*" >&2
  return $rc
}
# Python and Node official clients against the emulator and the running agent.
suite "official SDK interop (Python, Node)" run_pytest tests/python
[ -x tests/e2e/run.sh ] && suite "desktop end-to-end" tests/e2e/run.sh

echo
for s in "${failed[@]}"; do echo "FAILED: $s"; done
echo "suites: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
