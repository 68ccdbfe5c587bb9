//! A one-shot local redirect: `http://127.0.0.1:PORT/<128-bit token>` that
//! answers `302` to a target URL exactly once, for the user's own
//! connections only, and then closes. It keeps a URL that must not be seen
//! by other users (a console sign-in link, an OAuth authorization URL with
//! its `state`) off the browser's command line, which every local user can
//! read in `/proc/*/cmdline`: the browser is handed this local URL instead.
//!
//! Rules (docs/security.md, "Listeners"):
//! - a connection whose client socket is not our uid's gets `403` at once,
//!   before its request is read, and is otherwise ignored;
//! - connections are served concurrently, each must send its request head
//!   within [`HEAD_DEADLINE`], so an idle socket blocks nobody;
//! - a wrong path gets `404` and the redirect keeps waiting; after the one
//!   answer, or when the TTL runs out, the listener closes;
//! - the target is computed only when the right request arrives
//!   (`make_target`), so a link that is never opened is never minted.

use super::guard::host_allowed;
use super::owner;
use crate::sensitive::Sensitive;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

/// How long a connection may take to send its request head.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(2);
/// A request head larger than this is not a browser's GET.
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once, per kind: other users' cannot use up ours.
const MAX_OWN: usize = 32;
const MAX_FOREIGN: usize = 32;

/// How a one-shot redirect ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The redirect was answered (once).
    Served,
    /// Nobody asked for it in time.
    Expired,
    /// The right request came, but the target could not be made (the reason,
    /// as `make_target` gave it), or the listener failed.
    Failed(String),
}

type Target = Pin<Box<dyn Future<Output = Result<Sensitive, String>> + Send>>;
type MakeTarget = Box<dyn FnOnce() -> Target + Send>;

/// A running one-shot redirect. Dropping it closes the listener.
pub struct OneShot {
    url: Sensitive,
    outcome: watch::Receiver<Option<Outcome>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for OneShot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneShot").finish_non_exhaustive()
    }
}

impl OneShot {
    /// Listen on `127.0.0.1:0` for up to `ttl`. `make_target` runs when the
    /// user's own browser first asks for [`OneShot::url`], and returns the
    /// URL to redirect to, or a one-line reason shown to the user. Must be
    /// called within a Tokio runtime.
    pub fn start<F, Fut>(ttl: Duration, make_target: F) -> io::Result<OneShot>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Sensitive, String>> + Send + 'static,
    {
        let rt = tokio::runtime::Handle::try_current()
            .map_err(|e| io::Error::other(format!("no async runtime: {e}")))?;
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let _guard = rt.enter();
        let listener = TcpListener::from_std(std_listener)?;
        let local = listener.local_addr()?;
        let token = super::token::generate();
        let url = Sensitive::new(format!("http://{local}/{}", token.expose()));
        let make: MakeTarget = Box::new(move || Box::pin(make_target()) as Target);
        let (tx, rx) = watch::channel(None);
        let task = rt.spawn(async move {
            let outcome = run(listener, local, token, make, ttl).await;
            let _ = tx.send(Some(outcome));
        });
        Ok(OneShot {
            url,
            outcome: rx,
            task,
        })
    }

    /// The local URL to open. A capability itself: never log it.
    pub fn url(&self) -> Sensitive {
        self.url.clone()
    }

    /// Wait until the redirect was served, expired, or failed.
    pub async fn finished(&mut self) -> Outcome {
        match self.outcome.wait_for(Option::is_some).await {
            Ok(o) => o.clone().unwrap_or(Outcome::Expired),
            Err(_) => Outcome::Failed("the local redirect stopped".into()),
        }
    }
}

impl Drop for OneShot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the connection tasks share.
struct Shared {
    token: Sensitive,
    make: Mutex<Option<MakeTarget>>,
    done: watch::Sender<Option<Outcome>>,
}

