#!/usr/bin/env bash
# Refresh docs/screenshots from the desktop end-to-end run: the only thing
# that writes there (tests/e2e/run.sh alone keeps its screenshots in
# ~/.cache/alicred/e2e-screenshots). Builds what the run needs first.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/lib/env.sh"
cd "$ROOT"
(cd ui && npm run build)
cargo build --locked -p alicred-fakecloud
cargo build --locked -p alicred-desktop --features custom-protocol
E2E_SCREENSHOTS="$ROOT/docs/screenshots" tests/e2e/run.sh
echo "docs/screenshots updated; review with: git status docs/screenshots" >&2
