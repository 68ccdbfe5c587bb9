"""End to end: the tray agent as the desktop's tray host sees it.

`alicred-desktop --hidden` (what start at login runs) becomes `alicred-tray`:
no GTK, no WebKit. Its tray icon is a StatusNotifierItem with a dbusmenu on
the session bus; this test is the tray host: it reads the menu and clicks it
over D-Bus (jeepney), as a panel does. Clicking a profile makes it active;
"Open dashboard" starts the dashboard's process, which ends when its window
closes while the tray serves on; "Quit" ends the agent.
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import open_dbus_connection

from procs import children, descendants, exe, running
from test_desktop import TMP, free_port
from xwindows import close_dashboard, dashboard_windows

APP = os.environ["ALICRED_DESKTOP_BIN"]
HEAVY = ("libwebkit2gtk", "libjavascriptcoregtk", "libgtk-3", "libLLVM")


def wait(cond, timeout, what):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out: {what}")


def answers(port):
    """Is alicred's endpoint serving on `port`? Only its own refusal of a path
    with no capability counts (404 with the JSON Code "NotFound"): another
    server on the port, or an error page, is not our endpoint answering."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
            raise AssertionError(f"the endpoint served / without a capability: {r.status}")
    except urllib.error.HTTPError as e:
        if e.code != 404:
            return False
        try:
            return json.loads(e.read()).get("Code") == "NotFound"
        except ValueError:
            return False
    except (urllib.error.URLError, OSError):
        return False








class Host:
    """The part of a tray host (a panel) that reads and clicks a menu."""

    def __init__(self, pid):
        self.bus = open_dbus_connection(bus="SESSION")
        self.name = wait(lambda: self._item_name(pid), 20, "the tray's StatusNotifierItem on the bus")
        self.item = DBusAddress("/StatusNotifierItem", bus_name=self.name, interface="org.kde.StatusNotifierItem")
        menu_path = self._get(self.item, "Menu")
        self.menu = DBusAddress(menu_path, bus_name=self.name, interface="com.canonical.dbusmenu")

    def _item_name(self, pid):
        dbus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
        names = self.bus.send_and_get_reply(new_method_call(dbus, "ListNames")).body[0]
        return next((n for n in names if n.startswith(f"org.kde.StatusNotifierItem-{pid}-")), None)

    def _get(self, addr, prop):
        props = DBusAddress(addr.object_path, bus_name=addr.bus_name, interface="org.freedesktop.DBus.Properties")
        reply = self.bus.send_and_get_reply(new_method_call(props, "Get", "ss", (addr.interface, prop)))
        return reply.body[0][1]

    def status(self):
        return self._get(self.item, "Status")

    def items(self):
        """[(id, label, props)] of every menu item, depth first."""
        reply = self.bus.send_and_get_reply(new_method_call(self.menu, "GetLayout", "iias", (0, -1, [])))
        out = []

        def walk(node):
            ident, props, kids = node
            p = {k: v[1] for k, v in props.items()}
            if ident != 0:
                out.append((ident, p.get("label", "").replace("__", "_"), p))
            for k in kids:
                walk(k[1])

        walk(reply.body[1])
        return out

    def find(self, pattern):
        return next(((i, label, p) for i, label, p in self.items() if re.search(pattern, label)), None)

    def click(self, ident):
        self.bus.send_and_get_reply(new_method_call(self.menu, "Event", "isvu", (ident, "clicked", ("s", ""), 0)))

    def close(self):
        self.bus.close()


