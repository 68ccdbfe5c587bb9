#!/usr/bin/env bash
# Run "$@" in a private D-Bus session with a real, unlocked GNOME Keyring
# (Secret Service), in throwaway directories: the tests never touch the
# user's own keyring, and only the daemon started here is stopped.
set -euo pipefail
if [ -z "${ALICRED_KEYRING_SESSION:-}" ]; then
  exec dbus-run-session -- env ALICRED_KEYRING_SESSION=1 "$0" "$@"
fi
kr_tmp="$(mktemp -d /tmp/alicred-keyring.XXXXXX)"
export XDG_DATA_HOME="$kr_tmp/data" XDG_RUNTIME_DIR="$kr_tmp/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'alicred-test-keyring' | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
export GNOME_KEYRING_CONTROL
# The daemon that owns the Secret Service name on *this* private bus is ours;
# ask the bus for its pid rather than matching process names, which would also
# hit a developer's own keyring daemon.
kr_pid="$("$(dirname "$0")/keyring-pid.sh" || true)"
# No Secret Service on the bus: the suites would test less than they claim
# (their harnesses refuse to fall back to the file store), so stop here.
if [ -z "$kr_pid" ]; then
  echo "with-keyring: gnome-keyring-daemon did not take org.freedesktop.secrets on the private bus" >&2
  rm -rf "$kr_tmp"
  exit 1
fi
# The harnesses (CLI tests, tests/python/conftest.py) read this: a Secret
# Service is expected, falling back to the encrypted-file store is an error.
export ALICRED_TEST_KEYRING=secret-service
# gnome-keyring-daemon (3.36–42) sometimes aborts in GLib (`trap int3`) when a
# client dies in the middle of its calls, which the crash tests do on
# purpose. D-Bus then starts a fresh daemon on demand, *locked*, and every
# later test fails with "the keyring is locked". So one daemon death costs
# the tests running at that moment (they fail, visibly), not the rest of the
# suite: it is started again, unlocked, on the same keyring files, and said
# so on stderr.
watchdog() {
  local pid="$1"
  while true; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
    echo "with-keyring: gnome-keyring-daemon (pid $pid) died; starting it again, unlocked (tests running at that moment may fail)" >&2
    printf 'alicred-test-keyring' | gnome-keyring-daemon --unlock --replace --components=secrets --daemonize >/dev/null 2>&1
    sleep 0.5
    pid="$("$(dirname "$0")/keyring-pid.sh" || true)"
    [ -n "$pid" ] || { echo "with-keyring: the keyring did not come back" >&2; return 1; }
    echo "$pid" > "$kr_tmp/pid"
  done
}
echo "$kr_pid" > "$kr_tmp/pid"
watchdog "$kr_pid" &
watch_pid=$!
set +e
"$@"
rc=$?
kill "$watch_pid" >/dev/null 2>&1
wait "$watch_pid" 2>/dev/null
kr_pid="$(cat "$kr_tmp/pid" 2>/dev/null || echo "$kr_pid")"
[ -n "$kr_pid" ] && kill "$kr_pid" >/dev/null 2>&1
rm -rf "$kr_tmp"
exit $rc
