//! The OAuth loopback callback against everyone else on the machine (issue 18
//! item 3). Each of these ended the sign-in before: a request for
//! `/favicon.ico`, an idle connection, `?error=access_denied` without the
//! state, another user holding the five callback ports. Another user is
//! played by uid 65534 through `setpriv`. The callback ports are fixed by the
//! protocol, so the tests here run one at a time.

mod common;
mod signin_common;

use common::Home;
use signin_common::{http_get, spawn, text};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Mutex;

static PORTS: Mutex<()> = Mutex::new(());

/// Why another user cannot be played here, if so.
fn cannot_switch_user() -> Option<&'static str> {
    if alicred_core::server::owner::own_uid() != 0 {
        return Some("not root: cannot run a client as another uid");
    }
    let ok = Command::new("setpriv")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (!ok).then_some("setpriv (util-linux) is not installed")
}

fn as_nobody(cmd: &str) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", cmd]);
    c
}

/// A sign-in waiting for the browser: the run, the authorization URL (reached
/// through the one-shot local URL alicred printed) and the callback's port.
struct Pending {
    run: signin_common::Running,
    authorize: String,
    port: u16,
}

fn start(home: &Home) -> Pending {
    let mut run = spawn(home, &["login", "me", "--no-browser"]);
    let local = run.wait_line(|l| l.starts_with("http://"));
    let (authorize, port) = follow_one_shot(&local);
    Pending {
        run,
        authorize,
        port,
    }
}

/// The one-shot local URL's redirect: the authorization URL, and the
/// callback port named in its `redirect_uri`.
fn follow_one_shot(local: &str) -> (String, u16) {
    assert!(local.starts_with("http://127.0.0.1:"), "{local}");
    assert!(!local.contains("state="), "the state is not in {local}");
    let (status, location, _) = http_get(local);
    assert_eq!(status, 302, "the one-shot URL redirects");
    let authorize = location.expect("Location");
    assert!(authorize.contains("state="), "{authorize}");
    let port = authorize
        .split("127.0.0.1%3A")
        .nth(1)
        .and_then(|r| r.get(..5))
        .and_then(|p| p.parse().ok())
        .expect("callback port");
    (authorize, port)
}

/// Plays the browser from the authorization page on; the finished run.
fn finish(p: Pending) -> (std::process::Output, String) {
    let (status, location, _) = http_get(&p.authorize);
    assert_eq!(status, 302, "the authorize page redirects");
    let (status, _, body) = http_get(&location.expect("Location"));
    assert_eq!(status, 200, "{body}");
    p.run.finish()
}

fn signed_in(out: &std::process::Output) {
    assert!(out.status.success(), "{}", text(out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("signed in profile me"),
        "{}",
        text(out)
    );
}

fn callback(port: u16, query: &str) -> String {
    format!("http://127.0.0.1:{port}/cli/callback{query}")
}

#[test]
fn a_request_for_another_path_is_answered_404_and_ignored() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    let p = start(&home);
    let (status, _, _) = http_get(&format!("http://127.0.0.1:{}/favicon.ico", p.port));
    assert_eq!(status, 404);
    signed_in(&finish(p).0);
    cloud.shutdown_blocking();
}

#[test]
fn an_idle_connection_blocks_nothing() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    let p = start(&home);
    // Held open, silent, for the whole sign-in (which used to wait 10 s on it
    // and then fail).
    let idle = std::net::TcpStream::connect(("127.0.0.1", p.port)).expect("connect");
    let started = std::time::Instant::now();
    let (out, _) = finish(p);
    signed_in(&out);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "the sign-in waited for the idle connection"
    );
    drop(idle);
    cloud.shutdown_blocking();
}

#[test]
fn an_error_or_a_code_without_our_state_is_ignored() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    let p = start(&home);
    for q in [
        "?error=access_denied",
        "?error=access_denied&state=forged",
        "?code=injected&state=forged",
        "?code=injected",
        "",
    ] {
        let (status, _, _) = http_get(&callback(p.port, q));
        assert_eq!(status, 400, "{q}");
    }
    signed_in(&finish(p).0);
    cloud.shutdown_blocking();
}

#[test]
fn another_users_connection_gets_403_and_is_ignored() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_switch_user() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    let (cloud, home) = signin_common::oauth_home();
    let p = start(&home);
    // Even with the right state (here the other user somehow knows it).
    let state = url::Url::parse(&p.authorize)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    for q in [
        "?error=access_denied".to_string(),
        format!("?error=access_denied&state={state}"),
        format!("?code=injected&state={state}"),
    ] {
        let out = as_nobody("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "5",
            ])
            .arg(callback(p.port, &q))
            .output()
            .expect("curl");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "403", "{q}");
    }
    signed_in(&finish(p).0);
    cloud.shutdown_blocking();
}

#[test]
fn another_user_holding_every_callback_port_is_named() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = cannot_switch_user() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    let (cloud, home) = signin_common::oauth_home();
    let holder = "import socket, sys\n\
        s = []\n\
        for p in range(12345, 12350):\n    \
            x = socket.socket(); x.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); x.bind(('127.0.0.1', p)); x.listen(); s.append(x)\n\
        print('ready', flush=True)\n\
        sys.stdin.read()\n";
    let mut held = as_nobody("/usr/bin/python3")
        .args(["-c", holder])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 as nobody");
    let mut ready = String::new();
    BufReader::new(held.stdout.take().expect("stdout"))
        .read_line(&mut ready)
        .expect("read");
    assert_eq!(
        ready.trim(),
        "ready",
        "the other user could not take the ports"
    );
    let out = home
        .cmd()
        .args(["login", "me", "--no-browser"])
        .output()
        .expect("login");
    let _ = held.stdin.take().map(|mut i| i.write_all(b"x"));
    let _ = held.kill();
    let _ = held.wait();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("another user") && err.contains("12345-12349"),
        "{err}"
    );
    cloud.shutdown_blocking();
}

/// The browser gets the one-shot local URL, never the authorization URL with
/// its `state` (every local user can read a command line in /proc).
#[test]
fn the_authorization_url_is_not_on_the_browsers_command_line() {
    let _one = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let (cloud, home) = signin_common::oauth_home();
    let bin = tempfile::tempdir().expect("tmp");
    let seen = bin.path().join("argv");
    let opener = bin.path().join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            seen.display()
        ),
    )
    .expect("opener");
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut run = {
        // `spawn` with a PATH that finds the recording opener first.
        let mut c = signin_common::std_cmd(&home);
        c.args(["login", "me"])
            .env("PATH", path)
            .env_remove("ALICRED_NO_BROWSER");
        signin_common::spawn_cmd(c)
    };
    run.wait_line(|l| l.starts_with("Waiting for the browser"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let argv = loop {
        if let Ok(a) = std::fs::read_to_string(&seen) {
            break a;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the browser was never opened"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let local = argv.trim();
    assert!(!argv.contains("state="), "{argv}");
    assert!(!argv.contains("code_challenge"), "{argv}");
    let (authorize, port) = follow_one_shot(local);
    let p = Pending {
        run,
        authorize,
        port,
    };
    signed_in(&finish(p).0);
    cloud.shutdown_blocking();
}
