//! The tray's menu, decided here: plain data built from the profile statuses
//! by a plain function. Every item that does something carries the
//! [`Request`] a click sends to the API, so the tray only shows the model
//! and forwards clicks (docs/desktop.md, "Tray menu").
//!
//! Profiles of a CloudSSO session are listed in the session's submenu
//! ("corp — signed in, 7 h 12 min left" / "corp — sign in needed") by
//! account and access configuration; an OAuth profile that needs a sign-in
//! gets "Sign in NAME…".

use super::Request;
use super::labels::{state_label, time_left};
use super::sessions::{SessionGroup, group};
use crate::engine::{ProfileState, ProfileStatus};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub enum MenuItem {
    /// A check item (a profile: checked when active).
    Check {
        label: String,
        checked: bool,
        action: Request,
    },
    Item {
        label: String,
        enabled: bool,
        action: Request,
    },
    Submenu {
        label: String,
        items: Vec<MenuItem>,
    },
    Separator,
}

/// The whole menu, top to bottom. `endpoint`: the active profile's URL and
/// export line when the endpoint runs, else why it does not (shown as a
/// problem: another user holding the port is one to act on).
pub fn tray_menu(
    statuses: &[ProfileStatus],
    endpoint: Result<(&str, &str), &str>,
    now: DateTime<Utc>,
) -> Vec<MenuItem> {
    let mut out = Vec::new();
    if statuses.is_empty() {
        out.push(item(
            "No profiles — open the dashboard to add one",
            true,
            Request::OpenDashboard,
        ));
    }
    let sessions = group(statuses, now);
    let by_name: HashMap<&str, &ProfileStatus> =
        statuses.iter().map(|p| (p.name.as_str(), p)).collect();
    let in_session = |p: &ProfileStatus| p.sign_in.as_ref().is_some_and(|v| v.session.is_some());
    for p in statuses.iter().filter(|p| !in_session(p)) {
        let mark = if p.capabilities.needs_attention {
            "⚠ "
        } else {
            ""
        };
        out.push(profile(
            format!("{mark}{} — {}", p.name, state_label(&p.state, now)),
            p,
        ));
    }
    out.extend(sessions.iter().map(|s| session_menu(s, &by_name, now)));
    // "Sign in NAME…" for a profile that signs in on its own (OAuth).
    out.extend(
        statuses
            .iter()
            .filter(|p| p.capabilities.needs_sign_in && !in_session(p) && p.sign_in.is_some())
            .map(|p| {
                item(
                    &format!("Sign in {}…", p.name),
                    true,
                    Request::StartSignIn {
                        profile: Some(p.name.clone()),
                        session: None,
                    },
                )
            }),
    );
    // "Open console" for each profile the core says can open it.
    let consoles: Vec<MenuItem> = statuses
        .iter()
        .filter(|p| p.capabilities.console)
        .map(|p| {
            item(
                &p.name,
                true,
                Request::OpenConsole {
                    name: p.name.clone(),
                },
            )
        })
        .collect();
    if !consoles.is_empty() {
        out.push(MenuItem::Submenu {
            label: "Open console".into(),
            items: consoles,
        });
    }
    out.push(MenuItem::Separator);
    out.push(item(
        "Refresh all",
        !statuses.is_empty(),
        Request::Refresh { name: None },
    ));
    // Rotation asks for confirmation, so it happens in the dashboard.
    out.push(item(
        "Rotate a key…",
        statuses.iter().any(|p| p.capabilities.rotatable),
        Request::OpenDashboard,
    ));
    out.push(MenuItem::Separator);
    if let Err(problem) = endpoint {
        out.push(item(
            &format!("⚠ Endpoint not running: {problem}"),
            true,
            Request::OpenDashboard,
        ));
    }
    let (url, export) = endpoint.ok().unzip();
    out.push(item(
        "Copy endpoint URL",
        url.is_some(),
        Request::CopyText {
            text: url.unwrap_or_default().to_string(),
        },
    ));
    out.push(item(
        "Copy export line",
        export.is_some(),
        Request::CopyText {
            text: export.unwrap_or_default().to_string(),
        },
    ));
    out.push(MenuItem::Separator);
    out.push(item("Open dashboard", true, Request::OpenDashboard));
    out.push(item("Quit alicred", true, Request::Quit));
    out
}

fn item(label: &str, enabled: bool, action: Request) -> MenuItem {
    MenuItem::Item {
        label: label.to_string(),
        enabled,
        action,
    }
}

fn profile(label: String, p: &ProfileStatus) -> MenuItem {
    MenuItem::Check {
        label,
        checked: p.active,
        action: Request::SetActive {
            name: p.name.clone(),
        },
    }
}

