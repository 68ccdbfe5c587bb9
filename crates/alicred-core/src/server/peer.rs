//! Which local process is on the other end of a connection (Linux, best
//! effort, for "used by"): the client socket's inode (the owner check in
//! [`super::owner`] already found it, by netlink) → the pid holding
//! `socket:[inode]` in `/proc/*/fd` → `/proc/<pid>/exe`.
//!
//! Off the response path: it runs on the blocking pool, in the background,
//! once per connection. Recently seen pids are tried first, then the rest
//! newest first (a process that just started and fetched once is among the
//! highest pids). The scan is bounded so that it cannot slow the endpoint
//! under load: at most [`MAX_QUEUED`] at once, and at most about
//! 1/[`DUTY`] of one core's time; connections past that are not attributed
//! (the same clients are seen again on their next connections).

use crate::engine::ConsumerId;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

const RECENT: usize = 16;
const MAX_QUEUED: usize = 2;
/// A scan that took `t` keeps the next one from starting for `(DUTY-1)·t`.
const DUTY: u32 = 50;
const MAX_PAUSE: Duration = Duration::from_millis(500);

#[derive(Debug, Clone)]
pub struct PeerResolver {
    recent: Arc<Mutex<VecDeque<(u32, String)>>>,
    slots: Arc<Semaphore>,
    not_before: Arc<Mutex<Option<Instant>>>,
}

impl Default for PeerResolver {
    fn default() -> Self {
        Self {
            recent: Arc::new(Mutex::new(VecDeque::new())),
            slots: Arc::new(Semaphore::new(MAX_QUEUED)),
            not_before: Arc::new(Mutex::new(None)),
        }
    }
}

impl PeerResolver {
    /// The process holding the client socket `inode`, if found in budget.
    pub async fn resolve(&self, inode: Option<u64>) -> Option<ConsumerId> {
        let inode = inode.filter(|_| cfg!(target_os = "linux"))?;
        let paused = self
            .not_before
            .lock()
            .ok()
            .and_then(|n| *n)
            .is_some_and(|t| Instant::now() < t);
        if paused {
            return None;
        }
        let _slot = self.slots.clone().try_acquire_owned().ok()?;
        let hints: Vec<(u32, String)> = self
            .recent
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default();
        let started = Instant::now();
        let found = tokio::task::spawn_blocking(move || lookup_inode(inode, &hints))
            .await
            .ok()
            .flatten();
        let took = started.elapsed();
        if let Ok(mut n) = self.not_before.lock() {
            *n = Some(Instant::now() + (took * (DUTY - 1)).min(MAX_PAUSE));
        }
        let found = found?;
        if let Ok(mut r) = self.recent.lock() {
            r.retain(|(p, _)| *p != found.pid);
            r.push_front((found.pid, found.exe.clone()));
            r.truncate(RECENT);
        }
        Some(found)
    }
}

/// Blocking: the process holding socket `inode`. `hints` are recently seen
/// (pid, exe): tried first, and their exe is not read again.
pub fn lookup_inode(inode: u64, hints: &[(u32, String)]) -> Option<ConsumerId> {
    let needle = format!("socket:[{inode}]");
    if let Some((pid, exe)) = hints.iter().find(|(p, _)| holds(*p, &needle)) {
        // Same pid, same exe unless it exec'd meanwhile: check cheaply.
        let now = exe_of(*pid);
        if now == *exe {
            return Some(ConsumerId {
                pid: *pid,
                exe: now,
            });
        }
    }
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .collect();
    pids.sort_unstable_by(|a, b| b.cmp(a));
    let pid = pids.into_iter().find(|p| holds(*p, &needle))?;
    Some(ConsumerId {
        pid,
        exe: exe_of(pid),
    })
}

fn exe_of(pid: u32) -> String {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.display().to_string())
        .or_else(|_| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|c| c.trim().to_string())
        })
        .unwrap_or_else(|_| "unknown".into());
    if pid == std::process::id() {
        format!("{exe} (this process)")
    } else {
        exe
    }
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

    #[cfg(target_os = "linux")]
    #[test]
    fn finds_this_process_over_loopback() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let c = std::net::TcpStream::connect(l.local_addr().expect("addr")).expect("connect");
        let (s, peer) = l.accept().expect("accept");
        assert_eq!(peer, c.local_addr().expect("local"));
        let sock = super::super::owner::peer_socket(s.local_addr().expect("l"), peer)
            .expect("client socket");
        let who = lookup_inode(sock.inode, &[]).expect("found");
        assert_eq!(who.pid, std::process::id());
        assert!(who.exe.contains("this process"), "{}", who.exe);
        let again = lookup_inode(sock.inode, &[(who.pid, who.exe.clone())]).expect("hinted");
        assert_eq!(again, who);
    }
}
