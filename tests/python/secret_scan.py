"""The one secret scanner of the Rust, Python and E2E suites.

Rules (the same for every suite, since every suite calls this file):
- the secrets are every value the emulator handed out (its admin API lists
  them: `GET /_admin/handed-out`, or `alicred-fakecloud --record-secrets`),
  plus whatever a test registers (e.g. the agent's endpoint token);
- every regular file under the given directories is read (symlinks are not
  followed), and every captured stdout/stderr of a child;
- a secret is found as written, URL-encoded (either hex case, `+` for space),
  JSON-escaped (`\\/`, `\\uXXXX`), and base64-encoded (standard and URL-safe,
  at any of the three byte alignments, so a secret inside a longer encoded
  text such as `id:secret` is found too);
- values shorter than 8 characters are not looked for (they would match by
  chance; the emulator's are long), and a scan that has nothing to look for
  is an error, not a pass.

In pytest, `SecretScan` (used by conftest.py for every test) captures the
stdout and stderr of every child (to files, so a killed child's output is
kept too) and at the end walks every file the run wrote. Children whose job
is to print credentials (`alicred creds`, `env`, `exec -- printenv`) are run
with `prints_secrets=True`: their stdout is exempt, their stderr is not.

From a shell or a Rust test:
    python3 tests/python/secret_scan.py --secrets FILE [--exclude GLOB]... PATH...
FILE holds one secret a line (or `kind<TAB>secret`, as --record-secrets
writes). Prints every finding; exit 0 clean, 1 found, 2 nothing to look for
or bad usage.
"""

import base64
import fnmatch
import hashlib
import itertools
import json
import pathlib
import subprocess
import sys
import urllib.parse

MIN_LEN = 8
_counter = itertools.count()


# --- the rules -------------------------------------------------------------

def _b64_windows(raw, encode):
    """The base64 text of `raw` as it appears inside any longer encoded
    string: for each of the 3 alignments, the part that depends on `raw` only."""
    out = set()
    for k in range(3):
        enc = encode(b"\0" * k + raw).rstrip(b"=")
        start = 4 if k else 0  # the first group mixes in prefix bytes
        end = len(enc)
        if (k + len(raw)) % 3:
            end -= (k + len(raw)) % 3 + 1  # the last group mixes in what follows
        part = enc[start:end]
        if len(part) >= 16:
            out.add(part)
    return out


def forms(secret):
    """Every byte string under which `secret` is looked for."""
    s = secret
    raw = s.encode()
    out = {raw}
    for enc in (urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s, safe="")):
        out.add(enc.encode())
        out.add(_lower_percent(enc).encode())
    j = json.dumps(s)[1:-1]
    out.add(j.encode())
    out.add(j.replace("/", "\\/").encode())
    out.add(json.dumps(s, ensure_ascii=True)[1:-1].encode())
    if len(raw) >= 12:
        out |= _b64_windows(raw, base64.b64encode)
        out |= _b64_windows(raw, base64.urlsafe_b64encode)
    return {f for f in out if len(f) >= MIN_LEN}


def _lower_percent(s):
    return "".join(c.lower() if i >= 1 and s[i - 1] == "%" or i >= 2 and s[i - 2] == "%" else c
                   for i, c in enumerate(s))


class Needles:
    """The compiled search: every form of every secret."""

    def __init__(self, secrets):
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_LEN})
        self.forms = [(f, s) for s in self.secrets for f in sorted(forms(s))]

    def __len__(self):
        return len(self.secrets)

    def find(self, data):
        """The secrets (with the form that matched) found in `data`."""
        hits = []
        for form, secret in self.forms:
            if form in data:
                hits.append((secret, "as written" if form == secret.encode() else "encoded"))
        return hits


