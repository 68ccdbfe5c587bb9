"""Endpoint throughput and latency next to nginx serving the same JSON as a
static file (one worker) and, optionally, an older alicred build, all driven
by wrk (1 thread, 32 connections) in the same run, interleaved: keep-alive,
and a new connection per request (`Connection: close`). The own-user check
(docs/security.md, "Listeners") is on in the current build: wrk runs as the
same user, so every connection is checked and answered.

Usage: python benches/endpoint.py BIN_DIR [BASE_BIN_DIR] [--startup]
  BIN_DIR       release binaries to measure (alicred, alicred-fakecloud)
  BASE_BIN_DIR  release binaries of an older build, measured side by side
  --startup     also time `alicred agent` start to its first 200"""

import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import section  # noqa: E402

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BIN = pathlib.Path(ARGS[0] if ARGS else os.environ.get("ALICRED_BIN_DIR", ""))
BASE = pathlib.Path(ARGS[1]) if len(ARGS) > 1 else None
STARTUP = "--startup" in sys.argv
CONNS = 32
SECONDS = 8
ROUNDS = 2
S = requests.Session()
S.trust_env = False


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_200(url, timeout=20):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            if S.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - t0
        except requests.RequestException:
            pass
        time.sleep(0.002)
    raise RuntimeError("no 200 from the endpoint")


def wrk(url, seconds, close):
    hdr = ["-H", "Connection: close"] if close else []
    out = subprocess.run(["wrk", "-t1", f"-c{CONNS}", f"-d{seconds}s", "--latency", *hdr, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def lat(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v if unit == "ms" else v * 1000

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockerr = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    return {"rps": rps, "p50": lat(50), "p99": lat(99), "errors": errors,
            "sockerr": sum(int(x) for x in sockerr.groups()) if sockerr else 0}


class Install:
    """One build's agent in its own ALICRED_HOME (encrypted-file keyring)."""

    def __init__(self, label, bin_dir, root, cloud_base, demo):
        self.label, self.bin = label, bin_dir
        self.home = root / label
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "OSS_"))}
        self.env.update(ALICRED_HOME=str(self.home), ALICRED_KEYRING="encrypted-file", ALICRED_KEYRING_PASSPHRASE="bench")
        self.run("profile", "add", "alice", "--type", "access-key", "--sts-endpoint", f"{cloud_base}/sts",
                 stdin=json.dumps({"AccessKeyId": demo["alice"]["access_key_id"], "AccessKeySecret": demo["alice"]["access_key_secret"]}))
        self.run("profile", "add", "admin", "--type", "ram-role-arn", "--source", "alice", "--role-arn",
                 "acs:ram::1234567890123456:role/admin", "--sts-endpoint", f"{cloud_base}/sts")
        self.run("use", "admin")
        self.port = free_port()
        self.agent = subprocess.Popen([str(bin_dir / "alicred"), "agent", "--listen", f"127.0.0.1:{self.port}"],
                                      env=self.env, stderr=subprocess.DEVNULL)
        t0 = time.perf_counter()
        while not (self.home / "agent.json").exists():
            if time.perf_counter() - t0 > 20:
                raise RuntimeError(f"{label}: agent did not start")
            time.sleep(0.01)
        self.url = self.run("endpoint", "admin").stdout.strip()
        wait_200(self.url)

    def run(self, *a, stdin=""):
        return subprocess.run([str(self.bin / "alicred"), *a], input=stdin, capture_output=True, text=True, env=self.env, check=True)

    def stop(self):
        self.agent.terminate()
        self.agent.wait(timeout=10)


def throughput(root, cloud_base, demo):
    installs = [Install("current", BIN, root, cloud_base, demo)]
    if BASE:
        installs.append(Install("base", BASE, root, cloud_base, demo))
    body = S.get(installs[0].url, timeout=5).content
    path = "/" + installs[0].url.split("/", 3)[3]
    www = root / "www"
    f = www / path.lstrip("/")
    f.parent.mkdir(parents=True)
    f.write_bytes(body)
    for d in [www, *[p for p in f.parents if str(p).startswith(str(www))]]:
        d.chmod(0o755)
    f.chmod(0o644)
    nport = free_port()
    conf = root / "nginx.conf"
    conf.write_text(f"""worker_processes 1; daemon off; pid {root}/nginx.pid; error_log {root}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; default_type application/json; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:{nport}; root {www}; location / {{ try_files $uri =404; }} }} }}
""")
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(root)])
    nurl = f"http://127.0.0.1:{nport}{path}"
    wait_200(nurl)
    servers = [(i.label, i.url) for i in installs] + [("nginx", nurl)]
    results = {(n, m): [] for n, _ in servers for m in ("keep-alive", "close")}
    for _ in range(ROUNDS):  # interleaved, so drift hits all alike
        for mode in ("keep-alive", "close"):
            for name, u in servers:
                wrk(u, 2, mode == "close")  # warm-up
                results[(name, mode)].append(wrk(u, SECONDS, mode == "close"))
    nginx.terminate()
    nginx.wait(timeout=10)
    for i in installs:
        i.stop()
    return [n for n, _ in servers], results


