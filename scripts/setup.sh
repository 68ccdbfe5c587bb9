#!/usr/bin/env bash
# Install everything alicred needs to build, run and test. Idempotent: a second
# run checks and does nothing. Usage: scripts/setup.sh [app|test]
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
what="${1:-test}"

APT_APP=(pkg-config build-essential libssl-dev libdbus-1-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev gnome-keyring dbus-x11 libsecret-tools)
APT_TEST=(webkit2gtk-driver xvfb dunst wrk nginx-light imagemagick procps psmisc curl keyutils)

need_apt=()
pkgs=("${APT_APP[@]}")
[ "$what" = test ] && pkgs+=("${APT_TEST[@]}")
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# nginx from the package must not sit on port 80 as a service; benchmarks start their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then systemctl stop nginx || true; fi

command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"

if [ "$what" = test ] && ! command -v tauri-driver >/dev/null; then
  log "cargo: installing tauri-driver 2.1.0"
  CARGO_TARGET_DIR="$CACHE/tauri-driver-build" cargo install tauri-driver --version 2.1.0 --locked --quiet
  rm -rf "$CACHE/tauri-driver-build"
fi

# Fuzzing (scripts/fuzz.sh): cargo-fuzz on the nightly toolchain.
if [ "$what" = test ]; then
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  if ! command -v cargo-fuzz >/dev/null; then
    log "cargo: installing cargo-fuzz 0.13.2"
    CARGO_TARGET_DIR="$CACHE/cargo-fuzz-build" cargo install cargo-fuzz --version 0.13.2 --locked --quiet
    rm -rf "$CACHE/cargo-fuzz-build"
  fi
fi

# npm: only when the lock file changed since the last install.
npm_install() {
  local dir="$1"
  [ -f "$dir/package-lock.json" ] || return 0
  local stamp="$dir/node_modules/.alicred-lock-sha"
  local sum; sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    log "npm: installing in ${dir#$ROOT/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$sum" > "$stamp"
  fi
}
npm_install "$ROOT/ui"
[ "$what" = test ] && npm_install "$ROOT/tests/node"

# Python venv with the official SDKs used as real clients in tests.
if [ "$what" = test ]; then
  reqs=("$ROOT/tests/python/requirements.txt")
  [ -f "$ROOT/tests/e2e/requirements.txt" ] && reqs+=("$ROOT/tests/e2e/requirements.txt")
  stamp="$VENV/.alicred-req-sha"
  sum=$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)
  if [ ! -x "$VENV/bin/python" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    log "python: preparing $VENV"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    args=(); for r in "${reqs[@]}"; do args+=(-r "$r"); done
    "$VENV/bin/pip" install -q --disable-pip-version-check "${args[@]}"
    echo "$sum" > "$stamp"
  fi
fi
log "setup ($what) complete"
