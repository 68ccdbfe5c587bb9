"""Shared fixtures: the built binaries, a private ALICRED_HOME, the emulator.

Tests run inside scripts/lib/with-keyring.sh, so a real, unlocked GNOME
Keyring (Secret Service) is on the session bus. Without one they fall back to
the passphrase-encrypted file store, unless a Secret Service is expected
(ALICRED_TEST_KEYRING=secret-service, set by with-keyring.sh and
scripts/test.sh): then every test fails, as the keyring would not be tested.
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


def keyring_store():
    """The store the tests use (see the module's doc)."""
    expected = os.environ.get("ALICRED_TEST_KEYRING")
    bus = bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
    if expected == "secret-service" and not bus:
        pytest.fail("ALICRED_TEST_KEYRING=secret-service but there is no D-Bus session: "
                    "run through scripts/lib/with-keyring.sh")
    if expected == "encrypted-file" or not bus:
        return "encrypted-file"
    return "secret-service"


OTHER_UID = 65534


def as_other_user(args):
    """`args` to run as another local user (nobody, no groups), for the tests
    of listeners that must refuse other users. Where root or setpriv is
    missing the test is skipped with the reason, unless
    ALICRED_TEST_OTHER_UID=required (scripts/test.sh): then it fails. nobody
    cannot read under /root: run system programs, or copy ours to /tmp."""
    import shutil
    why = None
    if os.geteuid() != 0:
        why = "not root: setpriv cannot switch to another user"
    elif not shutil.which("setpriv"):
        why = "setpriv is not installed (util-linux)"
    if why:
        if os.environ.get("ALICRED_TEST_OTHER_UID") == "required":
            pytest.fail(f"a client as another user is required (ALICRED_TEST_OTHER_UID=required), but {why}")
        pytest.skip(f"the other-user client cannot run: {why}")
    return ["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups", "--", *map(str, args)]


def clean_env(home):
    """The environment an alicred process gets: its own home and store, and no
    inherited credentials that would mask what alicred provides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "OSS_"))}
    env["ALICRED_HOME"] = str(home)
    env["ALICRED_KEYRING"] = keyring_store()
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
    # A test that handed out secrets was scanned for them; one that started
    # no emulator has nothing of its own to look for (stats say so).


def endpoint_token(home):
    """The agent's endpoint token of `home` from the Secret Service, if one
    was made (the scan looks for it: it opens every profile's credentials)."""
    if keyring_store() != "secret-service":
        return []
    out = subprocess.run(["secret-tool", "lookup", "service", f"alicred:{home}", "username", "endpoint-token"],
                         capture_output=True, text=True, timeout=30)
    return [out.stdout.strip()] if out.returncode == 0 and out.stdout.strip() else []


class Alicred:
    def __init__(self, home):
        self.home = pathlib.Path(home)
        self.env = clean_env(home)
        CURRENT.watch_dir(self.home)
        CURRENT.add_secret_source(lambda: endpoint_token(self.home))

    def run(self, *args, stdin="", check=True, timeout=60, prints_secrets=False):
        p = CURRENT.run([str(ALICRED), *args], input=stdin, env=self.env, timeout=timeout, prints_secrets=prints_secrets)
        if check and p.returncode != 0:
            raise AssertionError(f"alicred {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def json(self, *args, **kw):
        return json.loads(self.run(*args, **kw).stdout)

    def add(self, name, type_, *flags, secret=None):
        for k, v in (secret or {}).items():
            # The stored secret's values (not its AccessKey ID): never in a
            # file or an output.
            if isinstance(v, str) and any(w in k.lower() for w in ("secret", "token", "password", "private")):
                CURRENT.add_secret(v)
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
        self.final_secrets = None
        if CURRENT is not None:
            CURRENT.watch_cloud(self)

    def issued_record(self):
        """Every credential the emulator ever issued (kept after it stops)."""
        if self.final_issued is not None:
            return self.final_issued
        got = self.admin("/issued")
        return got["issued"] if isinstance(got, dict) else got

    def handed_out(self):
        """Every secret value it handed out, of every kind: AccessKey
        secrets, STS tokens, CloudSSO and OAuth tokens, ... (kept after it stops)."""
        if self.final_secrets is not None:
            return self.final_secrets
        return [s["value"] for s in self.admin("/handed-out")["secrets"]]

    def stop(self):
        """Record what it handed out, then stop it. Idempotent."""
        if self.final_issued is None:
            try:
                self.final_issued = self.issued_record()
                self.final_secrets = self.handed_out()
            except requests.RequestException:
                if self.proc.poll() is None:
                    raise
                # It died: what it handed out is lost with it, and a scan
                # without it would pass for nothing.
                self.final_issued, self.final_secrets = [], []
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
