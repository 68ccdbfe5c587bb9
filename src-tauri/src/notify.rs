//! Desktop notifications (notify-rust): what deserves one, de-duplicated.
//!
//! [`Notifier::decide`] is pure (events in, notes out) so the rules are
//! unit-tested; [`show`] hands a note to the desktop's notification server.

use alicred_core::engine::{Event, EventKind};
use alicred_core::profile::ProfileType;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub summary: String,
    pub body: String,
    pub critical: bool,
    /// (action id, label) — e.g. ("rotate", "Rotate now").
    pub action: Option<(&'static str, &'static str)>,
}

/// Remembers what was already said, so each problem is told once.
#[derive(Default)]
pub struct Notifier {
    /// Profiles in a failure streak (cleared by a successful refresh).
    failing: HashSet<String>,
    /// Profiles already warned about expiring (cleared by a refresh).
    expiring: HashSet<String>,
    needs_user: HashSet<String>,
    /// Last key-due reminder per profile (once a day).
    key_due: HashMap<String, chrono::DateTime<chrono::Utc>>,
    seen_rotation: HashSet<u64>,
}

impl Notifier {
    /// `type_of` tells the profile's type (to know whether it can refresh).
    pub fn decide(
        &mut self,
        ev: &Event,
        type_of: impl Fn(&str) -> Option<ProfileType>,
    ) -> Option<Note> {
        let profile = ev.profile.clone().unwrap_or_default();
        match ev.kind {
            EventKind::Refreshed => {
                let recovered = self.failing.remove(&profile);
                self.expiring.remove(&profile);
                self.needs_user.remove(&profile);
                recovered.then(|| Note {
                    summary: format!("alicred: {profile} recovered"),
                    body: "Credentials refresh again.".into(),
                    critical: false,
                    action: None,
                })
            }
            EventKind::RefreshFailed => self.failing.insert(profile.clone()).then(|| Note {
                summary: format!("alicred: refreshing {profile} is failing"),
                body: format!("{} alicred keeps serving the current credentials while they are valid and retries by itself.", ev.message),
                critical: false,
                action: None,
            }),
            EventKind::ExpiringSoon => {
                // Types that refresh themselves only warn through the failure path.
                let manual = matches!(type_of(&profile), Some(ProfileType::StsToken) | None);
                (manual && self.expiring.insert(profile.clone())).then(|| Note {
                    summary: format!("alicred: {profile} expires soon"),
                    body: format!("{} This profile cannot refresh itself: add a new token in the dashboard.", ev.message),
                    critical: true,
                    action: None,
                })
            }
            EventKind::NeedsUser => self.needs_user.insert(profile.clone()).then(|| Note {
                summary: format!("alicred: {profile} needs you"),
                body: ev.message.clone(),
                critical: true,
                action: None,
            }),
            EventKind::KeyDue => {
                let last = self.key_due.get(&profile).copied();
                if last.is_some_and(|t| ev.at - t < chrono::Duration::hours(24)) {
                    return None;
                }
                self.key_due.insert(profile.clone(), ev.at);
                Some(Note {
                    summary: format!("alicred: rotate the key of {profile}"),
                    body: ev.message.clone(),
                    critical: false,
                    action: Some(("rotate", "Rotate now")),
                })
            }
            EventKind::Rotation => {
                let m = ev.message.to_lowercase();
                let done = m.contains("done") || m.contains("complete") || m.contains("rotated");
                let failed = m.contains("fail") || m.contains("rolled back");
                ((done || failed) && self.seen_rotation.insert(ev.id)).then(|| Note {
                    summary: format!("alicred: rotation of {profile} {}", if failed { "failed" } else { "done" }),
                    body: ev.message.clone(),
                    critical: failed,
                    action: None,
                })
            }
            _ => None,
        }
    }
}

/// Show a note. Blocking D-Bus: call from a blocking thread. `on_action`
/// runs when the user clicks the note's action (where the server supports it).
pub fn show(note: &Note, on_action: impl FnOnce(&str) + Send + 'static) {
    let mut n = notify_rust::Notification::new();
    n.appname("alicred")
        .summary(&note.summary)
        .body(&note.body)
        .icon("dialog-password");
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.urgency(if note.critical {
            notify_rust::Urgency::Critical
        } else {
            notify_rust::Urgency::Normal
        });
    }
    if let Some((id, label)) = note.action {
        n.action(id, label);
    }
    match n.show() {
        Ok(handle) => {
            if note.action.is_some() {
                #[cfg(all(unix, not(target_os = "macos")))]
                std::thread::spawn(move || handle.wait_for_action(|a| on_action(a)));
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                drop((handle, on_action));
            }
        }
        Err(e) => tracing::warn!("notification not shown: {e}"),
    }
}

