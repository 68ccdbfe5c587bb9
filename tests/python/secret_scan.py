"""One secret scan for every test that runs alicred: it captures the stdout
and stderr of every child (to files, so a killed child's output is kept too)
and, at the end, walks every file the run wrote (each ALICRED_HOME: app.log,
logs, rotation journals, agent.json, the profiles file; plus any other
directory a test registers, e.g. the desktop's notifications log), looking
for every secret and token the emulator issued (rotated and deleted keys
included: the emulator's record keeps them all) and any other secret a test
registers.

Children whose job is to print credentials (`alicred creds`, `env`, `exec --
printenv`) are run with `prints_secrets=True`: their stdout is exempt, their
stderr is not.
"""

import itertools
import pathlib
import subprocess

_counter = itertools.count()


class SecretScan:
    def __init__(self, capture_dir):
        self.dir = pathlib.Path(capture_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.outputs = []  # (label, stdout path, stderr path, stdout may hold secrets)
        self.dirs = []
        self.clouds = []
        self.secrets = set()

    # --- what to watch -------------------------------------------------

    def watch_dir(self, path):
        self.dirs.append(pathlib.Path(path))

    def watch_cloud(self, cloud):
        self.clouds.append(cloud)

    def add_secret(self, value):
        if value:
            self.secrets.add(value)

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
        for cloud in self.clouds:
            for c in cloud.issued_record():
                found.add(c["access_key_secret"])
                if c.get("security_token"):
                    found.add(c["security_token"])
        # Very short values would match by chance; the emulator's are long.
        return {s for s in found if s and len(s) >= 8}

    def findings(self):
        secrets = self.known_secrets()
        hits = []
        for label, out, err, exempt in self.outputs:
            for path, kind in ((err, "stderr"), (out, "stdout")):
                if kind == "stdout" and exempt:
                    continue
                data = path.read_bytes() if path.exists() else b""
                hits += [f"{kind} of `{label}`" for s in secrets if s.encode() in data]
        for root in self.dirs:
            for path in sorted(root.rglob("*")) if root.exists() else []:
                if path.is_file() and not path.is_symlink():
                    data = path.read_bytes()
                    hits += [f"file {path}" for s in secrets if s.encode() in data]
        return sorted(set(hits))

    def stats(self):
        files = sum(1 for r in self.dirs if r.exists() for p in r.rglob("*") if p.is_file())
        return {"children": len(self.outputs), "files": files, "secrets": len(self.known_secrets())}
