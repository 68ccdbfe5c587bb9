//! After talking to the Secret Service, no thread the client left behind
//! wakes up by itself (issue 12: no periodic wake-ups while nothing is due).
//!
//! The client (zbus on async-io) runs its socket connect in the `blocking`
//! crate's thread pool. In `blocking` 1.7.0 an idle pool thread never ends:
//! it waits on a 500-ms timed condvar forever, so an idle agent woke twice a
//! second. 1.6.2 (pinned in Cargo.lock) ends an idle pool thread after
//! 500 ms. This test fails with 1.7.0 (about 6 wake-ups in the 3 s) and
//! passes with 1.6.2 (0).
//!
//! Needs a Secret Service: run it through `scripts/lib/with-keyring.sh`.

use alicred_core::sensitive::Sensitive;
use alicred_core::store::secrets::{KeyringStore, SecretKey, SecretStore};
use std::collections::HashMap;
use std::time::Duration;

/// Context switches (voluntary + involuntary) of every thread of this
/// process except the main thread and the calling one: tid → (name, count).
fn other_threads() -> HashMap<String, (String, u64)> {
    let me = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let pid = std::process::id().to_string();
    let mut out = HashMap::new();
    for t in std::fs::read_dir("/proc/self/task")
        .expect("/proc")
        .flatten()
    {
        let tid = t.file_name().to_string_lossy().into_owned();
        if tid == me || tid == pid {
            continue;
        }
        let (Ok(name), Ok(status)) = (
            std::fs::read_to_string(t.path().join("comm")),
            std::fs::read_to_string(t.path().join("status")),
        ) else {
            continue; // ended meanwhile
        };
        let switches: u64 = status
            .lines()
            .filter(|l| l.contains("ctxt_switches"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        out.insert(tid, (name.trim().to_string(), switches));
    }
    out
}

#[test]
fn no_thread_wakes_up_after_secret_service_calls() {
    // No silent pass without the Secret Service: this test has nothing else
    // to measure.
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: this test needs a Secret Service (run it through scripts/lib/with-keyring.sh)"
    );
    let store = KeyringStore::secret_service(format!("alicred-test-idle:{}", std::process::id()));
    let key = SecretKey::EndpointToken;
    store
        .set(&key, &Sensitive::new("x".repeat(16)))
        .expect("set");
    assert!(store.get(&key).expect("get").is_some());
    store.delete(&key).expect("delete");

    // Let the calls' helpers settle (an idle pool thread ends after 500 ms).
    std::thread::sleep(Duration::from_millis(1500));
    let before = other_threads();
    std::thread::sleep(Duration::from_secs(3));
    let after = other_threads();
    let woke: Vec<String> = after
        .iter()
        .filter_map(|(tid, (name, n))| {
            let was = before.get(tid).map_or(0, |(_, b)| *b);
            (*n > was).then(|| format!("{name} (tid {tid}): {} wake-ups", n - was))
        })
        .collect();
    assert!(
        woke.is_empty(),
        "threads woke up with nothing to do: {}",
        woke.join(", ")
    );
    // The connection stays usable after the idle time.
    assert!(store.get(&key).expect("get again").is_none());
}
