//! Helpers for the sign-in tests: a running `alicred` whose stderr is read line by
//! line (to see the code or URL it prints), and a tiny HTTP GET that plays the browser.

#![allow(dead_code)]

use crate::common::Home;
use alicred_fakecloud::{FakeCloud, FakeCloudConfig, FakeCloudHandle};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `alicred` as a std command, with the same environment as `Home::cmd`.
pub fn std_cmd(home: &Home) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_alicred"));
    c.env("ALICRED_HOME", home.path())
        .env("ALICRED_KEYRING", home.backend)
        .env("ALICRED_KEYRING_PASSPHRASE", "test-passphrase")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
        .env_remove("ALIBABA_CLOUD_PROFILE")
        .env("NO_COLOR", "1");
    c
}

/// A running `alicred`; its stderr lines arrive on `lines` (and are kept).
pub struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub stderr: Vec<String>,
}

pub fn spawn(home: &Home, args: &[&str]) -> Running {
    let mut c = std_cmd(home);
    c.args(args);
    spawn_cmd(c)
}

/// [`spawn`] of a command made with [`std_cmd`] (e.g. with its own PATH).
pub fn spawn_cmd(mut c: Command) -> Running {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("alicred starts");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Running {
        child,
        lines: rx,
        stderr: Vec::new(),
    }
}

impl Running {
    /// The first stderr line `pick` accepts (within 20 s).
    pub fn wait_line(&mut self, pick: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.stderr.push(l.clone());
                    if pick(&l) {
                        return l;
                    }
                }
                Err(_) => panic!("no such line; stderr so far: {:?}", self.stderr),
            }
        }
    }

    /// Waits for exit (at most 60 s); stdout and the whole stderr.
    pub fn finish(mut self) -> (Output, String) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if self.child.try_wait().expect("wait").is_some() {
                break;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("alicred did not finish; stderr: {:?}", self.stderr);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut stdout = Vec::new();
        if let Some(mut o) = self.child.stdout.take() {
            let _ = o.read_to_end(&mut stdout);
        }
        let status = self.child.wait().expect("status");
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.stderr.push(l);
        }
        let stderr = self.stderr.join("\n");
        (
            Output {
                status,
                stdout,
                stderr: stderr.clone().into_bytes(),
            },
            stderr,
        )
    }
}

/// One HTTP/1.1 GET to a loopback URL: (status, Location header, body).
pub fn http_get(url: &str) -> (u16, Option<String>, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (hostport, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut s = std::net::TcpStream::connect(hostport).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).ok();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let location = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("location")
            .then(|| v.trim().to_string())
    });
    (status, location, body.to_string())
}

pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// No sign-in token in the outputs or in any file under the home (the
/// shared scanner: encoded forms too).
pub fn assert_no_token(home: &Home, outputs: &[&str], tokens: &[String]) {
    assert!(!tokens.is_empty(), "the scan needs the tokens to look for");
    let outputs: Vec<(String, Vec<u8>)> = outputs
        .iter()
        .enumerate()
        .map(|(i, o)| (format!("output {i}"), o.as_bytes().to_vec()))
        .collect();
    crate::common::assert_no_secret(tokens, &[home.path()], &outputs);
}

/// An emulator and a home with one OAuth profile, `me`, signing in there.
pub fn oauth_home() -> (FakeCloudHandle, Home) {
    let cloud = FakeCloud::start_background(FakeCloudConfig::new()).expect("emulator");
    let home = Home::new();
    let base = cloud.base_url();
    let out = home
        .cmd()
        .args(["profile", "add", "me", "--type", "oauth", "--site", "cn"])
        .args(["--oauth-sign-in-url", &base, "--oauth-endpoint", &base])
        .args(["--client-id", "4038181954557748008"])
        .args(["--sts-endpoint", &cloud.sts_url()])
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out));
    (cloud, home)
}