/// Serve until answered once or expired; the port is closed on return.
async fn run(
    listener: TcpListener,
    local: SocketAddr,
    token: Sensitive,
    make: MakeTarget,
    ttl: Duration,
) -> Outcome {
    let shared = Arc::new(Shared {
        token,
        make: Mutex::new(Some(make)),
        done: watch::channel(None).0,
    });
    let own = Arc::new(Semaphore::new(MAX_OWN));
    let foreign = Arc::new(Semaphore::new(MAX_FOREIGN));
    let mut finished = shared.done.subscribe();
    let deadline = tokio::time::sleep(ttl);
    tokio::pin!(deadline);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                // EMFILE and friends: the TTL still ends it.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            // (The watch guard must not live across an await.)
            _ = async { finished.wait_for(Option::is_some).await.map(|_| ()) } => break,
            _ = &mut deadline => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        if owner::is_own_user(local, peer) {
            let Ok(permit) = own.clone().try_acquire_owned() else {
                continue;
            };
            let shared = shared.clone();
            conns.spawn(async move {
                let _permit = permit;
                serve_own(stream, &shared).await;
            });
        } else {
            tracing::warn!(
                "local redirect: refused a connection from {peer}: it is not this user's"
            );
            let Ok(permit) = foreign.clone().try_acquire_owned() else {
                continue;
            };
            conns.spawn(async move {
                let _permit = permit;
                refuse_foreign(stream).await;
            });
        }
    }
    // The port closes here; connections still open end with the JoinSet.
    drop(listener);
    let outcome = shared.done.borrow().clone();
    outcome.unwrap_or(Outcome::Expired)
}

/// Another user's connection: 403 before anything of its request is read.
/// Its head is then drained briefly, so closing does not reset the
/// connection before the client has read the answer.
async fn refuse_foreign(mut s: TcpStream) {
    let body = "this link belongs to another user\n";
    let _ = s
        .write_all(response("403 Forbidden", &[], body).as_bytes())
        .await;
    let _ = tokio::time::timeout(HEAD_DEADLINE, read_head(&mut s)).await;
    let _ = s.shutdown().await;
}

async fn serve_own(mut s: TcpStream, shared: &Shared) {
    let head = match tokio::time::timeout(HEAD_DEADLINE, read_head(&mut s)).await {
        Ok(Some(h)) => h,
        Ok(None) => {
            let r = response("400 Bad Request", &[], "bad request\n");
            let _ = s.write_all(r.as_bytes()).await;
            return;
        }
        Err(_) => return, // idle: just close
    };
    let (answer, outcome) = answer(&head, shared).await;
    let _ = s.write_all(answer.expose().as_bytes()).await;
    let _ = s.shutdown().await;
    // Only now, with the answer written: the caller may drop us at once.
    if let Some(outcome) = outcome {
        shared
            .done
            .send_if_modified(|o| o.is_none().then(|| *o = Some(outcome)).is_some());
    }
}

/// The response to one request head from our own user, and the outcome if
/// this was the request the redirect waited for.
async fn answer(head: &str, shared: &Shared) -> (Sensitive, Option<Outcome>) {
    let plain = |status: &str, body: &str| (Sensitive::new(response(status, &[], body)), None);
    let mut lines = head.split("\r\n");
    let mut request = lines.next().unwrap_or("").split(' ');
    let (method, path) = (request.next().unwrap_or(""), request.next().unwrap_or(""));
    let host = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.trim());
    if !host.is_some_and(|h| host_allowed(h, false)) {
        return plain("403 Forbidden", "wrong host\n");
    }
    let asked = Sensitive::new(path.strip_prefix('/').unwrap_or(""));
    if method != "GET" || asked != shared.token {
        return plain("404 Not Found", "not found\n");
    }
    let Some(make) = shared.make.lock().ok().and_then(|mut m| m.take()) else {
        return plain("410 Gone", "this link was already used\n");
    };
    let failed = |why: String| {
        let body = format!("alicred could not open this: {why}\n");
        (
            Sensitive::new(response("502 Bad Gateway", &[], &body)),
            Some(Outcome::Failed(why)),
        )
    };
    match make().await {
        Ok(target) if valid_location(target.expose()) => (
            Sensitive::new(response("302 Found", &[("Location", target.expose())], "")),
            Some(Outcome::Served),
        ),
        Ok(_) => failed("the link to open is not a valid http(s) URL".into()),
        Err(why) => failed(one_line(&why)),
    }
}

