#!/usr/bin/env bash
# Print the pid of the process owning org.freedesktop.secrets on the current
# D-Bus session bus (waits up to 5 s for it to appear). Exit 1 if none.
for _ in $(seq 50); do
  out="$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null)" &&
    { awk '/uint32/ {print $2}' <<<"$out"; exit 0; }
  sleep 0.1
done
exit 1