def startup(root, cloud_base, demo):
    """`alicred agent` launched to the first 200 (median of 10) per profile."""
    inst = Install("startup", BIN, root, cloud_base, demo)
    caps = {p: inst.run("endpoint", p).stdout.strip().split("/")[3] for p in ("alice", "admin")}
    inst.stop()
    out = {}
    for profile in ("alice", "admin"):
        times = []
        for _ in range(10):
            port = free_port()
            url = f"http://127.0.0.1:{port}/{caps[profile]}/v1/credentials/{profile}"
            t0 = time.perf_counter()
            agent = subprocess.Popen([str(BIN / "alicred"), "agent", "--listen", f"127.0.0.1:{port}"], env=inst.env, stderr=subprocess.DEVNULL)
            wait_200(url)
            times.append(time.perf_counter() - t0)
            agent.terminate()
            agent.wait(timeout=10)
        out[profile] = statistics.median(times) * 1000
    return out


def main():
    root = pathlib.Path(tempfile.mkdtemp(prefix="alicred-bench-"))
    root.chmod(0o755)  # nginx's worker runs as nobody and must read www/
    cport = free_port()
    cloud = subprocess.Popen([str(BIN / "alicred-fakecloud"), "--listen", f"127.0.0.1:{cport}", "--demo"], stdout=subprocess.PIPE, text=True)
    cloud.stdout.readline()
    cloud_base = f"http://127.0.0.1:{cport}"
    demo = S.get(f"{cloud_base}/_admin/demo", timeout=5).json()
    try:
        names, results = throughput(root, cloud_base, demo)
        starts = startup(root, cloud_base, demo) if STARTUP else None
    finally:
        cloud.terminate()
        cloud.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    label = {"current": "alicred (this build, own-user check on)", "base": f"alicred, older build ({BASE_NAME})", "nginx": "nginx, same JSON as a static file"}
    rows = []
    for mode in ("keep-alive", "close"):
        n = max(results[("nginx", mode)], key=lambda r: r["rps"])
        title = "keep-alive" if mode == "keep-alive" else "new connection per request (`Connection: close`)"
        rows.append(f"\n**{title}**\n\n| server | requests/s (each run) | p50 | p99 | errors | req/s vs nginx | p99 vs nginx |\n|---|---:|---:|---:|---:|---:|---:|")
        for name in names:
            runs = results[(name, mode)]
            b = max(runs, key=lambda r: r["rps"])
            each = ", ".join(f"{r['rps']:,.0f}" for r in runs)
            errs = sum(r["errors"] + r["sockerr"] for r in runs)
            rows.append(f"| {label[name]} | {each} | {b['p50']:.3f} ms | {b['p99']:.3f} ms | {errs} | "
                        f"{b['rps'] / n['rps']:.2f}× | {b['p99'] / n['p99']:.2f}× |")
    cur = {m: max(results[("current", m)], key=lambda r: r["rps"]) for m in ("keep-alive", "close")}
    ng = {m: max(results[("nginx", m)], key=lambda r: r["rps"]) for m in ("keep-alive", "close")}
    met = lambda ok: "met" if ok else "NOT met"
    ka = cur["keep-alive"]["rps"] / ng["keep-alive"]["rps"]
    nc = cur["close"]["rps"] / ng["close"]["rps"]
    p99 = cur["close"]["p99"] / ng["close"]["p99"]
    md = f"""## Credentials endpoint (issues 4, 18)

Measured {time.strftime('%Y-%m-%d %H:%M')} UTC on {os.cpu_count()} cores ({cpu}), release builds, by `benches/endpoint.py`.
wrk: 1 thread, {CONNS} connections, {SECONDS} s per run after a 2 s warm-up; the servers interleaved, {ROUNDS} rounds
(every run listed; best run's latency and ratios shown). nginx: 1 worker, `access_log off`, serving the
very bytes alicred returned (cached `ram-role-arn` credentials) as a static file. wrk and the servers
share the machine's cores, for every server alike; the machine may be shared with other work.
{''.join(chr(10) + r for r in rows)}

Targets (issue 18, item 12), with the own-user check on: keep-alive ≥ 1.0× nginx ({ka:.2f}×: {met(ka >= 1.0)});
new connection per request ≥ 0.7× nginx ({nc:.2f}×: {met(nc >= 0.7)}) with p99 ≤ 2× nginx's ({p99:.2f}×: {met(p99 <= 2.0)}).
"""
    if starts:
        md += f"""
Start-up, `alicred agent` launched to the first 200 on the endpoint (median of 10):

| profile | median | target |
|---|---:|---:|
| `alice` (access-key, no network) | {starts['alice']:.0f} ms | < 150 ms ({met(starts['alice'] < 150)}) |
| `admin` (ram-role-arn: one AssumeRole at the emulator) | {starts['admin']:.0f} ms | < 150 ms ({met(starts['admin'] < 150)}) |
"""
    section.write("endpoint", md)
    print(md)


BASE_NAME = os.environ.get("BASE_NAME", "base")

if __name__ == "__main__":
    main()
