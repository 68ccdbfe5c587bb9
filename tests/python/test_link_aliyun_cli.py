"""`alicred link aliyun-cli`: the official Python SDK's default `Client()`, with
no ALIBABA_CLOUD_* variable at all, gets the linked profile's credentials
from ~/.aliyun/config.json; the file's other contents survive; `unlink`
removes exactly what alicred wrote; bad inputs change nothing.

The SDK writes what the linked External command printed back into that
profile of config.json (`_update_external_credentials`): the running agent
takes it out again within about a second, and without an agent the next
`alicred export` does. Every child runs through the secret scan
(conftest.py), which also walks the whole fake home (~/.aliyun included)
at the end of each test."""

import json
import os
import pathlib
import shutil
import sys
import time

import pytest

import conftest
from conftest import ALICRED, free_port, keyring_store
from test_endpoint_interop import whoami

ROLE = "acs:ram::1234567890123456:role/admin"
THEIRS = """{
\t"current": "mine",
\t"profiles": [
\t\t{
\t\t\t"name": "mine",
\t\t\t"mode": "AK",
\t\t\t"access_key_id": "LTAI5tTheirOwnKey001",
\t\t\t"access_key_secret": "their-own-secret-stays",
\t\t\t"region_id": "cn-beijing",
\t\t\t"output_format": "json",
\t\t\t"a_future_field": {"kept": [1, 2, 3]}
\t\t}
\t],
\t"meta_path": "",
\t"unknown_top_level": true
}"""

# How long a write-back may stay on disk while the agent runs.
STRIP_DEADLINE = 1.0


def user_env(home):
    """What a user's login session has: HOME, PATH, the keyring's session —
    and no ALIBABA_CLOUD_* nor ALICRED_HOME."""
    keep = ("PATH", "LANG", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "GNOME_KEYRING_CONTROL")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["HOME"] = str(home)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    if keyring_store() == "encrypted-file":
        env["ALICRED_KEYRING"] = "encrypted-file"
        env["ALICRED_KEYRING_PASSPHRASE"] = "pytest-passphrase"
    assert not [k for k in env if k.startswith("ALIBABA_CLOUD_")]
    return env


# The official SDK's default chain, several calls in one process. It counts
# how often it ran alicred (its External provider's subprocess.run) and
# prints the credentials of the last call.
SDK_SCRIPT = """
import json, subprocess, sys
runs = []
real_run = subprocess.run
def counting_run(cmd, *a, **kw):
    if "export" in list(cmd):
        runs.append(1)
    return real_run(cmd, *a, **kw)
subprocess.run = counting_run
from alibabacloud_credentials.client import Client
client = Client()
for _ in range(int(sys.argv[1])):
    c = client.get_credential()
print(json.dumps({'id': c.access_key_id, 'secret': c.access_key_secret, 'token': c.security_token,
                  'type': c.provider_name, 'runs': len(runs)}))
"""


