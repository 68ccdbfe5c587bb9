//! The OAuth loopback callback: 127.0.0.1 only, the first free port of 12345–12349
//! (the only redirect URIs the CLI's OAuth application accepts), one request, then closed.

use super::SignInError;
use crate::sensitive::Sensitive;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const CALLBACK_PORTS: std::ops::RangeInclusive<u16> = 12345..=12349;
pub const CALLBACK_PATH: &str = "/cli/callback";
/// A request line and headers; a real browser's fit easily.
const MAX_REQUEST: usize = 16 * 1024;

pub(crate) struct Callback {
    pub listener: TcpListener,
    pub redirect_uri: String,
}

/// Binds the first free port of [`CALLBACK_PORTS`] on 127.0.0.1.
pub(crate) async fn bind() -> Result<Callback, SignInError> {
    for port in CALLBACK_PORTS {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return Ok(Callback {
                listener,
                redirect_uri: format!("http://127.0.0.1:{port}{CALLBACK_PATH}"),
            });
        }
    }
    Err(SignInError::Failed(format!(
        "cannot sign in: all five callback ports 127.0.0.1:{}-{} are in use (another sign-in running?); free one and try again",
        CALLBACK_PORTS.start(),
        CALLBACK_PORTS.end()
    )))
}

/// Waits for the one callback request (at most `wait`), answers it, closes, and returns
/// the authorization code after checking `state`.
pub(crate) async fn receive(
    cb: Callback,
    state: &str,
    wait: Duration,
) -> Result<Sensitive, SignInError> {
    let accepted = tokio::time::timeout(wait, cb.listener.accept()).await;
    drop(cb.listener);
    let (mut stream, _) = match accepted {
        Err(_) => {
            return Err(SignInError::Failed(format!(
                "no answer from the browser within {} minutes; run the sign-in again",
                wait.as_secs() / 60
            )));
        }
        Ok(Err(e)) => return Err(SignInError::Failed(format!("callback failed: {e}"))),
        Ok(Ok(s)) => s,
    };
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    let outcome = match read {
        Ok(Ok(())) => parse(&buf, state),
        _ => Err(SignInError::Failed(
            "the browser's callback request could not be read; run the sign-in again".into(),
        )),
    };
    let (status, text) = match &outcome {
        Ok(_) => (
            "200 OK",
            "Signed in to alicred. You can close this tab.".to_string(),
        ),
        Err(e) => ("400 Bad Request", format!("alicred sign-in failed: {e}")),
    };
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>alicred</title><p>{}</p>",
        html_escape(&text)
    );
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(resp.as_bytes()).await;
    let _ = stream.shutdown().await;
    outcome
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The callback's code, after checking the path, `error` and `state`.
fn parse(request: &[u8], state: &str) -> Result<Sensitive, SignInError> {
    let text = String::from_utf8_lossy(request);
    let line = text.lines().next().unwrap_or_default();
    let target = line.split(' ').nth(1).unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if !line.starts_with("GET ") || path != CALLBACK_PATH {
        return Err(SignInError::Failed(
            "the browser called back on an unexpected path; run the sign-in again".into(),
        ));
    }
    let mut code = None;
    let mut got_state = None;
    let mut error = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => got_state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            _ => {}
        }
    }
    if let Some(e) = error {
        let e: String = e
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(SignInError::Failed(format!(
            "the sign-in was refused in the browser ({e}); nothing was changed"
        )));
    }
    if got_state.as_deref() != Some(state) {
        return Err(SignInError::Failed(
            "the callback's state does not match this sign-in (it was not started here); nothing was changed".into(),
        ));
    }
    match code.filter(|c| !c.is_empty()) {
        Some(c) => Ok(Sensitive::new(c)),
        None => Err(SignInError::Failed(
            "the callback carried no authorization code; run the sign-in again".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_checks() {
        let ok = parse(
            b"GET /cli/callback?code=abc&state=s1 HTTP/1.1\r\n\r\n",
            "s1",
        );
        assert_eq!(
            ok.ok().map(|c| c.expose().to_string()).as_deref(),
            Some("abc")
        );
        let wrong = parse(
            b"GET /cli/callback?code=abc&state=s2 HTTP/1.1\r\n\r\n",
            "s1",
        );
        assert!(wrong.is_err_and(|e| e.to_string().contains("state does not match")));
        let denied = parse(
            b"GET /cli/callback?error=access_denied&state=s1 HTTP/1.1\r\n\r\n",
            "s1",
        );
        assert!(denied.is_err_and(|e| e.to_string().contains("access_denied")));
        let path = parse(b"GET /other?code=abc&state=s1 HTTP/1.1\r\n\r\n", "s1");
        assert!(path.is_err());
    }
}
