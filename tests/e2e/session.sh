#!/usr/bin/env bash
# Run a command in a throwaway desktop session: private HOME, a private D-Bus
# session with an unlocked gnome-keyring Secret Service, Xvfb, dunst as the
# notification server and dbus-monitor recording notifications.
#
# Usage: tests/e2e/session.sh CMD [ARGS...]
# In CMD: $SESSION_TMP (scratch dir, removed afterwards unless KEEP_SESSION=1),
#         $E2E_NOTIFY_LOG (dbus-monitor output), DISPLAY.
# Passed through: PATH, CARGO_TARGET_DIR, ALICRED_CACHE and every ALICRED_*/E2E_* variable.
set -euo pipefail
if [ "${1:-}" != "--inner" ]; then
  TMP="$(mktemp -d /tmp/alicred-session.XXXXXX)"
  mkdir -p "$TMP/home" "$TMP/runtime"
  chmod 700 "$TMP/runtime"
  done_() {
    # xdg-document-portal may leave its FUSE mount behind.
    if mountpoint -q "$TMP/runtime/doc" 2>/dev/null; then fusermount -uz "$TMP/runtime/doc" 2>/dev/null || true; fi
    if [ "${KEEP_SESSION:-}" = 1 ]; then echo "session: kept $TMP" >&2; else rm -rf "$TMP" 2>/dev/null || true; fi
  }
  trap done_ EXIT
  pass=()
  while IFS='=' read -r k _; do
    case "$k" in ALICRED_*|E2E_*|CARGO_TARGET_DIR|RUST_LOG) pass+=("$k=${!k}") ;; esac
  done < <(env)
  rc=0
  env -i PATH="$PATH" HOME="$TMP/home" XDG_RUNTIME_DIR="$TMP/runtime" LANG=C.UTF-8 \
    SESSION_TMP="$TMP" "${pass[@]}" \
    dbus-run-session -- "$0" --inner "$@" || rc=$?
  exit $rc
fi
shift
export NO_AT_BRIDGE=1 GDK_BACKEND=x11 ${E2E_EXTRA_ENV:-}
eval "$(printf 'alicred-e2e' | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
export GNOME_KEYRING_CONTROL
# Ours is the daemon owning the Secret Service name on this private bus.
KEYRING="$("$(dirname "$0")/../../scripts/lib/keyring-pid.sh" || true)"
d=90
while [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ]; do d=$((d + 1)); done
Xvfb ":$d" -screen 0 1280x800x24 -nolisten tcp >"$SESSION_TMP/xvfb.log" 2>&1 &
XVFB=$!
export DISPLAY=":$d"
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$d" ] && break; sleep 0.1; done
dunst >"$SESSION_TMP/dunst.log" 2>&1 &
DUNST=$!
export E2E_NOTIFY_LOG="$SESSION_TMP/notifications.log"
dbus-monitor "interface='org.freedesktop.Notifications',member='Notify'" >"$E2E_NOTIFY_LOG" 2>&1 &
MON=$!
stop() { kill "$MON" "$DUNST" "$XVFB" $KEYRING 2>/dev/null || true; }
trap stop EXIT
rc=0
"$@" || rc=$?
exit $rc
