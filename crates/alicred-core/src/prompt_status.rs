//! The prompt's status file (`status` in the alicred home; not to be
//! confused with [`crate::engine::status`], the full status the API sends):
//! a small text file the running agent keeps current so that
//! `alicred prompt` can show the active profile and its time left in a shell
//! prompt in well under a millisecond: no keyring, no network, no runtime.
//!
//! It holds no secret: profile names, states and expiry times only (mode
//! 0600 all the same). The agent rewrites it atomically when the engine
//! reports a change (an event on its bus, or a new active profile); it never
//! polls. The format, one record per line, fields separated by one space:
//!
//! ```text
//! alicred-status 1
//! pid 4242
//! active prod-admin
//! p prod-admin fresh 1767225600 0
//! p dev needs-user - 1
//! ```
//!
//! `p NAME STATE EXPIRES SIGN_IN`: STATE is [`ProfileState::kind_str`],
//! EXPIRES the Unix time the served credentials expire (`-`: none or
//! long-term), SIGN_IN `1` when only the user can bring it back.

use crate::engine::{Engine, Event, EventData, ProfileState};
use crate::paths::Paths;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

pub const HEADER: &str = "alicred-status 1";
/// Changes that arrive this close together are written once.
pub const COALESCE: Duration = Duration::from_millis(500);
/// `alicred prompt`'s default `--format`.
pub const DEFAULT_FORMAT: &str = "{profile} {status}";

/// One profile's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub state: String,
    pub expires: Option<i64>,
    pub sign_in: bool,
}

impl Entry {
    pub fn from_state(name: &str, s: &ProfileState) -> Self {
        Entry {
            name: name.to_owned(),
            state: s.kind_str().to_owned(),
            expires: Self::expires_of(s),
            sign_in: matches!(s, ProfileState::NeedsUser { .. }),
        }
    }

    /// When the credentials served in state `s` expire (Unix time).
    fn expires_of(s: &ProfileState) -> Option<i64> {
        match s {
            ProfileState::Fresh { expires }
            | ProfileState::Refreshing { expires }
            | ProfileState::Degraded { expires, .. } => expires.map(|e| e.timestamp()),
            _ => None,
        }
    }
}

/// The whole file's text.
pub fn render(pid: u32, active: Option<&str>, entries: &[Entry]) -> String {
    let mut out = header(pid, active, entries.len());
    for e in entries {
        line(&mut out, &e.name, &e.state, e.expires, e.sign_in);
    }
    out
}

fn header(pid: u32, active: Option<&str>, profiles: usize) -> String {
    let mut out = String::with_capacity(64 + profiles * 48);
    let _ = writeln!(out, "{HEADER}\npid {pid}");
    if let Some(a) = active {
        let _ = writeln!(out, "active {a}");
    }
    out
}

fn line(out: &mut String, name: &str, state: &str, expires: Option<i64>, sign_in: bool) {
    let _ = match expires {
        Some(t) => writeln!(out, "p {name} {state} {t} {}", u8::from(sign_in)),
        None => writeln!(out, "p {name} {state} - {}", u8::from(sign_in)),
    };
}

/// Replace the file atomically (temp file + rename, mode 0600). No fsync: the
/// file is rebuilt on every change, and a reader that finds it damaged
/// prints nothing.
pub fn write(paths: &Paths, text: &str) -> io::Result<()> {
    use std::io::Write;
    let path = paths.status_file();
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("status file has no parent directory"))?;
    Paths::ensure_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".status-")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(text.as_bytes())?;
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// Remove the file if it was written by `pid` (a newer agent may own it).
pub fn remove(paths: &Paths, pid: u32) {
    let path = paths.status_file();
    if std::fs::read_to_string(&path).is_ok_and(|t| parse_pid(&t) == Some(pid)) {
        let _ = std::fs::remove_file(path);
    }
}

fn parse_pid(text: &str) -> Option<u32> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    lines.next()?.strip_prefix("pid ")?.parse().ok()
}

/// What the engine shows now, as the file's text.
pub fn snapshot(engine: &Engine, pid: u32) -> String {
    let mut out = String::new();
    snapshot_into(engine, pid, &mut out, &mut Vec::new());
    out
}

/// [`snapshot`] into `out` (cleared first, its capacity kept: rebuilt with
/// thousands of profiles, ~30 bytes each, it is written straight into the
/// text, with no copy of the profiles and no formatter). `unsettled` gets
/// the names, sorted, of the profiles written without a session in hand
/// (not `fresh` or `refreshing` with an expiry): a refresh of one of those
/// is news for the prompt, see [`spawn_writer`].
fn snapshot_into(engine: &Engine, pid: u32, out: &mut String, unsettled: &mut Vec<String>) {
    out.clear();
    unsettled.clear();
    let active = engine.active();
    out.push_str(HEADER);
    out.push_str("\npid ");
    push_int(out, i64::from(pid));
    out.push('\n');
    if let Some(a) = &active {
        out.push_str("active ");
        out.push_str(a.as_str());
        out.push('\n');
    }
    engine.for_each_state(|name, state| {
        let expires = Entry::expires_of(state);
        let settled = matches!(state, ProfileState::Fresh { .. })
            || matches!(state, ProfileState::Refreshing { expires: Some(_) });
        if !settled {
            // In name order (the profiles file's), so the list stays sorted.
            unsettled.push(name.to_string());
        }
        out.push_str("p ");
        out.push_str(name.as_str());
        out.push(' ');
        out.push_str(state.kind_str());
        out.push(' ');
        match expires {
            Some(t) => push_int(out, t),
            None => out.push('-'),
        }
        let sign_in = matches!(state, ProfileState::NeedsUser { .. });
        out.push_str(if sign_in { " 1\n" } else { " 0\n" });
    });
}

