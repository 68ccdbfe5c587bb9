//! `alicred console` end to end against the emulator's `/federation`: the browser is a
//! small script that fetches the one URL it is given, as another user first (refused),
//! then as the user (redirected to a Login URL made then), then again (refused: one use).
//! The sign-in token never appears on a command line, in an output or under the home.

mod common;
mod signin_common;

use alicred_fakecloud::{FakeCloud, FakeCloudConfig, FakeCloudHandle};
use common::Home;
use signin_common::{http_get, text};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

struct World {
    cloud: FakeCloudHandle,
    home: Home,
    /// alice's long-term secret (for the scans).
    alice_secret: String,
}

fn setup() -> World {
    let cloud = FakeCloud::start_background(FakeCloudConfig::demo()).expect("emulator");
    let alice = cloud.demo().expect("demo").alice.clone();
    let home = Home::new();
    let sts = cloud.sts_url();
    let out = home
        .cmd()
        .args(["profile", "add", "base", "--type", "access-key"])
        .args(["--sts-endpoint", &sts])
        .write_stdin(format!(
            r#"{{"AccessKeyId":"{}","AccessKeySecret":"{}"}}"#,
            alice.access_key_id, alice.access_key_secret
        ))
        .output()
        .expect("add base");
    assert!(out.status.success(), "{}", text(&out));
    let out = home
        .cmd()
        .args([
            "profile",
            "add",
            "admin",
            "--type",
            "ram-role-arn",
            "--source",
            "base",
        ])
        .args(["--role-arn", "acs:ram::1234567890123456:role/admin"])
        .args(["--session-name", "console-test", "--sts-endpoint", &sts])
        .output()
        .expect("add admin");
    assert!(out.status.success(), "{}", text(&out));
    World {
        cloud,
        home,
        alice_secret: alice.access_key_secret.clone(),
    }
}

