"""Processes under /proc, for the desktop tests and the benchmark: whose
children they are, what they run, whether they still run."""

import os
from pathlib import Path


def _kids():
    """{parent pid: [child pids]} of every process now."""
    kids = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            # "pid (comm) state ppid …": comm may hold spaces and parentheses.
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(p.name))
    return kids


def children(pid):
    """The direct children of `pid`."""
    return _kids().get(pid, [])


def descendants(pid):
    """`pid` and every process below it."""
    kids, out, todo = _kids(), [], [pid]
    while todo:
        q = todo.pop()
        out.append(q)
        todo.extend(kids.get(q, []))
    return out


def exe(pid):
    """The file name of what `pid` runs ("" once it is gone)."""
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return ""


def running(pid):
    """Alive and not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
