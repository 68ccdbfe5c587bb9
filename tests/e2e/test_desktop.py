"""End to end: the real alicred-desktop window, driven through tauri-driver.

One scenario in steps (each a test, run in order with -x): add four profiles
through the forms, watch them become fresh, switch the active profile and read
the endpoint, break the emulator and see the error state and a notification,
repair it and see the engine recover by itself (no click).

Deterministic by construction: every step waits for a state of the window,
the endpoint or the notification log (never for a fixed time), and reads
the page in single JavaScript calls, so a re-render between two WebDriver
calls cannot leave it holding a stale element.

Screenshots go to $E2E_SCREENSHOTS (run.sh: ~/.cache/alicred/e2e-screenshots);
only scripts/docs-screenshots.sh points it at docs/screenshots.
"""

import json
import contextlib
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
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import Select, WebDriverWait

APP = os.environ["ALICRED_DESKTOP_BIN"]
FAKECLOUD = os.environ["ALICRED_FAKECLOUD_BIN"]
TMP = Path(os.environ.get("SESSION_TMP", "/tmp"))
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS") or TMP / "screenshots")
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


def wait_ready(port, proc, timeout=60):
    """Until tauri-driver says it can start a session (its /status)."""
    end = time.time() + timeout
    last = ""
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"tauri-driver exited with {proc.returncode}")
        try:
            r = requests.get(f"http://127.0.0.1:{port}/status", timeout=2)
            if r.ok and r.json().get("value", {}).get("ready", True):
                return
            last = r.text
        except (requests.RequestException, ValueError) as e:
            last = str(e)
        time.sleep(0.1)
    raise TimeoutError(f"tauri-driver not ready: {last}")


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


@contextlib.contextmanager
def desktop_session(env, log_name):
    """The app under tauri-driver with `env`: yields (webdriver, tauri-driver's pid), and
    stops tauri-driver and WebKitWebDriver (a process group of their own) after."""
    log = open(TMP / log_name, "w")
    port, native = free_port(), free_port()
    td = subprocess.Popen(["tauri-driver", "--port", str(port), "--native-port", str(native)], env=env,
                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_port(port, td)
        wait_ready(port, td)
        d = webdriver.Remote(f"http://127.0.0.1:{port}", options=TauriOptions())
        d.implicitly_wait(0)
        try:
            yield d, td.pid
        finally:
            d.quit()
    finally:
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
        log.close()


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
    with desktop_session(env, "tauri-driver.log") as (d, _):
        d.set_window_size(1180, 780)
        yield d


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
    """Until cond() is truthy. `msg` may be a callable: it is read only on a
    timeout (reading the page eagerly can race a re-render)."""
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.25, ignored_exceptions=(WebDriverException,)).until(
            lambda _: cond())
    except Exception as e:
        d.save_screenshot(str(TMP / f"failure-{int(time.time())}.png"))
        (TMP / "failure.html").write_text(d.page_source)
        raise AssertionError(msg() if callable(msg) else msg) from e


def texts(d, css):
    """textContent of every element matching css, read in one script call."""
    return d.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent.trim())", css)


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


def type_into(d, testid, text):
    """Type into a field until it holds exactly `text` (a re-render may
    replace the element or eat keystrokes: find it afresh each time)."""
    def typed():
        el = tid(d, testid)
        if (el.get_attribute("value") or "") != text:
            el.clear()
            el.send_keys(text)
        return (tid(d, testid).get_attribute("value") or "") == text
    wait(d, typed, 20, f"could not type into {testid}")


def fill_form(d, name, type_, fields=None, secret=None, advanced=None):
    tid(d, "add-profile").click()
    wait(d, lambda: tid(d, "profile-form").is_displayed())
    select(d, "field-type", type_)
    type_into(d, "field-name", name)
    for k, v in (fields or {}).items():
        if tid(d, f"field-{k}").tag_name == "select":
            select(d, f"field-{k}", v)
        else:
            type_into(d, f"field-{k}", v)
    if advanced:
        # The form may re-render the disclosure (type change, checks) and
        # swallow a click: click the current one until it is open.
        def opened():
            if not d.execute_script("return document.querySelector('.adv').open"):
                d.find_element(By.CSS_SELECTOR, ".adv summary").click()
            return d.execute_script("return document.querySelector('.adv').open")
        wait(d, opened, 20, "the advanced fields did not open")
        for k, v in advanced.items():
            type_into(d, f"field-{k}", v)
    for k, v in (secret or {}).items():
        assert tid(d, f"secret-{k}").get_attribute("type") == "password"
        type_into(d, f"secret-{k}", v)


def select(d, testid, value):
    """Pick an option once it exists (a source profile's option appears when
    the profile list has caught up)."""
    def picked():
        Select(tid(d, testid)).select_by_value(value)
        return tid(d, testid).get_attribute("value") == value
    wait(d, picked, 20, lambda: f"{testid} has no option {value!r}: {texts(d, f'[data-testid={testid!r}] option')}")


