"""Desktop app benchmarks: memory (PSS of the whole process tree) with the
dashboard open, with only the tray at start (`--hidden`) and with only the tray
after the dashboard was opened and closed; cold start to the endpoint serving.

Run through bench_desktop.sh (a private D-Bus session with a real Secret
Service, Xvfb and a notification server). With ALICRED_DESKTOP_BASE_BIN set, a
baseline binary (e.g. the release build of main before a change) is measured
in the same run, interleaved with ALICRED_DESKTOP_BIN. Prints the BENCHMARKS.md
section (Markdown) on stdout.
"""

import hashlib
import hmac
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from procs import descendants, running
from xwindows import close_dashboard

BIN = os.environ["ALICRED_DESKTOP_BIN"]
BASE = os.environ.get("ALICRED_DESKTOP_BASE_BIN") or None
TMP = Path(os.environ["SESSION_TMP"])
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
MEM_RUNS = int(os.environ.get("BENCH_MEM_RUNS", "3"))
SETTLE = float(os.environ.get("BENCH_SETTLE", "8"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




def rollup(pid):
    """smaps_rollup of one process as {field: KiB}."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def tree(pid):
    """[(name, rollup)] for the app and all its descendants."""
    return [(comm(p), rollup(p)) for p in descendants(pid)]


def total_mib(t):
    return sum(r.get("Pss", 0) for _, r in t) / 1024


def top_mappings(pid, n=8):
    """The n mappings with the most PSS in one process: [(name, KiB)], same-named ones summed."""
    sums, name = {}, None
    try:
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split(None, 5)
                name = parts[5] if len(parts) > 5 else "[anon]"
            elif line.startswith("Pss:") and name is not None:
                sums[name] = sums.get(name, 0) + int(line.split()[1])
    except OSError:
        return []
    return sorted(sums.items(), key=lambda kv: -kv[1])[:n]


def start(binary, home, port, *args, demo=False):
    env = dict(os.environ, ALICRED_HOME=str(home), ALICRED_LISTEN=f"127.0.0.1:{port}", ALICRED_LOG="warn")
    if not demo:
        env["ALICRED_NO_DEMO"] = "1"
    return subprocess.Popen([binary, *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(TMP / "bench-app.log", "a"))


def trays(pid):
    """The tray agents (`alicred-tray`) the app started: they outlive the
    dashboard's process (a build without them has none)."""
    return [q for q in descendants(pid) if q != pid and comm(q) == "alicred-tray"]




def app_tree(roots):
    """[(name, rollup)] of every live process under `roots`, each once."""
    seen = []
    for r in roots:
        if running(r):
            seen += [q for q in descendants(r) if q not in seen]
    return [(comm(q), rollup(q)) for q in seen]


def stop(p, also=()):
    for pid in also:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    t0 = time.monotonic()
    while any(running(q) for q in also) and time.monotonic() - t0 < 10:
        time.sleep(0.05)


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
        except urllib.error.HTTPError:
            if answered is None:
                answered = time.perf_counter() - t0
            if url is None:
                return answered, None
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.005)
    if answered is not None:
        return answered, None  # answers, but never served `url` (e.g. an older URL scheme)
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
    return hmac.new(token.encode(), b"alicred-endpoint-v1\0profile\0demo-alice", hashlib.sha256).hexdigest()[:32]


# --- the runs ----------------------------------------------------------------

def cold_starts(binary, home, token):
    answers, serves = [], []
    for _ in range(RUNS):
        port = free_port()
        p = start(binary, home, port)
        # demo-alice is an access-key profile: served without any network call.
        url = f"http://127.0.0.1:{port}/{token}/v1/credentials/demo-alice" if token else None
        a, s = until_serving(port, p, url, timeout=10)
        answers.append(a * 1000)
        if s is not None:
            serves.append(s * 1000)
        stop(p, trays(p.pid))
    return answers, serves


def memory_open_close(binary, home):
    """Dashboard open, then what runs on after its window was closed: the
    tray agent (its own process since issue 13; the same process before)."""
    port = free_port()
    p = start(binary, home, port)
    until_serving(port, p)
    time.sleep(SETTLE)
    roots = [p.pid] + trays(p.pid)
    opened = app_tree(roots)
    close_dashboard()
    time.sleep(SETTLE)
    closed = app_tree(roots)
    left = [r for r in roots if running(r)]
    closed_maps = top_mappings(left[-1]) if left else []
    serving = False
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
            serving = True
    except urllib.error.HTTPError:
        serving = True
    except (urllib.error.URLError, OSError):
        pass
    stop(p, roots[1:])
    if not serving:
        raise RuntimeError("closing the dashboard stopped the endpoint")
    return opened, closed, closed_maps


def memory_hidden(binary, home):
    port = free_port()
    p = start(binary, home, port, "--hidden")
    until_serving(port, p)
    time.sleep(SETTLE)
    t, maps = tree(p.pid), top_mappings(p.pid)
    stop(p, trays(p.pid))
    return t, maps


def warm_page_cache(pids, extra=()):
    """Read every file the processes map, whole, into the page cache. The PSS
    of a library depends on what of it is cached (the kernel maps cached
    neighbours of each page a process touches), so every measured run starts
    from the same, fully cached state: the larger, repeatable figure."""
    files = set()
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
                parts = line.split(None, 5)
                if len(parts) > 5 and parts[5].startswith("/") and not parts[5].endswith("(deleted)") \
                        and not parts[5].startswith(("/dev/", "/memfd:", "/SYSV")):
                    files.add(parts[5])
        except OSError:
            pass
    files.update(extra)
    for f in sorted(files):
        try:
            with open(f, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        except OSError:
            pass
    return len(files)


def breakdown(t):
    """Per process: PSS, of which anonymous / file-backed / shared memory (MiB)."""
    rows = []
    for name, r in t:
        rows.append(f"{name} {r.get('Pss', 0) / 1024:.1f} (anon {r.get('Pss_Anon', 0) / 1024:.1f}, "
                    f"file {r.get('Pss_File', 0) / 1024:.1f}, shmem {r.get('Pss_Shmem', 0) / 1024:.1f})")
    return "; ".join(rows)


def main():
    bins = [("after", BIN)] + ([("before", BASE)] if BASE else [])
    # First run of the README quick start: demo emulator + its sample profiles.
    home = TMP / "bench-demo"
    port = free_port()
    p = start(BIN, home, port, demo=True)
    first, _ = until_serving(port, p)
    time.sleep(SETTLE)
    warm_page_cache(descendants(p.pid), [b for _, b in bins])
    stop(p, trays(p.pid))
    token = endpoint_token(home)

    res = {k: {"answer": [], "serve": [], "open": [], "closed": [], "hidden": []} for k, _ in bins}
    detail = {}
    for _ in range(MEM_RUNS):
        for key, b in bins:
            opened, closed, closed_maps = memory_open_close(b, home)
            hidden, hidden_maps = memory_hidden(b, home)
            res[key]["open"].append(total_mib(opened))
            res[key]["closed"].append(total_mib(closed))
            res[key]["hidden"].append(total_mib(hidden))
            detail[key] = dict(opened=opened, closed=closed, closed_maps=closed_maps, hidden=hidden,
                               hidden_maps=hidden_maps)
    for key, b in bins:
        a, s = cold_starts(b, home, token)
        res[key]["answer"] += a
        res[key]["serve"] += s

    def med(key, m, fmt="{:.0f}"):
        v = res[key][m]
        return fmt.format(statistics.median(v)) if v else "—"

    cpu = "?"
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    ui = Path(__file__).resolve().parents[2] / "ui" / "dist" / "assets"
    js = sum(f.stat().st_size for f in ui.glob("*.js")) if ui.is_dir() else 0
    css = sum(f.stat().st_size for f in ui.glob("*.css")) if ui.is_dir() else 0

    out = []
    w = out.append
    w("## Desktop app (issues 5, 13)\n")
    w(f"Measured {date.today()} on {os.cpu_count()} cores ({cpu}), release build "
      "(`cargo build --release -p alicred-desktop --features custom-protocol`, which builds `alicred-desktop` and `alicred-tray`), by "
      "`tests/e2e/bench_desktop.sh` (`scripts/bench.sh desktop`): Xvfb, a private D-Bus session with "
      "gnome-keyring as the Secret Service, dunst as notification server. Memory is the PSS of the "
      "whole process tree (the dashboard's process, WebKit's web and network processes and the tray agent "
      "`alicred-tray`, which outlives the dashboard; before issue 13 one process ran both), summed from "
      f"`/proc/*/smaps_rollup`, {SETTLE:.0f} s after start (or after the close), with every file the "
      "app and WebKit map read into the page cache first (a library's PSS depends on how much of it is "
      f"cached); the profiles are the demo's samples. Medians of {MEM_RUNS} memory runs and {RUNS} cold starts"
      + (", the baseline (`before`: the release build of main just before this change) interleaved in the same run." if BASE else ".")
      + " The dashboard is closed by sending it `WM_DELETE_WINDOW`, as a window manager's close button does.\n")
    head = "| measurement | " + " | ".join(k for k, _ in bins) + " | target |"
    w(head)
    w("|---" * (len(bins) + 2) + "|")
    rows = [
        ("Memory, dashboard open", "open", "{:.0f} MiB", "< 200 MiB"),
        ("Memory, tray only after the dashboard was opened and closed", "closed", "{:.0f} MiB", "< 60 MiB"),
        ("Memory, tray only at start (`--hidden`)", "hidden", "{:.0f} MiB", "< 50 MiB"),
        ("Cold start to the endpoint answering", "answer", "{:.0f} ms", "< 1 s"),
        ("Cold start to a profile's credentials served (HTTP 200, `demo-alice`)", "serve", "{:.0f} ms", "< 1 s"),
    ]
    for label, m, fmt, target in rows:
        w(f"| {label} | " + " | ".join(med(k, m, fmt) for k, _ in bins) + f" | {target} |")
    w(f"| First start with the demo (emulator started, the sample profiles written to the keyring), to the endpoint answering | {first * 1000:.0f} ms"
      + (" | —" if BASE else "") + " | — |")
    w("")
    w(f"Dashboard bundle: {js / 1024:.1f} KiB of JavaScript, {css / 1024:.1f} KiB of CSS (`ui/dist`, uncompressed).\n")
    w("Where the memory goes (last run; MiB of PSS per process, split into anonymous, file-backed and shared memory):\n")
    for key, _ in bins:
        d = detail[key]
        w(f"- {key}, dashboard open: {breakdown(d['opened'])}")
        w(f"- {key}, after close: {breakdown(d['closed'])}")
        w(f"- {key}, `--hidden`: {breakdown(d['hidden'])}")
    w("")
    d = detail["after"]
    w("Largest mappings of the process that runs on after close (the tray agent), tray only after close (PSS, KiB): "
      + ", ".join(f"`{Path(n).name if n.startswith('/') else n}` {k}" for n, k in d["closed_maps"]) + ".\n")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
