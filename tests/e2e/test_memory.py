"""End to end, with the app's default (memory-saving) WebKit settings, which
test_desktop.py turns off (ALICRED_WEBVIEW_ACCEL=1 for its screenshots):

- the dashboard renders and runs (its profile list and buttons are there);
- the app's own process (WebKit's UI process) never loads Mesa or LLVM: no
  EGL display there (src-tauri/src/memory.rs), ~30 MiB less;
- WebKit's web process still has its EGL (it aborts without one), and did
  not inherit the variable that hides Mesa from the UI process.
"""

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from procs import descendants, exe
from test_desktop import TMP, desktop_session, free_port

APP = os.environ["ALICRED_DESKTOP_BIN"]
MESA = ("libLLVM", "swrast_dri", "libEGL_mesa")






def mapped(pid):
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.fixture(scope="module")
def session():
    home = TMP / "alicred-home-memory"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "ALICRED_WEBVIEW_ACCEL"}
    env.update(ALICRED_HOME=str(home), ALICRED_NO_DEMO="1", ALICRED_LISTEN=f"127.0.0.1:{free_port()}",
               ALICRED_LOG="info", ALICRED_LOG_FILE=str(TMP / "app-memory.log"))
    with desktop_session(env, "tauri-driver-memory.log") as (d, td_pid):
        yield d, td_pid


def test_dashboard_renders_without_mesa_in_the_app_process(session):
    d, driver_pid = session
    WebDriverWait(d, 60, poll_frequency=0.25).until(
        lambda _: d.find_elements(By.CSS_SELECTOR, '[data-testid="add-profile"]'))
    procs = descendants(driver_pid)
    app = [p for p in procs if exe(p) == Path(APP).name]
    web = [p for p in procs if exe(p) == "WebKitWebProcess"]
    assert len(app) == 1, f"app processes: {app}"
    assert web, "no WebKit web process"
    in_app = sorted({m for m in MESA if m in mapped(app[0])})
    assert in_app == [], f"the app process loaded {in_app}"
    # The web process has its EGL (Mesa), and nothing that hides it.
    assert any("libEGL_mesa" in mapped(p) for p in web), "the web process has no EGL"
    for p in web:
        environ = Path(f"/proc/{p}/environ").read_bytes().split(b"\0")
        assert not any(e.startswith(b"__EGL_VENDOR_LIBRARY_FILENAMES=") for e in environ)
