"""Shared fixtures: the built binaries, a private ALICRED_HOME, the emulator.

Tests run inside scripts/lib/with-keyring.sh, so a real, unlocked GNOME
Keyring (Secret Service) is on the session bus; without one they fall back to
the passphrase-encrypted file store.
"""

import json
import os
import pathlib
import select
import socket
import subprocess

import pytest
import requests

from secret_scan import SecretScan

BIN_DIR = pathlib.Path(os.environ.get("ALICRED_BIN_DIR", "/root/.cache/alicred/target/debug"))
ALICRED = BIN_DIR / "alicred"
FAKECLOUD = BIN_DIR / "alicred-fakecloud"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(home):
    """The environment an alicred process gets: its own home and store, and no
    inherited credentials that would mask what alicred provides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "OSS_"))}
    env["ALICRED_HOME"] = str(home)
    env["ALICRED_KEYRING"] = "secret-service" if os.environ.get("DBUS_SESSION_BUS_ADDRESS") else "encrypted-file"
    env["ALICRED_KEYRING_PASSPHRASE"] = "pytest-passphrase"
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


# The scan of the running test (see secret_scan.py); every child and every
# emulator started through this module reports to it.
CURRENT = None


@pytest.fixture(autouse=True)
def scan(tmp_path):
    """Every test: capture every child's output, and at the end look for every
    secret the emulator issued in those outputs and in every file written."""
    global CURRENT
    CURRENT = SecretScan(tmp_path / "captures")
    yield CURRENT
    s, CURRENT = CURRENT, None
    for cloud in s.clouds:
        cloud.stop()
    hits = s.findings()
    assert not hits, f"secrets leaked ({s.stats()}): " + "; ".join(hits)


class Alicred:
    def __init__(self, home):
        self.home = pathlib.Path(home)
        self.env = clean_env(home)
        CURRENT.watch_dir(self.home)

    def run(self, *args, stdin="", check=True, timeout=60, prints_secrets=False):
        p = CURRENT.run([str(ALICRED), *args], input=stdin, env=self.env, timeout=timeout, prints_secrets=prints_secrets)
        if check and p.returncode != 0:
            raise AssertionError(f"alicred {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def json(self, *args, **kw):
        return json.loads(self.run(*args, **kw).stdout)

    def add(self, name, type_, *flags, secret=None):
        stdin = json.dumps(secret) if secret else ""
        return self.run("profile", "add", name, "--type", type_, *flags, stdin=stdin)

    def written_bytes(self):
        for p in self.home.rglob("*"):
            if p.is_file():
                yield p, p.read_bytes()


@pytest.fixture
def alicred(tmp_path):
    if not ALICRED.exists():
        pytest.fail(f"{ALICRED} not found: build first (cargo build --workspace)")
    return Alicred(tmp_path / "alicred-home")


class Cloud:
    """alicred-fakecloud on a free loopback port, with its admin API."""

    def __init__(self, proc, port):
        self.proc, self.port = proc, port
        self.base = f"http://127.0.0.1:{port}"
        self.http = requests.Session()
        self.http.trust_env = False
        self.final_issued = None
        if CURRENT is not None:
            CURRENT.watch_cloud(self)

    def issued_record(self):
        """Everything the emulator ever issued (kept after it stops)."""
        if self.final_issued is not None:
            return self.final_issued
        got = self.admin("/issued")
        return got["issued"] if isinstance(got, dict) else got

    def stop(self):
        """Record what it issued, then stop it. Idempotent."""
        if self.final_issued is None:
            try:
                self.final_issued = self.issued_record()
            except requests.RequestException:
                if self.proc.poll() is None:
                    raise
                self.final_issued = []
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    def admin(self, path, body=None, method=None):
        url = f"{self.base}/_admin{path}"
        m = method or ("POST" if body is not None else "GET")
        r = self.http.request(m, url, json=body, timeout=10)
        r.raise_for_status()
        return r.json() if r.content else None

    def url(self, svc):
        return f"{self.base}/{svc}"


def start_cloud(*extra):
    if not FAKECLOUD.exists():
        pytest.fail(f"{FAKECLOUD} not found: build first (cargo build --workspace)")
    last = ""
    for _ in range(3):  # the probed port may be taken before the emulator binds it
        port = free_port()
        proc = subprocess.Popen([str(FAKECLOUD), "--listen", f"127.0.0.1:{port}", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        if "listening on" in line:
            return Cloud(proc, port)
        proc.kill()
        last = line + proc.communicate(timeout=10)[1]
    pytest.fail(f"emulator did not start: {last}")


@pytest.fixture
def cloud():
    c = start_cloud("--demo")
    yield c
    c.stop()
