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
    """Context switches of every live thread of `pid`: {tid: (name, count)}."""
    out = {}
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            if task.name == str(pid):
                name = "main thread"  # the GTK main loop in the desktop app
            n = 0
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    n += int(line.split()[1])
            out[task.name] = (name, n)
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread ended meanwhile
    return out


def measure(pid):
    """Wake-ups per second over the window, and the count per thread name
    (threads that ended in the window count what they did before ending,
    as far as it was seen)."""
    time.sleep(SETTLE)
    a = switches(pid)
    time.sleep(SECONDS)
    b = switches(pid)
    per = {}
    for tid, (name, n) in b.items():
        per[name] = per.get(name, 0) + n - a.get(tid, (name, 0))[1]
    return sum(per.values()) / SECONDS, per


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
    load0 = os.getloadavg()[0]
    for label, bindir in runs:
        rows.append((label, agent(bindir, tmp), desktop(bindir, tmp)))
    load1 = os.getloadavg()[0]
    print(f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores by `benches/idle_wakeups.sh` (`scripts/bench.sh idle`; "
          f"`IDLE_BASE_DIR` names a baseline build's binary directory, measured in the same run): a private D-Bus session with "
          f"gnome-keyring, Xvfb; the 8 demo profiles (1-hour sessions) against the emulator in a separate process; {SETTLE} s to settle, "
          f"then {SECONDS} s idle. A wake-up is a context switch (voluntary + involuntary) summed over `/proc/PID/task/*/status`. "
          f"Builds measured one after the other in the order of the table; load average (1 min) {load0:.1f} at the start, {load1:.1f} at the end "
          f"(other helpers' builds on the same 2 cores).\n")
    print("| build | `alicred agent`, wake-ups/s | desktop app `--hidden` (tray only), wake-ups/s |")
    print("|---|---:|---:|")
    for label, (a, _), (d, _) in rows:
        print(f"| {label} | {a:.2f} | {d:.2f} |")
    if len(rows) == 2 and rows[0][1][0] and rows[0][2][0]:
        (l0, (a0, _), (d0, _)), (l1, (a1, _), (d1, _)) = rows
        print(f"| **ratio {l1} / {l0}** | **{a1 / a0:.2f}×** | **{d1 / d0:.2f}×** |")
    print(f"\nPer thread (context switches in the {SECONDS} s, threads at 0 left out):\n")
    for label, (_, ta), (_, td) in rows:
        for what, per in (("agent", ta), ("desktop", td)):
            busy = ", ".join(f"`{n}` {c}" for n, c in sorted(per.items(), key=lambda x: -x[1]) if c)
            print(f"- {label}, {what}: {busy or 'none'}")


if __name__ == "__main__":
    main()
