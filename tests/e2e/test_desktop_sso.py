"""End to end: CloudSSO sign-in from the dashboard, against the app's own demo.

The app starts with an empty home and no ALICRED_NO_DEMO, so it runs its built-in
emulator and seeds the demo: a CloudSSO session `demo` (two accounts, three access
configurations) already signed in. The test revokes that sign-in in the emulator
(the portal refuses the token from then on) and signs out with `alicred sso logout`,
sees the session ask for a sign-in, signs in from the dashboard, checks the user code the window
shows is the one the emulator is waiting for, approves it there, sees the session
signed in with time left, makes an access configuration active, and asks
GetCallerIdentity (official Python SDK) who the endpoint's credentials are.

ALICRED_NO_BROWSER=1 keeps the app from opening a browser.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By

from test_desktop import (TMP, desktop_session, click, content, fill_form, free_port, get_json, shot, state_of, submit_form,
                          tid, texts, wait)

SESSION = "demo"
PICK = "demo-Sandbox-Developer"
SANDBOX_ACCOUNT = "2345678901234567"
HOME = TMP / "alicred-sso-home"
CLI = Path(os.environ["ALICRED_DESKTOP_BIN"]).parent / "alicred"


@pytest.fixture(scope="module")
def app():
    HOME.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "ALICRED_NO_DEMO"}
    env.update(ALICRED_HOME=str(HOME), ALICRED_NO_BROWSER="1", ALICRED_LISTEN=f"127.0.0.1:{free_port()}",
               ALICRED_LOG="info,alicred_core=debug", ALICRED_LOG_FILE=str(TMP / "app-sso.log"),
               ALICRED_WEBVIEW_ACCEL="1")
    with desktop_session(env, "tauri-driver-sso.log") as (d, _):
        d.set_window_size(1180, 780)
        yield d


def demo_cloud():
    """The app's demo emulator: its address is in the seeded profiles (it is
    127.0.0.1:47920 unless that port was taken)."""
    text = (HOME / "profiles.toml").read_text()
    m = re.search(r"(http://127\.0\.0\.1:\d+)/d-fakecloud/login", text)
    assert m, "the demo's CloudSSO profiles are not in the profiles file"
    return m.group(1)


def status(d):
    got = texts(d, f'[data-testid="sso-status-{SESSION}"]')
    return got[0] if got else ""


def whoami(base, creds):
    """GetCallerIdentity with the official aliyun-python-sdk-core signer."""
    import json
    from aliyunsdkcore.auth.credentials import StsTokenCredential
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest
    client = AcsClient(region_id="cn-hangzhou", credential=StsTokenCredential(
        creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]))
    req = CommonRequest(domain=base.removeprefix("http://"), version="2015-04-01", action_name="GetCallerIdentity")
    req.set_protocol_type("http")
    req.set_method("POST")
    return json.loads(client.do_action_with_exception(req))


def test_10_demo_session_is_grouped_and_signed_in(app):
    d = app
    wait(d, lambda: tid(d, f"sso-session-{SESSION}").is_displayed(), 90, "no CloudSSO session on the dashboard")
    wait(d, lambda: status(d).startswith("Signed in ·"), 30, lambda: f"demo session: {status(d)!r}")
    accounts = texts(d, f'[data-testid="sso-session-{SESSION}"] .acct span:first-child')
    assert accounts == ["Production", "Sandbox"], accounts
    configs = texts(d, f'[data-testid="sso-session-{SESSION}"] .cfg')
    assert configs == ["Administrator", "ReadOnly", "Developer"], configs
    # The CloudSSO profiles are not rows of the plain table.
    assert not d.find_elements(By.CSS_SELECTOR, f'[data-testid="profile-row-{PICK}"]')
    shot(d, "10-sso-signed-in")


def test_11_signed_out_session_asks_for_a_sign_in(app):
    d, base = app, demo_cloud()
    # Revoke the sign-in in the portal, and forget it here as `alicred sso logout`
    # does (keyring token gone, the profiles lose their recorded end).
    r = requests.post(f"{base}/_admin/sso/revoke", timeout=5)
    assert r.ok and r.json()["tokens"] >= 1, r.text
    out = subprocess.run([str(CLI), "sso", "logout", SESSION], env=dict(os.environ, ALICRED_HOME=str(HOME)),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # The engine finds out at its next fetch: ask for one.
    click(d, f"refresh-{PICK}")
    wait(d, lambda: tid(d, f"sso-config-{PICK}").get_attribute("data-state") == "needs-user", 60,
         lambda: f"{PICK} state {tid(d, f'sso-config-{PICK}').get_attribute('data-state')}")
    wait(d, lambda: status(d) == "Sign in needed", 30, lambda: f"demo session: {status(d)!r}")
    assert tid(d, f"sso-session-{SESSION}").get_attribute("data-needs-sign-in") == "true"
    shot(d, "11-sso-sign-in-needed")


def test_12_sign_in_from_the_dashboard(app):
    d, base = app, demo_cloud()
    # Hold the approval so the code can be checked against the emulator's pending one.
    assert requests.post(f"{base}/_admin/sso/settings", json={"auto_approve": False}, timeout=5).ok
    click(d, f"sso-signin-{SESSION}")
    wait(d, lambda: tid(d, "sign-in-panel").is_displayed(), 20, "no sign-in panel")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="sign-in-code"]'), 30, "no user code shown")
    code = content(tid(d, "sign-in-code")).strip()
    pending = requests.get(f"{base}/_admin/sso/pending", timeout=5).json()["user_codes"]
    assert pending == [code], f"window shows {code!r}, emulator waits for {pending}"
    assert content(tid(d, "sign-in-url")).startswith(f"{base}/device"), content(tid(d, "sign-in-url"))
    assert "browser has been opened" in content(tid(d, "sign-in-panel"))
    shot(d, "12-sso-user-code")
    r = requests.post(f"{base}/_admin/sso/approve", json={"user_code": code}, timeout=5)
    assert r.ok and r.json()["decided"] == 1, r.text
    wait(d, lambda: not d.find_elements(By.CSS_SELECTOR, '[data-testid="sign-in-panel"]'), 30, "panel did not close")
    wait(d, lambda: "Signed in to CloudSSO session demo until" in " ".join(texts(d, '[data-testid="toast"]')), 10,
         lambda: f"toast: {texts(d, '[data-testid=toast]')}")
    wait(d, lambda: re.fullmatch(r"Signed in · \d+h \d\dm \d\ds left", status(d)), 30,
         lambda: f"demo session: {status(d)!r}")
    first = status(d)
    wait(d, lambda: status(d) != first, 5, "the sign-in countdown does not tick")
    assert tid(d, f"sso-session-{SESSION}").get_attribute("data-needs-sign-in") == "false"
    assert requests.post(f"{base}/_admin/sso/settings", json={"auto_approve": True}, timeout=5).ok


def test_13_make_an_access_configuration_active(app):
    d, base = app, demo_cloud()
    click(d, f"active-{PICK}")
    wait(d, lambda: tid(d, f"sso-config-{PICK}").get_attribute("data-active") == "true", 15, f"{PICK} not active")
    wait(d, lambda: tid(d, f"sso-config-{PICK}").get_attribute("data-state") == "fresh", 60,
         lambda: f"{PICK} state {tid(d, f'sso-config-{PICK}').get_attribute('data-state')}")
    url = content(tid(d, "endpoint-url"))

    def served():
        s, body = get_json(url)
        return body if s == 200 and body.get("SecurityToken") else None
    creds = wait(d, served, 30, "the endpoint serves no STS credentials")
    who = whoami(base, creds)
    # The Sandbox account's Developer access configuration, not any other profile's.
    assert who["AccountId"] == SANDBOX_ACCOUNT, who
    assert who["Arn"] == f"acs:ram::{SANDBOX_ACCOUNT}:assumed-role/sso-ac-demo-dev/sso-user", who
    shot(d, "13-sso-active")


def test_14_oauth_profile_from_the_form_signs_in_from_the_dashboard(app):
    """An oauth profile added through the form has no sign-in yet: its row offers
    Sign in; the panel gives the authorization URL, which this test opens as the
    browser would (the emulator's authorize page redirects to the app's loopback
    callback); then the profile is fresh and verifies as the OAuth role."""
    d, base = app, demo_cloud()
    fill_form(d, "me-oauth", "oauth", fields={"site": "cn"},
              advanced={"oauth_sign_in_url": base, "oauth_endpoint": base, "sts_endpoint": f"{base}/sts"})
    assert not d.find_elements(By.CSS_SELECTOR, '[data-testid^="secret-"]'), "an oauth profile asks for no secret"
    submit_form(d, "me-oauth")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="signin-me-oauth"]'), 60,
         lambda: f"no Sign in on me-oauth (state {state_of(d, 'me-oauth')})")
    click(d, "signin-me-oauth")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="sign-in-url"]'), 30, "no sign-in URL shown")
    url = content(tid(d, "sign-in-url"))
    # A one-shot local address that redirects to {base}/oauth2/v1/auth?…: the
    # state stays off every command line (docs/security.md).
    assert url.startswith("http://127.0.0.1:") and "state=" not in url, url
    assert not d.find_elements(By.CSS_SELECTOR, '[data-testid="sign-in-code"]'), "OAuth has no user code"
    r = requests.get(url, timeout=10)  # follows the redirect to http://127.0.0.1:1234x/cli/callback
    assert r.ok and r.url.startswith("http://127.0.0.1:1234"), (r.status_code, r.url)
    wait(d, lambda: not d.find_elements(By.CSS_SELECTOR, '[data-testid="sign-in-panel"]'), 30, "panel did not close")
    wait(d, lambda: "Signed in to me-oauth" in " ".join(texts(d, '[data-testid="toast"]')), 10,
         lambda: f"toast: {texts(d, '[data-testid=toast]')}")
    wait(d, lambda: state_of(d, "me-oauth") == "fresh", 60, lambda: f"me-oauth state {state_of(d, 'me-oauth')}")
    assert not d.find_elements(By.CSS_SELECTOR, '[data-testid="signin-me-oauth"]')
    click(d, "verify-me-oauth")
    wait(d, lambda: "Verified" in tid(d, "verify-result-me-oauth").text, 30,
         lambda: tid(d, "verify-result-me-oauth").text)
    assert "assumed-role/aliyunclioauthuser/" in tid(d, "verify-result-me-oauth").text.lower()


def test_15_reload_problem_is_shown(app):
    """A profiles file the agent cannot read: a banner with the one-line reason,
    gone once the file is fixed."""
    d = app
    f = HOME / "profiles.toml"
    good = f.read_bytes()
    try:
        f.write_text("this is [not toml\n")
        wait(d, lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="reload-problem"]'), 30, "no reload banner")
        assert "profiles file not reloaded" in content(tid(d, "reload-problem")), content(tid(d, "reload-problem"))
        shot(d, "15-reload-problem")
    finally:
        f.write_bytes(good)
    wait(d, lambda: not d.find_elements(By.CSS_SELECTOR, '[data-testid="reload-problem"]'), 30, "banner stayed")


def test_16_no_issued_secret_in_any_file_the_app_wrote(app):
    """The STS secrets the emulator issued for the SSO profiles, and the CloudSSO
    access tokens and OAuth tokens of the sign-ins, are not in the app's log nor in
    any file under its home."""
    base = demo_cloud()
    issued = requests.get(f"{base}/_admin/issued", timeout=5).json()["issued"]
    secrets = {c["access_key_secret"] for c in issued} | {c["security_token"] for c in issued if c.get("security_token")}
    assert secrets, "nothing issued to look for"
    tokens = requests.get(f"{base}/_admin/signin/tokens", timeout=5).json()
    assert tokens["sso"], "the sign-ins above were given CloudSSO access tokens"
    assert tokens["oauth"], "the OAuth sign-in above was given tokens"
    secrets |= set(tokens["sso"]) | set(tokens["oauth"])
    files = [TMP / "app-sso.log"] + sorted(p for p in HOME.rglob("*") if p.is_file())
    assert (TMP / "app-sso.log").stat().st_size > 0
    hits = [str(f) for f in files if f.exists() for s in secrets if s.encode() in f.read_bytes()]
    assert not hits, f"issued secrets found in: {sorted(set(hits))}"
