#!/usr/bin/env bash
# Desktop app benchmarks (not a test): memory with the dashboard open and with
# only the tray (PSS of the whole process tree from /proc/*/smaps_rollup), and
# cold start to the endpoint serving. Release build, real Secret Service.
#
#   (cd ui && npm run build)
#   cargo build --release -p alicred-desktop --features custom-protocol
#   tests/e2e/bench_desktop.sh          # prints the BENCHMARKS.md section
# Env: BENCH_RUNS (cold starts, default 5), BENCH_MEM_RUNS (memory runs,
#      default 3), BENCH_SETTLE (seconds before a memory sample, default 8),
#      ALICRED_DESKTOP_BIN, ALICRED_DESKTOP_BASE_BIN (a baseline binary, e.g.
#      main's release build copied aside, measured in the same run).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${ALICRED_CACHE:-$HOME/.cache/alicred}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export ALICRED_DESKTOP_BIN="${ALICRED_DESKTOP_BIN:-$CARGO_TARGET_DIR/release/alicred-desktop}"
export E2E_PYTHON="${E2E_PYTHON:-$CACHE/venv/bin/python}"
export E2E_BENCH_RUNS="${BENCH_RUNS:-5}" E2E_BENCH_SETTLE="${BENCH_SETTLE:-8}" E2E_BENCH_MEM_RUNS="${BENCH_MEM_RUNS:-3}"
[ -x "$ALICRED_DESKTOP_BIN" ] || { echo "bench: missing $ALICRED_DESKTOP_BIN (cargo build --release -p alicred-desktop --features custom-protocol)" >&2; exit 1; }
command -v python3 >/dev/null
exec "$HERE/session.sh" bash -c 'BENCH_RUNS=$E2E_BENCH_RUNS BENCH_SETTLE=$E2E_BENCH_SETTLE BENCH_MEM_RUNS=$E2E_BENCH_MEM_RUNS exec "$E2E_PYTHON" -u "$0"' "$HERE/bench_desktop.py"
