//! The API's control socket end to end: a real API (engine and endpoint on
//! loopback), the real server on a Unix socket, and the client the dashboard
//! uses, or a raw socket for what a hostile client can send.

use alicred_core::api::client::Client;
use alicred_core::api::wire::{self, MAX_REQUEST};
use alicred_core::api::{Api, Confirmed, NoHost, Request, Runtime};
use alicred_core::paths::Paths;
use alicred_core::profile::ProfileInput;
use alicred_core::sensitive::Sensitive;
use alicred_core::service::Alicred;
use alicred_core::store::secrets::{MemoryStore, StoredKey};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

async fn serving(dir: &std::path::Path) -> (Api, std::path::PathBuf, tokio::task::JoinHandle<()>) {
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
    let runtime = Runtime::start_on(&alicred, Some(([127, 0, 0, 1], 0).into()))
        .await
        .expect("agent");
    let api = Api::with_runtime(alicred, runtime, Arc::new(NoHost));
    let path = wire::socket_path(&Paths::new(dir));
    let listener = wire::bind(&path).expect("bind");
    let server = tokio::spawn(wire::serve(listener, api.clone()));
    (api, path, server)
}

type Events = Arc<Mutex<Vec<Value>>>;

fn name(n: &str) -> String {
    n.to_string()
}

async fn client(path: &std::path::Path) -> (Client, Events, Arc<tokio::sync::Notify>) {
    let events: Events = Arc::default();
    let closed = Arc::new(tokio::sync::Notify::new());
    let (e, c) = (events.clone(), closed.clone());
    let client = Client::connect(
        path,
        move |event| e.lock().expect("events").push(event),
        move || c.notify_one(),
    )
    .await
    .expect("connect");
    (client, events, closed)
}

#[tokio::test]
async fn the_dashboard_reads_and_changes_the_agent_through_the_socket() {
    let dir = tempfile::tempdir().expect("tmp");
    let (api, path, _server) = serving(dir.path()).await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only its owner may connect");

    let (c, events, _closed) = client(&path).await;
    let list = c.call(Request::ListProfiles, None).await.expect("list");
    assert_eq!(list["kind"], "list_profiles");
    let names: Vec<&str> = list["value"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["one", "two"]);

    c.call(Request::SetActive { name: name("two") }, None)
        .await
        .expect("set active");
    assert_eq!(
        api.app()
            .profiles()
            .expect("file")
            .active
            .map(|n| n.to_string()),
        Some("two".into()),
        "the agent's profiles changed, not a copy"
    );

    // Events reach the subscribed dashboard, carrying what changed.
    c.call(
        Request::Refresh {
            name: Some(name("one")),
        },
        None,
    )
    .await
    .expect("refresh");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !events
        .lock()
        .expect("events")
        .iter()
        .any(|e| e["type"] == "profile" && e["status"]["name"] == "one")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no status of one pushed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Errors come back as the dashboard shows them: a message, field problems.
    let add = |n: &str, ty: &str| Request::AddProfile {
        input: Box::new(ProfileInput {
            name: n.into(),
            r#type: ty.into(),
            command: Some("/bin/echo".into()),
            ..Default::default()
        }),
        secret: None,
        replace: false,
    };
    let err = c
        .call(add("bad name!", "access-key"), None)
        .await
        .expect_err("invalid");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{err}"
    );

    // An external profile is saved only with the yes of the dashboard's
    // process for that command, checked by the agent: a webview that skips
    // its dialog, or a yes for another command, saves nothing.
    for confirmed in [
        None,
        Some(Confirmed {
            command: "/bin/true".into(),
        }),
    ] {
        let err = c
            .call(add("ext", "external"), confirmed)
            .await
            .expect_err("not confirmed");
        assert!(
            err["message"]
                .as_str()
                .unwrap_or("")
                .contains("not confirmed"),
            "{err}"
        );
    }
    assert!(
        api.app()
            .profiles()
            .expect("file")
            .get(&"ext".parse().expect("name"))
            .is_err()
    );
    let yes = Confirmed {
        command: "/bin/echo".into(),
    };
    c.call(add("ext", "external"), Some(yes))
        .await
        .expect("saved with its yes");
    assert!(
        api.app()
            .profiles()
            .expect("file")
            .get(&"ext".parse().expect("name"))
            .is_ok()
    );

    // The endpoint URL carries the endpoint token; the reply carries it to
    // its owner only, and no secret of a profile is ever in a reply.
    let info = c.call(Request::EndpointInfo, None).await.expect("info");
    assert_eq!(info["value"]["running"], true);
    let all = format!("{list}{info}");
    assert!(
        !all.contains("s3cret-of-the-test"),
        "a secret crossed the socket"
    );
    api.shutdown().await;
}

