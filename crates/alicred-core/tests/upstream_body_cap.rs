//! Every upstream reply is read with a 1 MiB cap: a source answering with an
//! endless (here 400 MB, streamed) body costs bounded memory and ends in one
//! clear error naming the service and the limit (issue #11 item 6).

mod providers_common;

use alicred_core::aliyun::sts::get_caller_identity;
use alicred_core::credentials::Credentials;
use alicred_core::profile::{EcsRamRoleProfile, Endpoints};
use alicred_core::providers::{
    CredentialsUriProvider, EcsRamRoleProvider, Provider, ProviderError,
};
use alicred_core::sensitive::Sensitive;
use providers_common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HUGE: usize = 400 * 1024 * 1024;

/// Answers every request with 200 and a chunked body of `HUGE` bytes,
/// generated as it goes; counts what it managed to send, and the
/// connections it is still writing to.
async fn flood() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    let sent = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(AtomicUsize::new(0));
    let (total, writing) = (sent.clone(), open.clone());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let total = total.clone();
            writing.fetch_add(1, Ordering::SeqCst);
            let done = Done(writing.clone());
            tokio::spawn(async move {
                let _done = done;
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if s.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = format!("{:x}\r\n", 64 * 1024).into_bytes();
                chunk.extend(std::iter::repeat_n(b' ', 64 * 1024));
                chunk.extend_from_slice(b"\r\n");
                let mut left = HUGE;
                while left > 0 {
                    if s.write_all(&chunk).await.is_err() {
                        return;
                    }
                    left = left.saturating_sub(64 * 1024);
                    total.fetch_add(64 * 1024, Ordering::Relaxed);
                }
                let _ = s.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    (format!("http://{addr}"), sent, open)
}

/// Counts a connection as finished when its task ends, however it ends.
struct Done(Arc<AtomicUsize>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn assert_capped(e: &ProviderError, service: &str) {
    assert!(
        matches!(e, ProviderError::Malformed { service: s, .. } if s == service),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains(service) && text.contains("1 MiB"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

/// Peak resident memory of this test process, in MiB (Linux).
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

// One test (not three) so the peak-memory figure is this scenario's alone.
#[tokio::test]
async fn a_400_mb_reply_is_cut_at_1_mib_for_every_source() {
    let (base, sent, open) = flood().await;
    let ctx = ctx();

    let e = CredentialsUriProvider::new(url(&format!("{base}/creds")), &ctx)
        .retrieve()
        .await
        .expect_err("capped");
    assert_capped(&e, "credentials URI");

    let ecs = EcsRamRoleProvider::new(
        name("ecs"),
        &EcsRamRoleProfile {
            role_name: Some("Role".into()),
            // v1 allowed: the capped token reply falls back to a (capped) GET too
            imdsv1_disabled: false,
            endpoints: Endpoints::default(),
        },
        url(&base),
        &ctx,
    );
    let e = ecs.retrieve().await.expect_err("capped");
    assert_capped(&e, "ECS metadata");

    let creds = Credentials::long_term("LTAIexample", Sensitive::new("secret"), chrono::Utc::now());
    let e = get_caller_identity(&ctx, &url(&format!("{base}/sts")), &creds)
        .await
        .expect_err("capped");
    assert_capped(&e, "STS");

    // The readers hung up: once the server noticed on every connection, it
    // had pushed little past the cap (kernel socket buffers), never the
    // 400 MB, and memory stayed small. (A reader that kept its connection
    // would let the server go on to the 400 MB: the count below fails.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while open.load(Ordering::SeqCst) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the server still writes to {} connections",
            open.load(Ordering::SeqCst)
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let pushed = sent.load(Ordering::Relaxed);
    assert!(
        pushed < 3 * 40 * 1024 * 1024,
        "server pushed {pushed} bytes"
    );
    if let Some(peak) = peak_rss_mib() {
        assert!(peak < 200, "peak RSS {peak} MiB");
    }
}
