"""alicred-fakecloud checked against the official aliyun-python-sdk-core signer.

Starts the built `alicred-fakecloud` binary ($ALICRED_BIN_DIR, default
/root/.cache/alicred/target/debug) on a free loopback port with the demo world,
creates a user through the admin API, and sends real SDK-signed RPC requests.
aliyun-python-sdk-core always sends RPC requests to `/` (a uri pattern would
switch it to ROA style), so these exercise the emulator's `/` dispatch by Version.
"""

import json
import os
import pathlib
import select
import socket
import subprocess
import time

import pytest
import requests
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

BIN_DIR = pathlib.Path(
    os.environ.get("ALICRED_BIN_DIR", "/root/.cache/alicred/target/debug")
)
ACCOUNT = "1234567890123456"
NO_PROXY = {"http": ""}  # never route loopback traffic through an env proxy


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(exe):
    port = _free_port()
    proc = subprocess.Popen(
        [str(exe), "--listen", f"127.0.0.1:{port}", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else ""
    if line.strip() != f"alicred-fakecloud listening on http://127.0.0.1:{port}":
        proc.kill()
        _, err = proc.communicate(timeout=10)
        return None, f"no ready line (got {line!r}); stderr: {err.strip()}"
    return (proc, port), None


@pytest.fixture(scope="module")
def cloud():
    exe = BIN_DIR / "alicred-fakecloud"
    if not exe.exists():
        pytest.fail(f"{exe} not found: build it first (cargo build -p alicred-fakecloud)")
    started, why = None, None
    for _ in range(3):  # the free port may be taken between probe and bind
        started, why = _start(exe)
        if started:
            break
    assert started, why
    proc, port = started
    http = requests.Session()
    http.trust_env = False
    base = f"http://127.0.0.1:{port}"
    yield {"base": base, "domain": f"127.0.0.1:{port}", "http": http}
    proc.terminate()
    assert proc.wait(timeout=15) == 0
    out = proc.stdout.read()
    assert out == "", f"only the ready line goes to stdout, got {out!r}"


def _admin(cloud, path, body=None):
    http = cloud["http"]
    url = cloud["base"] + "/_admin" + path
    r = http.post(url, json=body, timeout=10) if body is not None else http.get(url, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def _client(ak, secret=None, credential=None):
    if credential is not None:
        return AcsClient(
            region_id="cn-hangzhou", credential=credential, auto_retry=False, proxy=NO_PROXY
        )
    return AcsClient(ak, secret, "cn-hangzhou", auto_retry=False, proxy=NO_PROXY)


def _rpc(cloud, version, action, params=None, method="GET", body=None):
    req = CommonRequest()
    req.set_domain(cloud["domain"])
    req.set_protocol_type("http")
    req.set_version(version)
    req.set_action_name(action)
    req.set_method(method)
    req.set_accept_format("json")
    for k, v in (params or {}).items():
        req.add_query_param(k, v)
    for k, v in (body or {}).items():
        req.add_body_params(k, v)
    return req


def _call(client, req):
    return json.loads(client.do_action_with_exception(req))


@pytest.fixture(scope="module")
def dave(cloud):
    user = _admin(cloud, "/users", {"user_name": "dave"})
    key = user["access_key"]
    return user, key["access_key_id"], key["access_key_secret"]


def test_get_caller_identity_verifies(cloud, dave):
    user, ak, secret = dave
    got = _call(_client(ak, secret), _rpc(cloud, "2015-04-01", "GetCallerIdentity"))
    assert got["IdentityType"] == "RAMUser"
    assert got["AccountId"] == ACCOUNT
    assert got["Arn"] == f"acs:ram::{ACCOUNT}:user/dave"
    assert got["UserId"] == user["user_id"]


def test_post_form_body_verifies(cloud, dave):
    _, ak, secret = dave
    got = _call(
        _client(ak, secret),
        _rpc(cloud, "2015-04-01", "GetCallerIdentity", method="POST", body={"Extra": "a b*c"}),
    )
    assert got["IdentityType"] == "RAMUser"


def test_wrong_secret_is_rejected(cloud, dave):
    _, ak, _ = dave
    with pytest.raises(ServerException) as e:
        _call(_client(ak, "not-the-secret"), _rpc(cloud, "2015-04-01", "GetCallerIdentity"))
    assert e.value.get_error_code() == "SignatureDoesNotMatch"
    assert e.value.get_http_status() == 400


def test_unknown_key_is_rejected(cloud):
    with pytest.raises(ServerException) as e:
        _call(_client("LTAI5tNoSuchKey", "x"), _rpc(cloud, "2015-04-01", "GetCallerIdentity"))
    assert e.value.get_error_code() == "InvalidAccessKeyId.NotFound"


def test_assume_role_and_use_the_sts_credentials(cloud, dave):
    _, ak, secret = dave
    policy = json.dumps(
        {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    got = _call(
        _client(ak, secret),
        _rpc(
            cloud,
            "2015-04-01",
            "AssumeRole",
            {
                "RoleArn": f"acs:ram::{ACCOUNT}:role/admin",
                "RoleSessionName": "py-sdk",
                "DurationSeconds": "900",
                "Policy": policy,
            },
        ),
    )
    creds = got["Credentials"]
    assert creds["AccessKeyId"].startswith("STS.")
    assert time.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    assert got["AssumedRoleUser"]["Arn"] == f"acs:ram::{ACCOUNT}:role/admin/py-sdk"

    sts_client = _client(
        None,
        credential=StsTokenCredential(
            creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]
        ),
    )
    who = _call(sts_client, _rpc(cloud, "2015-04-01", "GetCallerIdentity"))
    assert who["IdentityType"] == "AssumedRoleUser"
    # GetCallerIdentity says assumed-role, as the real STS does (AssumeRole says role/).
    assert who["Arn"] == f"acs:ram::{ACCOUNT}:assumed-role/admin/py-sdk"

    issued = _admin(cloud, "/issued")["issued"]
    assert any(i["access_key_id"] == creds["AccessKeyId"] for i in issued)


def test_ram_access_keys_with_post(cloud, dave):
    _, ak, secret = dave
    client = _client(ak, secret)
    listed = _call(client, _rpc(cloud, "2015-05-01", "ListAccessKeys", method="POST"))
    assert [k["AccessKeyId"] for k in listed["AccessKeys"]["AccessKey"]] == [ak]
    created = _call(client, _rpc(cloud, "2015-05-01", "CreateAccessKey", method="POST"))
    assert created["AccessKey"]["Status"] == "Active"
    with pytest.raises(ServerException) as e:
        _call(client, _rpc(cloud, "2015-05-01", "CreateAccessKey", method="POST"))
    assert e.value.get_error_code() == "LimitExceeded.User.AccessKey"
    assert e.value.get_http_status() == 409


def test_uri_source_with_official_credentials_client(cloud):
    from alibabacloud_credentials.provider.uri import URLCredentialsProvider

    creds = URLCredentialsProvider(uri=cloud["base"] + "/uri/demo").get_credentials()
    assert creds.get_access_key_id().startswith("STS.")
    assert creds.get_security_token()
    sts_client = _client(
        None,
        credential=StsTokenCredential(
            creds.get_access_key_id(),
            creds.get_access_key_secret(),
            creds.get_security_token(),
        ),
    )
    who = _call(sts_client, _rpc(cloud, "2015-04-01", "GetCallerIdentity"))
    assert who["Arn"].startswith(f"acs:ram::{ACCOUNT}:assumed-role/readonly/")


def test_ecs_metadata_with_oss2_provider(cloud):
    import oss2

    url = cloud["base"] + "/ecs/latest/meta-data/ram/security-credentials/EcsDemoRole"
    creds = oss2.credentials.EcsRamRoleCredentialsProvider(url).get_credentials()
    assert creds.get_access_key_id().startswith("STS.")
    assert creds.get_security_token()