/// Decimal digits of `n`, without going through `fmt`.
fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let mut v = n.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// How often events are gathered while a write waits: the event bus keeps
/// 1,024, so this holds up to 10,000 events a second without losing any.
const GATHER_STEP: Duration = Duration::from_millis(100);

/// Changes that only renew a profile the file already shows with a session
/// wait up to this long, gathered into one write: at 10,000 profiles on
/// short sessions, hundreds of refreshes a second would otherwise rewrite
/// the whole file twice a second. Until it is rewritten the file shows the
/// session before, which ends later than this (a refresh starts with at
/// least a third of the session left), so the prompt shows less time left
/// for a few seconds, never more, and never a profile fresh that is not.
pub const RENEWAL_COALESCE: Duration = Duration::from_secs(5);

/// Does `ev` change nothing the prompt would show but a later expiry: a
/// refresh of a profile the file shows with a session (`unsettled` is the
/// sorted list of those it shows without one)?
fn only_renews(ev: &Event, unsettled: &[String]) -> bool {
    matches!(
        ev.data,
        EventData::Refreshed {
            restored: false,
            ..
        }
    ) && ev
        .profile
        .as_deref()
        .is_some_and(|p| unsettled.binary_search_by(|n| n.as_str().cmp(p)).is_err())
}

/// Keep the file current until `stop` turns true, then remove it. Wakes
/// only on engine events and active-profile changes; bursts (a reload of
/// many profiles) are coalesced into one write, written [`COALESCE`] after
/// the first change; when every change was a renewal ([`only_renews`]),
/// up to [`RENEWAL_COALESCE`] after it.
pub fn spawn_writer(
    paths: Paths,
    engine: Engine,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let pid = std::process::id();
    let mut events = engine.subscribe();
    let mut active = engine.watch_active();
    tokio::spawn(async move {
        let (mut text, mut unsettled) = (String::new(), Vec::new());
        'write: loop {
            snapshot_into(&engine, pid, &mut text, &mut unsettled);
            if let Err(e) = write(&paths, &text) {
                tracing::warn!(
                    "cannot write {}: {e} (`alicred prompt` shows nothing)",
                    paths.status_file().display()
                );
            }
            let mut news = tokio::select! {
                r = events.recv() => match r {
                    Ok(ev) => !only_renews(&ev, &unsettled),
                    Err(broadcast::error::RecvError::Lagged(_)) => true,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                r = active.changed() => if r.is_err() { break } else { true },
                _ = stop.changed() => break,
            };
            let first = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    () = tokio::time::sleep(GATHER_STEP) => {}
                    _ = stop.changed() => break 'write,
                }
                // Everything that arrived meanwhile is in the next snapshot;
                // sorted here in steps, not one wake-up per event, and often
                // enough that the bus's buffer does not overflow (then the
                // file is written, as what was missed is unknown).
                loop {
                    match events.try_recv() {
                        Ok(ev) => news |= !only_renews(&ev, &unsettled),
                        Err(broadcast::error::TryRecvError::Lagged(_)) => news = true,
                        Err(broadcast::error::TryRecvError::Empty) => break,
                        Err(broadcast::error::TryRecvError::Closed) => break 'write,
                    }
                }
                if active.has_changed().unwrap_or(true) {
                    active.borrow_and_update();
                    news = true;
                }
                let waited = first.elapsed();
                if (news && waited >= COALESCE) || waited >= RENEWAL_COALESCE || *stop.borrow() {
                    break;
                }
            }
            if *stop.borrow() {
                break;
            }
        }
        remove(&paths, pid);
    })
}

