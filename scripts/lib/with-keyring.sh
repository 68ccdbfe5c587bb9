#!/usr/bin/env bash
# Run "$@" in a private D-Bus session with a real, unlocked GNOME Keyring
# (Secret Service), in throwaway directories: the tests never touch the
# user's own keyring.
set -euo pipefail
if [ -z "${ALICRED_KEYRING_SESSION:-}" ]; then
  exec dbus-run-session -- env ALICRED_KEYRING_SESSION=1 "$0" "$@"
fi
kr_tmp="$(mktemp -d /tmp/alicred-keyring.XXXXXX)"
export XDG_DATA_HOME="$kr_tmp/data" XDG_RUNTIME_DIR="$kr_tmp/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'alicred-test-keyring' | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
export GNOME_KEYRING_CONTROL
set +e
"$@"
rc=$?
pkill -u "$(id -u)" -f "gnome-keyring-daemon.*--components=secrets" >/dev/null 2>&1 || true
rm -rf "$kr_tmp"
exit $rc
