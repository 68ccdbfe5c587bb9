#!/usr/bin/env bash
# Start alicred: the desktop app (tray + dashboard) with the built-in emulator
# and sample profiles when you have none. Without a display, the headless
# agent and emulator run instead (`alicred demo`).
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" app
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ ! -f src-tauri/Cargo.toml ]; then
  log "no display (or no desktop build): starting the headless agent with the demo emulator"
  cargo build --locked -p alicred-cli -p alicred-fakecloud
  exec "$CARGO_TARGET_DIR/debug/alicred" demo
fi
(cd ui && npm run --silent build)
cargo build --locked -p alicred-desktop --features custom-protocol
exec "$CARGO_TARGET_DIR/debug/alicred-desktop" "$@"
