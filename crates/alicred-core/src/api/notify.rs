//! Desktop notifications: what deserves one, de-duplicated, decided here.
//!
//! [`Notifier::decide`] is a pure function of engine events (their kind and
//! structured data, never their text) and their time, so the rules are
//! table-tested; the API turns its notes into [`super::Event::Notification`]
//! and the tray only shows them.

use super::Request;
use crate::engine::{Event, EventData, RotationOutcome, SignInView};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Note {
    pub summary: String,
    pub body: String,
    pub critical: bool,
    /// The note's one button, if any.
    pub action: Option<NoteAction>,
}

/// A button on a note: its label, and the request a click sends.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct NoteAction {
    /// Stable id for the notification server ("sign-in", "rotate").
    pub id: String,
    pub label: String,
    pub request: Request,
}

/// The action id of a "Sign in" button.
pub const ACTION_SIGN_IN: &str = "sign-in";

impl Note {
    /// A one-off error (a failed menu click, a sign-in started from the tray).
    pub fn error(message: &str) -> Self {
        Self {
            summary: "alicred".into(),
            body: message.to_string(),
            critical: false,
            action: None,
        }
    }
}

/// A "Sign in" button for a profile or a session.
pub(crate) fn sign_in_action(profile: Option<String>, session: Option<String>) -> NoteAction {
    NoteAction {
        id: ACTION_SIGN_IN.into(),
        label: "Sign in".into(),
        request: Request::StartSignIn { profile, session },
    }
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
        self.decide_with(ev, None)
    }

    /// Whether some profile's "needs you" was told and not yet recovered
    /// (only then does a refresh's sign-in matter to [`Notifier::decide_with`]).
    pub fn waits_on_user(&self) -> bool {
        !self.needs_user.is_empty()
    }

    /// As [`Notifier::decide`], knowing the sign-in behind the event's
    /// profile (its status's `sign_in`): a profile that needs a sign-in gets
    /// a "Sign in" action, and a CloudSSO session's profiles make one note
    /// for the session, not one each.
    pub fn decide_with(&mut self, ev: &Event, sign_in: Option<&SignInView>) -> Option<Note> {
        let profile = ev.profile.clone().unwrap_or_default();
        let session = sign_in.and_then(|v| v.session.clone());
        match &ev.data {
            EventData::Refreshed { .. } => {
                let recovered = self.failing.remove(&profile);
                self.expiring.remove(&profile);
                self.needs_user.remove(&profile);
                if let Some(s) = &session {
                    self.needs_user.remove(&session_key(s));
                }
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
            EventData::NeedsUser { why } => match (sign_in, session) {
                (Some(_), Some(s)) => self.needs_user.insert(session_key(&s)).then(|| Note {
                    summary: format!("alicred: CloudSSO session {s} needs a sign-in"),
                    body: why.clone(),
                    critical: true,
                    action: Some(sign_in_action(None, Some(s.clone()))),
                }),
                (Some(_), None) => self.needs_user.insert(profile.clone()).then(|| Note {
                    summary: format!("alicred: {profile} needs a sign-in"),
                    body: why.clone(),
                    critical: true,
                    action: Some(sign_in_action(Some(profile.clone()), None)),
                }),
                (None, _) => self.needs_user.insert(profile.clone()).then(|| Note {
                    summary: format!("alicred: {profile} needs you"),
                    body: why.clone(),
                    critical: true,
                    action: None,
                }),
            },
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
                    action: Some(NoteAction {
                        id: "rotate".into(),
                        label: "Rotate now".into(),
                        request: Request::OpenDashboard,
                    }),
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

/// The de-duplication key of a CloudSSO session (profile names cannot hold ':').
fn session_key(session: &str) -> String {
    format!("session:{session}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EventKind;
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
    type Said = Option<(String, bool, Option<String>)>;

    fn run(events: &[Event]) -> Vec<Said> {
        let mut n = Notifier::default();
        events
            .iter()
            .map(|e| {
                n.decide(e)
                    .map(|note| (note.summary, note.critical, note.action.map(|a| a.id)))
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
            Some("rotate".to_string()),
        ));
        assert_eq!(got, vec![rotate.clone(), None, rotate]);
    }

    fn view(session: Option<&str>) -> SignInView {
        SignInView {
            kind: if session.is_some() {
                crate::profile::ProfileType::CloudSso
            } else {
                crate::profile::ProfileType::Oauth
            },
            session: session.map(str::to_string),
            account_id: None,
            account_name: None,
            access_config_id: None,
            access_config_name: None,
            expires_at: None,
            signed_in: false,
        }
    }

    #[test]
    fn a_sign_in_is_asked_once_per_session_with_a_sign_in_action() {
        let needs = || EventData::NeedsUser {
            why: "sign in".into(),
        };
        let corp = view(Some("corp"));
        let oauth = view(None);
        let mut n = Notifier::default();
        let mut say = |e: Event, v: Option<&SignInView>| {
            n.decide_with(&e, v).map(|note| {
                let a = note.action.map(|a| (a.id, a.request));
                (note.summary, a)
            })
        };
        let sign_in = |profile: Option<&str>, session: Option<&str>| {
            Some((
                ACTION_SIGN_IN.to_string(),
                Request::StartSignIn {
                    profile: profile.map(str::to_string),
                    session: session.map(str::to_string),
                },
            ))
        };
        let sso_note = Some((
            "alicred: CloudSSO session corp needs a sign-in".to_string(),
            sign_in(None, Some("corp")),
        ));
        // (event, the profile's sign-in, what is said)
        let table = vec![
            (
                ev(1, "corp-a-Admin", needs(), "x"),
                Some(&corp),
                sso_note.clone(),
            ),
            (ev(2, "corp-a-Ro", needs(), "x"), Some(&corp), None),
            (ev(3, "corp-a-Admin", refreshed(), "x"), Some(&corp), None),
            (ev(4, "corp-a-Ro", needs(), "again"), Some(&corp), sso_note),
            (
                ev(5, "me", needs(), "x"),
                Some(&oauth),
                Some((
                    "alicred: me needs a sign-in".to_string(),
                    sign_in(Some("me"), None),
                )),
            ),
            (
                ev(6, "tok", needs(), "x"),
                None,
                Some(("alicred: tok needs you".to_string(), None)),
            ),
        ];
        for (i, (e, v, want)) in table.into_iter().enumerate() {
            assert_eq!(say(e, v), want, "row {i}");
        }
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
