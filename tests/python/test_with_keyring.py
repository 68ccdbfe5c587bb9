"""scripts/lib/with-keyring.sh stops only the keyring daemon it started.

A developer's own gnome-keyring-daemon (here: a decoy with the same command
line, on its own bus) must survive a test run; the script's own daemon must
be gone afterwards."""

import os
import pathlib
import signal
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
WITH_KEYRING = ROOT / "scripts" / "lib" / "with-keyring.sh"
KEYRING_PID = ROOT / "scripts" / "lib" / "keyring-pid.sh"


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def read_pid(path, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().strip())
        time.sleep(0.1)
    raise AssertionError(f"no pid in {path}")


def private_env(tmp_path, name):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ALICRED_KEYRING_SESSION", "DBUS_SESSION_BUS_ADDRESS", "GNOME_KEYRING_CONTROL")}
    env["XDG_DATA_HOME"] = str(tmp_path / name / "data")
    env["XDG_RUNTIME_DIR"] = str(tmp_path / name / "run")
    for d in ("data", "run"):
        (tmp_path / name / d).mkdir(parents=True, exist_ok=True)
    os.chmod(tmp_path / name / "run", 0o700)
    return env


def test_only_the_daemon_it_started_is_stopped(tmp_path):
    decoy_pid_file = tmp_path / "decoy.pid"
    decoy_script = (
        "eval \"$(printf decoy | gnome-keyring-daemon --unlock --components=secrets --daemonize)\"; "
        f"'{KEYRING_PID}' > '{decoy_pid_file}'; sleep 120"
    )
    decoy = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", decoy_script],
        env=private_env(tmp_path, "decoy"), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    decoy_pid = None
    try:
        decoy_pid = read_pid(decoy_pid_file)
        assert alive(decoy_pid)
        inner_pid_file = tmp_path / "inner.pid"
        run = subprocess.run(
            [str(WITH_KEYRING), "sh", "-c", f"'{KEYRING_PID}' > '{inner_pid_file}'"],
            env=private_env(tmp_path, "outer"), capture_output=True, text=True, timeout=60,
        )
        assert run.returncode == 0, run.stderr
        inner_pid = read_pid(inner_pid_file, timeout=1)
        assert inner_pid != decoy_pid
        deadline = time.time() + 5
        while alive(inner_pid) and time.time() < deadline:
            time.sleep(0.1)
        assert not alive(inner_pid), "the script's own daemon is still running"
        assert alive(decoy_pid), "the script killed a keyring daemon it did not start"
    finally:
        if decoy_pid and alive(decoy_pid):
            os.kill(decoy_pid, signal.SIGTERM)
        os.killpg(decoy.pid, signal.SIGTERM)
        decoy.wait(timeout=10)
