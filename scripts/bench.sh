#!/usr/bin/env bash
# Re-run the benchmarks of BENCHMARKS.md; each rewrites only its own section.
#
#   scripts/bench.sh              # all of them (slow: ~15 min plus release builds)
#   scripts/bench.sh NAME...      # some: endpoint engine prompt desktop idle
#   scripts/bench.sh --list       # their names
#
# Release builds land in $CARGO_TARGET_DIR/release. A benchmark is one
# function `bench_NAME` below (add yours; keep it a few lines that build what
# it needs and pipe its Markdown into benches/section.py NAME).
# Env: ENGINE_MINUTES (default 5), ENGINE_PROFILES (default 1000,10000), ENGINE_BASE_DIR
# (a baseline release directory with examples/engine_load and alicred-fakecloud,
# run beside this build); for desktop: ALICRED_DESKTOP_BASE_BIN (a
# baseline binary measured in the same run), BENCH_RUNS, BENCH_MEM_RUNS,
# BENCH_SETTLE (see tests/e2e/bench_desktop.sh).
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$ROOT"
REL="$CARGO_TARGET_DIR/release"

# Credentials endpoint vs nginx (wrk), and agent start-up (benches/endpoint.py).
bench_endpoint() {
  cargo build --release --locked -p alicred-cli -p alicred-fakecloud
  scripts/lib/with-keyring.sh "$VENV/bin/python" benches/endpoint.py "$REL"
}

# Refresh engine under load against the emulator in its own process:
# 1,000 and 10,000 profiles side by side (benches/engine.py builds what it needs).
bench_engine() {
  "$VENV/bin/python" benches/engine.py --minutes "${ENGINE_MINUTES:-5}" --profiles "${ENGINE_PROFILES:-1000,10000}" ${ENGINE_BASE_DIR:+--base "$ENGINE_BASE_DIR"}
}

# `alicred prompt` latency next to /bin/true (benches/prompt.py).
bench_prompt() {
  cargo build --release --locked -p alicred-cli
  "$VENV/bin/python" benches/prompt.py "$REL"
}

# Desktop app: memory with the dashboard open / tray only, cold start.
bench_desktop() {
  (cd ui && npm run --silent build)
  cargo build --release --locked -p alicred-desktop --features custom-protocol
  local out
  out="$(tests/e2e/bench_desktop.sh)"
  printf '%s\n' "$out"
  printf '%s\n' "$out" | "$VENV/bin/python" benches/section.py desktop
}

# Idle wake-ups of `alicred agent` and the tray-only app (benches/idle_wakeups.sh);
# IDLE_BASE_DIR: a baseline build's binary directory, measured in the same run.
bench_idle() {
  cargo build --locked -p alicred-cli -p alicred-desktop
  BENCH_WRITE=1 benches/idle_wakeups.sh ${IDLE_BASE_DIR:+"before=$IDLE_BASE_DIR"} "after=$CARGO_TARGET_DIR/debug"
}

all=$(declare -F | sed -n 's/^declare -f bench_//p')
if [ "${1:-}" = --list ]; then printf '%s\n' $all; exit 0; fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($all)
for n in "${names[@]}"; do
  declare -F "bench_$n" >/dev/null || die "no benchmark named $n (have: $(echo $all))"
done
for n in "${names[@]}"; do
  log "bench: $n"
  "bench_$n"
done
log "BENCHMARKS.md updated: ${names[*]}"
