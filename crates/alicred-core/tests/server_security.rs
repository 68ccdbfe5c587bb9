//! The endpoint over real loopback HTTP: what it serves, and everything it refuses.

mod common;

use alicred_core::clock::{Clock, SystemClock};
use alicred_core::paths::Paths;
use alicred_core::server::{Agent, AgentConfig, AgentError, AgentHandle, Limits, running_agent};
use alicred_core::store::config::{ConfigError, ConfigStore};
use alicred_core::store::secrets::{MemoryStore, SecretStore};
use common::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Setup {
    _dir: tempfile::TempDir,
    paths: Paths,
    agent: AgentHandle,
    script: HashMap<String, Arc<Scripted>>,
    secrets: Arc<dyn SecretStore>,
}

async fn start() -> Setup {
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::new(dir.path().join("home"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    ConfigStore::new(paths.clone())
        .update(|f| {
            *f = profiles(
                vec![access_key("ak"), access_key("sts"), access_key("broken")],
                Some("ak"),
            );
            Ok::<_, ConfigError>(())
        })
        .expect("profiles");
    let script: HashMap<String, Arc<Scripted>> = [
        ("ak", None),
        ("sts", Some(chrono::Duration::hours(1))),
        ("broken", Some(chrono::Duration::hours(1))),
    ]
    .into_iter()
    .map(|(n, l)| (n.to_string(), Scripted::new(n, clock.clone(), l)))
    .collect();
    script["broken"].fail_with(Some(network_error()));
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let mut cfg = AgentConfig::new(
        paths.clone(),
        secrets.clone(),
        ctx(clock),
        factory(script.clone()),
    );
    cfg.listen = Some("127.0.0.1:0".parse().expect("addr"));
    cfg.limits = Limits::default();
    let agent = Agent::start(cfg).await.expect("agent starts");
    Setup {
        _dir: dir,
        paths,
        agent,
        script,
        secrets,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Send raw bytes, read the whole answer (the server closes or we time out).
async fn raw(s: &Setup, req: String) -> (u16, String) {
    let mut c = TcpStream::connect(s.agent.local_addr())
        .await
        .expect("connect");
    c.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), c.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn path_of(s: &Setup, profile: Option<&str>) -> String {
    let url = s.agent.url_for(profile.map(name).as_ref());
    url.expose()
        .strip_prefix(s.agent.url_base())
        .expect("prefix")
        .to_string()
}

#[tokio::test]
async fn serves_exactly_the_credentials_uri_json() {
    let s = start().await;
    let url = s.agent.url_for(Some(&name("sts")));
    // One client kept open to the end, as an SDK keeps its connection: the
    // hand-out's attribution to this process may finish after the reply
    // (on a loaded machine), and it needs the socket still open.
    let http = client();
    let r = http.get(url.expose()).send().await.expect("get");
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["content-type"], "application/json");
    assert!(h.keys().all(|k| !k.as_str().starts_with("access-control")));
    let j: serde_json::Value = r.json().await.expect("json");
    let keys: Vec<&str> = j
        .as_object()
        .expect("obj")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        6,
        "Code, AccessKeyId, AccessKeySecret, SecurityToken, Expiration, LastUpdated: {keys:?}"
    );
    assert_eq!(j["Code"], "Success");
    assert_eq!(j["AccessKeySecret"], SECRET);
    assert_eq!(j["SecurityToken"], "token-secret-value");
    let exp = alicred_core::credentials::parse_expiration(j["Expiration"].as_str().expect("s"))
        .expect("SDK format");
    assert!(exp - chrono::Utc::now() > chrono::Duration::minutes(55));
    alicred_core::credentials::parse_expiration(j["LastUpdated"].as_str().expect("s"))
        .expect("SDK format");

    // long-term key: empty token, rolling expiration of one hour; and the active profile
    let j: serde_json::Value = client()
        .get(s.agent.url_for(None).expose())
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(j["SecurityToken"], "");
    assert!(
        j["AccessKeyId"]
            .as_str()
            .expect("id")
            .starts_with("STS.ak.")
    );
    let exp = alicred_core::credentials::parse_expiration(j["Expiration"].as_str().expect("s"))
        .expect("fmt");
    let left = exp - chrono::Utc::now();
    assert!(left > chrono::Duration::minutes(59) && left <= chrono::Duration::minutes(60));

    // HEAD: headers, no body
    let r = http.head(url.expose()).send().await.expect("head");
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.expect("body").is_empty());

    // hand-outs are counted and attributed to this process
    // attribution runs in the background: wait for it (bounded)
    let deadline = Instant::now() + Duration::from_secs(10);
    let sts = loop {
        let snap = s.agent.engine().snapshot();
        let sts = snap.into_iter().find(|p| p.name == "sts").expect("sts");
        if !sts.consumers.is_empty() || !cfg!(target_os = "linux") || Instant::now() > deadline {
            break sts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(sts.handouts, 2);
    if cfg!(target_os = "linux") {
        assert_eq!(sts.consumers.len(), 1, "{:?}", sts.consumers);
        assert_eq!(sts.consumers[0].pid, std::process::id());
    }
    s.agent.shutdown().await;
}

#[tokio::test]
async fn errors_are_json_with_the_right_status_and_no_secret() {
    let s = start().await;
    let c = client();
    let base = s.agent.url_base().to_string();
    let check = |status: u16, code: &'static str| {
        move |(st, body): (u16, serde_json::Value)| {
            assert_eq!(st, status, "{body}");
            assert_eq!(body["Code"], code, "{body}");
            assert!(body["Message"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(!body.to_string().contains(SECRET));
        }
    };
    let get = |u: String| {
        let c = c.clone();
        async move {
            let r = c.get(u).send().await.expect("get");
            let st = r.status().as_u16();
            assert_eq!(r.headers()["cache-control"], "no-store");
            (st, r.json::<serde_json::Value>().await.expect("json"))
        }
    };
    let wrong = "0123456789abcdef0123456789abcdef";
    check(401, "InvalidToken")(get(format!("{base}/{wrong}/v1/credentials/ak")).await);
    check(401, "InvalidToken")(get(format!("{base}/x/v1/credentials")).await);
    check(404, "NotFound")(get(format!("{base}/")).await);
    check(404, "NotFound")(get(format!("{base}/a/b/c/d/e")).await);
    let good = |p: &str| s.agent.url_for(Some(&name(p))).expose().to_string();
    check(404, "ProfileNotFound")(get(good("nope")).await);
    // the capability is for "ak": any other last segment is refused
    check(401, "InvalidToken")(get(format!("{}%2e%2e", good("ak"))).await);
    let (st, body) = get(good("broken")).await;
    check(503, "CredentialsUnavailable")((st, body.clone()));
    assert!(
        body["Message"]
            .as_str()
            .expect("m")
            .contains("connection refused"),
        "{body}"
    );
    s.agent.shutdown().await;
}

#[tokio::test]
async fn refuses_other_methods_origins_and_hosts() {
    let s = start().await;
    let p = path_of(&s, Some("ak"));
    let port = s.agent.local_addr().port();
    for m in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"] {
        let (st, text) = raw(
            &s,
            format!("{m} {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert_eq!(st, 405, "{m}: {text}");
        assert!(text.contains("MethodNotAllowed") && !text.contains(SECRET));
        assert!(!text.to_ascii_lowercase().contains("access-control-"));
    }
    let (st, text) = raw(
        &s,
        format!("GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(st, 403, "{text}");
    assert!(!text.contains(SECRET));
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        "192.168.0.10".to_string(),
    ] {
        let (st, text) = raw(
            &s,
            format!("GET {p} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert_eq!(st, 403, "{host}: {text}");
        assert!(!text.contains(SECRET));
    }
    // HTTP/1.0 without Host: refused too
    let (st, _) = raw(&s, format!("GET {p} HTTP/1.0\r\n\r\n")).await;
    assert_eq!(st, 403);
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "localhost".into(),
    ] {
        let (st, text) = raw(
            &s,
            format!("GET {p} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert_eq!(st, 200, "{host}: {text}");
    }
    s.agent.shutdown().await;
}

#[tokio::test]
async fn each_url_opens_its_own_profile_only() {
    let s = start().await;
    let c = client();
    let status = |u: String| {
        let c = c.clone();
        async move { c.get(u).send().await.expect("get").status().as_u16() }
    };
    let base = s.agent.url_base().to_string();
    let cap_of = |p: Option<&str>| path_of(&s, p).split('/').nth(1).expect("cap").to_string();
    let (ak, sts, active) = (cap_of(Some("ak")), cap_of(Some("sts")), cap_of(None));
    assert!(ak.len() >= 32 && ak != sts && ak != active && sts != active);
    assert_eq!(status(format!("{base}/{ak}/v1/credentials/ak")).await, 200);
    assert_eq!(status(format!("{base}/{active}/v1/credentials")).await, 200);
    // a child handed the "ak" URL edits the last segment: refused
    assert_eq!(status(format!("{base}/{ak}/v1/credentials/sts")).await, 401);
    // nor does a profile's capability open the active URL (active is "ak")
    assert_eq!(status(format!("{base}/{sts}/v1/credentials")).await, 401);
    assert_eq!(status(format!("{base}/{ak}/v1/credentials")).await, 401);
    // nor the active URL's capability a named profile
    assert_eq!(
        status(format!("{base}/{active}/v1/credentials/sts")).await,
        401
    );
    // the agent token itself opens nothing
    let token = s
        .secrets
        .get(&alicred_core::store::secrets::SecretKey::EndpointToken)
        .expect("get")
        .expect("token");
    for p in ["/v1/credentials", "/v1/credentials/ak"] {
        assert_eq!(status(format!("{base}/{}{p}", token.expose())).await, 401);
    }
    s.agent.shutdown().await;
}

#[tokio::test]
async fn two_hosts_or_a_foreign_absolute_target_are_refused() {
    let s = start().await;
    let p = path_of(&s, Some("ak"));
    let port = s.agent.local_addr().port();
    let ok = format!("GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    assert_eq!(raw(&s, ok).await.0, 200);
    for req in [
        format!(
            "GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "GET {p} HTTP/1.1\r\nHost: evil.example\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "GET http://evil.example{p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "GET http://evil.example:{port}{p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
        format!("GET http://evil.example{p} HTTP/1.1\r\nConnection: close\r\n\r\n"),
    ] {
        let (st, text) = raw(&s, req.clone()).await;
        assert_eq!(st, 400, "{req:?}: {text}");
        assert!(text.contains("Host") && !text.contains(SECRET), "{text}");
    }
    let same = format!(
        "GET http://127.0.0.1:{port}{p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw(&s, same).await.0, 200);
    s.agent.shutdown().await;
}

#[tokio::test]
async fn slow_loris_clients_do_not_block_others() {
    let s = start().await;
    let mut slow = Vec::new();
    for _ in 0..100 {
        let mut c = TcpStream::connect(s.agent.local_addr())
            .await
            .expect("connect");
        c.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .expect("write");
        slow.push(c);
    }
    let t = Instant::now();
    let r = client()
        .get(s.agent.url_for(Some(&name("ak"))).expose())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // the slow ones are cut off after the header timeout
    let mut c = slow.pop().expect("one");
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf))
        .await
        .expect("closed within the header timeout");
    let _ = n;
    s.agent.shutdown().await;
}

#[tokio::test]
async fn token_rotation_invalidates_old_urls() {
    let s = start().await;
    let old = s.agent.url_for(Some(&name("ak")));
    assert_eq!(
        client()
            .get(old.expose())
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    s.agent.rotate_token().await.expect("rotate");
    let new = s.agent.url_for(Some(&name("ak")));
    assert_ne!(old, new);
    assert_eq!(
        client()
            .get(old.expose())
            .send()
            .await
            .expect("get")
            .status(),
        401
    );
    assert_eq!(
        client()
            .get(new.expose())
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    let stored = s
        .secrets
        .get(&alicred_core::store::secrets::SecretKey::EndpointToken)
        .expect("get")
        .expect("stored");
    let cap =
        alicred_core::server::capability_for(&stored, alicred_core::server::Scope::Profile("ak"));
    assert!(new.expose().contains(cap.expose()));
    s.agent.shutdown().await;
}

#[tokio::test]
async fn agent_file_second_agent_and_taken_port() {
    let s = start().await;
    let info = running_agent(&s.paths).expect("agent.json");
    assert_eq!(info.pid, std::process::id());
    assert_eq!(info.url_base, s.agent.url_base());
    let text = std::fs::read_to_string(s.paths.agent_file()).expect("read");
    let token = s
        .secrets
        .get(&alicred_core::store::secrets::SecretKey::EndpointToken);
    let token = token.expect("get").expect("token");
    assert!(!text.contains(token.expose()), "no token in agent.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.paths.agent_file())
            .expect("m")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // a second agent on the same port
    let mut cfg = AgentConfig::new(
        s.paths.clone(),
        Arc::new(MemoryStore::default()),
        ctx(Arc::new(SystemClock)),
        factory(s.script.clone()),
    );
    cfg.listen = Some(s.agent.local_addr());
    match Agent::start(cfg).await {
        Err(e @ AgentError::AlreadyRunning { .. }) => {
            assert_eq!(
                e.to_string(),
                format!(
                    "an alicred agent is already running at {}",
                    s.agent.url_base()
                )
            );
        }
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    // a port held by something else
    let other = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut cfg = AgentConfig::new(
        s.paths.clone(),
        Arc::new(MemoryStore::default()),
        ctx(Arc::new(SystemClock)),
        factory(s.script.clone()),
    );
    cfg.listen = Some(other.local_addr().expect("addr"));
    let e = Agent::start(cfg).await.expect_err("taken");
    let port = other.local_addr().expect("addr").port();
    assert!(
        matches!(e, AgentError::PortInUse { port: p } if p == port),
        "{e}"
    );
    // The core names the port; the CLI adds its own flag (`--listen`).
    assert_eq!(
        e.to_string(),
        format!("port {port} is in use by another program")
    );
    // non-loopback needs an explicit yes
    let mut cfg = AgentConfig::new(
        s.paths.clone(),
        Arc::new(MemoryStore::default()),
        ctx(Arc::new(SystemClock)),
        factory(s.script.clone()),
    );
    cfg.listen = Some("0.0.0.0:0".parse().expect("addr"));
    assert!(matches!(
        Agent::start(cfg).await,
        Err(AgentError::NotLoopback(_))
    ));
    let paths = s.paths.clone();
    s.agent.shutdown().await;
    assert!(!paths.agent_file().exists(), "removed on clean shutdown");
}

#[tokio::test]
async fn profile_file_changes_are_picked_up() {
    let s = start().await;
    let store = ConfigStore::new(s.paths.clone());
    store
        .update(|f| {
            f.profiles.remove(&name("broken"));
            f.active = Some(name("sts"));
            Ok::<_, ConfigError>(())
        })
        .expect("update");
    s.agent.reload().expect("reload");
    assert_eq!(s.agent.engine().active(), Some(name("sts")));
    let r = client()
        .get(s.agent.url_for(Some(&name("broken"))).expose())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
    let j: serde_json::Value = client()
        .get(s.agent.url_for(None).expose())
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(
        j["AccessKeyId"]
            .as_str()
            .expect("id")
            .starts_with("STS.sts.")
    );
    let _ = s.script;
    s.agent.shutdown().await;
}