/// Only absolute http(s) URLs with nothing that could end a header line.
fn valid_location(u: &str) -> bool {
    !u.bytes().any(|b| b.is_ascii_control())
        && url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}

fn response(status: &str, extra: &[(&str, &str)], body: &str) -> String {
    let mut r = format!(
        "HTTP/1.1 {status}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         X-Content-Type-Options: nosniff\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

/// Read up to the end of the request head; `None` if it is too long, not
/// text, or the connection ends first.
async fn read_head(s: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            return String::from_utf8(buf).ok();
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str, path_override: Option<&str>) -> String {
        let u = url::Url::parse(url).expect("url");
        let addr = u.socket_addrs(|| None).expect("addr")[0];
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let path = path_override.unwrap_or(u.path());
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        s.write_all(req.as_bytes()).await.expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        out
    }

    #[tokio::test]
    async fn redirects_once_then_closes() {
        let mut o = OneShot::start(Duration::from_secs(60), || async {
            Ok(Sensitive::new("https://signin.example/?state=s3cret"))
        })
        .expect("start");
        let url = o.url();
        let stray = get(url.expose(), Some("/favicon.ico")).await;
        assert!(stray.starts_with("HTTP/1.1 404"), "{stray}");
        let r = get(url.expose(), None).await;
        assert!(r.starts_with("HTTP/1.1 302 Found\r\n"), "{r}");
        assert!(r.contains("\r\nLocation: https://signin.example/?state=s3cret\r\n"));
        assert!(r.contains("\r\nCache-Control: no-store\r\n"));
        assert!(r.contains("\r\nReferrer-Policy: no-referrer\r\n"));
        assert_eq!(o.finished().await, Outcome::Served);
        // Closed: nobody gets it twice.
        let u = url::Url::parse(url.expose()).expect("url");
        let addr = u.socket_addrs(|| None).expect("addr")[0];
        assert!(TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn an_idle_connection_blocks_nobody_and_the_target_is_lazy() {
        let made = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let m = made.clone();
        let mut o = OneShot::start(Duration::from_secs(60), move || async move {
            m.store(true, std::sync::atomic::Ordering::SeqCst);
            Err::<Sensitive, _>("the portal refused\nthe request".to_string())
        })
        .expect("start");
        let url = o.url();
        let u = url::Url::parse(url.expose()).expect("url");
        let addr = u.socket_addrs(|| None).expect("addr")[0];
        let _idle = TcpStream::connect(addr).await.expect("idle");
        assert!(!made.load(std::sync::atomic::Ordering::SeqCst));
        let r = get(url.expose(), None).await;
        assert!(r.starts_with("HTTP/1.1 502"), "{r}");
        assert_eq!(
            o.finished().await,
            Outcome::Failed("the portal refused the request".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn expires_after_its_ttl_closes_its_port_and_never_mints() {
        let made = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let m = made.clone();
        let start = tokio::time::Instant::now();
        let mut o = OneShot::start(Duration::from_secs(60), move || async move {
            m.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(Sensitive::new("https://x.example/"))
        })
        .expect("start");
        let url = o.url();
        let addr = url
            .expose()
            .strip_prefix("http://")
            .and_then(|r| r.split('/').next())
            .expect("host:port")
            .to_string();
        assert_eq!(o.finished().await, Outcome::Expired);
        // Not a moment early (the paused clock only moves to the deadline).
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        assert!(
            !made.load(std::sync::atomic::Ordering::SeqCst),
            "minted unopened"
        );
        // The port is closed: a late click finds nothing to answer it.
        tokio::task::yield_now().await;
        assert!(
            TcpStream::connect(&addr).await.is_err(),
            "{addr} still listens"
        );
    }

    #[test]
    fn locations_cannot_break_the_header() {
        assert!(valid_location("https://a.example/?x=1"));
        assert!(!valid_location("https://a.example/\r\nSet-Cookie: x"));
        assert!(!valid_location("javascript:alert(1)"));
        assert!(!valid_location("not a url"));
    }
}
