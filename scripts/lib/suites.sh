# Suite accounting for scripts/test.sh. Source it after env.sh.
#
# `suite NAME KIND CMD...` runs CMD with its output copied to
# $CACHE/ci-logs/<n>.log, then reads from that log how many tests ran:
#   step    lint or build: no count (rustfmt, clippy, builds, svelte-check)
#   cargo   the sum of every "test result:" line (passed + failed; ignored
#           and filtered-out tests are reported, not counted as run)
#   pytest  pytest's final summary line
#   vitest  Vitest's "Tests" line
#   fuzz    scripts/fuzz.sh's last line (targets run, executions)
#   checks  a "checks: N passed" line (scripts/lib/hook-absent.sh)
# A test suite that exits 0 but ran no test fails: a renamed module behind a
# filter, an empty directory or a skipped E2E must not pass silently. Every
# suite's outcome, time and count is appended to $CACHE/suite-times.tsv
# (scripts/lib/suite-table.sh prints the last run as BENCHMARKS.md's table)
# and printed in the summary.

SUITE_LOGS="$CACHE/ci-logs"
SUITE_TSV="$CACHE/suite-times.tsv"
SUITE_RUN="$(date -u +%FT%TZ)"
SUITE_COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
SUITE_N=0
passed=(); failed=(); summary=()
rm -rf "$SUITE_LOGS"; mkdir -p "$SUITE_LOGS"

# count_tests KIND LOG: prints "RUN SKIPPED NOTE" (RUN is "-" for steps).
count_tests() {
  local kind="$1" f="$2"
  local clean; clean="$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$f")"
  case "$kind" in
    step) echo "- - -" ;;
    cargo)
      awk '/^test result: /{
          for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) x += $i
            if ($(i+1) ~ /^ignored/) g += $i; if ($(i+1) ~ /^filtered/) o += $i
          }; n++ }
        END { printf "%d %d %d-binaries,%d-filtered-out\n", p + x, g, n, o }' <<<"$clean" ;;
    pytest)
      local line; line="$(grep -E '^=*\s*[0-9]+ (passed|failed|error|errors|skipped|deselected|xfailed|xpassed|warnings?)\b.* in [0-9.]+s' <<<"$clean" | tail -1)"
      local run=0 skip=0 n w
      while read -r n w; do
        case "$w" in passed*|failed*|error*|xfailed*|xpassed*) run=$((run + n)) ;; skipped*) skip=$((skip + n)) ;; esac
      done < <(grep -oE '[0-9]+ [a-z]+' <<<"$line")
      echo "$run $skip -" ;;
    vitest)
      local line; line="$(grep -E '^\s*Tests\s' <<<"$clean" | tail -1)"
      local run=0 skip=0 n w
      while read -r n w; do
        case "$w" in passed*|failed*) run=$((run + n)) ;; skipped*|todo*) skip=$((skip + n)) ;; esac
      done < <(grep -oE '[0-9]+ [a-z]+' <<<"$line")
      echo "$run $skip -" ;;
    fuzz)
      # "fuzz: T targets, E executions, C crashed"
      local line; line="$(grep -E '^fuzz: [0-9]+ targets, [0-9]+ executions' <<<"$clean" | tail -1)"
      local t e
      t="$(sed -nE 's/^fuzz: ([0-9]+) targets.*/\1/p' <<<"$line")"
      e="$(sed -nE 's/.* ([0-9]+) executions.*/\1/p' <<<"$line")"
      echo "${t:-0} 0 ${e:-0}-executions" ;;
    checks)
      # "checks: N passed" (scripts/lib/hook-absent.sh)
      local n; n="$(sed -nE 's/^checks: ([0-9]+) passed.*/\1/p' <<<"$clean" | tail -1)"
      echo "${n:-0} 0 -" ;;
    *) echo "0 0 unknown-kind-$kind" ;;
  esac
}

# suite NAME KIND CMD...
suite() {
  local name="$1" kind="$2"; shift 2
  SUITE_N=$((SUITE_N + 1))
  local logf; logf="$SUITE_LOGS/$(printf '%02d' "$SUITE_N")-${name//[^A-Za-z0-9]/_}.log"
  SUITE_LAST_LOG="$logf"
  log "$name"
  local t0=$SECONDS rc
  "$@" 2>&1 | tee "$logf"
  rc=${PIPESTATUS[0]}
  local secs=$((SECONDS - t0)) run skip note status
  read -r run skip note < <(count_tests "$kind" "$logf")
  status=ok
  if [ "$rc" -ne 0 ]; then
    status=FAILED
  elif [ "$run" != "-" ] && [ "$run" -eq 0 ]; then
    status=FAILED; note="ran-no-tests"
    echo "$name: exited 0 but ran no tests (log: $logf)" >&2
  fi
  if [ "$status" = ok ]; then passed+=("$name"); else failed+=("$name"); fi
  log "$name: $status ($secs s, tests run: $run${skip:+, skipped/ignored: $skip})"
  summary+=("$(printf '%-44s %-6s %6s s  %7s run  %5s skipped  %s' "$name" "$status" "$secs" "$run" "$skip" "$note")")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SUITE_RUN" "$SUITE_COMMIT" "$name" "$status" "$secs" "$run" "$skip" "$note" >>"$SUITE_TSV"
}

# require_ran LOG TEST...: each named test ran and passed in LOG (cargo's
# "test NAME ... ok" lines). A test renamed or moved out from under a
# filter fails here instead of silently no longer running.
require_ran() {
  local f="$1" n=0 t; shift
  for t in "$@"; do
    if grep -qE "^test (.*::)?${t} \.\.\. ok\$" "$f"; then
      echo "ok: $t ran"; n=$((n + 1))
    else
      echo "required test $t did not run (or did not pass) in $(basename "$f")" >&2; return 1
    fi
  done
  echo "checks: $n passed"
}

# cannot NAME REASON: a suite that cannot run fails, with its reason.
cannot() {
  SUITE_N=$((SUITE_N + 1))
  echo "$1: cannot run: $2" >&2
  failed+=("$1 (cannot run: $2)")
  summary+=("$(printf '%-44s %-6s %6s s  %7s run  %5s skipped  %s' "$1" FAILED 0 0 0 "cannot-run: $2")")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SUITE_RUN" "$SUITE_COMMIT" "$1" FAILED 0 0 0 "cannot run: $2" >>"$SUITE_TSV"
}

suite_summary() {
  echo
  printf '%-44s %-6s %8s  %11s  %13s  %s\n' suite result time tests skipped/ignored note
  printf '%s\n' "${summary[@]}"
  echo "(times and counts appended to $SUITE_TSV; table: scripts/lib/suite-table.sh)"
  echo
  for s in "${failed[@]}"; do echo "FAILED: $s"; done
  echo "suites: ${#passed[@]} passed, ${#failed[@]} failed"
}
