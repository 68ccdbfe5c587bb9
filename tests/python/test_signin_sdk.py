"""The emulator's CloudSSO portal and OAuth service, proven against the official
Python credentials SDK: `CloudSSOCredentialsProvider` and `OAuthCredentialsProvider`
must get working credentials from it (checked with GetCallerIdentity through the
official aliyun-python-sdk-core signer).

The sign-in steps the SDK does not do itself (the device flow, the browser's
authorize step) are driven here over plain HTTP exactly as protocols.md §12 says.
"""

import base64
import json
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlparse

import pytest
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from conftest import start_cloud

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CN_CLIENT = "4038181954557748008"


@pytest.fixture
def plain_cloud():
    """The emulator without --demo: nothing is approved unless the test says so."""
    c = start_cloud()
    yield c
    c.proc.terminate()
    c.proc.wait(timeout=15)


def pkce():
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def whoami(cloud, creds):
    client = AcsClient(region_id="cn-hangzhou", credential=StsTokenCredential(
        creds.get_access_key_id(), creds.get_access_key_secret(), creds.get_security_token()))
    req = CommonRequest(domain=f"127.0.0.1:{cloud.port}", version="2015-04-01", action_name="GetCallerIdentity")
    req.set_protocol_type("http")
    req.set_method("POST")

    return json.loads(client.do_action_with_exception(req))


def sso_sign_in(cloud):
    """The device flow, checking AuthorizationPending until the admin approves."""
    verifier, challenge = pkce()
    r = cloud.http.post(f"{cloud.base}/device-authorization", json={
        "PortalUrl": f"{cloud.base}/d-test/login", "CodeChallenge": challenge,
        "ClientId": "app-vaz16tltdxs96audqf35", "CodeChallengeMethod": "S256"}, timeout=10)
    r.raise_for_status()
    dev = r.json()
    assert dev["VerificationUriComplete"].endswith(dev["UserCode"])
    poll = {"CodeVerifier": verifier, "ClientId": "app-vaz16tltdxs96audqf35",
            "DeviceCode": dev["DeviceCode"], "GrantType": DEVICE_GRANT}
    pending = cloud.http.post(f"{cloud.base}/token", json=poll, timeout=10)
    assert pending.status_code == 400 and pending.json()["ErrorCode"] == "AuthorizationPending"
    # A wrong verifier never gets the token, even once approved.
    assert cloud.admin("/sso/pending")["user_codes"] == [dev["UserCode"]]
    cloud.admin("/sso/approve", {"user_code": dev["UserCode"]})
    bad = cloud.http.post(f"{cloud.base}/token", json={**poll, "CodeVerifier": "x" * 43}, timeout=10)
    assert bad.status_code == 400 and bad.json()["ErrorCode"] != "AuthorizationPending"
    tok = cloud.http.post(f"{cloud.base}/token", json=poll, timeout=10)
    tok.raise_for_status()
    return tok.json()


