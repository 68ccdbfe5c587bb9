#!/usr/bin/env bash
# Desktop end-to-end test: the real alicred-desktop under Xvfb, driven by
# tauri-driver + WebKitWebDriver, with a real Secret Service (gnome-keyring in
# a private D-Bus session, see session.sh), dunst + dbus-monitor for
# notifications, and the alicred-fakecloud emulator. test_desktop.py runs
# with WebKit's defaults (for screenshots), test_memory.py with the app's own
# memory-saving settings; test_tray.py is the desktop's tray host, reading and
# clicking the tray agent's menu over D-Bus (jeepney).
#
# Expects the builds scripts/test.sh makes:
#   cargo build -p alicred-fakecloud
#   (cd ui && npm run build) && cargo build -p alicred-desktop --features custom-protocol
#   (the second makes both alicred-desktop and the tray agent alicred-tray)
# Env: ALICRED_DESKTOP_BIN / ALICRED_FAKECLOUD_BIN override the binaries;
#      E2E_SCREENSHOTS (default ~/.cache/alicred/e2e-screenshots, outside the
#      repository; scripts/docs-screenshots.sh sets it to docs/screenshots);
#      KEEP_SESSION=1 keeps logs; E2E_TESTS picks the test files (default: all).
# Fails if the shared secret scan (below) finds a secret or has none to look for.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${ALICRED_CACHE:-$HOME/.cache/alicred}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
VENV="$CACHE/venv"
export PATH="$HOME/.cargo/bin:$PATH"
export ALICRED_DESKTOP_BIN="${ALICRED_DESKTOP_BIN:-$CARGO_TARGET_DIR/debug/alicred-desktop}"
export ALICRED_FAKECLOUD_BIN="${ALICRED_FAKECLOUD_BIN:-$CARGO_TARGET_DIR/debug/alicred-fakecloud}"
export E2E_SCREENSHOTS="${E2E_SCREENSHOTS:-$CACHE/e2e-screenshots}"
export E2E_PYTHON="$VENV/bin/python"

for b in "$ALICRED_DESKTOP_BIN" "$ALICRED_FAKECLOUD_BIN"; do
  [ -x "$b" ] || { echo "e2e: missing $b — build: cargo build -p alicred-fakecloud && cargo build -p alicred-desktop --features custom-protocol" >&2; exit 1; }
done
for t in tauri-driver WebKitWebDriver Xvfb dbus-run-session gnome-keyring-daemon dunst dbus-monitor; do
  command -v "$t" >/dev/null || { echo "e2e: $t not found (scripts/setup.sh test installs it)" >&2; exit 1; }
done
if ! "$E2E_PYTHON" -c 'import selenium, pytest, requests, jeepney' 2>/dev/null; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
fi
# The shared secret scan (tests/python/secret_scan.py) over every file of the
# session once pytest is done: the session HOME (WebKit's storage, the
# autostart entry), every ALICRED_HOME, app*.log, dunst.log, the
# notifications log. What to look for is collected in a file outside the
# session: the emulators the tests start append what they handed out when
# they stop, and conftest.py adds the demo emulators' values and the endpoint
# tokens after every test. tauri-driver*.log is not scanned: it is the
# WebDriver traffic, which types a secret into the form on purpose. Nor is
# the demo's demo/oidc-token: the demo plays the platform of an oidc-role-arn
# profile (ACK RRSA), which writes the pod's OIDC token to a file for the
# SDKs and alicred to read, as Kubernetes does under /var/run/secrets; it is
# alicred's input, not something alicred stores. Every other file is still
# searched for that token (a copy in a log or profiles.toml would be found).
E2E_SECRETS_DIR="$(mktemp -d /tmp/alicred-e2e-secrets.XXXXXX)"
trap 'rm -rf "$E2E_SECRETS_DIR"' EXIT
export E2E_SECRETS_FILE="$E2E_SECRETS_DIR/handed-out"
export ALICRED_FAKECLOUD_RECORD_SECRETS="$E2E_SECRETS_FILE"
export E2E_SCANNER="$ROOT/tests/python/secret_scan.py"
"$HERE/session.sh" bash -c '
  cd "$0" || exit 1
  "$E2E_PYTHON" -m pytest -q -p no:cacheprovider -rs -x ${E2E_TESTS:-test_desktop.py test_desktop_sso.py test_memory.py test_tray.py test_no_test_hooks.py}
  rc=$?
  "$E2E_PYTHON" "$E2E_SCANNER" --label "the E2E session" --secrets "$E2E_SECRETS_FILE" \
    --exclude "tauri-driver*.log" --exclude "*/demo/oidc-token" "$SESSION_TMP" || rc=1
  exit $rc' "$HERE"
