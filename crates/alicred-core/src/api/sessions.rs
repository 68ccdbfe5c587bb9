//! CloudSSO sessions as every shell shows them: profiles grouped by session
//! → account → access configuration, and the session's one state. The tray
//! menu, the dashboard and `alicred sso list` all take the state from
//! [`session_signed_in`]; none of them aggregates on its own
//! (docs/architecture.md, "Sign-in state").

use crate::engine::{ProfileStatus, SignInView};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// One CloudSSO session and its profiles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionGroup {
    pub session: String,
    /// The session's sign-in holds ([`session_signed_in`]).
    pub signed_in: bool,
    /// When the sign-in ends (the latest end its profiles know).
    pub expires_at: Option<DateTime<Utc>>,
    /// One of its access configurations is the active profile.
    pub active: bool,
    /// By name.
    pub accounts: Vec<AccountGroup>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AccountGroup {
    pub id: String,
    /// The account's name, else its id.
    pub name: String,
    pub active: bool,
    /// By name.
    pub configs: Vec<AccessConfigRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AccessConfigRow {
    pub id: String,
    /// The access configuration's name, else its id, else the profile's name.
    pub name: String,
    /// The profile behind it.
    pub profile: String,
}

/// The one rule: a session is signed in when its sign-in has not ended and
/// none of its profiles was refused for want of a sign-in. Its profiles
/// share one token, so a refusal of one (the portal no longer takes the
/// token) speaks for all of them, whatever the others last fetched.
pub fn session_signed_in<'a>(
    views: impl IntoIterator<Item = &'a SignInView>,
    now: DateTime<Utc>,
) -> bool {
    let mut any = false;
    for v in views {
        any = true;
        if !v.signed_in || v.expires_at.is_some_and(|e| e <= now) {
            return false;
        }
    }
    any
}