def list_all(cloud, token, path, key, **params):
    items, next_token, pages = [], None, 0
    while True:
        q = dict(params, MaxResults=100)
        if next_token:
            q["NextToken"] = next_token
        r = cloud.http.get(f"{cloud.base}{path}", params=q, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        r.raise_for_status()
        body = r.json()
        items += body[key]
        pages += 1
        if not body["IsTruncated"]:
            return items, pages
        next_token = body["NextToken"]


def test_cloud_sso_provider_gets_working_credentials(plain_cloud):
    from alibabacloud_credentials.provider.cloud_sso import CloudSSOCredentialsProvider

    cloud = plain_cloud
    for i, acct in enumerate(["1111222233334444", "2222333344445555", "3333444455556666"]):
        cloud.admin("/sso/assignments", {"account_id": acct, "display_name": f"Account {i}", "access_configurations": [
            {"id": f"ac-admin-{i}", "name": "Admin"}, {"id": f"ac-ro-{i}", "name": "ReadOnly"},
            {"id": f"ac-dev-{i}", "name": "Dev"}]})
    tok = sso_sign_in(cloud)
    accounts, pages = list_all(cloud, tok["AccessToken"], "/access-assignments/accounts", "Accounts")
    assert [a["AccountId"] for a in accounts] == ["1111222233334444", "2222333344445555", "3333444455556666"]
    assert pages == 2, "the emulator pages (2 per page) even when MaxResults asks for more"
    configs, _ = list_all(cloud, tok["AccessToken"], "/access-assignments/access-configurations",
                          "AccessConfigurationsForAccount", AccountId="2222333344445555")
    assert [c["AccessConfigurationId"] for c in configs] == ["ac-admin-1", "ac-ro-1", "ac-dev-1"]

    provider = CloudSSOCredentialsProvider(
        sign_in_url=f"{cloud.base}/d-test/login", account_id="2222333344445555",
        access_config="ac-ro-1", access_token=tok["AccessToken"],
        access_token_expire=int(time.time()) + int(tok["ExpiresIn"]))
    creds = provider.get_credentials()
    assert creds.get_access_key_id().startswith("STS.") and creds.get_security_token()
    assert creds.get_provider_name() == "cloud_sso"
    who = whoami(cloud, creds)
    assert who["AccountId"] == "2222333344445555"
    assert who["Arn"] == "acs:ram::2222333344445555:assumed-role/sso-ac-ro-1/sso-user"

    # Revoked: the SDK's next fetch fails with the portal's 401.
    cloud.admin("/sso/revoke", {})
    again = CloudSSOCredentialsProvider(
        sign_in_url=f"{cloud.base}/d-test/login", account_id="2222333344445555",
        access_config="ac-ro-1", access_token=tok["AccessToken"],
        access_token_expire=int(time.time()) + 3600)
    with pytest.raises(Exception, match="http_code: 401"):
        again.get_credentials()


def test_sso_denied_and_expired_device_codes(plain_cloud):
    cloud = plain_cloud
    verifier, challenge = pkce()
    body = {"PortalUrl": cloud.base, "CodeChallenge": challenge, "ClientId": "c", "CodeChallengeMethod": "S256"}
    dev = cloud.http.post(f"{cloud.base}/device-authorization", json=body, timeout=10).json()
    cloud.admin("/sso/deny", {"user_code": dev["UserCode"]})
    poll = {"CodeVerifier": verifier, "ClientId": "c", "DeviceCode": dev["DeviceCode"], "GrantType": DEVICE_GRANT}
    r = cloud.http.post(f"{cloud.base}/token", json=poll, timeout=10)
    assert r.status_code == 400 and r.json()["ErrorCode"] == "AccessDenied"
    dev = cloud.http.post(f"{cloud.base}/device-authorization", json=body, timeout=10).json()
    cloud.admin("/sso/expire-device-codes", {})
    r = cloud.http.post(f"{cloud.base}/token", json={**poll, "DeviceCode": dev["DeviceCode"]}, timeout=10)
    assert r.status_code == 400 and r.json()["ErrorCode"] == "InvalidDeviceCodeError"


def oauth_sign_in(cloud):
    """The browser step: the authorize page redirects to the loopback callback."""
    verifier, challenge = pkce()
    redirect = "http://127.0.0.1:12345/cli/callback"
    r = cloud.http.get(f"{cloud.base}/oauth2/v1/auth", params={
        "response_type": "code", "client_id": CN_CLIENT, "redirect_uri": redirect,
        "state": "st-1", "code_challenge": challenge, "code_challenge_method": "S256"},
        allow_redirects=False, timeout=10)
    assert r.status_code == 302
    loc = urlparse(r.headers["Location"])
    q = parse_qs(loc.query)
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == redirect and q["state"] == ["st-1"]
    tok = cloud.http.post(f"{cloud.base}/v1/token", data={
        "grant_type": "authorization_code", "code": q["code"][0], "client_id": CN_CLIENT,
        "redirect_uri": redirect, "code_verifier": verifier}, timeout=10)
    tok.raise_for_status()
    return tok.json()


def test_oauth_provider_refreshes_rotates_and_exchanges(plain_cloud):
    from alibabacloud_credentials.provider.oauth import OAuthCredentialsProvider

    cloud = plain_cloud
    tok = oauth_sign_in(cloud)
    assert tok["token_type"] == "Bearer" and tok["refresh_token"]
    updates = []
    # An access token near its end: the SDK refreshes first (rotating refresh token).
    provider = OAuthCredentialsProvider(
        client_id=CN_CLIENT, sign_in_url=cloud.base, access_token=tok["access_token"],
        access_token_expire=int(time.time()) + 60, refresh_token=tok["refresh_token"],
        token_update_callback=lambda *a: updates.append(a))
    creds = provider.get_credentials()
    assert creds.get_provider_name() == "oauth"
    who = whoami(cloud, creds)
    assert who["Arn"] == "acs:ram::1234567890123456:assumed-role/AliyunCLIOAuthUser/oauth-user"
    assert len(updates) == 1
    new_refresh, new_access = updates[0][0], updates[0][1]
    assert new_refresh != tok["refresh_token"] and new_access != tok["access_token"]

    # The old refresh token is spent.
    spent = cloud.http.post(f"{cloud.base}/v1/token", data={
        "grant_type": "refresh_token", "refresh_token": tok["refresh_token"], "client_id": CN_CLIENT}, timeout=10)
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"

    # Expired access token, no refresh token: /v1/exchange says so, the SDK raises.
    cloud.admin("/oauth/expire", {})
    stale = OAuthCredentialsProvider(client_id=CN_CLIENT, sign_in_url=cloud.base,
                                     access_token=new_access, access_token_expire=int(time.time()) + 7200)
    with pytest.raises(Exception, match="expired_token"):
        stale.get_credentials()


def test_oauth_denied_and_foreign_redirects(plain_cloud):
    cloud = plain_cloud
    _, challenge = pkce()
    params = {"response_type": "code", "client_id": CN_CLIENT, "redirect_uri": "http://127.0.0.1:12346/cli/callback",
              "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}
    cloud.admin("/oauth/settings", {"decision": "deny"})
    r = cloud.http.get(f"{cloud.base}/oauth2/v1/auth", params=params, allow_redirects=False, timeout=10)
    assert r.status_code == 302 and "error=access_denied" in r.headers["Location"]
    cloud.admin("/oauth/settings", {"decision": "approve"})
    r = cloud.http.get(f"{cloud.base}/oauth2/v1/auth", params={**params, "redirect_uri": "http://evil.example/cb"},
                       allow_redirects=False, timeout=10)
    assert r.status_code == 400 and "Location" not in r.headers
