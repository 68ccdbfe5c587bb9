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

pub fn read(paths: &Paths) -> Option<AgentInfo> {
    let text = std::fs::read_to_string(paths.agent_file()).ok()?;
    serde_json::from_str(&text).ok()
}

/// The agent named by `agent.json`, if its process is alive.
pub fn running_agent(paths: &Paths) -> Option<AgentInfo> {
    read(paths).filter(|i| pid_alive(i.pid))
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

/// Ask the running agent to re-read its token and profiles now (SIGHUP).
/// Returns whether an agent was there to ask.
pub fn notify_reload(paths: &Paths) -> bool {
    let Some(info) = running_agent(paths) else {
        return false;
    };
    #[cfg(unix)]
    {
        let Some(p) = i32::try_from(info.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        rustix::process::kill_process(p, rustix::process::Signal::HUP).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = info;
        false
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
        let me = AgentInfo {
            pid: std::process::id(),
            url_base: "http://127.0.0.1:1".into(),
            started_at: Utc::now(),
        };
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
}
