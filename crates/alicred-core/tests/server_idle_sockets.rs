//! Idle sockets cannot lock real clients out of the endpoint (issue #11
//! item 3). Its own test binary: it holds over a thousand sockets, which
//! would disturb the timing of tests sharing the process.

mod common;

use alicred_core::clock::{Clock, SystemClock};
use alicred_core::paths::Paths;
use alicred_core::server::{Agent, AgentConfig, AgentHandle};
use alicred_core::store::config::{ConfigError, ConfigStore};
use alicred_core::store::secrets::MemoryStore;
use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// An agent with its default limits, serving one access-key profile.
async fn start() -> (tempfile::TempDir, AgentHandle) {
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::new(dir.path().join("home"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    ConfigStore::new(paths.clone())
        .update(|f| {
            *f = profiles(vec![access_key("ak")], Some("ak"));
            Ok::<_, ConfigError>(())
        })
        .expect("profiles");
    let script = [("ak".to_string(), Scripted::new("ak", clock.clone(), None))]
        .into_iter()
        .collect();
    let mut cfg = AgentConfig::new(
        paths,
        Arc::new(MemoryStore::default()),
        ctx(clock),
        factory(script),
    );
    cfg.listen = Some("127.0.0.1:0".parse().expect("addr"));
    (dir, Agent::start(cfg).await.expect("agent starts"))
}

/// Raise the soft limit on open files (600 client plus up to 600 server
/// sockets in this one process); a hard limit below that fails loudly.
fn raise_fd_limit(want: u64) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current.is_some_and(|c| c >= want) {
        return;
    }
    assert!(
        lim.maximum.is_none_or(|m| m >= want),
        "this test needs {want} open files; the hard limit is {:?}",
        lim.maximum
    );
    lim.current = Some(want);
    setrlimit(Resource::Nofile, lim).expect("raise the open-file limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_do_not_lock_real_clients_out() {
    const IDLE: usize = 600;
    raise_fd_limit(4096);
    let (_dir, agent) = start().await;
    let addr = agent.local_addr();
    // An attacker keeps IDLE sockets open: half silent, half with a request
    // head that never ends; whatever the server closes is reopened.
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let opened = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = opened.clone();
    // On a thread and runtime of its own, as another process would be: it
    // must not take the real client's worker threads.
    let attack_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let attacker = std::thread::spawn(move || {
        attack_rt.block_on(async move {
            let mut idle: Vec<TcpStream> = Vec::new();
            let mut buf = [0u8; 256];
            loop {
                idle.retain(|c| {
                matches!(c.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
            });
                while idle.len() < IDLE {
                    let Ok(mut c) = TcpStream::connect(addr).await else {
                        break;
                    };
                    if idle.len().is_multiple_of(2) {
                        let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n").await;
                    }
                    idle.push(c);
                    count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                    _ = stop_rx.changed() => return idle.len(),
                }
            }
        })
    });
    while opened.load(std::sync::atomic::Ordering::Relaxed) < IDLE {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Real clients, each on a new connection, for about three seconds (past
    // the request timeout, so the attacker's reconnects are included).
    let c = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let url = agent.url_for(Some(&name("ak")));
    let mut times = Vec::new();
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        let r = c.get(url.expose()).send().await.expect("answered");
        assert_eq!(r.status(), 200);
        times.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    let still_open = tokio::task::spawn_blocking(move || attacker.join())
        .await
        .expect("join")
        .expect("attacker");
    times.sort();
    let worst = *times.last().expect("some");
    eprintln!(
        "{} real requests with {still_open} idle sockets open ({} opened in all): median {:?}, worst {worst:?}",
        times.len(),
        opened.load(std::sync::atomic::Ordering::Relaxed),
        times[times.len() / 2]
    );
    assert!(
        still_open >= IDLE / 2,
        "the attacker kept its sockets: {still_open}"
    );
    assert!(worst < Duration::from_secs(1), "worst {worst:?}");
    agent.shutdown().await;
}
