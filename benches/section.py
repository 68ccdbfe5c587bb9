"""Replace one section of BENCHMARKS.md (between <!-- bench:NAME --> markers),
so each benchmark rewrites only its own numbers."""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILE = ROOT / "BENCHMARKS.md"
HEADER = """# Benchmarks

Every number here is produced by a script in `benches/` (run them all with
`scripts/bench.sh`), measured side by side with a baseline in the same run on
the machine named in each section. Targets come from the issues; a ratio says
how we compare with the baseline. These are not CI tests: CI stays fast and
deterministic, and these numbers are re-measured on demand.
"""


def write(name, body):
    text = FILE.read_text() if FILE.exists() else HEADER
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    FILE.write_text(text)


if __name__ == "__main__":
    write(sys.argv[1], sys.stdin.read())
