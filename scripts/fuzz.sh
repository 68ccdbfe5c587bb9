#!/usr/bin/env bash
# Fuzz alicred-core's parsers with cargo-fuzz (libFuzzer, nightly toolchain).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   default: 20 s for every target in fuzz/Cargo.toml.
# Builds every target at once (release, debug assertions and overflow checks
# on, no sanitizer: core forbids unsafe code, and panics are what we hunt),
# then runs them one after another on one core each. The seed corpus is
# fuzz/corpus/<target>/ (read only); what the fuzzer learns goes to
# $CACHE/fuzz-corpus/<target>/ and crashing inputs to
# $CACHE/fuzz-artifacts/<target>/. Each run is appended to
# $CACHE/fuzz-runs.tsv (date, target, seconds, executions, toolchain, result).
# Exit 0 only when at least one target ran, every target ran at least one
# input, and none crashed. The last line is "fuzz: T targets, E executions,
# C crashed, Z without executions" (scripts/test.sh counts from it).
set -uo pipefail
source "$(dirname "$0")/lib/env.sh"
secs="${1:-20}"
shift || true
[[ "$secs" =~ ^[0-9]+$ ]] || die "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]"

FUZZ_DIR="$ROOT/fuzz"
TARGET_DIR="${ALICRED_FUZZ_TARGET_DIR:-$CACHE/fuzz-target}"
command -v cargo-fuzz >/dev/null || die "cargo-fuzz is not installed: run scripts/setup.sh test"
rustup run nightly rustc --version >/dev/null 2>&1 || die "the nightly toolchain is missing: rustup toolchain install nightly"
toolchain="$(rustup run nightly rustc --version)"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd "$FUZZ_DIR" && cargo +nightly fuzz list)
fi
[ ${#targets[@]} -gt 0 ] || die "fuzz: no targets (cargo fuzz list found none in $FUZZ_DIR)"

# ALICRED_FUZZ_DEV=1 (the test suite's smoke run) builds without optimisation:
# a cold build takes a fraction of the release one, and 20 s per target still
# replays the seed corpus and explores around it. Long campaigns use release.
mode=(-O -a); profile=release
if [ "${ALICRED_FUZZ_DEV:-0}" = 1 ]; then mode=(--dev); profile=debug; fi
# ALICRED_FUZZ_BUILD=0 reuses the last build (e.g. to run more slices of it).
if [ "${ALICRED_FUZZ_BUILD:-1}" != 0 ]; then
  log "fuzz: building ${#targets[@]} targets ($profile, $toolchain)"
  (cd "$FUZZ_DIR" && cargo +nightly fuzz build "${mode[@]}" -s none --target-dir "$TARGET_DIR") ||
    die "fuzz build failed"
fi
bin_dir="$TARGET_DIR/x86_64-unknown-linux-gnu/$profile"

mkdir -p "$CACHE"
runs="$CACHE/fuzz-runs.tsv"
crashed=(); idle=()
total=0
for t in "${targets[@]}"; do
  [ -x "$bin_dir/$t" ] || die "no fuzz target $t (see: cd fuzz && cargo +nightly fuzz list)"
  work="$CACHE/fuzz-corpus/$t"
  arts="$CACHE/fuzz-artifacts/$t"
  mkdir -p "$work" "$arts" "$FUZZ_DIR/corpus/$t"
  out="$(mktemp)"
  # New inputs go to the first corpus dir (outside the clone); the seeds stay as they are.
  "$bin_dir/$t" "$work" "$FUZZ_DIR/corpus/$t" -max_total_time="$secs" -max_len=8192 \
    -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$arts/" \
    >"$out" 2>&1
  rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)"
  execs="${execs:-0}"
  total=$((total + execs))
  result=ok
  if [ $rc -eq 0 ] && [ "$execs" -eq 0 ]; then
    # libFuzzer exits 0 when it never ran an input (e.g. -max_total_time
    # reached during start-up): nothing was tested.
    result=NO-EXECUTIONS
    idle+=("$t")
    tail -n 20 "$out" >&2
    log "fuzz $t: FAILED, no executions in $secs s"
  elif [ $rc -ne 0 ]; then
    result=CRASH
    crashed+=("$t")
    tail -n 40 "$out" >&2
    log "fuzz $t: CRASH (input saved under $arts)"
  else
    log "fuzz $t: ok, $execs executions in $secs s"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$secs" "$execs" "$toolchain" "$result" >>"$runs"
  rm -f "$out"
done
[ ${#idle[@]} -eq 0 ] || log "fuzz: no executions: ${idle[*]}"
[ ${#crashed[@]} -eq 0 ] || log "fuzz: crashed: ${crashed[*]}"
echo "fuzz: ${#targets[@]} targets, $total executions, ${#crashed[@]} crashed, ${#idle[@]} without executions"
[ ${#crashed[@]} -eq 0 ] && [ ${#idle[@]} -eq 0 ]
