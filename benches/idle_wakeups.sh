#!/usr/bin/env bash
# Idle wake-ups per second of `alicred agent` and of the desktop app (tray
# only) with the 8 demo profiles, for each build given as LABEL=BINDIR (a
# directory holding `alicred` and `alicred-desktop`). Prints a Markdown table;
# E2E_BENCH_SECONDS (default 60) and E2E_BENCH_SETTLE (15) set the timing;
# with BENCH_WRITE=1 it also replaces the "idle" section of BENCHMARKS.md.
#
#   benches/idle_wakeups.sh before=/path/to/main/target/debug after=$CARGO_TARGET_DIR/debug
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${ALICRED_CACHE:-$HOME/.cache/alicred}"
PY="${E2E_PYTHON:-$CACHE/venv/bin/python}"
[ -x "$PY" ] || PY=python3
[ $# -gt 0 ] || set -- "current=${CARGO_TARGET_DIR:-$CACHE/target}/debug"
export E2E_BENCH_PY="$PY" E2E_BENCH_ARGS="$*"
out="$("$HERE/../tests/e2e/session.sh" bash -c 'exec "$E2E_BENCH_PY" -u "$0" $E2E_BENCH_ARGS' "$HERE/idle_wakeups.py")"
echo "$out"
if [ "${BENCH_WRITE:-}" = 1 ]; then
  printf '## Idle wake-ups (issue 12)\n\n%s\n\n%s' "$out" "$(cat "$HERE/idle_notes.md")" | python3 "$HERE/section.py" idle
fi