class User:
    def __init__(self, home, program=ALICRED):
        self.home = pathlib.Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.env = user_env(self.home)
        self.program = str(program)
        self.config = self.home / ".aliyun" / "config.json"
        # Everything under the fake home is scanned at the end of the test:
        # ~/.aliyun (config.json, backups, temp files) and alicred's own.
        conftest.CURRENT.watch_dir(self.home)

    def run(self, *args, stdin="", check=True, env=None, prints_secrets=False):
        p = conftest.CURRENT.run([self.program, *args], input=stdin, env=env or self.env, timeout=60,
                                 prints_secrets=prints_secrets)
        if check and p.returncode != 0:
            raise AssertionError(f"alicred {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def add(self, name, type_, *flags, secret=None):
        for k in ("AccessKeySecret", "SecurityToken"):
            conftest.CURRENT.add_secret((secret or {}).get(k))
        return self.run("profile", "add", name, "--type", type_, *flags, stdin=json.dumps(secret) if secret else "")

    def sdk(self, calls=1):
        """A fresh Python process: the default chain, nothing configured;
        `calls` get_credential() calls on one client. Returns the last
        credentials, how often alicred ran, and the SDK's log (stderr)."""
        p = conftest.CURRENT.run([sys.executable, "-c", SDK_SCRIPT, str(calls)], env=self.env, prints_secrets=True)
        assert p.returncode == 0, p.stderr
        got = json.loads(p.stdout)
        got["log"] = p.stderr
        return got

    def sdk_default_client(self):
        return self.sdk(1)

    def start_agent(self):
        port = free_port()
        agent = conftest.CURRENT.popen([self.program, "agent", "--listen", f"127.0.0.1:{port}"], env=self.env)
        deadline = time.time() + 20
        while self.run("endpoint", check=False).returncode != 0:
            assert agent.poll() is None, conftest.CURRENT.output(agent)[1]
            assert time.time() < deadline, "agent did not start"
            time.sleep(0.1)
        return agent

    def aliyun_files(self):
        d = self.config.parent
        return sorted(p for p in d.rglob("*") if p.is_file()) if d.exists() else []

    def secrets_on_disk(self, secrets):
        """Which of `secrets` lie in any file under ~/.aliyun, and where."""
        return [(p.name, s) for p in self.aliyun_files() for s in secrets if s.encode() in p.read_bytes()]


def stop(agent):
    agent.terminate()
    agent.wait(timeout=15)


@pytest.fixture
def user(tmp_path):
    if not ALICRED.exists():
        pytest.fail(f"{ALICRED} not found: build first")
    return User(tmp_path / "home")


def add_demo_profiles(user, cloud):
    demo = cloud.admin("/demo")
    user.add("alice", "access-key", "--sts-endpoint", cloud.url("sts"),
             secret={"AccessKeyId": demo["alice"]["access_key_id"], "AccessKeySecret": demo["alice"]["access_key_secret"]})
    user.add("admin", "ram-role-arn", "--source", "alice", "--role-arn", ROLE, "--session-name", "linked",
             "--sts-endpoint", cloud.url("sts"), "--region", "cn-shanghai")
    return demo


def test_the_sdk_default_client_gets_the_linked_profile_with_no_variables(user, cloud):
    demo = add_demo_profiles(user, cloud)
    agent = user.start_agent()
    try:
        # --allow-long-term-key: `alicred use alice` (an access-key profile) below moves current along.
        out = user.run("link", "aliyun-cli", "admin", "--current", "admin", "--allow-long-term-key").stdout
        assert "linked admin" in out
        cfg = json.loads(user.config.read_text())
        assert cfg["current"] == "admin"
        assert cfg["profiles"] == [{
            "name": "admin", "mode": "External", "region_id": "cn-shanghai",
            "process_command": f"{ALICRED} export admin --format aliyun-external",
        }]
        got = user.sdk_default_client()
        assert got["id"].startswith("STS.") and got["token"], got
        assert "role/admin/linked" in whoami(cloud, got["id"], got["secret"], got["token"])["Arn"]

        # Linked with --current: `alicred use` moves the CLI's current along.
        user.run("use", "alice")
        cfg = json.loads(user.config.read_text())
        assert cfg["current"] == "alice"
        assert {p["name"] for p in cfg["profiles"]} == {"admin", "alice"}
        got = user.sdk_default_client()
        assert got["id"] == demo["alice"]["access_key_id"] and not got["token"]

        # Unlinked: the SDK no longer finds anything of alicred's.
        user.run("unlink", "aliyun-cli")
        cfg = json.loads(user.config.read_text())
        assert cfg["profiles"] == [] and cfg["current"] == ""
    finally:
        stop(agent)


def test_other_profiles_stay_byte_for_byte_and_unlink_removes_exactly_ours(user):
    user.add("dev", "sts-token", "--expiration", "2999-01-01T00:00:00Z",
             secret={"AccessKeyId": "STS.Dev0001", "AccessKeySecret": "devsecret", "SecurityToken": "devtoken"})
    user.add("ops", "sts-token", "--expiration", "2999-01-01T00:00:00Z",
             secret={"AccessKeyId": "STS.Ops0001", "AccessKeySecret": "opssecret", "SecurityToken": "opstoken"})
    user.config.parent.mkdir()
    user.config.write_text(THEIRS)
    user.run("link", "aliyun-cli", "--all", "--current", "dev")
    text = user.config.read_text()
    theirs = json.loads(THEIRS)["profiles"][0]
    assert THEIRS.split('"profiles": [\n')[1].split("\n\t]")[0] in text, "their profile, byte for byte"
    cfg = json.loads(text)
    assert cfg["profiles"][0] == theirs and cfg["unknown_top_level"] is True and cfg["meta_path"] == ""
    assert [p["name"] for p in cfg["profiles"]] == ["mine", "dev", "ops"] and cfg["current"] == "dev"
    backup = pathlib.Path(str(user.config) + ".alicred-backup")
    assert "their-own-secret-stays" not in backup.read_text(), "a backup holds no secret"
    assert json.loads(backup.read_text())["profiles"][0]["a_future_field"] == {"kept": [1, 2, 3]}
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert oct(user.config.stat().st_mode & 0o777) == "0o600"
    # The SDK reads dev (current) through alicred.
    got = user.sdk_default_client()
    assert (got["id"], got["secret"], got["token"]) == ("STS.Dev0001", "devsecret", "devtoken")

    user.run("unlink", "aliyun-cli", "ops")
    assert [p["name"] for p in json.loads(user.config.read_text())["profiles"]] == ["mine", "dev"]
    # A profile the user changed since is left alone.
    cfg = json.loads(user.config.read_text())
    cfg["profiles"][1]["process_command"] = "/usr/local/bin/my-own-helper"
    user.config.write_text(json.dumps(cfg))
    p = user.run("unlink", "aliyun-cli")
    assert "left dev in place" in p.stderr
    cfg = json.loads(user.config.read_text())
    assert [p["name"] for p in cfg["profiles"]] == ["mine", "dev"]

    # Linked and unlinked once more: back to exactly their file's content.
    user.config.write_text(THEIRS)
    user.run("link", "aliyun-cli", "dev", "--current", "dev")
    user.run("unlink", "aliyun-cli", "dev")
    assert json.loads(user.config.read_text()) == json.loads(THEIRS), "current restored to theirs"


def one_line_refusal(p, code):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("alicred: "), p.stderr


def test_bad_inputs_get_one_line_and_change_nothing(user, tmp_path):
    user.add("dev", "sts-token", "--expiration", "2999-01-01T00:00:00Z",
             secret={"AccessKeyId": "STS.Dev0001", "AccessKeySecret": "devsecret", "SecurityToken": "devtoken"})
    user.config.parent.mkdir()
    user.config.write_text(THEIRS)
    before = user.config.read_bytes()

    def unchanged():
        assert user.config.read_bytes() == before
        assert not pathlib.Path(str(user.config) + ".alicred-backup").exists()
        assert not (user.home / ".config" / "alicred" / "links.json").exists()

    p = user.run("link", "aliyun-cli", "ghost", check=False)
    one_line_refusal(p, 2)
    assert "ghost does not exist" in p.stderr
    unchanged()

    # Their own profile named like ours is not overwritten.
    clash = json.loads(THEIRS)
    clash["profiles"][0]["name"] = "dev"
    user.config.write_text(json.dumps(clash))
    before = user.config.read_bytes()
    p = user.run("link", "aliyun-cli", "dev", check=False)
    one_line_refusal(p, 1)
    assert "not written by alicred" in p.stderr
    unchanged()

    user.config.write_text('{"profiles": [ {"name": "x",, } ]')
    before = user.config.read_bytes()
    p = user.run("link", "aliyun-cli", "dev", check=False)
    one_line_refusal(p, 1)
    assert "not valid aliyun CLI config JSON" in p.stderr
    unchanged()

    # An install path with a space: older SDKs would split the command there.
    spaced = tmp_path / "Program Files" / "alicred"
    spaced.parent.mkdir()
    shutil.copy(ALICRED, spaced)
    user.config.write_text(THEIRS)
    before = user.config.read_bytes()
    p = User(user.home, program=spaced).run("link", "aliyun-cli", "dev", check=False)
    one_line_refusal(p, 2)
    assert "space" in p.stderr
    unchanged()

    p = user.run("unlink", "aliyun-cli", "dev", check=False)
    one_line_refusal(p, 2)
    unchanged()


def test_alibaba_cloud_config_file_is_honoured(user, tmp_path):
    user.add("dev", "sts-token", "--expiration", "2999-01-01T00:00:00Z",
             secret={"AccessKeyId": "STS.Dev0001", "AccessKeySecret": "devsecret", "SecurityToken": "devtoken"})
    other = tmp_path / "elsewhere" / "aliyun.json"
    env = user.env | {"ALIBABA_CLOUD_CONFIG_FILE": str(other)}
    assert "linked dev" in user.run("link", "aliyun-cli", "dev", env=env).stdout
    assert json.loads(other.read_text())["profiles"][0]["name"] == "dev"
    assert not user.config.exists()
    user.run("unlink", "aliyun-cli", env=env)
    assert json.loads(other.read_text())["profiles"] == []


def wait_until_clean(user, secrets, deadline_s):
    """Wait (bounded) until none of `secrets` is in any file under ~/.aliyun;
    returns how long it took, or fails with what is still there."""
    start = time.monotonic()
    while True:
        left = user.secrets_on_disk(secrets)
        took = time.monotonic() - start
        if not left:
            return took
        assert took < deadline_s, f"still on disk after {took:.2f} s: {left}"
        time.sleep(0.01)


def test_the_running_agent_strips_what_the_sdk_wrote_back(user, cloud):
    demo = add_demo_profiles(user, cloud)
    conftest.CURRENT.add_secret(demo["alice"]["access_key_secret"])
    user.config.parent.mkdir()
    user.config.write_text(THEIRS)
    agent = user.start_agent()
    try:
        user.run("link", "aliyun-cli", "admin", "--current", "admin")
        got = user.sdk()
        assert got["id"].startswith("STS.") and got["token"], got
        # The SDK wrote them back before it returned; within about a second
        # nothing of them is left anywhere under ~/.aliyun.
        took = wait_until_clean(user, [got["secret"], got["token"]], STRIP_DEADLINE)
        print(f"write-back stripped {took * 1000:.0f} ms after the SDK returned")
        cfg = json.loads(user.config.read_text())
        linked = [p for p in cfg["profiles"] if p["name"] == "admin"][0]
        assert not set(linked) & {"access_key_id", "access_key_secret", "sts_token", "sts_expiration"}, linked
        assert cfg["profiles"][0] == json.loads(THEIRS)["profiles"][0], "their own profile kept"
        assert cfg["unknown_top_level"] is True and cfg["current"] == "admin"

        # A long-term key, linked as asked: stripped too, and its rolling
        # expiration keeps the SDK's cache: several calls, one run of
        # alicred, no "stale time" warning.
        user.run("link", "aliyun-cli", "alice", "--current", "alice", "--allow-long-term-key")
        got = user.sdk(calls=4)
        assert got["id"] == demo["alice"]["access_key_id"] and not got["token"], got
        assert got["runs"] == 1, f"the SDK ran alicred {got['runs']} times for 4 calls"
        assert "stale time" not in got["log"] and "in the past" not in got["log"], got["log"]
        wait_until_clean(user, [demo["alice"]["access_key_secret"]], STRIP_DEADLINE)
    finally:
        stop(agent)
    assert not user.secrets_on_disk([demo["alice"]["access_key_secret"]])


def test_without_an_agent_the_next_export_strips_the_write_back(user):
    user.add("dev", "sts-token", "--expiration", "2999-01-01T00:00:00Z",
             secret={"AccessKeyId": "STS.Dev0001", "AccessKeySecret": "dev-secret-written-back",
                     "SecurityToken": "dev-token-written-back"})
    user.run("link", "aliyun-cli", "dev", "--current", "dev")
    got = user.sdk()
    assert got["secret"] == "dev-secret-written-back", got
    # No agent: the SDK's write-back is there (this is what the export is for).
    assert user.secrets_on_disk(["dev-secret-written-back"]), "the SDK wrote nothing back"
    user.run("export", "dev", "--format", "aliyun-external", prints_secrets=True)
    assert not user.secrets_on_disk(["dev-secret-written-back", "dev-token-written-back"])
    cfg = json.loads(user.config.read_text())
    assert cfg["profiles"] == [{"name": "dev", "mode": "External", "region_id": "cn-hangzhou",
                                "process_command": f"{ALICRED} export dev --format aliyun-external"}]


def test_a_long_term_key_is_refused_without_the_flag(user):
    user.add("key", "access-key", secret={"AccessKeyId": "LTAI5tLongTermKey01", "AccessKeySecret": "long-term-secret-0001"})
    p = user.run("link", "aliyun-cli", "key", check=False)
    one_line_refusal(p, 2)
    assert "--allow-long-term-key" in p.stderr
    assert not user.config.exists()
