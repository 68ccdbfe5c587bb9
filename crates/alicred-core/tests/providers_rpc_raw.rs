//! The RPC client against a canned loopback server: exact URL (path prefix
//! kept), and error shapes the emulator does not produce.

mod providers_common;

use alicred_core::aliyun::rpc::{RpcClient, Service};
use alicred_core::aliyun::signer::RpcAuth;
use alicred_core::providers::ProviderError;
use alicred_core::sensitive::Sensitive;
use providers_common::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `response` (raw HTTP) to every connection; records request lines.
async fn canned(response: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16384];
            let n = sock.read(&mut buf).await.unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            if let (Some(line), Ok(mut l)) = (req.lines().next(), log.lock()) {
                l.push(line.to_string());
            }
            let _ = sock.write_all(response.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    (format!("http://{addr}"), seen)
}

fn auth() -> RpcAuth {
    RpcAuth::AccessKey {
        access_key_id: "LTAIraw".into(),
        secret: Sensitive::new("raw-secret"),
        security_token: None,
    }
}

#[tokio::test]
async fn sends_to_exactly_the_override_url() {
    let (base, seen) = canned(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{\"RequestId\":\"r\"}",
    )
    .await;
    let ctx = ctx();
    let client = RpcClient::new(&ctx, url(&format!("{base}/custom/sts")), Service::Sts);
    let v: serde_json::Value = client
        .call("GetCallerIdentity", &[("Extra", "a b*".into())], &auth())
        .await
        .expect("success body");
    assert_eq!(v["RequestId"], "r");
    let line = seen.lock().expect("log")[0].clone();
    assert!(line.starts_with("GET /custom/sts?"), "{line}");
    assert!(line.contains("Action=GetCallerIdentity"), "{line}");
    assert!(line.contains("Extra=a%20b%2A"), "{line}");
    assert!(line.contains("&Signature="), "{line}");
    assert!(!line.contains("raw-secret"), "{line}");
}

#[tokio::test]
async fn html_gateway_errors_are_upstream_and_transient() {
    let (base, _) = canned(
        "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 13\r\nConnection: close\r\n\r\n<html></html>",
    )
    .await;
    let ctx = ctx();
    let e = RpcClient::new(&ctx, url(&base), Service::Ram)
        .call::<serde_json::Value>("ListAccessKeys", &[], &auth())
        .await
        .expect_err("502");
    assert!(
        matches!(&e, ProviderError::Upstream { status: 502, code, service, .. } if code == "HTTP502" && service == "RAM"),
        "{e:?}"
    );
    assert!(e.is_transient());
}

#[tokio::test]
async fn retry_after_header_means_throttled() {
    let (base, _) = canned(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nx-acs-retry-after: 2500\r\nContent-Length: 45\r\nConnection: close\r\n\r\n{\"Code\":\"Flow.Control\",\"Message\":\"slow down\"}",
    )
    .await;
    let ctx = ctx();
    let e = RpcClient::new(&ctx, url(&base), Service::Kms)
        .call::<serde_json::Value>("GetSecretValue", &[], &auth())
        .await
        .expect_err("throttled");
    assert_eq!(e.retry_after(), Some(Duration::from_millis(2500)));
    assert!(matches!(e, ProviderError::Throttled { .. }));
}

#[tokio::test]
async fn per_request_timeout() {
    // Accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let ctx = ctx();
    let start = std::time::Instant::now();
    let e = RpcClient::new(&ctx, url(&format!("http://{addr}/")), Service::Sts)
        .with_timeout(Duration::from_millis(300))
        .call::<serde_json::Value>("GetCallerIdentity", &[], &auth())
        .await
        .expect_err("timeout");
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(&e, ProviderError::Network { reason, .. } if reason == "timed out"),
        "{e:?}"
    );
}
