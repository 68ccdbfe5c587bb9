#!/usr/bin/env bash
# Usage: hook-absent.sh HOOKED_BIN UNHOOKED_BIN...
# The rotation crash hook (crates/alicred-core/src/rotation/hook.rs) is the
# only code that reads ALICRED_TEST_CRASH_AT; its abort message is compiled in
# with it. HOOKED_BIN (a build with the `test-hooks` feature) must carry that
# message, which proves the probe still finds the hook; each UNHOOKED_BIN (a
# build without the feature, like a release) must not: without the code, the
# variable cannot stop it. A run of the desktop build with the variable set
# (tests/e2e/test_no_test_hooks.py) checks the behaviour as well.
set -euo pipefail
probe="aborting here (test hook)"
grep -q "$probe" "$(dirname "$0")/../../crates/alicred-core/src/rotation/hook.rs" ||
  { echo "hook-absent: rotation/hook.rs no longer says '$probe': update this probe" >&2; exit 1; }
hooked="$1"; shift
[ $# -gt 0 ] || { echo "usage: hook-absent.sh HOOKED_BIN UNHOOKED_BIN..." >&2; exit 2; }
[ -f "$hooked" ] || { echo "hook-absent: $hooked is missing" >&2; exit 1; }
grep -aqF "$probe" "$hooked" ||
  { echo "hook-absent: the test build $hooked has no crash hook either: the probe finds nothing" >&2; exit 1; }
echo "ok: positive control: $(basename "$hooked") (test-hooks) carries the hook"
for b in "$@"; do
  [ -f "$b" ] || { echo "hook-absent: $b is missing" >&2; exit 1; }
  if grep -aqF "$probe" "$b"; then
    echo "hook-absent: $b was built with the crash hook (feature test-hooks)" >&2; exit 1
  fi
  echo "ok: $(basename "$b") carries no crash hook"
done
# For the suite's count: one check per binary.
echo "checks: $(( $# + 1 )) passed"
