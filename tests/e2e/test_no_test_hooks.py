"""The shipped build carries no crash hook.

The rotation crash tests stop a test build (feature `test-hooks`) with
`ALICRED_TEST_CRASH_AT=<step>`. The desktop build (alicred-desktop and the
tray agent it becomes) is made without that feature, like a release, so with
the variable set at a step every rotation passes, the agent must rotate
through it and live on. This replaced a second build of alicred-core's unit
tests just to check the same thing (scripts/test.sh also checks, before this
runs, that the hook's code is absent from these binaries and present in the
test build's `alicred`).
"""

import json
import os
import signal
import socket
import subprocess

from test_desktop import TMP, free_port
from test_tray import answers, wait

APP = os.environ["ALICRED_DESKTOP_BIN"]


def call(home, cmd, args):
    """One request of the core's API on the tray agent's control socket, as
    the dashboard makes it (no subscription: the first line is the reply)."""
    with socket.socket(socket.AF_UNIX) as c:
        c.settimeout(60)
        c.connect(str(home / "tray.sock"))
        f = c.makefile("rwb")
        request = {"cmd": cmd, "args": args}
        f.write((json.dumps({"kind": "call", "id": 7, "request": request}) + "\n").encode())
        f.flush()
        line = f.readline()
        assert line, "the tray agent closed the control socket before replying"
        msg = json.loads(line)
        assert msg.get("id") == 7, msg
        return msg["result"]


def test_the_desktop_build_ignores_the_crash_variable():
    home = TMP / "alicred-home-no-hooks"
    home.mkdir(exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ALICRED_WEBVIEW_ACCEL"}
    # "listing" is the first step of every rotation: a build with the hook
    # aborts there.
    env.update(ALICRED_HOME=str(home), ALICRED_LISTEN=f"127.0.0.1:{port}", ALICRED_LOG="info",
               ALICRED_LOG_FILE=str(TMP / "app-no-hooks.log"), ALICRED_TEST_CRASH_AT="listing")
    p = subprocess.Popen([APP, "--hidden"], env=env)
    try:
        wait(lambda: answers(port) or p.poll() is not None, 30, "the endpoint answers")
        assert p.poll() is None, f"alicred-desktop --hidden exited with {p.returncode}"
        got = call(home, "rotate", {"name": "demo-alice"})
        assert p.poll() is None, f"the agent died in the rotation ({p.returncode}): the hook is compiled in"
        assert "Ok" in got, f"the rotation failed: {got}"
        assert got["Ok"]["kind"] == "rotate" and got["Ok"]["value"]["message"], got
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(15)
