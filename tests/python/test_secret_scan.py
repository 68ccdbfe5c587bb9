"""The shared secret scanner (secret_scan.py) finds what it promises: a
secret as written, URL-encoded, JSON-escaped and base64-encoded inside longer
text, in files and in captured outputs, and refuses to pass with nothing to
look for. Every suite's scan is only as good as this."""

import base64
import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import secret_scan

SECRET = "Xq9/fake+Secret=Value_0123456789abc"
SCANNER = Path(secret_scan.__file__)


def encodings(s):
    yield "as written", s.encode()
    yield "url", urllib.parse.quote(s, safe="").encode()
    yield "url, lower-case hex", re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(),
                                         urllib.parse.quote(s, safe="")).encode()
    yield "form", urllib.parse.urlencode({"k": s}).encode()
    yield "json", json.dumps({"k": s}).encode()
    yield "json, escaped slash", json.dumps({"k": s}).replace("/", "\\/").encode()
    for pre in ("", "a", "ab", "LTAIid:"):
        yield f"base64 after {pre!r}", base64.b64encode((pre + s + "!").encode())
        yield f"url-safe base64 after {pre!r}", base64.urlsafe_b64encode((pre + s).encode()).rstrip(b"=")


def test_every_form_is_found_in_a_file_and_nothing_else_is(tmp_path):
    needles = secret_scan.Needles([SECRET])
    for what, data in encodings(SECRET):
        assert needles.find(b"<" + data + b">"), f"missed the secret {what}"
    assert not needles.find(SECRET[:-3].encode() + b"zzz"), "a near miss is not the secret"
    assert not needles.find(b"the word secret, and nothing else"), "false alarm"


def test_the_cli_scans_a_tree_and_reports_without_the_value(tmp_path):
    secrets = tmp_path / "secrets"
    secrets.write_text(f"access-key-secret\t{SECRET}\nshort\n")
    tree = tmp_path / "home"
    (tree / "logs").mkdir(parents=True)
    (tree / "logs" / "app.log").write_bytes(b"token=" + urllib.parse.quote(SECRET, safe="").encode())
    (tree / "clean.txt").write_text("nothing here")
    r = subprocess.run([sys.executable, SCANNER, "--secrets", secrets, tree], capture_output=True, text=True)
    assert r.returncode == 1, r
    assert "app.log" in r.stdout and "clean.txt" not in r.stdout, r.stdout
    assert SECRET not in r.stdout + r.stderr and SECRET[:8] not in r.stdout + r.stderr, "the report quotes the secret"
    (tree / "logs" / "app.log").write_text("clean now")
    r = subprocess.run([sys.executable, SCANNER, "--secrets", secrets, tree], capture_output=True, text=True)
    assert r.returncode == 0, r


def test_a_scan_with_nothing_to_look_for_fails(tmp_path):
    empty = tmp_path / "none"
    empty.write_text("short\n")
    r = subprocess.run([sys.executable, SCANNER, "--secrets", empty, tmp_path], capture_output=True, text=True)
    assert r.returncode == 2 and "nothing to look for" in r.stderr, r
    r = subprocess.run([sys.executable, SCANNER, "--secrets", tmp_path / "missing", tmp_path],
                       capture_output=True, text=True)
    assert r.returncode == 2, r
