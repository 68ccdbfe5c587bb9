//! CloudSSO sign-in reminders as notifications: 15 minutes before a sign-in
//! ends and when it has ended, with a "Sign in" action. The sign-in code
//! decides what is due (`signin::reminders::due_reminders`); here one timer
//! sleeps until the next reminder time and is woken early only when the
//! profiles may have changed. Nothing is due: no timer at all.

use super::notify::{Note, sign_in_action};
use super::{Api, Event};
use crate::profile::ProfileName;
use crate::signin::reminders::{ReminderKind, SignInReminder, due_reminders, next_reminder_at};
use crate::store::config::ProfilesFile;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// What was already told: `(session, kind, sign-in end)`.
pub type Told = HashSet<(ProfileName, ReminderKind, DateTime<Utc>)>;

/// The notification of one reminder.
pub fn note_for(r: &SignInReminder) -> Note {
    let session = &r.session;
    Note {
        summary: match r.kind {
            ReminderKind::ExpiresSoon => format!("alicred: sign-in of {session} ends soon"),
            ReminderKind::Expired => format!("alicred: sign-in of {session} has ended"),
        },
        body: r.message.clone(),
        critical: r.kind == ReminderKind::Expired,
        action: Some(sign_in_action(None, Some(session.to_string()))),
    }
}

/// One step of the reminder loop: the notes due at `now`, and when to look
/// again (`None`: only when woken).
pub fn step(
    profiles: &ProfilesFile,
    now: DateTime<Utc>,
    told: &mut Told,
) -> (Vec<(ProfileName, Note)>, Option<DateTime<Utc>>) {
    let notes = due_reminders(profiles, now, told)
        .into_iter()
        .map(|r| (r.session.clone(), note_for(&r)))
        .collect();
    (notes, next_reminder_at(profiles, now))
}

/// The reminder loop: reads the engine's copy of the profiles (no file read),
/// announces what is due, sleeps until the next reminder or a recheck.
pub(crate) fn spawn(api: Api) {
    tokio::spawn(async move {
        let mut told = Told::new();
        loop {
            let profiles = api.engine().profiles();
            let (notes, next) = step(&profiles, Utc::now(), &mut told);
            for (_, note) in notes {
                api.emit(Event::Notification { note });
            }
            let due = async {
                match next.and_then(|t| (t - Utc::now()).to_std().ok()) {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = api.inner.reminders_wanted.notified() => {}
                () = due => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::notify::ACTION_SIGN_IN;
    use crate::profile::ProfileKind;
    use crate::profile::{CloudSsoProfile, Profile};
    use crate::signin::reminders::REMIND_BEFORE;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("t")
    }

    /// Two sessions: `corp` (two profiles) and `lab`, ending at the given times.
    fn file(corp: Option<DateTime<Utc>>, lab: Option<DateTime<Utc>>) -> ProfilesFile {
        let mut f = ProfilesFile::default();
        for (n, session, end) in [
            ("corp-a-Admin", "corp", corp),
            ("corp-a-Ro", "corp", corp),
            ("lab-b-Dev", "lab", lab),
        ] {
            let name: ProfileName = n.parse().expect("name");
            f.profiles.insert(
                name.clone(),
                Profile::new(
                    name,
                    ProfileKind::CloudSso(CloudSsoProfile {
                        sso_session: session.parse().expect("name"),
                        sign_in_url: "https://signin.example/d-1/login".parse().expect("url"),
                        account_id: "1234567890123456".into(),
                        access_config: "ac-1".into(),
                        account_name: None,
                        access_config_name: None,
                        sign_in_expires: end,
                        endpoints: Default::default(),
                    }),
                ),
            );
        }
        f
    }

    /// (summary, critical, action) of what one step says, and the next wake-up.
    type Said = (Vec<(String, bool, Option<String>)>, Option<DateTime<Utc>>);

    fn said(f: &ProfilesFile, now: DateTime<Utc>, told: &mut Told) -> Said {
        let (notes, next) = step(f, now, told);
        (
            notes
                .into_iter()
                .map(|(_, n)| (n.summary, n.critical, n.action.map(|a| a.id)))
                .collect(),
            next,
        )
    }

    #[test]
    fn reminders_come_before_and_at_the_end_and_the_timer_sleeps_until_then() {
        let end = t0() + Duration::hours(8);
        let soon = |s: &str| {
            (
                format!("alicred: sign-in of {s} ends soon"),
                false,
                Some(ACTION_SIGN_IN.to_string()),
            )
        };
        let gone = |s: &str| {
            (
                format!("alicred: sign-in of {s} has ended"),
                true,
                Some(ACTION_SIGN_IN.to_string()),
            )
        };
        let f = file(Some(end), Some(end + Duration::hours(1)));
        // (what, profiles, now, want notes, want next wake-up)
        type Row = (&'static str, ProfilesFile, DateTime<Utc>, Said);
        let table: Vec<Row> = vec![
            (
                "8 h left: quiet, wake 15 min before the first end",
                f.clone(),
                t0(),
                (vec![], Some(end - REMIND_BEFORE)),
            ),
            (
                "15 min before: once per session, next the end",
                f.clone(),
                end - REMIND_BEFORE,
                (vec![soon("corp")], Some(end)),
            ),
            (
                "woken early (a refresh): nothing new",
                f.clone(),
                end - Duration::minutes(5),
                (vec![], Some(end)),
            ),
            (
                "ended: told, next the other session",
                f.clone(),
                end,
                (vec![gone("corp")], Some(end + Duration::minutes(45))),
            ),
            (
                "past every end (slept through lab's 15 min): only the end, no timer",
                f.clone(),
                end + Duration::hours(2),
                (vec![gone("lab")], None),
            ),
            (
                "no CloudSSO sign-in: no timer",
                file(None, None),
                t0(),
                (vec![], None),
            ),
        ];
        let mut told = Told::new();
        for (what, f, now, want) in table {
            assert_eq!(said(&f, now, &mut told), want, "{what}");
        }
        // A new sign-in is a new end: reminded again, and the timer follows it.
        let later = end + Duration::hours(8);
        let f = file(Some(later), None);
        assert_eq!(
            said(&f, end + Duration::hours(2), &mut told),
            (vec![], Some(later - REMIND_BEFORE))
        );
        assert_eq!(
            said(&f, later - Duration::minutes(10), &mut told).0,
            vec![soon("corp")]
        );
    }

    #[test]
    fn an_app_started_after_the_end_says_so_once() {
        let end = t0();
        let f = file(Some(end), None);
        let mut told = Told::new();
        let (notes, next) = step(&f, end + Duration::hours(3), &mut told);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].0.as_str(), "corp");
        assert!(notes[0].1.body.contains("has ended"), "{}", notes[0].1.body);
        assert_eq!(next, None);
        assert!(step(&f, end + Duration::hours(4), &mut told).0.is_empty());
    }
}