/// The sessions of `statuses`, by name. Profiles without a session (oauth,
/// every other type) are not in any.
pub fn group(statuses: &[ProfileStatus], now: DateTime<Utc>) -> Vec<SessionGroup> {
    let mut by_session: BTreeMap<&str, Vec<(&ProfileStatus, &SignInView)>> = BTreeMap::new();
    for p in statuses {
        if let Some(v) = &p.sign_in
            && let Some(s) = v.session.as_deref()
        {
            by_session.entry(s).or_default().push((p, v));
        }
    }
    by_session
        .into_iter()
        .map(|(session, members)| {
            let mut accounts: BTreeMap<String, AccountGroup> = BTreeMap::new();
            for (p, v) in &members {
                let id = v.account_id.clone().unwrap_or_default();
                let name = v
                    .account_name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| {
                        if id.is_empty() {
                            "?".into()
                        } else {
                            id.clone()
                        }
                    });
                let a = accounts
                    .entry(format!("{name}\u{0}{id}"))
                    .or_insert_with(|| AccountGroup {
                        id: id.clone(),
                        name,
                        active: false,
                        configs: Vec::new(),
                    });
                a.active |= p.active;
                let config_id = v.access_config_id.clone().unwrap_or_default();
                a.configs.push(AccessConfigRow {
                    name: v
                        .access_config_name
                        .clone()
                        .filter(|n| !n.is_empty())
                        .or_else(|| Some(config_id.clone()).filter(|c| !c.is_empty()))
                        .unwrap_or_else(|| p.name.clone()),
                    id: config_id,
                    profile: p.name.clone(),
                });
            }
            let mut accounts: Vec<AccountGroup> = accounts.into_values().collect();
            for a in &mut accounts {
                a.configs
                    .sort_by(|x, y| x.name.cmp(&y.name).then(x.profile.cmp(&y.profile)));
            }
            SessionGroup {
                session: session.to_string(),
                signed_in: session_signed_in(members.iter().map(|(_, v)| *v), now),
                expires_at: members.iter().filter_map(|(_, v)| v.expires_at).max(),
                active: members.iter().any(|(p, _)| p.active),
                accounts,
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::{Capabilities, ProfileState};
    use crate::profile::ProfileType;
    use chrono::Duration;

    pub(crate) fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("t")
    }

    pub(crate) fn status(
        name: &str,
        ty: ProfileType,
        active: bool,
        state: ProfileState,
        sign_in: Option<SignInView>,
    ) -> ProfileStatus {
        ProfileStatus {
            name: name.into(),
            r#type: ty,
            active,
            capabilities: Capabilities::with_sign_in(ty, &state, sign_in.as_ref()),
            sign_in,
            role_arn: None,
            next_rotation: None,
            state,
            issued_at: None,
            expires_at: None,
            refresh_at: None,
            last_refresh: None,
            last_error: None,
            access_key_id_hint: None,
            chain: vec![],
            handouts: 0,
            consumers: vec![],
            seq: 1,
        }
    }

    /// A profile of session `corp`; `refused`: the portal refused its last
    /// fetch for want of a sign-in (the engine's view then says so).
    pub(crate) fn sso(
        name: &str,
        account: &str,
        config: &str,
        active: bool,
        end: DateTime<Utc>,
        refused: bool,
    ) -> ProfileStatus {
        let state = if refused {
            ProfileState::NeedsUser {
                why: "the CloudSSO sign-in has expired or was revoked (InvalidToken)".into(),
            }
        } else {
            ProfileState::Fresh {
                expires: Some(t0() + Duration::minutes(42)),
            }
        };
        let view = SignInView {
            kind: ProfileType::CloudSso,
            session: Some("corp".into()),
            account_id: Some("1111222233334444".into()),
            account_name: Some(account.into()),
            access_config_id: Some(format!("ac-{config}")),
            access_config_name: Some(config.into()),
            expires_at: Some(end),
            signed_in: !refused && end > t0(),
        };
        status(name, ProfileType::CloudSso, active, state, Some(view))
    }

    #[test]
    fn one_refused_access_configuration_means_the_session_needs_a_sign_in() {
        let end = t0() + Duration::hours(7);
        let fine = vec![
            sso("corp-Prod-Admin", "Prod", "Admin", true, end, false),
            sso("corp-Prod-ReadOnly", "Prod", "ReadOnly", false, end, false),
        ];
        let g = group(&fine, t0());
        assert_eq!(g.len(), 1);
        assert!(g[0].signed_in);
        assert_eq!(g[0].expires_at, Some(end));

        // The tray used to say "signed in" here (any profile signed in) and
        // the dashboard "sign in needed" (any profile needs one).
        let one_refused = vec![
            sso("corp-Prod-Admin", "Prod", "Admin", true, end, false),
            sso("corp-Prod-ReadOnly", "Prod", "ReadOnly", false, end, true),
        ];
        let g = group(&one_refused, t0());
        assert!(!g[0].signed_in, "{g:?}");
        // The menu says the same as the groups the dashboard shows.
        let menu = super::super::menu::tray_menu(&one_refused, Err("stopped"), t0());
        assert!(
            format!("{menu:?}").contains("corp — sign in needed"),
            "{menu:?}"
        );
    }

    #[test]
    fn an_ended_sign_in_is_not_signed_in_whatever_the_views_say() {
        let end = t0() + Duration::minutes(5);
        let p = vec![sso("corp-a-Admin", "a", "Admin", false, end, false)];
        assert!(group(&p, t0())[0].signed_in);
        assert!(!group(&p, end)[0].signed_in);
        assert!(!session_signed_in([], t0()), "no profile, no sign-in");
    }

    #[test]
    fn groups_sort_accounts_and_access_configurations_by_name() {
        let end = t0() + Duration::hours(1);
        let g = group(
            &[
                sso("corp-Prod-ReadOnly", "Prod", "ReadOnly", false, end, false),
                sso("corp-Dev-Developer", "Dev", "Developer", false, end, false),
                sso("corp-Prod-Admin", "Prod", "Admin", true, end, false),
            ],
            t0(),
        );
        let names: Vec<(&str, bool, Vec<&str>)> = g[0]
            .accounts
            .iter()
            .map(|a| {
                (
                    a.name.as_str(),
                    a.active,
                    a.configs.iter().map(|c| c.profile.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("Dev", false, vec!["corp-Dev-Developer"]),
                ("Prod", true, vec!["corp-Prod-Admin", "corp-Prod-ReadOnly"]),
            ]
        );
        assert!(g[0].active);
    }
}
