//! Reading upstream replies with a bound: every body alicred reads from the
//! network (credentials URI, instance metadata, STS/RAM/KMS, SSO/OAuth) goes
//! through [`read_capped`], so a huge or endless reply costs at most
//! [`MAX_BODY`] of memory and ends in one clear error.

use super::network;
use crate::providers::ProviderError;

/// 1 MiB: real replies are a few KiB.
pub const MAX_BODY: usize = 1024 * 1024;

/// The body of `resp`, read chunk by chunk and refused past `MAX_BODY`
/// (early, by `Content-Length`, when the server announces it). `service`
/// names the source in the error, `endpoint` in network errors.
pub async fn read_capped(
    resp: reqwest::Response,
    service: &str,
    endpoint: &str,
) -> Result<Vec<u8>, ProviderError> {
    read_capped_at(resp, service, endpoint, MAX_BODY).await
}

/// [`read_capped`] decoded as UTF-8 (invalid sequences replaced: the text is
/// only parsed or shown, never trusted as is).
pub async fn read_capped_text(
    resp: reqwest::Response,
    service: &str,
    endpoint: &str,
) -> Result<String, ProviderError> {
    let body = read_capped(resp, service, endpoint).await?;
    Ok(match String::from_utf8(body) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

async fn read_capped_at(
    mut resp: reqwest::Response,
    service: &str,
    endpoint: &str,
    cap: usize,
) -> Result<Vec<u8>, ProviderError> {
    let too_big = || ProviderError::Malformed {
        service: service.to_string(),
        reason: format!(
            "the response is larger than {}, alicred's limit for a reply; it stopped reading there",
            human(cap)
        ),
    };
    if resp
        .content_length()
        .is_some_and(|n| n > u64::try_from(cap).unwrap_or(u64::MAX))
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| network(endpoint, e))? {
        if body.len() + chunk.len() > cap {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn human(bytes: usize) -> String {
    if bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that streams `total` bytes (chunked or with a length) and
    /// counts how many it managed to send before the client hung up.
    async fn streaming(total: usize, announce: bool) -> (String, Arc<AtomicUsize>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = l.local_addr().expect("addr");
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = sent.clone();
        tokio::spawn(async move {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let head = if announce {
                format!("HTTP/1.1 200 OK\r\ncontent-length: {total}\r\n\r\n")
            } else {
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_string()
            };
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let block = vec![b'x'; 64 * 1024];
            let mut left = total;
            while left > 0 {
                let n = left.min(block.len());
                let r = if announce {
                    s.write_all(&block[..n]).await
                } else {
                    let mut c = format!("{n:x}\r\n").into_bytes();
                    c.extend_from_slice(&block[..n]);
                    c.extend_from_slice(b"\r\n");
                    s.write_all(&c).await
                };
                if r.is_err() {
                    return;
                }
                left -= n;
                counter.fetch_add(n, Ordering::Relaxed);
            }
            let _ = s.write_all(b"0\r\n\r\n").await;
        });
        (format!("http://{addr}/"), sent)
    }

    #[tokio::test]
    async fn a_400_mb_stream_is_cut_at_the_cap() {
        const HUGE: usize = 400 * 1024 * 1024;
        for announce in [false, true] {
            let (url, sent) = streaming(HUGE, announce).await;
            let resp = reqwest::Client::new().get(&url).send().await.expect("send");
            let err = read_capped(resp, "credentials URI", "http://127.0.0.1/…")
                .await
                .expect_err("capped");
            assert_eq!(
                err.to_string(),
                "credentials URI sent a malformed response: the response is larger than 1 MiB, alicred's limit for a reply; it stopped reading there"
            );
            // The client stopped reading: the server could not push 400 MB
            // (the rest of the slack is kernel socket buffers).
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let n = sent.load(Ordering::Relaxed);
            assert!(n < 32 * 1024 * 1024, "server sent {n} bytes");
        }
    }

    #[tokio::test]
    async fn small_bodies_pass_whole() {
        let (url, _) = streaming(MAX_BODY, false).await;
        let resp = reqwest::Client::new().get(&url).send().await.expect("send");
        let body = read_capped(resp, "x", "y").await.expect("exactly the cap");
        assert_eq!(body.len(), MAX_BODY);
    }
}
