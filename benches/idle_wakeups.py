"""Idle wake-ups of the agent and of the desktop app (tray only), before and after.

A wake-up is a context switch (voluntary + nonvoluntary, summed over every
thread in /proc/PID/task/*/status) while nothing is due: the 8 demo profiles
(1-hour sessions) are fetched, then the process is watched for BENCH_SECONDS.
Run through benches/idle_wakeups.sh (a private D-Bus session with a Secret
Service and an X server), which passes the binary directories to compare.
"""

import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

SECONDS = int(os.environ.get("E2E_BENCH_SECONDS", "60"))
SETTLE = int(os.environ.get("E2E_BENCH_SETTLE", "15"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def switches(pid):
    """Context switches of every live thread of `pid`."""
    total = 0
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread ended meanwhile
    return total


def measure(pid):
    time.sleep(SETTLE)
    a = switches(pid)
    time.sleep(SECONDS)
    b = switches(pid)
    return (b - a) / SECONDS


def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def wait_for(path, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if path.exists() and path.stat().st_size > 0:
            return
        time.sleep(0.2)
    raise SystemExit(f"bench: {path} did not appear")


def agent(bindir, tmp):
    home = pathlib.Path(tempfile.mkdtemp(dir=tmp))
    env = dict(os.environ, ALICRED_HOME=str(home), ALICRED_LOG="warn")
    demo = subprocess.Popen(
        [f"{bindir}/alicred", "demo", "--emulator", f"127.0.0.1:{free_port()}", "--agent", "false"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(home / "profiles.toml")
        time.sleep(2)  # the last sample profiles are written
        a = subprocess.Popen(
            [f"{bindir}/alicred", "agent", "--listen", f"127.0.0.1:{free_port()}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            return measure(a.pid)
        finally:
            stop(a)
    finally:
        stop(demo)


def desktop(bindir, tmp):
    home = pathlib.Path(tempfile.mkdtemp(dir=tmp))
    env = dict(os.environ, ALICRED_HOME=str(home), ALICRED_LISTEN=f"127.0.0.1:{free_port()}", ALICRED_LOG="warn")
    p = subprocess.Popen([f"{bindir}/alicred-desktop", "--hidden"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(home / "profiles.toml")
        return measure(p.pid)
    finally:
        stop(p)


def main():
    runs = [a.split("=", 1) for a in sys.argv[1:]]  # LABEL=BINDIR ...
    tmp = os.environ.get("SESSION_TMP") or tempfile.mkdtemp()
    rows = []
    for label, bindir in runs:
        rows.append((label, agent(bindir, tmp), desktop(bindir, tmp)))
    print(f"Measured {time.strftime('%Y-%m-%d')} by `benches/idle_wakeups.sh`: {SETTLE} s to settle, then {SECONDS} s idle.\n")
    print("| build | `alicred agent`, wake-ups/s | desktop app `--hidden` (tray only), wake-ups/s |")
    print("|---|---:|---:|")
    for label, a, d in rows:
        print(f"| {label} | {a:.2f} | {d:.2f} |")


if __name__ == "__main__":
    main()