@pytest.fixture(scope="module")
def tray():
    home = TMP / "alicred-home-tray"
    home.mkdir(exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ALICRED_WEBVIEW_ACCEL"}
    env.update(ALICRED_HOME=str(home), ALICRED_LISTEN=f"127.0.0.1:{port}", ALICRED_LOG="info",
               ALICRED_LOG_FILE=str(TMP / "app-tray.log"))
    p = subprocess.Popen([APP, "--hidden"], env=env)
    try:
        wait(lambda: answers(port) or p.poll() is not None, 30, "the endpoint answers")
        assert p.poll() is None, f"alicred-desktop --hidden exited with {p.returncode}"
        host = Host(p.pid)
        yield p, host, home, port
        host.close()
    finally:
        for kid in children(p.pid):
            os.kill(kid, signal.SIGTERM)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(15)


def test_20_start_at_login_runs_the_tray_agent_without_webkit_or_gtk(tray):
    p, _, _, _ = tray
    assert exe(p.pid) == "alicred-tray", "--hidden became the tray agent"
    maps = Path(f"/proc/{p.pid}/maps").read_text()
    loaded = [lib for lib in HEAVY if lib in maps]
    assert not loaded, f"the tray agent loaded {loaded}"


def test_21_the_menu_lists_the_profiles_with_their_state(tray):
    _, host, _, _ = tray
    labels = [label for _, label, _ in host.items()]
    for name in ("demo-alice", "demo-admin"):
        assert any(label.startswith(f"{name} — ") for label in labels), labels
    for action in ("Open dashboard", "Quit"):
        assert any(action in label for label in labels), labels
    # No demo profile carries the ⚠ mark above: the icon is the normal one.
    assert host.status() == "Active", "the tray asks for attention no profile needs"


def control(home, cmd, args=None):
    """One call on the tray agent's control socket, as the dashboard makes it."""
    import json
    import socket as s
    with s.socket(s.AF_UNIX) as c:
        c.connect(str(home / "tray.sock"))
        f = c.makefile("rwb")
        request = {"cmd": cmd} if args is None else {"cmd": cmd, "args": args}
        f.write((json.dumps({"kind": "call", "id": 1, "request": request}) + "\n").encode())
        f.flush()
        return json.loads(f.readline())["result"]


def test_21b_start_at_login_writes_an_entry_that_starts_the_tray_agent(tray):
    p, _, home, _ = tray
    entry = Path(os.environ["HOME"]) / ".config" / "autostart" / "alicred.desktop"
    settings = control(home, "get_settings")["Ok"]["value"]
    assert settings["autostart"] is False and not entry.exists()
    assert "Ok" in control(home, "set_settings", {"settings": dict(settings, autostart=True)})
    text = entry.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert Path(exec_line[len("Exec="):].split()[0]).name == "alicred-tray", text
    assert control(home, "get_settings")["Ok"]["value"]["autostart"] is True
    assert "Ok" in control(home, "set_settings", {"settings": dict(settings, autostart=False)})
    assert not entry.exists()


def test_22_clicking_a_profile_makes_it_active(tray):
    _, host, home, _ = tray
    ident, _, props = host.find(r"^demo-admin — ")
    assert props.get("toggle-state") == 0, "not active yet"
    host.click(ident)
    profiles = home / "profiles.toml"
    wait(lambda: re.search(r'^active = "demo-admin"', profiles.read_text(), re.M), 10, "demo-admin active in the file")
    wait(lambda: host.find(r"^demo-admin — ")[2].get("toggle-state") == 1, 10, "the menu checks demo-admin")


def test_23_open_dashboard_starts_it_and_closing_it_leaves_the_tray_serving(tray):
    p, host, _, port = tray
    ident, _, _ = host.find(r"Open dashboard")
    host.click(ident)
    dash = wait(lambda: next((k for k in children(p.pid) if exe(k) == "alicred-desktop"), None), 20,
                "a dashboard process started by the tray")
    wait(dashboard_windows, 30, "the dashboard's window")
    close_dashboard()
    wait(lambda: not running(dash), 15, "the dashboard's process ended with its window")
    assert p.poll() is None and answers(port), "the tray agent serves on"
    # Opened again from the tray: a new process, as often as wanted.
    host.click(ident)
    again = wait(lambda: next((k for k in children(p.pid) if exe(k) == "alicred-desktop" and running(k)), None),
                 20, "the dashboard started again")
    assert again != dash
    wait(dashboard_windows, 30, "the dashboard's window again")
    close_dashboard()
    wait(lambda: not running(again), 15, "closed again")


def test_23b_one_refused_access_configuration_tray_and_dashboard_agree(tray):
    """The review's case: the portal refuses one access configuration's fetch
    (the session's token was revoked; only that profile has asked since). The
    tray used to say "signed in" and the dashboard "Sign in needed". Now the
    core has one rule: the tray's menu (read over D-Bus, as a panel) and the
    answer the dashboard renders its session header from (`sign_in_groups`,
    over the same socket the dashboard uses) say the same."""
    _, host, home, _ = tray
    wait(lambda: host.find(r"^demo — signed in"), 60, "the demo session signed in")
    req = urllib.request.Request("http://127.0.0.1:47920/_admin/sso/revoke", method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200
    refused = "demo-Production-ReadOnly"
    assert "Ok" in control(home, "refresh", {"name": refused})
    wait(lambda: host.find(r"^demo — sign in needed"), 60, "the tray says the session needs a sign-in")
    profiles = control(home, "list_profiles")["Ok"]["value"]
    views = {p["name"]: p["sign_in"] for p in profiles if (p.get("sign_in") or {}).get("session") == "demo"}
    assert views[refused]["signed_in"] is False, views
    assert any(v["signed_in"] for n, v in views.items() if n != refused), \
        f"the other access configurations have not asked yet: {views}"
    groups = control(home, "sign_in_groups")["Ok"]["value"]
    demo = next(g for g in groups if g["session"] == "demo")
    assert demo["signed_in"] is False, demo
    assert host.find(r"^demo — signed in") is None


def test_24_quit_ends_the_agent(tray):
    p, host, _, port = tray
    ident, _, _ = host.find(r"^Quit")
    host.click(ident)
    assert p.wait(15) == 0
    assert not answers(port), "the endpoint stopped with it"




def laid_out_text(pid):
    """Has the process mapped a font file (FreeType maps the fonts it draws)?"""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    return bool(re.search(r"\.(ttf|otf|ttc|pfb|pcf(\.gz)?)$", maps, re.M | re.I))


DASHBOARD_ONLY = (b"GDK_GL=", b"JSC_useJIT=", b"__EGL_VENDOR_LIBRARY_FILENAMES=")


def test_25_a_tray_started_by_the_dashboard_opens_working_dashboards():
    """The usual path: the applications menu starts the dashboard, which
    starts the tray agent; the window is closed and opened again from the
    tray. The agent must not inherit the settings the dashboard makes for its
    own window (one hides EGL, without which WebKit's web process aborts)."""
    home = TMP / "alicred-home-dashboard-first"
    home.mkdir(exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ALICRED_WEBVIEW_ACCEL"}
    env.update(ALICRED_HOME=str(home), ALICRED_LISTEN=f"127.0.0.1:{port}", ALICRED_LOG="info",
               ALICRED_LOG_FILE=str(TMP / "app-tray-2.log"))
    first = subprocess.Popen([APP], env=env)
    tray = None
    try:
        wait(lambda: answers(port) or first.poll() is not None, 30, "the endpoint answers")
        tray = wait(lambda: next((k for k in children(first.pid) if exe(k) == "alicred-tray"), None), 10,
                    "the tray agent the dashboard started")
        environ = Path(f"/proc/{tray}/environ").read_bytes().split(b"\0")
        leaked = [v.decode() for v in DASHBOARD_ONLY if any(e.startswith(v) for e in environ)]
        assert not leaked, f"the tray agent inherited the dashboard's own settings: {leaked}"
        wait(dashboard_windows, 30, "the first dashboard's window")
        close_dashboard()
        assert first.wait(15) == 0, "the dashboard's process ended with its window"
        assert answers(port), "the tray agent serves on"

        host = Host(tray)
        host.click(host.find(r"Open dashboard")[0])
        dash = wait(lambda: next((k for k in children(tray) if exe(k) == "alicred-desktop" and running(k)), None),
                    20, "a dashboard started by the tray")
        web = wait(lambda: next((k for k in descendants(dash) if exe(k) == "WebKitWebProcess"), None), 30,
                   "its web process")
        wait(dashboard_windows, 30, "its window")
        # It aborts while it sets up its display, before it lays out any
        # text: once it has a font mapped it got past that point (or it died).
        wait(lambda: not running(web) or laid_out_text(web), 30, "its web process lays out the page")
        assert running(web), "the web process is alive (it aborts without EGL)"
        web_env = Path(f"/proc/{web}/environ").read_bytes().split(b"\0")
        assert not any(e.startswith(b"__EGL_VENDOR_LIBRARY_FILENAMES=") for e in web_env)
        host.click(host.find(r"^Quit")[0])
        wait(lambda: not running(tray), 15, "Quit ended the agent")
        wait(lambda: not running(dash), 15, "and the open dashboard with it")
        host.close()
    finally:
        for pid in ([tray] if tray else []) + [first.pid]:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass


def test_26_start_at_login_hands_the_keyring_passphrase_to_the_agent():
    """With the encrypted-file store, `alicred-desktop --hidden` takes the
    passphrase out of its environment first thing; the agent it becomes must
    still get it, or nothing is served."""
    home = TMP / "alicred-home-encrypted"
    home.mkdir(exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ALICRED_WEBVIEW_ACCEL"}
    env.update(ALICRED_HOME=str(home), ALICRED_LISTEN=f"127.0.0.1:{port}", ALICRED_LOG="info",
               ALICRED_KEYRING="encrypted-file", ALICRED_KEYRING_PASSPHRASE="e2e-passphrase-of-the-tray",
               ALICRED_LOG_FILE=str(TMP / "app-tray-3.log"))
    p = subprocess.Popen([APP, "--hidden"], env=env)
    try:
        wait(lambda: answers(port) or p.poll() is not None, 30, "the endpoint answers")
        assert p.poll() is None, f"exited with {p.returncode}"
        assert (home / "secrets.enc").exists(), "the demo's secrets went to the encrypted file"
        log = (TMP / "app-tray-3.log").read_text()
        assert "demo: seeded" in log and "endpoint not started" not in log, log[-2000:]
        assert "needs a passphrase" not in log, log[-2000:]
        assert "e2e-passphrase-of-the-tray" not in log
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(15)
