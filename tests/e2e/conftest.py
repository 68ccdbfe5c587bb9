"""The E2E's part of the shared secret scan (tests/python/secret_scan.py).

After every test, every secret known at that moment is appended to
$E2E_SECRETS_FILE (run.sh sets it, outside the session's directory):
- what every emulator the app runs for its demo handed out (its address is
  in the profiles file of each ALICRED_HOME under the session directory; its
  admin API lists every value, `GET /_admin/handed-out`);
- the endpoint token of each of those homes (in the session's Secret Service).
The emulators the tests start themselves (alicred-fakecloud) append theirs
when they stop (ALICRED_FAKECLOUD_RECORD_SECRETS, set by run.sh). When pytest
is done, run.sh scans every file of the session (its HOME with WebKit's
storage and the autostart entry, every ALICRED_HOME, app*.log, dunst.log,
the notifications log) for all of them, encoded forms included.
"""

import os
import pathlib
import re
import subprocess

import pytest
import requests

TMP = pathlib.Path(os.environ.get("SESSION_TMP", "/tmp"))
RECORD = os.environ.get("E2E_SECRETS_FILE")


def homes():
    return [p.parent for p in TMP.glob("*/profiles.toml")]


def demo_secrets(home):
    out = []
    text = (home / "profiles.toml").read_text(errors="replace")
    for base in sorted(set(re.findall(r"http://127\.0\.0\.1:\d+", text))):
        try:
            r = requests.get(f"{base}/_admin/handed-out", timeout=5)
        except requests.RequestException:
            continue  # stopped with its app, or not an emulator
        if r.ok:
            out += [f"{s['kind']}\t{s['value']}" for s in r.json().get("secrets", [])]
    return out


def endpoint_token(home):
    r = subprocess.run(["secret-tool", "lookup", "service", f"alicred:{home}", "username", "endpoint-token"],
                       capture_output=True, text=True, timeout=30)
    return [f"endpoint-token\t{r.stdout.strip()}"] if r.returncode == 0 and r.stdout.strip() else []


def record():
    if not RECORD:
        return
    lines = []
    for home in homes():
        lines += demo_secrets(home) + endpoint_token(home)
    if lines:
        fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a") as f:
            f.write("\n".join(lines) + "\n")


@pytest.fixture(autouse=True)
def _record_secrets():
    yield
    record()
