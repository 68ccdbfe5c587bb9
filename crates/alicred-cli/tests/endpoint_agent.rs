//! `alicred endpoint` against a real `alicred agent` process: per-URL
//! capabilities, `--rotate-token` confirming that old URLs are dead (or
//! saying they may not be), and a stale `agent.json` whose pid now belongs to
//! an unrelated process, which must not be signalled (issue #11 items 2, 5, 7).

mod common;
#[path = "../../../tests/rust/other_user.rs"]
mod other_user;

use common::Home;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.0.id().to_string()])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `alicred agent` on an ephemeral port, once its agent.json is written.
fn start_agent(home: &Home) -> Agent {
    start_agent_on(home, "127.0.0.1:0")
}

fn start_agent_on(home: &Home, listen: &str) -> Agent {
    let bin = assert_cmd::cargo::cargo_bin("alicred");
    let child = Command::new(bin)
        .args(["agent", "--listen", listen])
        .env("ALICRED_HOME", home.path())
        .env("ALICRED_KEYRING", home.backend)
        .env("ALICRED_KEYRING_PASSPHRASE", "test-passphrase")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("agent starts");
    let agent = Agent(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !home.file("agent.json").exists() {
        assert!(Instant::now() < deadline, "agent.json never appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    agent
}

/// The HTTP status a GET of `url` gets (0: no answer).
fn status(url: &str) -> u16 {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').expect("path"));
    let Ok(mut s) = std::net::TcpStream::connect(host) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return 0;
    }
    let mut head = [0u8; 12];
    match s.read_exact(&mut head) {
        Ok(()) => std::str::from_utf8(&head[9..12])
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        Err(_) => 0,
    }
}

fn endpoint(home: &Home, args: &[&str]) -> (bool, String, String) {
    let out = home
        .cmd()
        .arg("endpoint")
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    )
}

#[test]
fn rotate_token_confirms_the_old_url_is_refused() {
    let home = Home::new();
    let _agent = start_agent(&home);
    let (ok, old, err) = endpoint(&home, &[]);
    assert!(ok, "{err}");
    // no profile is active: the URL works (404 NoActiveProfile), it is not 401
    assert_eq!(status(&old), 404, "{old}");

    let (ok, new, err) = endpoint(&home, &["--rotate-token"]);
    assert!(ok, "{err}");
    assert!(
        err.contains("now refuses the old URLs (checked: 401)"),
        "{err}"
    );
    assert_ne!(old, new);
    assert_eq!(status(&old), 401);
    assert_eq!(status(&new), 404);
}

#[test]
fn rotate_token_says_so_when_the_agent_does_not_switch() {
    let home = Home::new();
    let agent = start_agent(&home);
    let (ok, old, err) = endpoint(&home, &[]);
    assert!(ok, "{err}");
    // An agent that cannot act on the signal (stopped: it neither reloads
    // nor answers) must not be reported as switched.
    let pid = agent.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let t = Instant::now();
    let (ok, _, err) = endpoint(&home, &["--rotate-token"]);
    assert!(!ok, "must fail: {err}");
    assert!(
        err.contains("endpoint token rotated in the keyring, but the running agent")
            && err.contains("old URLs may still work"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    assert!(
        Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .expect("kill")
            .success()
    );
    // once running again it picks the signal up and the old URL dies
    let deadline = Instant::now() + Duration::from_secs(10);
    while status(&old) != 401 {
        assert!(
            Instant::now() < deadline,
            "old URL still served after SIGCONT"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_stale_agent_file_never_signals_an_unrelated_process() {
    let home = Home::new();
    // The "unrelated process" blocks every signal it can, so one sent to it
    // stays pending where /proc shows it: no waiting to see if it dies.
    let mut sleeper = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import signal,sys\nsignal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})\nprint('ready', flush=True)\nsys.stdin.read()\n",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut ready = [0u8; 6];
    sleeper
        .stdout
        .as_mut()
        .expect("stdout")
        .read_exact(&mut ready)
        .expect("signals blocked");
    let pending = |pid: u32| -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        ["SigPnd:", "ShdPnd:"]
            .iter()
            .map(|k| {
                let line = status.lines().find(|l| l.starts_with(k)).expect("field");
                u64::from_str_radix(line.split_whitespace().nth(1).expect("mask"), 16).expect("hex")
            })
            .fold(0, |a, b| a | b)
    };
    std::fs::create_dir_all(home.path()).expect("home");
    // an agent.json left behind by an agent whose pid that process now has,
    // without (older files) and with a recorded start time
    for proc_start in ["", ",\"proc_start\":1"] {
        let file = format!(
            "{{\"pid\":{},\"url_base\":\"http://127.0.0.1:1\",\"started_at\":\"2026-01-01T00:00:00Z\"{proc_start}}}",
            sleeper.id()
        );
        std::fs::write(home.file("agent.json"), file).expect("write");
        let (ok, out, err) = endpoint(&home, &["--rotate-token"]);
        assert!(ok, "{err}");
        assert!(out.is_empty(), "no URL for a dead agent: {out}");
        assert!(
            err.contains(&format!(
                "agent.json names pid {}, which is not an alicred agent",
                sleeper.id()
            )),
            "{err}"
        );
        // kill(2) queues a signal before it returns, and the command has
        // exited: anything it sent is pending now.
        assert_eq!(
            pending(sleeper.id()),
            0,
            "the unrelated process was signalled"
        );
        assert!(sleeper.try_wait().expect("wait").is_none());
        let (ok, _, err) = endpoint(&home, &[]);
        assert!(!ok && err.contains("no alicred agent is running"), "{err}");
    }
    let _ = sleeper.kill();
    let _ = sleeper.wait();
}

/// A port held by another program: the core names the port, the CLI adds the
/// flag that fixes it, in one line, exit 1, and no agent.json is left behind.
#[test]
fn a_taken_port_names_the_flag_that_fixes_it() {
    let home = Home::new();
    let other = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = other.local_addr().expect("addr");
    let out = home
        .cmd()
        .args(["agent", "--listen", &addr.to_string()])
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!(
            "alicred: port {} is in use by another program; choose another with --listen",
            addr.port()
        )
    );
    assert!(!home.file("agent.json").exists());
}

/// Another local user (uid 65534, through setpriv; needs root) listens on the
/// port: the agent says exactly that, in one line, exits 1, writes no
/// agent.json; once the port is free again, the next start rotates the token
/// (URLs sent to that listener may have leaked), so the old URL gets 401.
#[test]
fn a_port_held_by_another_user_is_named_and_the_next_start_rotates_the_token() {
    // Skipped with the reason printed where impossible; fails in CI.
    if other_user::as_other_user("true", &[]).is_none() {
        return;
    }
    let home = Home::new();
    // A first agent hands out a URL.
    let agent = start_agent(&home);
    let (ok, old, err) = endpoint(&home, &[]);
    assert!(ok, "{err}");
    assert_eq!(status(&old), 404, "no active profile, but the URL works");
    let port: u16 = old
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .expect("port in the URL");
    drop(agent);
    std::fs::remove_file(home.file("agent.json")).ok();
    // Another user takes the port while the agent is down.
    let prog = format!(
        "import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('127.0.0.1',{port}))\ns.listen()\nprint('ready',flush=True)\nsys.stdin.read()\n"
    );
    let mut thief = other_user::as_other_user("/usr/bin/python3", &["-c", &prog])
        .expect("checked above")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 as another user");
    let mut ready = [0u8; 6];
    thief
        .stdout
        .as_mut()
        .expect("stdout")
        .read_exact(&mut ready)
        .expect("the other user's listener is up");
    let listen = format!("127.0.0.1:{port}");
    let out = home
        .cmd()
        .args(["agent", "--listen", &listen])
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.trim().starts_with(&format!(
            "alicred: port {port} is held by another user (uid 65534)"
        )),
        "{stderr}"
    );
    assert!(!home.file("agent.json").exists());
    drop(thief.stdin.take());
    thief.wait().expect("listener ends");
    // The port is free: the agent starts there and the old URL is dead.
    let _agent = start_agent_on(&home, &listen);
    let (ok, new, err) = endpoint(&home, &[]);
    assert!(ok, "{err}");
    assert_ne!(old, new, "the token was rotated");
    assert_eq!(status(&old), 401);
    assert_eq!(status(&new), 404);
}
