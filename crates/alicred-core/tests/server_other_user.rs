//! Every loopback listener answers only alicred's own user. Another local
//! user is played by uid 65534 through `setpriv --reuid=65534 --regid=65534
//! --clear-groups` (needs root and util-linux; skipped with a visible reason
//! otherwise). Capability URLs reach curl through its config on stdin, never
//! its command line.

mod common;

use alicred_core::clock::{Clock, SystemClock};
use alicred_core::paths::Paths;
use alicred_core::sensitive::Sensitive;
use alicred_core::server::oneshot::{OneShot, Outcome};
use alicred_core::server::{Agent, AgentConfig, AgentError, AgentHandle, endpoint_url};
use alicred_core::store::config::{ConfigError, ConfigStore};
use alicred_core::store::secrets::{MemoryStore, SecretKey, SecretStore};
use common::*;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

#[path = "../../../tests/rust/other_user.rs"]
mod other_user;

/// Skips (with the reason printed) where another user cannot be played,
/// fails instead under `ALICRED_TEST_OTHER_UID=required` (CI).
macro_rules! need_other_user {
    () => {
        if other_user::as_other_user("true", &[]).is_none() {
            return;
        }
    };
}

fn as_nobody(cmd: &str) -> Command {
    other_user::as_other_user(cmd, &[]).expect("checked by need_other_user!")
}

/// `curl` (as `user`, or as ourselves) → (status, body). The URL goes in
/// through curl's config on stdin.
async fn curl(url: &Sensitive, nobody: bool) -> (u16, String) {
    let url = url.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = if nobody {
            as_nobody("curl")
        } else {
            Command::new("curl")
        };
        let mut child = c
            .args(["-s", "--noproxy", "*", "-m", "10", "-K", "-"])
            .args(["-w", "\n%{http_code}"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("curl runs");
        let conf = format!("url = \"{}\"\n", url.expose());
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(conf.as_bytes())
            .expect("config");
        let out = child.wait_with_output().expect("curl ends");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.trim().parse().unwrap_or(0), body.to_string())
    })
    .await
    .expect("join")
}

