//! Which local process is on the other end of a connection (Linux, best
//! effort): client port → socket inode in `/proc/net/tcp{,6}` → the pid
//! holding `socket:[inode]` in `/proc/*/fd` → `/proc/<pid>/exe`.
//!
//! The scan runs on the blocking pool, once per connection, trying recently
//! seen pids first; when too many are queued it is skipped (only counting).

use crate::engine::ConsumerId;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

const RECENT: usize = 16;
const MAX_QUEUED: usize = 8;

#[derive(Debug, Clone)]
pub struct PeerResolver {
    recent: Arc<Mutex<VecDeque<u32>>>,
    slots: Arc<Semaphore>,
}

impl Default for PeerResolver {
    fn default() -> Self {
        Self {
            recent: Arc::new(Mutex::new(VecDeque::new())),
            slots: Arc::new(Semaphore::new(MAX_QUEUED)),
        }
    }
}

impl PeerResolver {
    /// The process that opened the connection from `peer` to our `local`.
    pub async fn resolve(&self, local: SocketAddr, peer: SocketAddr) -> Option<ConsumerId> {
        if !cfg!(target_os = "linux") || !peer.ip().is_loopback() {
            return None;
        }
        let _slot = self.slots.clone().try_acquire_owned().ok()?;
        let hints: Vec<u32> = self
            .recent
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        let found = tokio::task::spawn_blocking(move || lookup(local.port(), peer.port(), &hints))
            .await
            .ok()
            .flatten()?;
        if let Ok(mut r) = self.recent.lock() {
            r.retain(|p| *p != found.pid);
            r.push_front(found.pid);
            r.truncate(RECENT);
        }
        Some(found)
    }
}

/// Blocking: find the client socket whose local port is `client_port` and
/// remote port is `server_port`, then its owner.
pub fn lookup(server_port: u16, client_port: u16, hints: &[u32]) -> Option<ConsumerId> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .find_map(|t| socket_inode(&t, client_port, server_port))?;
    let needle = format!("socket:[{inode}]");
    let me = std::process::id();
    let pid = hints
        .iter()
        .copied()
        .find(|p| holds(*p, &needle))
        .or_else(|| {
            std::fs::read_dir("/proc")
                .ok()?
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .find(|p| holds(*p, &needle))
        })?;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.display().to_string())
        .or_else(|_| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|c| c.trim().to_string())
        })
        .unwrap_or_else(|_| "unknown".into());
    let exe = if pid == me {
        format!("{exe} (this process)")
    } else {
        exe
    };
    Some(ConsumerId { pid, exe })
}

/// The inode of the row with local port `lport` and remote port `rport`.
fn socket_inode(table: &str, lport: u16, rport: u16) -> Option<u64> {
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let port = |s: &str| {
            s.rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
        };
        if port(f.get(1)?)? == lport && port(f.get(2)?)? == rport {
            f.get(9)?.parse().ok().filter(|i| *i != 0)
        } else {
            None
        }
    })
}

fn holds(pid: u32, needle: &str) -> bool {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    dir.filter_map(Result::ok)
        .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.as_os_str() == needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_net_tcp() {
        let t = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:B8A3 0100007F:BAE7 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1\n";
        assert_eq!(socket_inode(t, 0xB8A3, 0xBAE7), Some(123456));
        assert_eq!(socket_inode(t, 0xBAE7, 0xB8A3), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn finds_this_process_over_loopback() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let c = std::net::TcpStream::connect(l.local_addr().expect("addr")).expect("connect");
        let (_s, peer) = l.accept().expect("accept");
        assert_eq!(peer, c.local_addr().expect("local"));
        let who = lookup(l.local_addr().expect("a").port(), peer.port(), &[]).expect("found");
        assert_eq!(who.pid, std::process::id());
        assert!(who.exe.contains("this process"), "{}", who.exe);
    }
}
