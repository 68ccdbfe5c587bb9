"""The running agent's credentials-URI endpoint, consumed by the official
clients: alibabacloud-credentials (explicit and default chain), oss2
(ProviderAuthV4 + EcsRamRoleCredentialsProvider(url)), alibabacloud-oss-v2 and
the Node @alicloud/credentials client. Every credential they get is checked
against the emulator (GetCallerIdentity) or a V4 signature checker."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import requests

import conftest
from conftest import ALICRED, free_port, start_cloud
from oss_checker import OssChecker

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class Agent:
    def __init__(self, alicred, cloud, lifetime=None):
        self.alicred, self.cloud = alicred, cloud
        demo = cloud.admin("/demo")
        alicred.add("alice", "access-key", "--sts-endpoint", cloud.url("sts"), "--ram-endpoint", cloud.url("ram"),
                    secret={"AccessKeyId": demo["alice"]["access_key_id"], "AccessKeySecret": demo["alice"]["access_key_secret"]})
        alicred.add("admin", "ram-role-arn", "--source", "alice", "--role-arn", "acs:ram::1234567890123456:role/admin",
                    "--session-name", "interop", "--sts-endpoint", cloud.url("sts"))
        alicred.add("readonly", "ram-role-arn", "--source", "admin", "--role-arn", "acs:ram::1234567890123456:role/readonly",
                    "--sts-endpoint", cloud.url("sts"))
        alicred.run("use", "admin")
        self.port = free_port()
        self.proc = conftest.CURRENT.popen([str(ALICRED), "agent", "--listen", f"127.0.0.1:{self.port}"], env=alicred.env)
        deadline = time.time() + 20
        while time.time() < deadline:
            p = alicred.run("endpoint", check=False)
            if p.returncode == 0:
                self.base_url = p.stdout.strip()
                return
            time.sleep(0.1)
        self.proc.kill()
        self.proc.wait(timeout=5)
        pytest.fail(f"agent did not start: {conftest.CURRENT.output(self.proc)[1]}")

    def url(self, name=None):
        return self.alicred.run("endpoint", *([name] if name else [])).stdout.strip()

    def get(self, name=None):
        r = requests.get(self.url(name), timeout=5, proxies={"http": ""})
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(timeout=15)
        return rc, conftest.CURRENT.output(self.proc)[1]


@pytest.fixture
def agent(alicred):
    cloud = start_cloud("--demo")
    a = Agent(alicred, cloud)
    yield a
    rc, err = a.stop()
    cloud.stop()
    assert rc == 0, f"agent exit {rc}: {err}"
    # What the agent logged or wrote is checked for every issued secret by
    # the `scan` fixture (conftest.py).


def cloud_issued(cloud):
    return cloud.issued_record()


def issued_lookup(cloud):
    """For the OSS checker: akid -> (secret, token) as the emulator issued them."""
    seen = {}

    def issued_for(akid):
        if akid not in seen:
            for c in cloud_issued(cloud):
                seen[c["access_key_id"]] = (c["access_key_secret"], c.get("security_token"))
        return seen.get(akid)
    return issued_for


def whoami(cloud, akid, secret, token):
    """GetCallerIdentity with the official aliyun-python-sdk-core signer."""
    from aliyunsdkcore.auth.credentials import StsTokenCredential, AccessKeyCredential
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest
    cred = StsTokenCredential(akid, secret, token) if token else AccessKeyCredential(akid, secret)
    client = AcsClient(region_id="cn-hangzhou", credential=cred)
    req = CommonRequest(domain=f"127.0.0.1:{cloud.port}", version="2015-04-01", action_name="GetCallerIdentity")
    req.set_protocol_type("http")
    req.set_method("POST")
    return json.loads(client.do_action_with_exception(req))


def test_the_endpoint_serves_exactly_the_uri_json(agent):
    body = agent.get("admin")
    assert set(body) == {"Code", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration", "LastUpdated"}
    assert body["Code"] == "Success" and body["AccessKeyId"].startswith("STS.")
    assert len(body["Expiration"]) == 20 and body["Expiration"].endswith("Z")
    assert agent.get()["AccessKeyId"] == body["AccessKeyId"], "the active profile is served at the bare URL"
    who = whoami(agent.cloud, body["AccessKeyId"], body["AccessKeySecret"], body["SecurityToken"])
    assert who["Arn"].endswith(":assumed-role/admin/interop")


def test_alibabacloud_credentials_uri_client(agent):
    from alibabacloud_credentials.client import Client
    from alibabacloud_credentials.models import Config
    c = Client(Config(type="credentials_uri", credentials_uri=agent.url("readonly"))).get_credential()
    who = whoami(agent.cloud, c.access_key_id, c.access_key_secret, c.security_token)
    assert who["Arn"].endswith(":assumed-role/readonly/" + who["Arn"].rsplit("/", 1)[1])
    assert "role/readonly" in who["Arn"]


def test_default_chain_via_alicred_exec(agent):
    # `alicred exec --uri-only` sets ALIBABA_CLOUD_CREDENTIALS_URI plus the switches
    # that stop the default chain probing ECS metadata or ~/.aliyun first.
    script = ("import json; from alibabacloud_credentials.client import Client; c=Client().get_credential(); "
              "print(json.dumps({'id': c.access_key_id, 'secret': c.access_key_secret, 'token': c.security_token, 'type': c.provider_name}))")
    t0 = time.time()
    p = agent.alicred.run("exec", "--uri-only", "admin", "--", sys.executable, "-c", script, prints_secrets=True)
    elapsed = time.time() - t0
    got = json.loads(p.stdout)
    assert "Traceback" not in p.stderr, p.stderr
    assert elapsed < 10, f"the default chain took {elapsed:.1f}s (metadata probe not disabled?)"
    who = whoami(agent.cloud, got["id"], got["secret"], got["token"])
    assert "role/admin" in who["Arn"]


def test_oss2_provider_auth_v4_with_the_ecs_provider_pointed_at_alicred(agent):
    import oss2
    checker = OssChecker(issued_lookup(agent.cloud))
    try:
        provider = oss2.credentials.EcsRamRoleCredentialsProvider(agent.url("admin"))
        bucket = oss2.Bucket(oss2.ProviderAuthV4(provider), checker.endpoint, "alicred-demo", region="cn-hangzhou")
        assert bucket.get_object("hello.txt").read() == b"hello from a verified request"
        served = agent.get("admin")["AccessKeyId"]
        assert checker.seen[-1] == (served, True)
        # The checker is not a rubber stamp: a wrong secret is refused.
        bad = oss2.Bucket(oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(served, "wrong-secret", agent.get("admin")["SecurityToken"])),
                          checker.endpoint, "alicred-demo", region="cn-hangzhou")
        with pytest.raises(oss2.exceptions.ServerError):
            bad.get_object("hello.txt")
        assert checker.seen[-1] == (served, False)
    finally:
        checker.close()


def test_alibabacloud_oss_v2_through_the_credentials_client(agent):
    import alibabacloud_oss_v2 as oss
    from alibabacloud_credentials.client import Client
    from alibabacloud_credentials.models import Config
    cred_client = Client(Config(type="credentials_uri", credentials_uri=agent.url("admin")))

    def fetch():
        c = cred_client.get_credential()
        return oss.credentials.Credentials(access_key_id=c.access_key_id, access_key_secret=c.access_key_secret, security_token=c.security_token)

    checker = OssChecker(issued_lookup(agent.cloud))
    try:
        cfg = oss.config.load_default()
        cfg.credentials_provider = oss.credentials.CredentialsProviderFunc(func=fetch)
        cfg.region = "cn-hangzhou"
        cfg.endpoint = checker.endpoint
        cfg.use_path_style = True
        cfg.disable_ssl = True
        client = oss.Client(cfg)
        r = client.get_object(oss.GetObjectRequest(bucket="alicred-demo", key="hello.txt"))
        assert r.body.read() == b"hello from a verified request"
        served = agent.get("admin")
        assert checker.seen[-1] == (served["AccessKeyId"], True)
        # The checker verifies the security token too: the right key and
        # secret with another session's token (validly signed) are refused.
        other = next(c for c in cloud_issued(agent.cloud)
                     if c.get("security_token") and c["security_token"] != served["SecurityToken"])
        cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
            served["AccessKeyId"], served["AccessKeySecret"], other["security_token"])
        with pytest.raises(oss.exceptions.OperationError):
            oss.Client(cfg).get_object(oss.GetObjectRequest(bucket="alicred-demo", key="hello.txt"))
        assert checker.seen[-1] == (served["AccessKeyId"], False)
    finally:
        checker.close()


def test_node_client_takes_sts_but_refuses_a_long_term_key(agent):
    if not shutil.which("node") or not os.path.isdir(os.path.join(ROOT, "tests/node/node_modules/@alicloud/pop-core")):
        pytest.fail("node or tests/node/node_modules missing: run scripts/setup.sh test")

    def run(name):
        p = conftest.CURRENT.run(["node", os.path.join(ROOT, "tests/node/uri_client.mjs"), agent.url(name), agent.cloud.base])
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    sts = run("admin")
    assert sts["ok"] and sts["accessKeyId"] == agent.get("admin")["AccessKeyId"] and sts["hasToken"], sts
    # What Node got works: STS (the emulator) checks the pop-core signature and the token.
    assert "identityError" not in sts, sts
    assert sts["identity"]["Arn"].endswith(":assumed-role/admin/interop"), sts
    # Documented limitation of @alicloud/credentials 2.4.7: it requires a
    # non-empty SecurityToken. It must refuse for exactly that reason (the
    # answer it quotes has the key, the secret and an empty token), not fail
    # on something else.
    ak = run("alice")
    assert not ak["ok"], ak
    prefix = "error retrieving credentials from credentialsURI result: "
    assert ak["error"].startswith(prefix), ak
    quoted = json.loads(ak["error"][len(prefix):].rstrip("."))
    assert quoted["AccessKeyId"] == agent.get("alice")["AccessKeyId"], quoted
    assert quoted["AccessKeySecret"] == "<redacted>" and quoted["SecurityToken"] == "", quoted
    # Python accepts the same long-term key with SecurityToken "".
    from alibabacloud_credentials.client import Client
    from alibabacloud_credentials.models import Config
    c = Client(Config(type="credentials_uri", credentials_uri=agent.url("alice"))).get_credential()
    assert c.access_key_id == agent.get("alice")["AccessKeyId"] and not c.security_token


def test_clients_keep_working_across_an_upstream_refresh(alicred):
    from alibabacloud_credentials.client import Client
    from alibabacloud_credentials.models import Config
    cloud = start_cloud("--demo", "--lifetime-seconds", "60")
    agent = Agent(alicred, cloud)
    try:
        client = Client(Config(type="credentials_uri", credentials_uri=agent.url("admin")))
        first = client.get_credential().access_key_id
        os.kill(agent.proc.pid, 1)  # SIGHUP: re-read token and profiles; serving goes on
        deadline = time.time() + 100
        seen = {first}
        while time.time() < deadline and len(seen) < 3:
            body = agent.get("admin")
            seen.add(body["AccessKeyId"])
            exp = time.mktime(time.strptime(body["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
            assert exp - time.mktime(time.gmtime()) > 0, "never an expired credential"
            time.sleep(1)
        assert len(seen) >= 3, f"expected two refreshes of a 60 s session within 100 s, saw {seen}"
        # The client's cached session went stale; it re-reads and still works.
        c = client.get_credential()
        who = whoami(cloud, c.access_key_id, c.access_key_secret, c.security_token)
        assert "role/admin" in who["Arn"]
    finally:
        rc, err = agent.stop()
        cloud.stop()
    assert rc == 0, err