/// A one-off error from a tray action.
pub fn show_error(message: &str) {
    let note = Note {
        summary: "alicred".into(),
        body: message.to_string(),
        critical: false,
        action: None,
    };
    std::thread::spawn(move || show(&note, |_| {}));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ev(id: u64, kind: EventKind, profile: &str, msg: &str) -> Event {
        Event {
            id,
            at: Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("t")
                + chrono::Duration::minutes(id as i64),
            profile: Some(profile.into()),
            kind,
            message: msg.into(),
        }
    }
    fn ty(_: &str) -> Option<ProfileType> {
        Some(ProfileType::RamRoleArn)
    }

    #[test]
    fn a_failure_streak_notifies_once_and_recovery_is_told() {
        let mut n = Notifier::default();
        let first = n
            .decide(
                &ev(1, EventKind::RefreshFailed, "dev", "STS refused: 503"),
                ty,
            )
            .expect("note");
        assert!(first.summary.contains("dev"));
        assert!(first.body.contains("503"));
        assert_eq!(
            n.decide(&ev(2, EventKind::RefreshFailed, "dev", "again"), ty),
            None
        );
        let ok = n
            .decide(&ev(3, EventKind::Refreshed, "dev", "ok"), ty)
            .expect("recovered");
        assert!(ok.summary.contains("recovered"));
        assert_eq!(
            n.decide(&ev(4, EventKind::Refreshed, "dev", "ok"), ty),
            None
        );
        assert!(
            n.decide(&ev(5, EventKind::RefreshFailed, "dev", "new streak"), ty)
                .is_some()
        );
    }

    #[test]
    fn expiring_soon_only_for_profiles_that_cannot_refresh() {
        let mut n = Notifier::default();
        assert_eq!(
            n.decide(&ev(1, EventKind::ExpiringSoon, "dev", "in 10 min"), ty),
            None
        );
        let sts = |_: &str| Some(ProfileType::StsToken);
        let note = n
            .decide(&ev(2, EventKind::ExpiringSoon, "tok", "in 10 min"), sts)
            .expect("note");
        assert!(note.critical);
        assert_eq!(
            n.decide(&ev(3, EventKind::ExpiringSoon, "tok", "in 5 min"), sts),
            None
        );
    }

    #[test]
    fn key_due_once_a_day_with_rotate_action() {
        let mut n = Notifier::default();
        let note = n
            .decide(&ev(1, EventKind::KeyDue, "ak", "key is 91 days old"), ty)
            .expect("note");
        assert_eq!(note.action, Some(("rotate", "Rotate now")));
        assert_eq!(n.decide(&ev(2, EventKind::KeyDue, "ak", "still"), ty), None);
        let mut later = ev(3, EventKind::KeyDue, "ak", "tomorrow");
        later.at += chrono::Duration::hours(25);
        assert!(n.decide(&later, ty).is_some());
    }

    #[test]
    fn rotation_done_and_failed_are_told_once() {
        let mut n = Notifier::default();
        assert!(
            n.decide(&ev(1, EventKind::Rotation, "ak", "step: create key"), ty)
                .is_none()
        );
        let done = n
            .decide(
                &ev(
                    2,
                    EventKind::Rotation,
                    "ak",
                    "rotation done: new key LTAI…01",
                ),
                ty,
            )
            .expect("done");
        assert!(done.summary.ends_with("done"));
        assert!(
            n.decide(&ev(2, EventKind::Rotation, "ak", "rotation done"), ty)
                .is_none()
        );
        let failed = n
            .decide(
                &ev(3, EventKind::Rotation, "ak", "rotation failed; rolled back"),
                ty,
            )
            .expect("failed");
        assert!(failed.critical);
    }

    #[test]
    fn handouts_and_state_changes_are_quiet() {
        let mut n = Notifier::default();
        for k in [
            EventKind::Handout,
            EventKind::StateChanged,
            EventKind::ConfigReloaded,
        ] {
            assert!(n.decide(&ev(1, k, "p", "x"), ty).is_none());
        }
    }
}
