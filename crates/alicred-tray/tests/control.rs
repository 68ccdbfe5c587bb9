//! The control socket end to end: a real tray-agent state (engine and
//! endpoint on loopback), the real server on a Unix socket, and the client
//! the dashboard uses, or a raw socket for what a hostile client can send.

use alicred_core::paths::Paths;
use alicred_core::profile::ProfileInput;
use alicred_core::sensitive::Sensitive;
use alicred_core::service::Alicred;
use alicred_core::store::secrets::{MemoryStore, StoredKey};
use alicred_tray::agent::DesktopAgent;
use alicred_tray::control::{self, MAX_REQUEST};
use alicred_tray::control_client::Client;
use alicred_tray::state::AppState;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

async fn serving(
    dir: &std::path::Path,
) -> (
    Arc<AppState>,
    std::path::PathBuf,
    tokio::task::JoinHandle<()>,
) {
    let alicred = Alicred::with_store(Paths::new(dir), Arc::new(MemoryStore::default()));
    for name in ["one", "two"] {
        let input = ProfileInput {
            name: name.into(),
            r#type: "access-key".into(),
            ..Default::default()
        };
        let key = StoredKey {
            access_key_id: format!("LTAI{name}"),
            access_key_secret: Sensitive::new("s3cret-of-the-test"),
            security_token: None,
        };
        alicred.add_profile(&input, Some(key), false).expect("add");
    }
    let agent = DesktopAgent::start_on(&alicred, Some(([127, 0, 0, 1], 0).into()))
        .await
        .expect("agent");
    let state = Arc::new(AppState::new(alicred, agent));
    alicred_tray::app::spawn_event_loop(state.clone());
    let path = control::socket_path(&Paths::new(dir));
    let listener = control::bind(&path).expect("bind");
    let server = tokio::spawn(control::serve(listener, state.clone()));
    (state, path, server)
}

type Events = Arc<Mutex<Vec<(String, Value)>>>;

async fn client(path: &std::path::Path) -> (Client, Events, Arc<tokio::sync::Notify>) {
    let events: Events = Arc::default();
    let closed = Arc::new(tokio::sync::Notify::new());
    let (e, c) = (events.clone(), closed.clone());
    let client = Client::connect(
        path,
        move |name, payload| e.lock().expect("events").push((name, payload)),
        move || c.notify_one(),
    )
    .await
    .expect("connect");
    (client, events, closed)
}

#[tokio::test]
async fn the_dashboard_reads_and_changes_the_agent_through_the_socket() {
    let dir = tempfile::tempdir().expect("tmp");
    let (state, path, _server) = serving(dir.path()).await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only its owner may connect");

    let (c, events, _closed) = client(&path).await;
    let list = c.call("list_profiles", Value::Null).await.expect("list");
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["one", "two"]);

    c.call("set_active", json!({ "name": "two" }))
        .await
        .expect("set active");
    assert_eq!(
        state
            .alicred
            .profiles()
            .expect("file")
            .active
            .map(|n| n.to_string()),
        Some("two".into()),
        "the agent's profiles changed, not a copy"
    );

    // Engine events reach the subscribed dashboard.
    c.call("refresh", json!({ "name": "one" }))
        .await
        .expect("refresh");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !events
        .lock()
        .expect("events")
        .iter()
        .any(|(n, p)| n == "alicred://event" && p["profile"] == "one")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no engine event for one"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Errors come back as the dashboard shows them: a message, field problems.
    let err = c
        .call(
            "add_profile",
            json!({ "input": { "name": "bad name!", "type": "access-key" } }),
        )
        .await
        .expect_err("invalid");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{err}"
    );
    let err = c.call("verify", json!({})).await.expect_err("no name");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("bad arguments"),
        "{err}"
    );
    let err = c
        .call("format_disk", Value::Null)
        .await
        .expect_err("unknown");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("unknown command"),
        "{err}"
    );

    // The endpoint URL carries the endpoint token; the reply carries it to
    // its owner only, and no secret of a profile is ever in a reply.
    let info = c.call("endpoint_info", Value::Null).await.expect("info");
    assert_eq!(info["running"], true);
    let all = format!("{list}{info}");
    assert!(
        !all.contains("s3cret-of-the-test"),
        "a secret crossed the socket"
    );
    state.agent.shutdown().await;
}

#[tokio::test]
async fn a_hostile_client_gets_an_error_or_the_door_and_breaks_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let (state, path, _server) = serving(dir.path()).await;

    // Garbage: one error reply, and the connection keeps working.
    let mut raw = BufReader::new(UnixStream::connect(&path).await.expect("connect"));
    raw.get_mut()
        .write_all(b"{not json\n")
        .await
        .expect("write");
    let mut line = String::new();
    raw.read_line(&mut line).await.expect("reply");
    assert!(line.contains("not a request"), "{line}");
    raw.get_mut()
        .write_all(b"{\"id\":5,\"cmd\":\"type_guides\"}\n")
        .await
        .expect("write");
    line.clear();
    raw.read_line(&mut line).await.expect("reply");
    assert!(line.contains("\"id\":5") && line.contains("Ok"), "{line}");

    // A line over the limit: the connection is closed, nothing is answered.
    let mut big = BufReader::new(UnixStream::connect(&path).await.expect("connect"));
    let huge = vec![b'a'; MAX_REQUEST + 10];
    let _ = big.get_mut().write_all(&huge).await;
    line.clear();
    let n = tokio::time::timeout(Duration::from_secs(10), big.read_line(&mut line))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0, "closed without a reply: {line:.80}");

    // The agent still serves everyone else.
    let (c, _e, _closed) = client(&path).await;
    c.call("list_profiles", Value::Null)
        .await
        .expect("still serving");
    state.agent.shutdown().await;
}

#[tokio::test]
async fn when_the_agent_goes_the_dashboard_is_told_and_calls_end() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path().to_path_buf();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // The agent in a runtime of its own, as in its own process: ending that
    // runtime closes every connection, as the agent's exit does.
    let agent = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let (state, path, _server) = serving(&d).await;
            ready_tx.send(path).expect("ready");
            let _ = stop_rx.await;
            state.agent.shutdown().await;
        });
        drop(rt);
    });
    let path = ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("agent started");
    let (c, _events, closed) = client(&path).await;
    c.call("list_profiles", Value::Null).await.expect("serving");
    stop_tx.send(()).expect("stop");
    tokio::task::spawn_blocking(move || agent.join().expect("agent thread"))
        .await
        .expect("joined");
    tokio::time::timeout(Duration::from_secs(10), closed.notified())
        .await
        .expect("the dashboard was told the agent went");
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        c.call("list_profiles", Value::Null),
    )
    .await
    .expect("a call after the agent went does not hang")
    .expect_err("no agent to answer");
    assert!(
        err["message"].as_str().unwrap_or("").contains("stopped"),
        "{err}"
    );
}
