//! `agent.json`: where the running agent listens (no token: that stays in
//! the keyring), so `alicred endpoint` and `alicred exec` can find it.

use crate::paths::{Paths, write_atomic};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub pid: u32,
    /// `http://127.0.0.1:PORT`
    pub url_base: String,
    pub started_at: DateTime<Utc>,
    /// When the process started, in clock ticks since boot (Linux
    /// `/proc/PID/stat`), so a pid reused by another program is told apart.
    /// Absent in files written by older versions and on other systems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proc_start: Option<u64>,
}

impl AgentInfo {
    /// This process, as the agent about to serve at `url_base`.
    pub fn this_process(url_base: String, started_at: DateTime<Utc>) -> Self {
        let pid = std::process::id();
        Self {
            pid,
            url_base,
            started_at,
            proc_start: process_start(pid),
        }
    }
}

/// Write atomically, mode 0600.
pub fn write(paths: &Paths, info: &AgentInfo) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(info).map_err(std::io::Error::other)?;
    write_atomic(&paths.agent_file(), &text)
}

/// Remove the file if it still names `pid` (a newer agent may have replaced it).
pub fn remove(paths: &Paths, pid: u32) {
    if read(paths).is_some_and(|i| i.pid == pid) {
        let _ = std::fs::remove_file(paths.agent_file());
    }
}

/// A start that failed because another user held the endpoint's port
/// (see [`super::AgentError::PortHeldByOtherUser`]): remembered until a
/// start succeeds, which then rotates the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortTaken {
    pub port: u16,
    pub uid: u32,
}

fn port_taken_file(paths: &Paths) -> std::path::PathBuf {
    paths.base().join("endpoint-port-taken.json")
}

/// Best effort: if it cannot be written, the error the user sees still says
/// that URLs may have leaked.
pub fn mark_port_taken(paths: &Paths, port: u16, uid: u32) {
    if let Ok(text) = serde_json::to_vec(&PortTaken { port, uid })
        && let Err(e) = write_atomic(&port_taken_file(paths), &text)
    {
        tracing::warn!("cannot remember that another user held port {port}: {e}");
    }
}

/// The mark, if a start failed that way since the last success. A file we
/// cannot parse counts as a mark: rotating once too often is harmless.
pub fn port_taken_mark(paths: &Paths) -> Option<PortTaken> {
    let text = std::fs::read(port_taken_file(paths)).ok()?;
    Some(serde_json::from_slice(&text).unwrap_or(PortTaken { port: 0, uid: 0 }))
}

pub fn clear_port_taken(paths: &Paths) {
    let _ = std::fs::remove_file(port_taken_file(paths));
}

pub fn read(paths: &Paths) -> Option<AgentInfo> {
    let text = std::fs::read_to_string(paths.agent_file()).ok()?;
    serde_json::from_str(&text).ok()
}

/// The agent named by `agent.json`, if that very process still runs (not
/// merely some process that got its pid since).
pub fn running_agent(paths: &Paths) -> Option<AgentInfo> {
    read(paths).filter(is_that_agent)
}

/// Is `info.pid` alive and still the agent that wrote `info`? On Linux: its
/// start time matches the one recorded, or (files without one) its program
/// is alicred. Elsewhere: alive.
pub fn is_that_agent(info: &AgentInfo) -> bool {
    if !pid_alive(info.pid) {
        return false;
    }
    if !cfg!(target_os = "linux") {
        return true;
    }
    match info.proc_start {
        Some(recorded) => process_start(info.pid) == Some(recorded),
        None => program_is_alicred(info.pid),
    }
}

/// The start time of `pid` in clock ticks since boot: field 22 of
/// `/proc/PID/stat`, counted after the `(comm)` field, which may hold spaces.
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after_comm) = stat.rsplit_once(')')?;
    // after ")": field 3 (state) onwards, so field 22 is the 20th.
    after_comm.split_whitespace().nth(19)?.parse().ok()
}