struct Setup {
    _dir: tempfile::TempDir,
    paths: Paths,
    secrets: Arc<dyn SecretStore>,
    script: HashMap<String, Arc<Scripted>>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::new(dir.path().join("home"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    ConfigStore::new(paths.clone())
        .update(|f| {
            *f = profiles(vec![access_key("ak")], Some("ak"));
            Ok::<_, ConfigError>(())
        })
        .expect("profiles");
    let script: HashMap<String, Arc<Scripted>> =
        [("ak".to_string(), Scripted::new("ak", clock, None))]
            .into_iter()
            .collect();
    Setup {
        _dir: dir,
        paths,
        secrets: Arc::new(MemoryStore::default()),
        script,
    }
}

async fn start_on(s: &Setup, listen: &str) -> Result<AgentHandle, AgentError> {
    let mut cfg = AgentConfig::new(
        s.paths.clone(),
        s.secrets.clone(),
        ctx(Arc::new(SystemClock)),
        factory(s.script.clone()),
    );
    cfg.listen = Some(listen.parse().expect("addr"));
    cfg.watch_profiles = false;
    cfg.rotation = false;
    Agent::start(cfg).await
}

fn url(agent: &AgentHandle, s: &Setup) -> Sensitive {
    let token = s
        .secrets
        .get(&SecretKey::EndpointToken)
        .expect("keyring")
        .expect("token");
    endpoint_url(agent.url_base(), &token, Some(&name("ak")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_user_gets_403_and_ours_still_gets_credentials() {
    need_other_user!();
    let s = setup();
    let agent = start_on(&s, "127.0.0.1:0").await.expect("agent");
    let u = url(&agent, &s);
    let (code, body) = curl(&u, true).await;
    assert_eq!(code, 403, "another user: {body}");
    assert!(
        body.contains("answers only the user that runs alicred"),
        "{body}"
    );
    assert!(!body.contains("AccessKeySecret"), "{body}");
    // Refused for the user, not for the URL: ours still works, and on a
    // keep-alive connection after that too.
    let (code, body) = curl(&u, false).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"AccessKeyId\""), "{body}");
    // A wrong capability from another user is refused the same way (the
    // path is not looked at: 403, where ours gets 401).
    let wrong = Sensitive::new(format!("{}/0000/v1/credentials/ak", agent.url_base()));
    assert_eq!(curl(&wrong, true).await.0, 403);
    assert_eq!(curl(&wrong, false).await.0, 401);
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_shot_redirect_refuses_another_user_and_keeps_waiting() {
    need_other_user!();
    let mut o = OneShot::start(Duration::from_secs(60), || async {
        Ok(Sensitive::new(
            "https://signin.example/authorize?state=s3cret",
        ))
    })
    .expect("start");
    let u = o.url();
    let (code, body) = curl(&u, true).await;
    assert_eq!(code, 403, "{body}");
    assert!(!body.contains("s3cret"));
    let (code, _) = curl(&u, false).await;
    assert_eq!(code, 302);
    assert_eq!(o.finished().await, Outcome::Served);
}

/// A one-line program, run as uid 65534, that listens on `port` (0: any),
/// prints the port and waits for stdin to close.
fn foreign_listener(port: u16) -> (Child, u16) {
    let prog = format!(
        "import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('127.0.0.1',{port}))\ns.listen()\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()\n"
    );
    let mut child = as_nobody("/usr/bin/python3")
        .args(["-c", &prog])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 as nobody");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().expect("stdout"))
        .read_line(&mut line)
        .expect("port");
    let port = line.trim().parse().expect("a port");
    (child, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_held_by_another_user_is_named_and_the_token_rotated_after() {
    need_other_user!();
    let s = setup();
    // A first run hands out a URL on a port.
    let first = start_on(&s, "127.0.0.1:0").await.expect("agent");
    let port = first.local_addr().port();
    let old = url(&first, &s);
    assert_eq!(curl(&old, false).await.0, 200);
    first.shutdown().await;
    // While the agent is down, another user takes the port.
    let (mut thief, got) = foreign_listener(port);
    assert_eq!(got, port);
    let listen = format!("127.0.0.1:{port}");
    let e = start_on(&s, &listen).await.expect_err("port is taken");
    assert!(
        matches!(e, AgentError::PortHeldByOtherUser { port: p, uid: 65534 } if p == port),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("port {port} is held by another user (uid 65534)")),
        "{msg}"
    );
    assert!(!s.paths.agent_file().exists());
    // The user stops it; the next start rotates the token.
    drop(thief.stdin.take());
    thief.wait().expect("thief ends");
    let second = start_on(&s, &listen).await.expect("agent again");
    let (code, body) = curl(&old, false).await;
    assert_eq!(code, 401, "the old capability must be dead: {body}");
    assert_eq!(curl(&url(&second, &s), false).await.0, 200);
    second.shutdown().await;
    // Only once: a later start keeps the token.
    let third = start_on(&s, &listen).await.expect("agent a third time");
    let now = url(&third, &s);
    third.shutdown().await;
    let fourth = start_on(&s, &listen).await.expect("and a fourth");
    assert_eq!(url(&fourth, &s), now);
    assert_eq!(curl(&now, false).await.0, 200);
    fourth.shutdown().await;
}

/// The tray's side of it: the API keeps the engine running, shows the
/// problem as the menu's first endpoint line and raises the attention icon,
/// and the endpoint's "Copy" items are off (docs/security.md, "Listeners").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_shows_another_user_on_the_port_as_a_problem() {
    use alicred_core::api::menu::MenuItem;
    use alicred_core::api::{Api, NoHost, Runtime};
    need_other_user!();
    let (mut thief, port) = foreign_listener(0);
    let dir = tempfile::tempdir().expect("tmp");
    let app = alicred_core::service::Alicred::with_store(
        Paths::new(dir.path()),
        Arc::new(MemoryStore::default()),
    );
    let listen = format!("127.0.0.1:{port}").parse().expect("addr");
    let runtime = Runtime::start_on(&app, Some(listen))
        .await
        .expect("the engine runs without its endpoint");
    let api = Api::with_runtime(app, runtime, Arc::new(NoHost));
    let labels: Vec<(String, bool)> = api
        .menu(chrono::Utc::now())
        .into_iter()
        .filter_map(|i| match i {
            MenuItem::Item { label, enabled, .. } => Some((label, enabled)),
            _ => None,
        })
        .collect();
    let problem =
        format!("⚠ Endpoint not running: port {port} is held by another user (uid 65534)");
    assert!(labels.contains(&(problem, true)), "{labels:?}");
    assert!(
        labels.contains(&("Copy endpoint URL".into(), false)),
        "{labels:?}"
    );
    assert!(api.needs_attention(), "no attention icon");
    let whole = api.endpoint_lines().expect_err("no endpoint");
    assert!(whole.contains("URLs sent to it may have leaked"), "{whole}");
    // Without its endpoint the agent is otherwise whole: it follows the
    // profiles file like any agent (another process adds a profile).
    let input = alicred_core::profile::ProfileInput {
        name: "added-elsewhere".into(),
        r#type: "environment".into(),
        ..Default::default()
    };
    let other = alicred_core::service::Alicred::with_store(
        Paths::new(dir.path()),
        Arc::new(MemoryStore::default()),
    );
    other.add_profile(&input, None, false).expect("add");
    let mut rx = api.subscribe();
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        while !api.statuses().iter().any(|p| p.name == "added-elsewhere") {
            let _ = rx.recv().await;
        }
    })
    .await;
    assert!(
        seen.is_ok(),
        "the profiles file is not followed without the endpoint"
    );
    api.runtime().shutdown().await;
    drop(thief.stdin.take());
    thief.wait().expect("thief ends");
}
