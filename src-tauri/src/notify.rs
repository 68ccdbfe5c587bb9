//! Desktop notifications (notify-rust): what deserves one, de-duplicated.
//!
//! [`Notifier::decide`] is a pure function of engine events (their kind and
//! structured data, never their text) so the rules are table-tested;
//! [`show`] hands a note to the desktop's notification server.

use alicred_core::engine::{Event, EventData, RotationOutcome};
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
    pub fn decide(&mut self, ev: &Event) -> Option<Note> {
        let profile = ev.profile.clone().unwrap_or_default();
        match &ev.data {
            EventData::Refreshed { .. } => {
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
            EventData::RefreshFailed { .. } => self.failing.insert(profile.clone()).then(|| Note {
                summary: format!("alicred: refreshing {profile} is failing"),
                body: format!("{} alicred keeps serving the current credentials while they are valid and retries by itself.", ev.message),
                critical: false,
                action: None,
            }),
            EventData::ExpiringSoon {
                refreshes_itself, ..
            } => {
                // Profiles that refresh themselves only warn through the failure path.
                (!refreshes_itself && self.expiring.insert(profile.clone())).then(|| Note {
                    summary: format!("alicred: {profile} expires soon"),
                    body: format!("{} This profile cannot refresh itself: add a new token in the dashboard.", ev.message),
                    critical: true,
                    action: None,
                })
            }
            EventData::NeedsUser { why } => self.needs_user.insert(profile.clone()).then(|| Note {
                summary: format!("alicred: {profile} needs you"),
                body: why.clone(),
                critical: true,
                action: None,
            }),
            EventData::KeyDue { .. } => {
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
            EventData::Rotation { outcome } => {
                let failed = matches!(outcome, RotationOutcome::Failed | RotationOutcome::RolledBack);
                self.seen_rotation.insert(ev.id).then(|| Note {
                    summary: format!(
                        "alicred: rotation of {profile} {}",
                        if failed { "failed" } else { "done" }
                    ),
                    body: ev.message.clone(),
                    critical: failed,
                    action: None,
                })
            }
            EventData::None => None,
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
    use alicred_core::engine::EventKind;
    use chrono::{DateTime, TimeZone, Utc};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("t")
    }

    /// An event as the engine makes it: the kind follows the data.
    fn ev(id: u64, profile: &str, data: EventData, msg: &str) -> Event {
        Event {
            id,
            at: t0() + chrono::Duration::minutes(id as i64),
            profile: Some(profile.into()),
            kind: data.kind().unwrap_or(EventKind::Agent),
            data,
            message: msg.into(),
        }
    }
    fn refreshed() -> EventData {
        EventData::Refreshed {
            expires: None,
            restored: false,
        }
    }
    fn failed() -> EventData {
        EventData::RefreshFailed {
            error: "STS refused: 503".into(),
            transient: true,
            retry_at: t0(),
            serving: true,
        }
    }
    fn expiring(refreshes_itself: bool) -> EventData {
        EventData::ExpiringSoon {
            expires: t0(),
            refreshes_itself,
        }
    }
    fn rotation(outcome: RotationOutcome) -> EventData {
        EventData::Rotation { outcome }
    }
    fn key_due() -> EventData {
        EventData::KeyDue {
            age_days: Some(91),
            max_age_days: 90,
        }
    }

    /// What a sequence of events makes the notifier say: one row per event,
    /// `None` when it stays quiet, else (summary, critical, action).
    type Said = Option<(String, bool, Option<&'static str>)>;

    fn run(events: &[Event]) -> Vec<Said> {
        let mut n = Notifier::default();
        events
            .iter()
            .map(|e| {
                n.decide(e)
                    .map(|note| (note.summary, note.critical, note.action.map(|a| a.0)))
            })
            .collect()
    }

    fn said(summary: &str, critical: bool) -> Said {
        Some((summary.to_string(), critical, None))
    }

    #[test]
    fn notifications_are_a_function_of_structured_events() {
        // Messages are deliberately misleading: only kind and data count.
        let table: Vec<(&str, Vec<Event>, Vec<Said>)> = vec![
            (
                "a failure streak is told once, then the recovery",
                vec![
                    ev(1, "dev", failed(), "done"),
                    ev(2, "dev", failed(), "again"),
                    ev(3, "dev", refreshed(), "fail"),
                    ev(4, "dev", refreshed(), "ok"),
                    ev(5, "dev", failed(), "new streak"),
                ],
                vec![
                    said("alicred: refreshing dev is failing", false),
                    None,
                    said("alicred: dev recovered", false),
                    None,
                    said("alicred: refreshing dev is failing", false),
                ],
            ),
            (
                "expiring soon only for profiles that cannot refresh themselves",
                vec![
                    ev(1, "dev", expiring(true), "in 10 min"),
                    ev(2, "tok", expiring(false), "in 10 min"),
                    ev(3, "tok", expiring(false), "in 5 min"),
                    ev(4, "tok", refreshed(), "new token"),
                    ev(5, "tok", expiring(false), "in 10 min"),
                ],
                vec![
                    None,
                    said("alicred: tok expires soon", true),
                    None,
                    None,
                    said("alicred: tok expires soon", true),
                ],
            ),
            (
                "needs-user once until it recovers",
                vec![
                    ev(
                        1,
                        "p",
                        EventData::NeedsUser {
                            why: "paste a token".into(),
                        },
                        "x",
                    ),
                    ev(
                        2,
                        "p",
                        EventData::NeedsUser {
                            why: "paste a token".into(),
                        },
                        "x",
                    ),
                ],
                vec![said("alicred: p needs you", true), None],
            ),
            (
                "rotation outcomes, whatever the words",
                vec![
                    ev(1, "ak", rotation(RotationOutcome::Rotated), "rolled back?"),
                    ev(2, "ak", rotation(RotationOutcome::RolledBack), "done"),
                    ev(3, "ak", rotation(RotationOutcome::Failed), "complete"),
                    ev(
                        4,
                        "kms",
                        rotation(RotationOutcome::Rotated),
                        "KMS secret rotated",
                    ),
                ],
                vec![
                    said("alicred: rotation of ak done", false),
                    said("alicred: rotation of ak failed", true),
                    said("alicred: rotation of ak failed", true),
                    said("alicred: rotation of kms done", false),
                ],
            ),
            (
                "plain events are quiet, even with alarming words",
                vec![
                    ev(1, "p", EventData::None, "rotation failed; rolled back"),
                    ev(2, "p", EventData::None, "refresh failed"),
                ],
                vec![None, None],
            ),
        ];
        for (what, events, want) in table {
            assert_eq!(run(&events), want, "{what}");
        }
    }

    #[test]
    fn key_due_once_a_day_with_rotate_action() {
        let mut later = ev(3, "ak", key_due(), "tomorrow");
        later.at += chrono::Duration::hours(25);
        let got = run(&[
            ev(1, "ak", key_due(), "key is 91 days old"),
            ev(2, "ak", key_due(), "still"),
            later,
        ]);
        let rotate = Some((
            "alicred: rotate the key of ak".to_string(),
            false,
            Some("rotate"),
        ));
        assert_eq!(got, vec![rotate.clone(), None, rotate]);
    }

    #[test]
    fn the_same_rotation_event_is_told_once() {
        let e = ev(7, "ak", rotation(RotationOutcome::Rotated), "x");
        assert_eq!(run(&[e.clone(), e])[1], None);
    }

    #[test]
    fn failure_body_carries_the_reason() {
        let mut n = Notifier::default();
        let note = n
            .decide(&ev(1, "dev", failed(), "refresh failed: STS refused: 503"))
            .expect("note");
        assert!(note.body.contains("503"), "{}", note.body);
    }
}
