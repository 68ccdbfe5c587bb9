//! `alicred endpoint` against a real `alicred agent` process: per-URL
//! capabilities, `--rotate-token` confirming that old URLs are dead (or
//! saying they may not be), and a stale `agent.json` whose pid now belongs to
//! an unrelated process, which must not be signalled (issue #11 items 2, 5, 7).

mod common;

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
    let bin = assert_cmd::cargo::cargo_bin("alicred");
    let child = Command::new(bin)
        .args(["agent", "--listen", "127.0.0.1:0"])
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
    let mut sleeper = Command::new("sleep").arg("60").spawn().expect("sleep");
    std::fs::create_dir_all(home.path()).expect("home");
    // an agent.json left behind by an agent whose pid `sleep` now has,
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
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            sleeper.try_wait().expect("wait").is_none(),
            "sleep was signalled"
        );
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