def describe(secret):
    """A finding names the secret by a digest, never by its characters."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def files_under(root, exclude=()):
    root = pathlib.Path(root)
    if root.is_file():
        return [root]
    if not root.exists():
        return []
    return [p for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()
            and not any(fnmatch.fnmatch(p.name, g) or fnmatch.fnmatch(str(p), g) for g in exclude)]


def scan_paths(needles, paths, exclude=()):
    """Findings ("file PATH: secret abcd… as written") and the number of files read."""
    hits, n = [], 0
    for root in paths:
        for p in files_under(root, exclude):
            try:
                data = p.read_bytes()
            except OSError:
                continue
            n += 1
            hits += [f"file {p}: secret {describe(s)} {how}" for s, how in needles.find(data)]
    return hits, n


def read_secrets_file(path):
    p = pathlib.Path(path)
    if not p.exists():
        return []  # nothing recorded: the scan then refuses to pass
    out = []
    for line in p.read_text().splitlines():
        if line:
            out.append(line.split("\t", 1)[-1])
    return out


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Look for secrets (and their encodings) in files.")
    ap.add_argument("--secrets", action="append", default=[], help="file: one secret a line (or kind<TAB>secret)")
    ap.add_argument("--exclude", action="append", default=[], help="glob of file names or paths not to read")
    ap.add_argument("--label", default="", help="what is scanned, for the summary line")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args(argv)
    secrets = [s for f in a.secrets for s in read_secrets_file(f)]
    needles = Needles(secrets)
    if not len(needles):
        print(f"secret scan{a.label and ' of ' + a.label}: nothing to look for (no secret of {MIN_LEN}+ characters given)",
              file=sys.stderr)
        return 2
    hits, n = scan_paths(needles, a.paths, a.exclude)
    for h in sorted(set(hits)):
        print(h)
    print(f"secret scan{a.label and ' of ' + a.label}: {len(needles)} secrets ({len(needles.forms)} forms), "
          f"{n} files, {len(set(hits))} findings", file=sys.stderr)
    return 1 if hits else 0


# --- pytest: one scan per test ----------------------------------------------

class SecretScan:
    def __init__(self, capture_dir):
        self.dir = pathlib.Path(capture_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.outputs = []  # (label, stdout path, stderr path, stdout may hold secrets)
        self.dirs = []
        self.clouds = []
        self.secrets = set()
        self.secret_sources = []  # callables returning more secrets at scan time

    # --- what to watch -------------------------------------------------

    def watch_dir(self, path):
        self.dirs.append(pathlib.Path(path))

    def watch_cloud(self, cloud):
        self.clouds.append(cloud)

    def add_secret(self, value):
        if value:
            self.secrets.add(value)

    def add_secret_source(self, fn):
        """`fn()` returns secrets known only at the end (e.g. an endpoint token)."""
        self.secret_sources.append(fn)

    # --- children ------------------------------------------------------

    def _files(self, args, prints_secrets):
        n = next(_counter)
        label = " ".join(str(a) for a in args)[:200]
        out, err = self.dir / f"{n:04d}.out", self.dir / f"{n:04d}.err"
        self.outputs.append((label, out, err, prints_secrets))
        return open(out, "wb"), open(err, "wb")

    def popen(self, args, *, prints_secrets=False, **kw):
        """subprocess.Popen whose stdout/stderr go to capture files (read them
        with `output(proc)`); killing the child loses nothing."""
        out, err = self._files(args, prints_secrets)
        with out, err:
            proc = subprocess.Popen(args, stdout=out, stderr=err, **kw)
        proc.capture = (out.name, err.name)
        return proc

    @staticmethod
    def output(proc):
        o, e = proc.capture
        return pathlib.Path(o).read_text(errors="replace"), pathlib.Path(e).read_text(errors="replace")

    def run(self, args, *, input="", timeout=60, prints_secrets=False, **kw):
        """Like subprocess.run(capture_output=True, text=True), through capture
        files; a child that times out is killed, and what it wrote is kept."""
        proc = self.popen(args, stdin=subprocess.PIPE, prints_secrets=prints_secrets, **kw)
        try:
            proc.communicate(input=input.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        out, err = self.output(proc)
        return subprocess.CompletedProcess(args, proc.returncode, out, err)

    # --- the scan ------------------------------------------------------

    def known_secrets(self):
        found = set(self.secrets)
        for fn in self.secret_sources:
            found |= {s for s in fn() if s}
        for cloud in self.clouds:
            found |= set(cloud.handed_out())
        return {s for s in found if len(s) >= MIN_LEN}

    def findings(self):
        needles = Needles(self.known_secrets())
        self._needles = needles
        hits = []
        for label, out, err, exempt in self.outputs:
            for path, kind in ((err, "stderr"), (out, "stdout")):
                if kind == "stdout" and exempt:
                    continue
                data = path.read_bytes() if path.exists() else b""
                hits += [f"{kind} of `{label}`: secret {describe(s)} {how}" for s, how in needles.find(data)]
        file_hits, self._files_read = scan_paths(needles, self.dirs)
        return sorted(set(hits + file_hits))

    def stats(self):
        n = getattr(self, "_needles", None)
        return {"children": len(self.outputs), "files": getattr(self, "_files_read", 0),
                "secrets": len(n) if n else len(self.known_secrets())}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
