"""Desktop app benchmarks: memory (PSS of the whole process tree) with the
dashboard open and with only the tray, and cold start to the endpoint serving.

Run through bench_desktop.sh (a private D-Bus session with a real Secret
Service, Xvfb and a notification server). Prints a Markdown table.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = os.environ["ALICRED_DESKTOP_BIN"]
TMP = Path(os.environ["SESSION_TMP"])
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SETTLE = float(os.environ.get("BENCH_SETTLE", "8"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    kids = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(p.name))
    out, todo = [], [pid]
    while todo:
        q = todo.pop()
        out.append(q)
        todo.extend(kids.get(q, []))
    return out


def pss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mib(pid):
    procs = children(pid)
    return sum(pss_kib(p) for p in procs) / 1024, len(procs)


def start(home, port, *args, demo=False):
    env = dict(os.environ, ALICRED_HOME=str(home), ALICRED_LISTEN=f"127.0.0.1:{port}", ALICRED_LOG="warn")
    if not demo:
        env["ALICRED_NO_DEMO"] = "1"
    return subprocess.Popen([BIN, *args], env=env, stdout=subprocess.DEVNULL, stderr=open(TMP / "bench-app.log", "a"))


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def until_serving(port, p, url=None, timeout=30):
    """Seconds until the endpoint answers (any HTTP status), and until `url` gives 200."""
    t0 = time.perf_counter()
    answered = None
    while time.perf_counter() - t0 < timeout:
        if p.poll() is not None:
            raise RuntimeError(f"app exited with {p.returncode}; see {TMP / 'bench-app.log'}")
        try:
            target = url or f"http://127.0.0.1:{port}/"
            with urllib.request.urlopen(target, timeout=1) as r:
                if answered is None:
                    answered = time.perf_counter() - t0
                if r.status == 200:
                    return answered, time.perf_counter() - t0
        except urllib.error.HTTPError as e:
            if os.environ.get("BENCH_DEBUG") and url:
                print("HTTP", e.code, e.read()[:200], file=sys.stderr)
            if answered is None:
                answered = time.perf_counter() - t0
            if url is None:
                return answered, None
        except (urllib.error.URLError, OSError) as e:
            if os.environ.get("BENCH_DEBUG") and time.perf_counter() - t0 > 5:
                print("not yet:", repr(e)[:200], file=sys.stderr)
                time.sleep(1)
        time.sleep(0.005)
    raise TimeoutError("endpoint did not serve")


def endpoint_token(home):
    """demo-alice's URL capability, from the token in the keyring, as `alicred endpoint` derives it."""
    out = subprocess.run(["secret-tool", "lookup", "service", f"alicred:{home}", "username", "endpoint-token"],
                         capture_output=True, text=True, timeout=10)
    token = out.stdout.strip()
    if not token:
        return None
    # A profile URL carries its own capability, derived as the core's
    # server::token::capability_for does (README, "one URL, one profile").
    import hashlib
    import hmac
    return hmac.new(token.encode(), b"alicred-endpoint-v1\0profile\0demo-alice", hashlib.sha256).hexdigest()[:32]


def main():
    rows = []
    # First run of the README quick start: demo emulator + 8 sample profiles.
    home = TMP / "bench-demo"
    port = free_port()
    t0 = time.perf_counter()
    p = start(home, port, demo=True)
    first, _ = until_serving(port, p)
    rows.append(("First start with the demo (emulator + 8 sample profiles seeded), to endpoint answering", f"{first * 1000:.0f} ms"))
    time.sleep(SETTLE)
    dash, n_dash = tree_pss_mib(p.pid)
    stop(p)
    token = endpoint_token(home)

    # Cold starts with the seeded profiles: endpoint answering, and the active
    # profile's credentials served (200) when the token could be read.
    answers, serves = [], []
    for _ in range(RUNS):
        port = free_port()
        p = start(home, port, demo=False)
        # demo-alice is an access-key profile: served without any network call.
        url = f"http://127.0.0.1:{port}/{token}/v1/credentials/demo-alice" if token else None
        a, s = until_serving(port, p, url)
        answers.append(a)
        if s is not None:
            serves.append(s)
        stop(p)
    rows.append((f"Cold start to endpoint answering (8 profiles, median of {RUNS})", f"{statistics.median(answers) * 1000:.0f} ms"))
    if serves:
        rows.append((f"Cold start to a profile's credentials served (HTTP 200, access-key profile) (median of {RUNS})", f"{statistics.median(serves) * 1000:.0f} ms"))

    # Memory with the dashboard open (8 profiles, fresh) and with only the tray.
    samples = {"dash": [], "tray": []}
    counts = {}
    for _ in range(3):
        for mode, args in (("dash", []), ("tray", ["--hidden"])):
            port = free_port()
            p = start(home, port, *args)
            until_serving(port, p)
            time.sleep(SETTLE)
            mib, n = tree_pss_mib(p.pid)
            samples[mode].append(mib)
            counts[mode] = n
            stop(p)
    rows.append((f"Memory, dashboard open (PSS of {counts['dash']} processes, median of 3)", f"{statistics.median(samples['dash']):.1f} MiB"))
    rows.append((f"Memory, tray only (`--hidden`, PSS of {counts['tray']} process(es), median of 3)", f"{statistics.median(samples['tray']):.1f} MiB"))
    rows.append(("Memory, first demo start with dashboard", f"{dash:.1f} MiB ({n_dash} processes)"))

    print("| measurement | result |")
    print("|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
