"""`alicred link aliyun-cli`: the official Python SDK's default `Client()`, with
no ALIBABA_CLOUD_* variable at all, gets the linked profile's credentials
from ~/.aliyun/config.json; the file's other contents survive; `unlink`
removes exactly what alicred wrote; bad inputs change nothing."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

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


class User:
    def __init__(self, home, program=ALICRED):
        self.home = pathlib.Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.env = user_env(self.home)
        self.program = str(program)
        self.config = self.home / ".aliyun" / "config.json"

    def run(self, *args, stdin="", check=True, env=None):
        p = subprocess.run([self.program, *args], input=stdin, capture_output=True, text=True, env=env or self.env, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"alicred {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def add(self, name, type_, *flags, secret=None):
        return self.run("profile", "add", name, "--type", type_, *flags, stdin=json.dumps(secret) if secret else "")

    def sdk_default_client(self):
        """A fresh Python process: the default chain, nothing configured."""
        script = ("import json; from alibabacloud_credentials.client import Client; c=Client().get_credential(); "
                  "print(json.dumps({'id': c.access_key_id, 'secret': c.access_key_secret, 'token': c.security_token, 'type': c.provider_name}))")
        p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=self.env, timeout=60)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)


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
    port = free_port()
    agent = subprocess.Popen([user.program, "agent", "--listen", f"127.0.0.1:{port}"], env=user.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        while user.run("endpoint", check=False).returncode != 0:
            assert time.time() < deadline, "agent did not start"
            time.sleep(0.1)
        out = user.run("link", "aliyun-cli", "admin", "--current", "admin").stdout
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
        agent.terminate()
        agent.wait(timeout=15)


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
    assert backup.read_text() == THEIRS
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
