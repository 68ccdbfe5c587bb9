"""`alicred export NAME --format aliyun-external` read by the official Python
SDK's External provider, directly and through an aliyun CLI config file."""

import json

from alibabacloud_credentials.provider.cli_profile import CLIProfileCredentialsProvider
from alibabacloud_credentials.provider.external import ExternalCredentialsProvider

from conftest import ALICRED

SECRET = "PyExternalSecret000000000000001"
TOKEN = "CAISPyExternalToken00000000001"


def _command(alicred, name):
    return f"{ALICRED} export {name} --format aliyun-external"


def test_external_provider_reads_a_long_term_key(alicred, monkeypatch):
    alicred.add("ak", "access-key", secret={"AccessKeyId": "LTAI5tPyExternal0001", "AccessKeySecret": SECRET})
    for k, v in alicred.env.items():
        monkeypatch.setenv(k, v)
    creds = ExternalCredentialsProvider(process_command=_command(alicred, "ak")).get_credentials()
    assert creds.get_access_key_id() == "LTAI5tPyExternal0001"
    assert creds.get_access_key_secret() == SECRET
    assert not creds.get_security_token()
    assert creds.get_provider_name() == "external"


def test_cli_profile_in_external_mode_reads_sts_with_expiration(alicred, monkeypatch, tmp_path):
    alicred.add(
        "sts",
        "sts-token",
        "--expiration",
        "2999-01-01T00:00:00Z",
        secret={"AccessKeyId": "STS.PyExternal0001", "AccessKeySecret": SECRET, "SecurityToken": TOKEN},
    )
    for k, v in alicred.env.items():
        monkeypatch.setenv(k, v)
    # Exactly what `aliyun configure --mode External --process-command "alicred export …"` writes.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "current": "via-alicred",
        "profiles": [{"name": "via-alicred", "mode": "External", "process_command": _command(alicred, "sts"), "region_id": "cn-hangzhou"}],
    }))
    creds = CLIProfileCredentialsProvider(profile_name="via-alicred", profile_file=str(config)).get_credentials()
    assert creds.get_access_key_id() == "STS.PyExternal0001"
    assert creds.get_security_token() == TOKEN


def test_export_of_a_missing_profile_fails_the_sdk_clearly(alicred, monkeypatch):
    for k, v in alicred.env.items():
        monkeypatch.setenv(k, v)
    p = alicred.run("export", "ghost", "--format", "aliyun-external", check=False)
    assert p.returncode == 2 and "ghost does not exist" in p.stderr
