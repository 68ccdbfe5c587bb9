"""Refresh-engine load: `engine_load` with 1,000 and 10,000 `ram-role-arn`
profiles on 60-second sessions, the emulator in its own process, side by side
in one run; writes the `engine` section of BENCHMARKS.md.

Usage: python benches/engine.py [--minutes 5] [--profiles 1000,10000] [--base DIR]
(builds the release example and emulator into $CARGO_TARGET_DIR or ./target).
With --base DIR (a baseline build: DIR/examples/engine_load and
DIR/alicred-fakecloud, e.g. main's release directory), each size runs the
baseline and this build at the same time, side by side in the table."""

import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import section  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def build():
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "alicred-fakecloud"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "alicred-core", "--example", "engine_load"], cwd=ROOT, check=True)


def start(profiles, minutes, bindir=None, label=""):
    exe = pathlib.Path(bindir or TARGET / "release") / "examples" / "engine_load"
    proc = subprocess.Popen([str(exe), "--minutes", str(minutes), "--profiles", str(profiles)], stdout=subprocess.PIPE, text=True)
    return label, os.getloadavg()[0], proc


def finish(started):
    label, load, proc = started
    out, _ = proc.communicate()
    assert proc.returncode == 0, out
    r = json.loads(out.strip().splitlines()[-1])
    r["label"] = label
    r["load_before"] = load
    r["load_after"] = os.getloadavg()[0]
    # Builds before the bound covered every worker fetch named it "first fetch".
    r.setdefault("fetch_peak", r.get("first_fetch_peak"))
    r.setdefault("fetch_bound", r.get("first_fetch_bound"))
    return r


def table(rs):
    def row(label, f):
        return f"| {label} | " + " | ".join(f(r) for r in rs) + " |"

    head = "| measure | " + " | ".join(f"{r['profiles']:,} profiles{(' ' + r['label']) if r['label'] else ''}" for r in rs) + " | target |"
    lines = [
        head,
        "|---|" + "---:|" * len(rs) + "---|",
        row("expired hand-outs", lambda r: f"**{r['expired']}** of {r['handouts']:,} (errors: {r['errors']})") + " 0 |",
        row("least validity left at a hand-out", lambda r: f"{r['least_left_s']:.1f} s") + " > 0 |",
        row("refreshes (AssumeRole) during the run", lambda r: f"{r['fetches']:,}") + " |",
        row("timer wake-ups / idle wake-ups (nothing due)", lambda r: f"{r['timer_wakeups']:,} / **{r['idle_wakeups']}**") + " idle ≈ 0 |",
        row("engine CPU, average (engine threads only)", lambda r: f"**{r['cpu_pct']:.1f} %** of one core ({r['cpu_s']:.1f} s over {r['wall_s']:.0f} s)") + " < 5 % |",
        row("peak RSS of the engine's process (VmHWM)", lambda r: f"**{r['peak_rss_mib']:.1f} MiB**") + " < 100 MiB |",
        row("start: time until every profile is fresh", lambda r: f"**{r['all_fresh_s']:.1f} s**") + " |",
        row("fetches started by the engine in flight at once (bound)", lambda r: f"{r['fetch_peak']} ({r['fetch_bound']})") + " bounded |",
        row("start: engine CPU until all fresh", lambda r: f"{r['startup_cpu_s']:.1f} s") + " |",
        row("status file for `alicred prompt` (size)", lambda r: f"{r['status_file_bytes'] / 1024:.0f} KiB") + " |",
        row("load average (1 min) before / after the run", lambda r: f"{r['load_before']:.1f} / {r['load_after']:.1f}") + " |",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=int, default=5)
    ap.add_argument("--profiles", default="1000,10000")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--parallel", action="store_true", help="run the sizes at the same time (each counts only its own threads)")
    ap.add_argument("--base", help="a baseline build directory, run beside this build for each size")
    ap.add_argument("--notes", default=str(ROOT / "benches" / "engine_notes.md"), help="Markdown appended to the section")
    a = ap.parse_args()
    if not a.no_build:
        build()
    sizes = [int(n) for n in a.profiles.split(",")]
    if a.base:
        # Each size: the baseline and this build at the same time, so both
        # meet the same load; the sizes one after the other.
        rs = []
        for n in sizes:
            pair = [start(n, a.minutes, a.base, "before"), start(n, a.minutes, None, "after")]
            rs += [finish(p) for p in pair]
        how = "for each size the baseline and this build at the same time, each process counting only its own engine threads; the sizes one after the other"
    elif a.parallel:
        rs = [finish(p) for p in [start(n, a.minutes) for n in sizes]]
        how = "the runs at the same time, each process counting only its own engine threads"
    else:
        rs = [finish(start(n, a.minutes)) for n in sizes]
        how = "the runs one after the other"
    m = rs[-1]
    notes = pathlib.Path(a.notes).read_text() if pathlib.Path(a.notes).is_file() else ""
    body = f"""## Refresh engine

Measured {datetime.date.today()} on {m['machine']}, release build, by `benches/engine.py`
(`engine_load --profiles N --minutes {a.minutes}`, {how}): N `ram-role-arn`
profiles chained on one `access-key` profile, against the emulator issuing 60-second STS
sessions ({m['emulator']}: neither its CPU nor its memory is counted), for {a.minutes} min, while
200 hand-outs a second are taken across all profiles. As in an agent, the `status` file of
`alicred prompt` is kept current (news within 0.5 s, renewals gathered for up to 5 s), and its
cost is in the CPU figure.
{"`before` is the baseline build given with `--base`, `after` this one." if a.base else ""}

{table(rs)}

Each profile refreshes when less than `min(lifetime/2, max(25 min, lifetime/3))` remains (30 s
of a 60-s session). The engine sleeps on one timer per profile and never polls. Every fetch a
worker starts by itself (the first, scheduled refreshes, refresh requests) takes one of
{m['fetch_bound']} turns across the process (`engine/startup.rs`): the emulator sees a steady
queue instead of one request per profile in the same millisecond; callers asking for
credentials do not wait for a turn. The load average shows what else ran on the 2 cores
(other builds and tests of the team).
{notes}"""
    section.write("engine", body)
    print(body)


if __name__ == "__main__":
    main()
