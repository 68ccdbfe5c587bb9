#!/usr/bin/env bash
# Print the last scripts/test.sh run recorded in $CACHE/suite-times.tsv as the
# Markdown table of BENCHMARKS.md's "CI suites" section.
# Columns of the file: run (UTC), commit, suite, result, seconds, tests run
# ("-" for lint and build steps), skipped or ignored, note.
set -euo pipefail
source "$(dirname "$0")/env.sh"
tsv="${1:-$CACHE/suite-times.tsv}"
[ -s "$tsv" ] || die "no runs recorded in $tsv: run scripts/test.sh"
last="$(tail -1 "$tsv" | cut -f1)"
awk -F'\t' -v run="$last" '
  $1 == run { rows[n++] = $0; secs += $5; if ($6 != "-") tests += $6; commit = $2 }
  END {
    printf "Run %s, commit %s.\n\n", run, commit
    print "| suite | result | time | tests run | skipped/ignored | note |"
    print "|---|---|---:|---:|---:|---|"
    for (i = 0; i < n; i++) {
      split(rows[i], f, "\t")
      note = f[8] == "-" ? "" : f[8]
      printf "| %s | %s | %d s | %s | %s | %s |\n", f[3], f[4], f[5], f[6], f[7], note
    }
    printf "| **total** | | **%d s** | **%d** | | |\n", secs, tests
  }' "$tsv"