/// Is the program running as `pid` an alicred binary (the CLI or the app)?
fn program_is_alicred(pid: u32) -> bool {
    let named = |p: &std::path::Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("alicred"))
    };
    if let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) {
        return named(&exe);
    }
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .ok()
        .and_then(|c| {
            let argv0 = c.split(|b| *b == 0).next()?.to_vec();
            String::from_utf8(argv0).ok()
        })
        .is_some_and(|a| named(std::path::Path::new(&a)))
}

pub fn pid_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Some(p) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        match rustix::process::test_kill_process(p) {
            Ok(()) => true,
            Err(e) => e == rustix::io::Errno::PERM,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// What [`notify_reload`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notified {
    /// The agent was sent SIGHUP.
    Agent(AgentInfo),
    /// No agent file, or its process is gone.
    NoAgent,
    /// `agent.json` names a live process that is not that agent (its pid was
    /// reused): nothing was signalled.
    Stale { pid: u32 },
    /// The agent is there but could not be signalled (or not on this system).
    Failed { pid: u32, reason: String },
}

/// Ask the running agent to re-read its token and profiles now (SIGHUP),
/// after checking that the pid in `agent.json` still is that agent.
pub fn notify_reload(paths: &Paths) -> Notified {
    let Some(info) = read(paths) else {
        return Notified::NoAgent;
    };
    if !pid_alive(info.pid) {
        return Notified::NoAgent;
    }
    if !is_that_agent(&info) {
        return Notified::Stale { pid: info.pid };
    }
    #[cfg(unix)]
    {
        let Some(p) = i32::try_from(info.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return Notified::NoAgent;
        };
        match rustix::process::kill_process(p, rustix::process::Signal::HUP) {
            Ok(()) => Notified::Agent(info),
            Err(e) => Notified::Failed {
                pid: info.pid,
                reason: e.to_string(),
            },
        }
    }
    #[cfg(not(unix))]
    {
        Notified::Failed {
            pid: info.pid,
            reason: "signals are not supported on this system".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_liveness() {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::new(dir.path());
        assert_eq!(running_agent(&paths), None);
        let me = AgentInfo::this_process("http://127.0.0.1:1".into(), Utc::now());
        write(&paths, &me).expect("write");
        assert_eq!(running_agent(&paths), Some(me.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(paths.agent_file())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let dead = AgentInfo {
            pid: 999_999_999,
            ..me.clone()
        };
        write(&paths, &dead).expect("write");
        assert_eq!(running_agent(&paths), None);
        remove(&paths, me.pid);
        assert!(read(&paths).is_some(), "not ours: kept");
        remove(&paths, dead.pid);
        assert!(read(&paths).is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_reused_pid_is_not_signalled() {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::new(dir.path());
        let mut sleeper = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .expect("sleep");
        // A file that once named an agent whose pid `sleep` now has: the
        // recorded start time differs…
        let mut stale = AgentInfo::this_process("http://127.0.0.1:1".into(), Utc::now());
        stale.pid = sleeper.id();
        stale.proc_start = process_start(sleeper.id()).map(|t| t.wrapping_sub(1));
        write(&paths, &stale).expect("write");
        assert_eq!(running_agent(&paths), None);
        assert_eq!(notify_reload(&paths), Notified::Stale { pid: sleeper.id() });
        // …or an older file without one: `sleep` is not alicred.
        stale.proc_start = None;
        write(&paths, &stale).expect("write");
        assert_eq!(notify_reload(&paths), Notified::Stale { pid: sleeper.id() });
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(
            sleeper.try_wait().expect("wait").is_none(),
            "sleep must still run"
        );
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        // and the real one is recognised by its start time
        let me = AgentInfo::this_process("http://127.0.0.1:1".into(), Utc::now());
        assert!(me.proc_start.is_some());
        assert!(is_that_agent(&me));
    }
}
