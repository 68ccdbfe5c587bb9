"""End to end: the real alicred-desktop window, driven through tauri-driver.

One scenario in steps (each a test, run in order with -x): add four profiles
through the forms, watch them become fresh, switch the active profile and read
the endpoint, break the emulator and see the error state and a notification,
repair it and see recovery. Screenshots of every step go to docs/screenshots/.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import requests
import urllib3
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import Select, WebDriverWait

APP = os.environ["ALICRED_DESKTOP_BIN"]
FAKECLOUD = os.environ["ALICRED_FAKECLOUD_BIN"]
TMP = Path(os.environ.get("SESSION_TMP", "/tmp"))
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "docs/screenshots"))
NOTIFY_LOG = Path(os.environ.get("E2E_NOTIFY_LOG", TMP / "notifications.log"))


class TauriOptions(ArgOptions):
    """alwaysMatch = only tauri:options (WebKitGTK 2.50 rejects browserName)."""

    @property
    def default_capabilities(self):
        return {}

    def to_capabilities(self):
        return {"tauri:options": {"application": APP}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open")


@pytest.fixture(scope="module")
def cloud():
    port = free_port()
    log = open(TMP / "fakecloud.log", "w")
    p = subprocess.Popen([FAKECLOUD, "--listen", f"127.0.0.1:{port}", "--demo", "--lifetime-seconds", "900"],
                         stdout=log, stderr=subprocess.STDOUT)
    wait_port(port, p)
    base = f"http://127.0.0.1:{port}"
    demo = requests.get(f"{base}/_admin/demo", timeout=5).json()
    yield {"base": base, "demo": demo}
    p.send_signal(signal.SIGTERM)
    p.wait(10)


@pytest.fixture(scope="module")
def driver(cloud):
    home = TMP / "alicred-home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, ALICRED_HOME=str(home), ALICRED_NO_DEMO="1",
               ALICRED_LISTEN=f"127.0.0.1:{free_port()}", ALICRED_LOG="info,alicred_core=debug",
               ALICRED_LOG_FILE=str(TMP / "app.log"),
               # WebKitWebDriver screenshots need WebKit's GPU compositing, which
               # the app turns off by default to save memory.
               ALICRED_WEBVIEW_ACCEL="1")
    log = open(TMP / "tauri-driver.log", "w")
    port, native = free_port(), free_port()
    td = subprocess.Popen(["tauri-driver", "--port", str(port), "--native-port", str(native)], env=env,
                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_port(port, td)
    d = None
    for attempt in range(3):
        try:
            d = webdriver.Remote(f"http://127.0.0.1:{port}", options=TauriOptions())
            break
        except (WebDriverException, OSError, urllib3.exceptions.HTTPError):
            if attempt == 2:
                raise
            time.sleep(2)
    try:
        d.set_window_size(1180, 780)
    except WebDriverException:
        pass
    d.implicitly_wait(0)
    yield d
    try:
        d.quit()
    finally:
        # tauri-driver and WebKitWebDriver share a process group of their own.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(td.pid, sig)
            except ProcessLookupError:
                break
            try:
                td.wait(5)
                break
            except subprocess.TimeoutExpired:
                continue


def shot(d, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Let WebKit paint the latest state before grabbing it.
    d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 150)));")
    d.save_screenshot(str(SHOTS / f"{name}.png"))


def tid(d, testid):
    return d.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')


def wait(d, cond, timeout=30, msg=""):
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.25, ignored_exceptions=(WebDriverException,)).until(
            lambda _: cond(), msg)
    except Exception:
        d.save_screenshot(str(TMP / f"failure-{int(time.time())}.png"))
        (TMP / "failure.html").write_text(d.page_source)
        raise


def click(d, testid):
    el = tid(d, testid)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    wait(d, lambda: el.is_displayed() and el.is_enabled(), 10, f"{testid} not clickable")
    el.click()


def state_of(d, name):
    return tid(d, f"profile-row-{name}").get_attribute("data-state")


def content(el):
    """textContent: .text is empty for the ellipsized, select-all URL boxes."""
    return el.get_attribute("textContent") or ""


def type_into(el, text):
    for _ in range(3):
        el.clear()
        el.send_keys(text)
        if (el.get_attribute("value") or "") == text:
            return
        time.sleep(0.2)
    raise AssertionError(f"could not type {text!r} into {el.get_attribute('data-testid')}")


def fill_form(d, name, type_, fields=None, secret=None, advanced=None):
    tid(d, "add-profile").click()
    wait(d, lambda: tid(d, "profile-form").is_displayed())
    Select(tid(d, "field-type")).select_by_value(type_)
    type_into(tid(d, "field-name"), name)
    for k, v in (fields or {}).items():
        el = tid(d, f"field-{k}")
        if el.tag_name == "select":
            Select(el).select_by_value(v)
        else:
            type_into(el, v)
    if advanced:
        summary = d.find_element(By.CSS_SELECTOR, ".adv summary")
        if not d.find_element(By.CSS_SELECTOR, ".adv").get_attribute("open"):
            summary.click()
        for k, v in advanced.items():
            type_into(tid(d, f"field-{k}"), v)
    for k, v in (secret or {}).items():
        el = tid(d, f"secret-{k}")
        assert el.get_attribute("type") == "password"
        type_into(el, v)


def submit_form(d, name):
    tid(d, "form-submit").click()
    wait(d, lambda: not d.find_elements(By.CSS_SELECTOR, '[data-testid="profile-form"]'), 20,
         f"form for {name} did not close: " + " | ".join(e.text for e in d.find_elements(By.CSS_SELECTOR, '[data-testid="form-error"], .problem')))
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, f'[data-testid="profile-row-{name}"]'), 10)


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, json.loads(r.read())


def test_01_empty_dashboard(driver):
    d = driver
    wait(d, lambda: tid(d, "no-profiles").is_displayed(), 60, "dashboard did not load")
    wait(d, lambda: content(tid(d, "endpoint-url")).startswith("http://127.0.0.1:"), 30, "endpoint not shown")
    assert content(tid(d, "export-line")).startswith("export ALIBABA_CLOUD_CREDENTIALS_URI=http://127.0.0.1:")
    shot(d, "01-empty")


def test_02_form_validates_as_you_type(driver, cloud):
    d = driver
    fill_form(d, "bad name!", "ram-role-arn")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="problem-name"]'), 10, "no problem shown for the name")
    assert "use it when" in tid(d, "type-guide").text.lower()
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="problem-source"], [data-testid="problem-role_arn"]'), 10)
    shot(d, "02-form-validation")
    tid(d, "form-close").click()
    wait(d, lambda: not d.find_elements(By.CSS_SELECTOR, '[data-testid="profile-form"]'))


def test_03_add_four_types(driver, cloud):
    d, base, demo = driver, cloud["base"], cloud["demo"]
    alice = demo["alice"]
    fill_form(d, "base", "access-key",
              advanced={"sts_endpoint": f"{base}/sts", "ram_endpoint": f"{base}/ram"},
              secret={"access_key_id": alice["access_key_id"], "access_key_secret": alice["access_key_secret"]})
    shot(d, "03-add-access-key")
    submit_form(d, "base")
    # The secret is gone from the window after submit.
    assert alice["access_key_secret"] not in d.page_source

    admin_arn = next(r["arn"] for r in demo["roles"] if r["role_name"].lower() == "admin")
    fill_form(d, "admin", "ram-role-arn",
              fields={"source": "base", "role_arn": admin_arn, "session_name": "e2e-admin", "duration": "1800"},
              advanced={"sts_endpoint": f"{base}/sts"})
    submit_form(d, "admin")
    fill_form(d, "web", "credentials-uri", fields={"uri": f"{base}/uri/{demo['uri_source']}"})
    submit_form(d, "web")
    fill_form(d, "ecs", "ecs-ram-role", advanced={"metadata_endpoint": f"{base}/ecs"})
    submit_form(d, "ecs")


def test_04_profiles_become_fresh_with_countdown(driver):
    d = driver
    for n in ["base", "admin", "web", "ecs"]:
        wait(d, lambda n=n: state_of(d, n) == "fresh", 60, f"{n} not fresh: {state_of(d, n)}")
    c1 = tid(d, "countdown-admin").text
    assert re.match(r"^\d+m \d{2}s$", c1), c1
    time.sleep(2.2)
    c2 = tid(d, "countdown-admin").text
    assert c1 != c2, "countdown does not tick"
    assert tid(d, "countdown-base").text == "never"
    assert "role/admin" in tid(d, "chain-admin").text
    assert tid(d, "rotation-admin").text == "—"
    click(d, "toggle-admin")
    wait(d, lambda: tid(d, "timeline-admin").is_displayed())
    shot(d, "04-fresh")


def test_05_switch_active_and_endpoint_serves_it(driver):
    d = driver
    url = content(tid(d, "endpoint-url"))
    assert tid(d, "active-base").is_selected()
    status, body = get_json(url)
    assert status == 200 and body["Code"] == "Success" and body["SecurityToken"] == ""
    tid(d, "active-admin").click()
    wait(d, lambda: tid(d, "profile-row-admin").get_attribute("data-active") == "true", 10)

    def serves_admin():
        s, b = get_json(url)
        return s == 200 and b["AccessKeyId"].startswith("STS.") and b["SecurityToken"]
    wait(d, serves_admin, 15, "endpoint did not switch to admin")
    click(d, "verify-admin")
    wait(d, lambda: "Verified" in tid(d, "verify-result-admin").text, 20)
    shot(d, "05-switched-active")


def test_05b_rotate_access_key(driver, cloud):
    d = driver
    wait(d, lambda: "key" in tid(d, "rotation-base").text, 30, "no key age shown")
    # A URL opens one profile only (its own capability), and the dashboard
    # shows the active-profile URL: make base active while it rotates.
    tid(d, "active-base").click()
    wait(d, lambda: tid(d, "profile-row-base").get_attribute("data-active") == "true", 10)
    url = content(tid(d, "endpoint-url"))
    wait(d, lambda: get_json(url)[1]["SecurityToken"] == "", 15, "endpoint did not switch to base")
    _, before = get_json(url)
    click(d, "rotate-base")
    wait(d, lambda: tid(d, "confirm-dialog").is_displayed())
    click(d, "confirm-ok")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="toast"]') and "rotat" in tid(d, "toast").text.lower(), 60,
         "no rotation result")
    assert "did not run" not in tid(d, "toast").text, tid(d, "toast").text

    def new_key():
        s, b = get_json(url)
        return s == 200 and b["AccessKeyId"] != before["AccessKeyId"]
    wait(d, new_key, 30, "endpoint still serves the old key")
    shot(d, "05b-rotated")
    tid(d, "active-admin").click()
    wait(d, lambda: tid(d, "profile-row-admin").get_attribute("data-active") == "true", 10)


def test_06_fault_shows_error_and_notifies(driver, cloud):
    d, base = driver, cloud["base"]
    r = requests.post(f"{base}/_admin/faults", json={"service": "uri", "kind": "service_unavailable"}, timeout=5)
    assert r.ok, r.text
    click(d, "refresh-web")
    wait(d, lambda: state_of(d, "web") in ("degraded", "expired"), 30, f"web state {state_of(d, 'web')}")
    wait(d, lambda: "web" in tid(d, "attention").text or tid(d, "attention").is_displayed(), 10)
    wait(d, lambda: NOTIFY_LOG.exists() and "refreshing web is failing" in NOTIFY_LOG.read_text(errors="replace"),
         20, "no desktop notification seen")
    click(d, "toggle-admin")  # collapse, so the broken row is in view
    click(d, "toggle-web")
    wait(d, lambda: tid(d, "last-error-web").is_displayed(), 10)
    assert "ServiceUnavailable" in tid(d, "last-error-web").text
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", tid(d, "profile-row-web"))
    shot(d, "06-fault")


def test_07_repair_and_recover(driver, cloud):
    d, base = driver, cloud["base"]
    assert requests.delete(f"{base}/_admin/faults", timeout=5).ok
    click(d, "refresh-web")
    wait(d, lambda: state_of(d, "web") == "fresh", 60, f"web state {state_of(d, 'web')}")
    assert not d.find_elements(By.CSS_SELECTOR, '[data-testid="attention"]')
    wait(d, lambda: NOTIFY_LOG.exists() and "web recovered" in NOTIFY_LOG.read_text(errors="replace"), 20)
    click(d, "toggle-web")
    shot(d, "07-recovered")


def test_08_small_window_and_dark_theme(driver):
    d = driver
    try:
        d.set_window_size(800, 600)
    except WebDriverException:
        pytest.skip("window resize not supported")
    tid(d, "theme-toggle").click()  # system → light
    tid(d, "theme-toggle").click()  # light → dark
    wait(d, lambda: d.execute_script("return document.documentElement.dataset.theme") == "dark")
    wait(d, lambda: "Dark" in tid(d, "theme-toggle").text)
    time.sleep(0.3)
    shot(d, "08-dark-800x600")
    tid(d, "theme-toggle").click()  # back to system