/// A browser that records its argv and every process's command line, fetches its URL
/// as uid 65534 (must be refused), then as itself following redirects to the
/// emulator's console page, then once more (must fail: the link is spent).
fn browser_script(dir: &Path) -> PathBuf {
    let script = dir.join("browser.sh");
    let body = format!(
        r#"#!/bin/sh
D='{d}'
printf '%s\n' "$@" > "$D/argv.tmp" && mv "$D/argv.tmp" "$D/argv"
setpriv --reuid=65534 --regid=65534 --clear-groups curl -sS -o /dev/null -w '%{{http_code}}' "$1" > "$D/foreign" 2>/dev/null
curl -sS -D "$D/head" -o /dev/null "$1" --max-redirs 0 -w '%{{redirect_url}}' > "$D/first_location" 2>"$D/first_err"
cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' ' > "$D/cmdlines"
curl -sS -L -b '' -o "$D/page" -w '%{{http_code}}' "$(cat "$D/first_location")" > "$D/page_status" 2>/dev/null
curl -sS -o /dev/null -w '%{{http_code}}' "$1" > "$D/second" 2>/dev/null
echo done > "$D/finished"
"#,
        d = dir.display()
    );
    std::fs::write(&script, body).expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

/// Waits (bounded) for the script to have written `finished`: it runs detached from
/// alicred, which returns as soon as the first fetch was answered.
fn wait_finished(dir: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !dir.join("finished").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the browser script did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn assert_no_secret(w: &World, outputs: &[&str], extra: &[String]) {
    let mut secrets = w.cloud.federation_tokens();
    secrets.push(w.alice_secret.clone());
    for c in w.cloud.issued() {
        secrets.push(c.access_key_secret.clone());
        secrets.extend(c.security_token.clone());
    }
    secrets.extend(extra.iter().cloned());
    for s in &secrets {
        for o in outputs {
            assert!(!o.contains(s.as_str()), "a secret was printed: {o}");
        }
        for (path, bytes) in w.home.all_written_bytes() {
            assert!(
                !common::contains(&bytes, s),
                "a secret is in {}",
                path.display()
            );
        }
    }
}

#[test]
fn the_browser_gets_a_one_shot_local_url_and_lands_signed_in() {
    let w = setup();
    let dir = tempfile::tempdir().expect("dir");
    let script = browser_script(dir.path());
    let out = w
        .home
        .cmd()
        .args([
            "console",
            "admin",
            "--browser",
            &script.display().to_string(),
        ])
        .args(["--federation-endpoint", &w.cloud.federation_url()])
        .env_remove("ALICRED_NO_BROWSER")
        .output()
        .expect("console");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains("signed in to the console as profile admin"),
        "{stdout}"
    );
    wait_finished(dir.path());

    // The browser's argv: the local one-shot URL and nothing else.
    let argv = read(dir.path(), "argv");
    let args: Vec<&str> = argv.lines().collect();
    assert_eq!(args.len(), 1, "{argv}");
    assert!(args[0].starts_with("http://127.0.0.1:"), "{argv}");
    assert!(!args[0].contains("federation"), "{argv}");

    // Another user was refused, and that did not spend the link.
    assert_eq!(read(dir.path(), "foreign"), "403");
    // The user's own fetch: a redirect to a Login URL made then.
    let location = read(dir.path(), "first_location");
    assert!(
        location.starts_with(&format!("{}?Action=Login&", w.cloud.federation_url())),
        "{location} / {}",
        read(dir.path(), "first_err")
    );
    assert!(location.contains("SigninToken=fst_"), "{location}");
    // Followed: the emulator's console page, signed in as the role.
    assert_eq!(read(dir.path(), "page_status"), "200");
    let page = read(dir.path(), "page");
    assert!(page.contains("assumed-role/admin/console-test"), "{page}");
    assert_eq!(w.cloud.federation_logins(), 1);
    // Once only.
    assert_ne!(read(dir.path(), "second"), "302");

    // No process had the token on its command line while it was live.
    let tokens = w.cloud.federation_tokens();
    assert_eq!(tokens.len(), 1);
    let cmdlines = read(dir.path(), "cmdlines");
    assert!(
        cmdlines.contains("browser.sh"),
        "the snapshot saw the script"
    );
    assert!(
        !cmdlines.contains(&tokens[0]),
        "the token was on a command line"
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_no_secret(
        &w,
        &[&stdout, &stderr, &argv],
        std::slice::from_ref(&location),
    );
}

#[test]
fn print_gives_the_login_url_which_works_once() {
    let w = setup();
    let out = w
        .home
        .cmd()
        .args(["console", "admin", "--print"])
        .args(["--federation-endpoint", &w.cloud.federation_url()])
        .args([
            "--destination",
            "https://ecs.console.aliyun.com/?x=1#/server",
        ])
        .output()
        .expect("console --print");
    assert!(out.status.success(), "{}", text(&out));
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("30 s"), "{stderr}");
    let (status, location, _) = http_get(&url);
    assert_eq!(status, 302);
    assert_eq!(
        location.as_deref(),
        Some("https://ecs.console.aliyun.com/?x=1#/server")
    );
    let (again, _, _) = http_get(&url);
    assert_eq!(again, 403, "the token works once");
    assert_no_secret(&w, &[&stderr], &[]);
}

#[test]
fn long_term_keys_unknown_profiles_and_bad_destinations_open_nothing() {
    let w = setup();
    let dir = tempfile::tempdir().expect("dir");
    let script = browser_script(dir.path());
    let script = script.display().to_string();
    let fed = w.cloud.federation_url();
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["console", "base"],
            1,
            "add a ram-role-arn profile with base as its source",
        ),
        (&["console", "ghost"], 2, "profile ghost does not exist"),
        (
            &["console", "admin", "--destination", "https://evil.example/"],
            2,
            "is not an Alibaba Cloud console address",
        ),
        (
            &[
                "console",
                "admin",
                "--destination",
                "https://console.aliyun.com.evil.example/",
            ],
            2,
            "is not an Alibaba Cloud console address",
        ),
        (
            &["console", "admin", "--federation-endpoint", "not a url"],
            2,
            "--federation-endpoint",
        ),
        (
            &["console", "admin", "--browser", "firefox 'unterminated"],
            2,
            "does not parse",
        ),
    ];
    let before = std::fs::read(w.home.file("profiles.toml")).expect("profiles");
    for (args, code, needle) in cases {
        let mut c = w.home.cmd();
        c.args(*args);
        if !args.contains(&"--browser") {
            c.args(["--browser", &script]);
        }
        if !args.contains(&"--federation-endpoint") {
            c.args(["--federation-endpoint", &fed]);
        }
        let out = c.output().expect("console");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {}", text(&out));
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert!(!dir.path().join("argv").exists(), "a browser was opened");
    assert!(w.cloud.federation_tokens().is_empty());
    assert_eq!(
        std::fs::read(w.home.file("profiles.toml")).expect("profiles"),
        before,
        "nothing changed"
    );
}

/// A federation server that answers every request with `reply`.
fn garbage_server(reply: &'static str) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply.as_bytes());
        }
    });
    format!("http://{addr}/federation")
}

#[test]
fn a_federation_server_answering_garbage_is_one_line() {
    let w = setup();
    for (reply, needle) in [
        (
            "HTTP/1.1 200 OK\r\ncontent-length: 17\r\nconnection: close\r\n\r\n<html>oops</html>",
            "malformed",
        ),
        (
            "HTTP/1.1 500 Oops\r\ncontent-length: 11\r\nconnection: close\r\n\r\nstack trace",
            "HTTP500",
        ),
        ("garbage\r\n\r\n", "cannot reach"),
    ] {
        let fed = garbage_server(reply);
        let out = w
            .home
            .cmd()
            .args(["console", "admin", "--print", "--federation-endpoint", &fed])
            .output()
            .expect("console");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!stderr.contains("stack trace"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(out.stdout.is_empty());
        assert_no_secret(&w, &[&stderr], &[]);
    }
}