def form_status(d):
    got = texts(d, '[data-testid="profile-form"] footer .status')
    return got[0] if got else None


def form_errors(d):
    return " | ".join(texts(d, '[data-testid="form-error"], [data-testid^="problem-"]'))


def submit_form(d, name):
    # Submit once the form's own check of what was typed has come back clean.
    wait(d, lambda: form_status(d) == "Looks good", 60,
         lambda: f"form for {name} never validated: {form_status(d)}: {form_errors(d)}")
    click(d, "form-submit")
    # Saved (the form closes) or refused (an error shows and saving ended):
    # both are states; a slow machine only makes the wait longer.
    def settled():
        if not d.find_elements(By.CSS_SELECTOR, '[data-testid="profile-form"]'):
            return "closed"
        saving = d.execute_script(
            "const b = document.querySelector('[data-testid=\"form-submit\"]'); return !!(b && b.disabled)")
        return "refused" if texts(d, '[data-testid="form-error"]') and not saving else None
    outcome = wait(d, settled, 120, lambda: f"form for {name} neither closed nor showed an error")
    assert outcome == "closed", f"form for {name} was refused: {form_errors(d)}"
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, f'[data-testid="profile-row-{name}"]'), 30,
         f"no row for {name}")


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
    wait(d, lambda: tid(d, "countdown-admin").text != c1, 10, "countdown does not tick")
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
    click(d, "active-base")
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
    click(d, "active-admin")
    wait(d, lambda: tid(d, "profile-row-admin").get_attribute("data-active") == "true", 10)


def test_06_fault_shows_error_and_notifies(driver, cloud):
    d, base = driver, cloud["base"]
    # Every profile is fresh here: no badge yet (test_07 checks it is gone again).
    assert not texts(d, '[data-testid="attention"]'), texts(d, '[data-testid="attention"]')
    r = requests.post(f"{base}/_admin/faults", json={"service": "uri", "kind": "service_unavailable"}, timeout=5)
    assert r.ok, r.text
    click(d, "refresh-web")
    wait(d, lambda: state_of(d, "web") in ("degraded", "expired"), 30, f"web state {state_of(d, 'web')}")
    # The header counts the core's attention flag: web, and only web.
    wait(d, lambda: texts(d, '[data-testid="attention"]') == ["1 needs attention"], 10,
         lambda: f"attention badge: {texts(d, '[data-testid=attention]')}")
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
    fetched = requests.get(f"{base}/_admin/counters", timeout=5).json()["requests"]
    assert requests.delete(f"{base}/_admin/faults", timeout=5).ok
    # No click: the engine's own retry (back-off capped at 5 min; a few
    # failures in, it is seconds) brings the profile back.
    wait(d, lambda: state_of(d, "web") == "fresh", 330, lambda: f"web state {state_of(d, 'web')}")
    after = requests.get(f"{base}/_admin/counters", timeout=5).json()["requests"]
    assert sum(v for k, v in after.items() if k.startswith("uri:")) > sum(
        v for k, v in fetched.items() if k.startswith("uri:")), "fresh without asking the source again"
    assert not d.find_elements(By.CSS_SELECTOR, '[data-testid="attention"]')
    wait(d, lambda: NOTIFY_LOG.exists() and "web recovered" in NOTIFY_LOG.read_text(errors="replace"), 20)
    click(d, "toggle-web")
    shot(d, "07-recovered")


def test_08_small_window_and_dark_theme(driver):
    d = driver
    d.set_window_size(800, 600)
    wait(d, lambda: d.execute_script("return window.innerWidth") <= 800, 10, "window did not shrink")
    tid(d, "theme-toggle").click()  # system → light
    tid(d, "theme-toggle").click()  # light → dark
    wait(d, lambda: d.execute_script("return document.documentElement.dataset.theme") == "dark")
    wait(d, lambda: "Dark" in tid(d, "theme-toggle").text)
    shot(d, "08-dark-800x600")
    tid(d, "theme-toggle").click()  # back to system


def test_09_no_issued_secret_in_any_file_the_app_wrote(driver, cloud):
    """Every secret and token the emulator issued (rotated keys included) is
    absent from the app's log, the notifications log and every file under
    ALICRED_HOME. (tauri-driver.log is not scanned: it carries the WebDriver
    traffic of this test, which typed alice's secret into the form.)"""
    issued = requests.get(f"{cloud['base']}/_admin/issued", timeout=5).json()["issued"]
    secrets = {c["access_key_secret"] for c in issued} | {c["security_token"] for c in issued if c.get("security_token")}
    assert len(secrets) >= 4, f"too few issued secrets to look for: {len(secrets)}"
    files = [TMP / "app.log", NOTIFY_LOG] + sorted(p for p in (TMP / "alicred-home").rglob("*") if p.is_file())
    assert (TMP / "app.log").stat().st_size > 0 and NOTIFY_LOG.stat().st_size > 0
    hits = [str(f) for f in files if f.exists() for s in secrets if s.encode() in f.read_bytes()]
    assert not hits, f"issued secrets found in: {sorted(set(hits))}"