fn session_menu(
    s: &SessionGroup,
    by_name: &HashMap<&str, &ProfileStatus>,
    now: DateTime<Utc>,
) -> MenuItem {
    let name = &s.session;
    let label = match (s.signed_in, s.expires_at) {
        (true, Some(e)) => format!("{name} — signed in, {} left", time_left(e - now)),
        (true, None) => format!("{name} — signed in"),
        (false, _) => format!("{name} — sign in needed"),
    };
    let mut items = vec![
        item(
            if s.signed_in {
                "Sign in again…"
            } else {
                "Sign in…"
            },
            true,
            Request::StartSignIn {
                profile: None,
                session: Some(name.clone()),
            },
        ),
        MenuItem::Separator,
    ];
    for a in &s.accounts {
        let configs = a
            .configs
            .iter()
            .filter_map(|c| {
                let p = by_name.get(c.profile.as_str())?;
                Some(profile(
                    format!("{} — {}", c.name, state_label(&p.state, now)),
                    p,
                ))
            })
            .collect();
        items.push(MenuItem::Submenu {
            label: if a.active {
                format!("{} (active)", a.name)
            } else {
                a.name.clone()
            },
            items: configs,
        });
    }
    MenuItem::Submenu { label, items }
}

/// Does any profile need the user (the attention icon)?
pub fn needs_attention(statuses: &[ProfileStatus]) -> bool {
    statuses.iter().any(|p| p.capabilities.needs_attention)
}

