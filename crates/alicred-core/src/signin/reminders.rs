//! When to remind the user of a CloudSSO sign-in: 15 minutes before it ends, and when
//! it has ended (the desktop shows these as notifications with a "Sign in" action).
//! Decided here from the profiles file alone (the sign-in's end is not a secret).

use crate::profile::{ProfileKind, ProfileName};
use crate::store::config::ProfilesFile;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// How long before a sign-in ends the first reminder comes.
pub const REMIND_BEFORE: Duration = Duration::minutes(15);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReminderKind {
    ExpiresSoon,
    Expired,
}

/// One reminder about one CloudSSO session.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SignInReminder {
    pub session: ProfileName,
    pub kind: ReminderKind,
    pub expires_at: DateTime<Utc>,
    /// What the user reads.
    pub message: String,
    /// The command that signs in again (the app's action does the same).
    pub command: String,
}

/// The reminders due at `now`, one per session and kind; `told` holds the
/// `(session, kind, expires_at)` already shown, so a reminder comes once per sign-in.
pub fn due_reminders(
    profiles: &ProfilesFile,
    now: DateTime<Utc>,
    told: &mut std::collections::HashSet<(ProfileName, ReminderKind, DateTime<Utc>)>,
) -> Vec<SignInReminder> {
    let mut sessions: BTreeMap<ProfileName, DateTime<Utc>> = BTreeMap::new();
    for p in profiles.profiles.values() {
        if let ProfileKind::CloudSso(c) = &p.kind
            && let Some(e) = c.sign_in_expires
        {
            sessions.insert(c.sso_session.clone(), e);
        }
    }
    let mut out = Vec::new();
    for (session, expires_at) in sessions {
        let kind = if expires_at <= now {
            ReminderKind::Expired
        } else if expires_at - now <= REMIND_BEFORE {
            ReminderKind::ExpiresSoon
        } else {
            continue;
        };
        if !told.insert((session.clone(), kind, expires_at)) {
            continue;
        }
        let command = super::tokens::sso_login_command(&session);
        let message = match kind {
            ReminderKind::ExpiresSoon => format!(
                "The CloudSSO sign-in of session {session} ends in {} min; sign in again to keep its profiles working.",
                (expires_at - now).num_minutes().max(1)
            ),
            ReminderKind::Expired => format!(
                "The CloudSSO sign-in of session {session} has ended; its profiles need a new sign-in."
            ),
        };
        out.push(SignInReminder {
            session,
            kind,
            expires_at,
            message,
            command,
        });
    }
    out
}

/// When the next reminder falls due after `now` (15 minutes before a
/// session's sign-in ends, and when it ends), if any.
pub fn next_reminder_at(profiles: &ProfilesFile, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    profiles
        .profiles
        .values()
        .filter_map(|p| match &p.kind {
            ProfileKind::CloudSso(c) => c.sign_in_expires,
            _ => None,
        })
        .flat_map(|end| [end - REMIND_BEFORE, end])
        .filter(|t| *t > now)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{CloudSsoProfile, Profile};

    fn file(expires: DateTime<Utc>) -> ProfilesFile {
        let mut f = ProfilesFile::default();
        for (n, ac) in [("corp-a-Admin", "ac-1"), ("corp-a-Ro", "ac-2")] {
            let name: ProfileName = n.parse().expect("name");
            f.profiles.insert(
                name.clone(),
                Profile::new(
                    name,
                    ProfileKind::CloudSso(CloudSsoProfile {
                        sso_session: "corp".parse().expect("name"),
                        sign_in_url: "https://signin.example/d-1/login".parse().expect("url"),
                        account_id: "1234567890123456".into(),
                        access_config: ac.into(),
                        account_name: None,
                        access_config_name: None,
                        sign_in_expires: Some(expires),
                        endpoints: Default::default(),
                    }),
                ),
            );
        }
        f
    }

    #[test]
    fn the_next_reminder_is_before_the_end_then_at_it_then_none() {
        let end = Utc::now() + Duration::hours(2);
        let f = file(end);
        let early = end - Duration::hours(1);
        assert_eq!(next_reminder_at(&f, early), Some(end - REMIND_BEFORE));
        assert_eq!(next_reminder_at(&f, end - Duration::minutes(5)), Some(end));
        assert_eq!(next_reminder_at(&f, end), None);
        assert_eq!(next_reminder_at(&ProfilesFile::default(), early), None);
    }

    #[test]
    fn fifteen_minutes_before_and_at_the_end_once_each() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).expect("t");
        let end = t0 + Duration::hours(1);
        let f = file(end);
        let mut told = Default::default();
        assert!(due_reminders(&f, t0, &mut told).is_empty(), "an hour left");
        let soon = due_reminders(&f, end - Duration::minutes(14), &mut told);
        assert_eq!(soon.len(), 1, "one per session, not per profile");
        assert_eq!(soon[0].kind, ReminderKind::ExpiresSoon);
        assert_eq!(soon[0].command, "alicred sso login corp");
        assert!(soon[0].message.contains("14 min"), "{}", soon[0].message);
        assert!(
            due_reminders(&f, end - Duration::minutes(5), &mut told).is_empty(),
            "told once"
        );
        let gone = due_reminders(&f, end, &mut told);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].kind, ReminderKind::Expired);
        assert!(due_reminders(&f, end + Duration::hours(1), &mut told).is_empty());
        // A new sign-in is a new end: reminded again when it comes.
        let f = file(end + Duration::hours(8));
        let again = due_reminders(
            &f,
            end + Duration::hours(8) - Duration::minutes(1),
            &mut told,
        );
        assert_eq!(again.len(), 1);
    }
}