#[tokio::test]
async fn a_hostile_client_gets_an_error_or_the_door_and_breaks_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let (api, path, _server) = serving(dir.path()).await;

    // Garbage: one error reply, and the connection keeps working.
    let mut raw = BufReader::new(UnixStream::connect(&path).await.expect("connect"));
    raw.get_mut()
        .write_all(b"{not json\n")
        .await
        .expect("write");
    let mut line = String::new();
    raw.read_line(&mut line).await.expect("reply");
    assert!(line.contains("not a request"), "{line}");
    // An unknown command, a call without its arguments: refused, by the types.
    for bad in [
        r#"{"kind":"call","id":3,"request":{"cmd":"format_disk"}}"#,
        r#"{"kind":"call","id":4,"request":{"cmd":"verify","args":{}}}"#,
    ] {
        raw.get_mut()
            .write_all(format!("{bad}\n").as_bytes())
            .await
            .expect("write");
        line.clear();
        raw.read_line(&mut line).await.expect("reply");
        assert!(
            line.contains("not a request") && line.contains("Err"),
            "{line}"
        );
    }
    raw.get_mut()
        .write_all(b"{\"kind\":\"call\",\"id\":5,\"request\":{\"cmd\":\"type_guides\"}}\n")
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
    c.call(Request::ListProfiles, None)
        .await
        .expect("still serving");
    api.shutdown().await;
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
            let (api, path, _server) = serving(&d).await;
            ready_tx.send(path).expect("ready");
            let _ = stop_rx.await;
            api.shutdown().await;
        });
        drop(rt);
    });
    let path = ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("agent started");
    let (c, _events, closed) = client(&path).await;
    c.call(Request::ListProfiles, None).await.expect("serving");
    stop_tx.send(()).expect("stop");
    tokio::task::spawn_blocking(move || agent.join().expect("agent thread"))
        .await
        .expect("joined");
    tokio::time::timeout(Duration::from_secs(10), closed.notified())
        .await
        .expect("the dashboard was told the agent went");
    let err = tokio::time::timeout(Duration::from_secs(10), c.call(Request::ListProfiles, None))
        .await
        .expect("a call after the agent went does not hang")
        .expect_err("no agent to answer");
    assert!(
        err["message"].as_str().unwrap_or("").contains("stopped"),
        "{err}"
    );
}

/// The dashboard's form sends a bearer-token profile's token as its secret:
/// the core keeps it in the keyring (cleaned as the aliyun CLI does), never
/// over another profile's, and says what is missing or out of place.
#[tokio::test]
async fn a_bearer_token_from_the_form_goes_to_the_keyring() {
    use alicred_core::api::SecretInput;
    use alicred_core::providers::bearer_token::StoredBearerToken;
    use alicred_core::store::secrets::SecretKey;
    let dir = tempfile::tempdir().expect("tmp");
    let (api, path, _server) = serving(dir.path()).await;
    let (c, _events, _closed) = client(&path).await;
    let add = |n: &str, ty: &str, token: Option<&str>, replace: bool| Request::AddProfile {
        input: Box::new(ProfileInput {
            name: n.into(),
            r#type: ty.into(),
            ..Default::default()
        }),
        secret: token.map(|t| SecretInput::BearerToken {
            bearer_token: Sensitive::new(t),
        }),
        replace,
    };
    let stored = |n: &str| {
        api.app()
            .secrets()
            .get_json::<StoredBearerToken>(&SecretKey::Profile(n.parse().expect("name")))
            .expect("keyring")
            .map(|t| t.bearer_token.expose().to_string())
    };
    let message = |e: Value| e["message"].as_str().unwrap_or("").to_string();

    c.call(
        add("bt", "bearer-token", Some(" tok-of-the-test\r\n"), false),
        None,
    )
    .await
    .expect("added");
    assert_eq!(stored("bt").as_deref(), Some("tok-of-the-test"));
    // A taken name: refused, and the stored token is not touched.
    let e = c
        .call(add("bt", "bearer-token", Some("another"), false), None)
        .await
        .expect_err("exists");
    assert!(message(e).contains("already exists"));
    assert_eq!(stored("bt").as_deref(), Some("tok-of-the-test"));
    // An edit without a token keeps it; with one, replaces it.
    c.call(add("bt", "bearer-token", None, true), None)
        .await
        .expect("edited");
    assert_eq!(stored("bt").as_deref(), Some("tok-of-the-test"));
    c.call(add("bt", "bearer-token", Some("tok-2"), true), None)
        .await
        .expect("replaced");
    assert_eq!(stored("bt").as_deref(), Some("tok-2"));
    // Missing, blank, or sent to a type that takes none: a reason, nothing saved.
    for (n, ty, token, want) in [
        ("bt2", "bearer-token", None, "needs its token"),
        ("bt3", "bearer-token", Some(" \r\n"), "needs its token"),
        ("ak", "access-key", Some("tok"), "takes no secret"),
    ] {
        let e = c.call(add(n, ty, token, false), None).await.expect_err(n);
        assert!(message(e.clone()).contains(want), "{n}: {e}");
        assert!(stored(n).is_none(), "{n}");
        assert!(
            api.app()
                .profiles()
                .expect("file")
                .get(&n.parse().expect("name"))
                .is_err()
        );
    }
    // No token in any reply or event.
    let list = c.call(Request::ListProfiles, None).await.expect("list");
    assert!(!list.to_string().contains("tok-2"));
    api.shutdown().await;
}