/// When the next time-left label changes (whole minutes): the tray sleeps
/// until then, and not at all when no label counts down.
pub fn next_label_change(statuses: &[ProfileStatus], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    statuses
        .iter()
        .filter_map(|p| match &p.state {
            ProfileState::Fresh { expires } | ProfileState::Degraded { expires, .. } => *expires,
            _ => None,
        })
        .chain(
            statuses
                .iter()
                .filter_map(|p| p.sign_in.as_ref().and_then(|v| v.expires_at)),
        )
        .filter(|e| *e > now)
        .map(|e| {
            // Labels show whole minutes (seconds below one): the label
            // changes when the time left drops below the next whole minute.
            let left = (e - now).num_seconds();
            let step = if left <= 60 { 1 } else { left % 60 + 1 };
            now + chrono::Duration::seconds(step)
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::sessions::tests::{sso, status, t0};
    use crate::engine::SignInView;
    use crate::profile::ProfileType;
    use chrono::Duration;

    const STOPPED: &str = "the credentials endpoint has stopped";

    fn check(name: &str, label: &str, checked: bool) -> MenuItem {
        MenuItem::Check {
            label: label.into(),
            checked,
            action: Request::SetActive { name: name.into() },
        }
    }

    fn key(name: &str, active: bool, state: ProfileState) -> ProfileStatus {
        status(name, ProfileType::RamRoleArn, active, state, None)
    }

    fn labels(items: &[MenuItem]) -> Vec<(String, bool)> {
        items
            .iter()
            .filter_map(|i| match i {
                MenuItem::Item { label, enabled, .. } => Some((label.clone(), *enabled)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn menu_lists_profiles_with_state_and_time_left_active_checked() {
        let t = t0();
        let items = tray_menu(
            &[
                key("base", false, ProfileState::Fresh { expires: None }),
                key(
                    "dev",
                    true,
                    ProfileState::Fresh {
                        expires: Some(t + Duration::minutes(42)),
                    },
                ),
                key(
                    "old",
                    false,
                    ProfileState::Expired {
                        error: "503".into(),
                    },
                ),
            ],
            Ok(("http://127.0.0.1:1/t/v1/credentials", "export X=1")),
            t,
        );
        assert_eq!(items[0], check("base", "base — fresh", false));
        assert_eq!(items[1], check("dev", "dev — fresh, 42 min left", true));
        assert_eq!(items[2], check("old", "⚠ old — expired — retrying", false));
        let on = |l: &str, e: bool| (l.to_string(), e);
        assert_eq!(
            labels(&items),
            vec![
                on("Refresh all", true),
                on("Rotate a key…", false), // no rotatable profile here
                on("Copy endpoint URL", true),
                on("Copy export line", true),
                on("Open dashboard", true),
                on("Quit alicred", true),
            ]
        );
        assert!(items.contains(&MenuItem::Item {
            label: "Copy endpoint URL".into(),
            enabled: true,
            action: Request::CopyText {
                text: "http://127.0.0.1:1/t/v1/credentials".into()
            }
        }));
    }

    #[test]
    fn empty_and_no_endpoint() {
        let items = tray_menu(&[], Err("port 1 is in use by another program"), t0());
        assert!(matches!(
            &items[0],
            MenuItem::Item {
                action: Request::OpenDashboard,
                ..
            }
        ));
        let l = labels(&items);
        assert!(l.contains(&("Copy endpoint URL".into(), false)));
        assert!(
            l.contains(&(
                "⚠ Endpoint not running: port 1 is in use by another program".into(),
                true
            )),
            "{l:?}"
        );
        assert!(l.contains(&("Refresh all".into(), false)));
    }

    #[test]
    fn a_signed_in_session_lists_accounts_and_access_configurations() {
        let end = t0() + Duration::hours(7) + Duration::minutes(12);
        let st = vec![
            status(
                "base",
                ProfileType::AccessKey,
                false,
                ProfileState::Fresh { expires: None },
                None,
            ),
            sso("corp-Prod-Admin", "Prod", "Admin", true, end, false),
            sso("corp-Prod-ReadOnly", "Prod", "ReadOnly", false, end, false),
            sso("corp-Dev-Developer", "Dev", "Developer", false, end, false),
        ];
        let model = tray_menu(&st, Err(STOPPED), t0());
        assert_eq!(model[0], check("base", "base — fresh", false));
        let fresh = "fresh, 42 min left";
        assert_eq!(
            model[1],
            MenuItem::Submenu {
                label: "corp — signed in, 7 h 12 min left".into(),
                items: vec![
                    item(
                        "Sign in again…",
                        true,
                        Request::StartSignIn {
                            profile: None,
                            session: Some("corp".into())
                        }
                    ),
                    MenuItem::Separator,
                    MenuItem::Submenu {
                        label: "Dev".into(),
                        items: vec![check(
                            "corp-Dev-Developer",
                            &format!("Developer — {fresh}"),
                            false
                        )]
                    },
                    MenuItem::Submenu {
                        label: "Prod (active)".into(),
                        items: vec![
                            check("corp-Prod-Admin", &format!("Admin — {fresh}"), true),
                            check("corp-Prod-ReadOnly", &format!("ReadOnly — {fresh}"), false),
                        ]
                    },
                ]
            }
        );
        // CloudSSO profiles hand out STS: the core says they open the console.
        let console = |n: &str| item(n, true, Request::OpenConsole { name: n.into() });
        assert_eq!(
            model[2],
            MenuItem::Submenu {
                label: "Open console".into(),
                items: vec![
                    console("corp-Prod-Admin"),
                    console("corp-Prod-ReadOnly"),
                    console("corp-Dev-Developer")
                ]
            },
            "the access key 'base' cannot open the console"
        );
        assert_eq!(model[3], MenuItem::Separator, "no OAuth sign-in due");
        assert!(next_label_change(&st, t0()).is_some());
    }

    #[test]
    fn an_ended_session_and_an_oauth_profile_ask_for_a_sign_in() {
        let end = t0() - Duration::minutes(1);
        let mut st = vec![sso("corp-a-Admin", "a", "Admin", false, end, false)];
        let oauth = SignInView {
            kind: ProfileType::Oauth,
            session: None,
            account_id: None,
            account_name: None,
            access_config_id: None,
            access_config_name: None,
            expires_at: None,
            signed_in: false,
        };
        st.push(status(
            "me",
            ProfileType::Oauth,
            false,
            ProfileState::NeedsUser {
                why: "not signed in".into(),
            },
            Some(oauth),
        ));
        let model = tray_menu(&st, Err(STOPPED), t0());
        let found = model.iter().find_map(|i| match i {
            MenuItem::Submenu { label, items } if label.starts_with("corp") => {
                Some((label.clone(), items[0].clone()))
            }
            _ => None,
        });
        assert_eq!(
            found,
            Some((
                "corp — sign in needed".into(),
                item(
                    "Sign in…",
                    true,
                    Request::StartSignIn {
                        profile: None,
                        session: Some("corp".into())
                    }
                )
            ))
        );
        assert!(model.contains(&item(
            "Sign in me…",
            true,
            Request::StartSignIn {
                profile: Some("me".into()),
                session: None
            }
        )));
    }

    #[test]
    fn the_menu_wakes_only_when_a_label_changes() {
        let t = t0();
        let fresh = |secs: i64| {
            key(
                "p",
                false,
                ProfileState::Fresh {
                    expires: Some(t + Duration::seconds(secs)),
                },
            )
        };
        assert_eq!(next_label_change(&[], t), None);
        assert_eq!(
            next_label_change(&[key("k", false, ProfileState::Fresh { expires: None })], t),
            None,
            "long-term keys never count down"
        );
        assert_eq!(
            next_label_change(&[fresh(42 * 60 + 10)], t),
            Some(t + Duration::seconds(11))
        );
        assert_eq!(
            next_label_change(&[fresh(30)], t),
            Some(t + Duration::seconds(1))
        );
        assert!(!needs_attention(&[key("a", false, ProfileState::Idle)]));
        assert!(needs_attention(&[key(
            "b",
            false,
            ProfileState::NeedsUser { why: "t".into() }
        )]));
    }
}