/// What `alicred prompt` needs from the file: the line of `profile` (else
/// of the active profile), if a live agent wrote it.
pub fn lookup(path: &Path, profile: Option<&str>) -> Option<Entry> {
    let text = std::fs::read_to_string(path).ok()?;
    let pid = parse_pid(&text)?;
    if !crate::server::agent_file::pid_alive(pid) {
        return None;
    }
    let mut wanted = profile.map(str::to_owned);
    for line in text.lines().skip(2) {
        if let Some(a) = line.strip_prefix("active ") {
            wanted.get_or_insert_with(|| a.to_owned());
            continue;
        }
        let Some(rest) = line.strip_prefix("p ") else {
            continue;
        };
        let mut f = rest.split(' ');
        let (Some(name), Some(state), Some(exp), Some(sign_in)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        if wanted.as_deref() != Some(name) {
            continue;
        }
        return Some(Entry {
            name: name.to_owned(),
            state: state.to_owned(),
            expires: exp.parse().ok(),
            sign_in: sign_in == "1",
        });
    }
    None
}

/// The prompt text for one profile at `now`. Placeholders in `format`:
/// `{profile}`, `{left}` (e.g. `42m`; empty without an expiry), `{state}`
/// (fresh, needs-user, …) and `{status}` (`42m`, `⚠ sign in`, `⚠ expired`).
pub fn prompt_text(e: &Entry, now: DateTime<Utc>, format: &str) -> String {
    let left_secs = e.expires.map(|t| t - now.timestamp());
    let lapsed = left_secs.is_some_and(|l| l <= 0);
    let left = match left_secs {
        Some(l) if l > 0 => human_left(l),
        _ => String::new(),
    };
    let status = if e.sign_in {
        "⚠ sign in".to_string()
    } else if e.state == "expired" || lapsed {
        "⚠ expired".to_string()
    } else if e.state == "degraded" {
        format!("{left} ⚠")
    } else {
        left.clone()
    };
    let out = format
        .replace("{profile}", &e.name)
        .replace("{left}", &left)
        .replace("{state}", &e.state)
        .replace("{status}", &status);
    out.trim_end().to_string()
}

/// `42m`, `1h05m`, `2d3h`, `<1m` ([`crate::time_left::compact`]).
pub fn human_left(secs: i64) -> String {
    crate::time_left::compact(secs)
}

/// The whole `alicred prompt`: the text to print (empty: print nothing).
/// `env_profile` is `ALICRED_PROFILE` (set by `alicred exec`).
pub fn prompt(
    paths: &Paths,
    env_profile: Option<&str>,
    format: &str,
    now: DateTime<Utc>,
) -> String {
    let wanted = env_profile.filter(|p| !p.is_empty());
    lookup(&paths.status_file(), wanted)
        .map(|e| prompt_text(&e, now, format))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(state: &str, expires: Option<i64>, sign_in: bool) -> Entry {
        Entry {
            name: "prod-admin".into(),
            state: state.into(),
            expires,
            sign_in,
        }
    }

    #[test]
    fn texts_for_each_state() {
        let now = Utc::now();
        let t = now.timestamp();
        let f = DEFAULT_FORMAT;
        let fresh = entry("fresh", Some(t + 42 * 60 + 30), false);
        assert_eq!(prompt_text(&fresh, now, f), "prod-admin 42m");
        assert_eq!(
            prompt_text(&entry("fresh", None, false), now, f),
            "prod-admin"
        );
        assert_eq!(
            prompt_text(&entry("needs-user", None, true), now, f),
            "prod-admin ⚠ sign in"
        );
        assert_eq!(
            prompt_text(&entry("expired", None, false), now, f),
            "prod-admin ⚠ expired"
        );
        // The file is not rewritten at the second of expiry: the clock decides.
        assert_eq!(
            prompt_text(&entry("fresh", Some(t - 1), false), now, f),
            "prod-admin ⚠ expired"
        );
        assert_eq!(
            prompt_text(&entry("degraded", Some(t + 600), false), now, f),
            "prod-admin 10m ⚠"
        );
        assert_eq!(
            prompt_text(&fresh, now, "[{profile}|{left}|{state}]"),
            "[prod-admin|42m|fresh]"
        );
    }

    #[test]
    fn time_left_reads_well() {
        assert_eq!(human_left(30), "<1m");
        assert_eq!(human_left(59 * 60), "59m");
        assert_eq!(human_left(3600 + 5 * 60), "1h05m");
        assert_eq!(human_left(2 * 86_400 + 3 * 3600), "2d3h");
    }

    #[test]
    fn lookup_finds_the_active_or_the_named_profile_of_a_live_agent() {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::new(dir.path());
        let me = std::process::id();
        let entries = [
            entry("fresh", Some(1_900_000_000), false),
            Entry {
                name: "dev".into(),
                ..entry("needs-user", None, true)
            },
        ];
        write(&paths, &render(me, Some("prod-admin"), &entries)).expect("write");
        let file = paths.status_file();
        assert_eq!(lookup(&file, None), Some(entries[0].clone()));
        assert_eq!(lookup(&file, Some("dev")), Some(entries[1].clone()));
        assert_eq!(lookup(&file, Some("ghost")), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No active profile: nothing, unless one is named.
        write(&paths, &render(me, None, &entries)).expect("write");
        assert_eq!(lookup(&file, None), None);
        assert!(lookup(&file, Some("dev")).is_some());
        // A dead agent's file is ignored, and only its writer removes it.
        write(&paths, &render(999_999_999, Some("prod-admin"), &entries)).expect("write");
        assert_eq!(lookup(&file, None), None);
        remove(&paths, me);
        assert!(file.exists());
        remove(&paths, 999_999_999);
        assert!(!file.exists());
        assert_eq!(lookup(&file, None), None);
        // A damaged file: nothing.
        std::fs::write(&file, "garbage").expect("write");
        assert_eq!(lookup(&file, None), None);
    }
}
