//! The tray's menu *model*: plain data built from the profile statuses by a
//! plain function, the ids its items carry, and when a label changes. No GTK
//! here: `tray.rs` shows the model as a StatusNotifierItem menu and
//! dispatches clicks.

use alicred_core::engine::{ProfileState, ProfileStatus};
use chrono::{DateTime, Utc};

pub const TRAY_ID: &str = "alicred";
pub const ICON: &[u8] = include_bytes!("../icons/tray.png");
pub const ICON_ATTENTION: &[u8] = include_bytes!("../icons/tray-attention.png");

pub const ID_REFRESH_ALL: &str = "refresh-all";
pub const ID_ROTATE_DUE: &str = "rotate-due";
pub const ID_COPY_URL: &str = "copy-url";
pub const ID_COPY_EXPORT: &str = "copy-export";
pub const ID_OPEN: &str = "open";
pub const ID_QUIT: &str = "quit";
pub const PROFILE_PREFIX: &str = "profile:";

pub use crate::tray_labels::{state_label, time_left};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrayItem {
    /// A profile: check item, checked when active; clicking makes it active.
    Profile {
        id: String,
        label: String,
        active: bool,
    },
    Action {
        id: &'static str,
        label: String,
        enabled: bool,
    },
    /// Starts a sign-in ([`crate::tray_sso`]).
    SignIn {
        id: String,
        label: String,
    },
    Submenu {
        label: String,
        items: Vec<TrayItem>,
    },
    Separator,
}

/// The whole menu, top to bottom.
pub fn tray_model(
    statuses: &[ProfileStatus],
    endpoint: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<TrayItem> {
    let mut out = Vec::new();
    if statuses.is_empty() {
        out.push(TrayItem::Action {
            id: ID_OPEN,
            label: "No profiles — open the dashboard to add one".into(),
            enabled: true,
        });
    }
    let (sessions, in_sessions) = crate::tray_sso::session_menus(statuses, now);
    for p in statuses.iter().filter(|p| !in_sessions.contains(&p.name)) {
        let mark = if p.capabilities.needs_attention {
            "⚠ "
        } else {
            ""
        };
        out.push(TrayItem::Profile {
            id: format!("{PROFILE_PREFIX}{}", p.name),
            label: format!("{mark}{} — {}", p.name, state_label(&p.state, now)),
            active: p.active,
        });
    }
    out.extend(sessions);
    out.extend(crate::tray_sso::oauth_sign_ins(statuses));
    out.push(TrayItem::Separator);
    out.push(TrayItem::Action {
        id: ID_REFRESH_ALL,
        label: "Refresh all".into(),
        enabled: !statuses.is_empty(),
    });
    // Rotation asks for confirmation, so it happens in the dashboard.
    let rotatable = statuses.iter().any(|p| p.capabilities.rotatable);
    out.push(TrayItem::Action {
        id: ID_ROTATE_DUE,
        label: "Rotate a key…".into(),
        enabled: rotatable,
    });
    out.push(TrayItem::Separator);
    out.push(TrayItem::Action {
        id: ID_COPY_URL,
        label: "Copy endpoint URL".into(),
        enabled: endpoint.is_some(),
    });
    out.push(TrayItem::Action {
        id: ID_COPY_EXPORT,
        label: "Copy export line".into(),
        enabled: endpoint.is_some(),
    });
    out.push(TrayItem::Separator);
    out.push(TrayItem::Action {
        id: ID_OPEN,
        label: "Open dashboard".into(),
        enabled: true,
    });
    out.push(TrayItem::Action {
        id: ID_QUIT,
        label: "Quit alicred".into(),
        enabled: true,
    });
    out
}

/// Does any profile need the user (attention icon)?
pub fn needs_attention(statuses: &[ProfileStatus]) -> bool {
    statuses.iter().any(|p| p.capabilities.needs_attention)
}

/// When the next time-left label changes (whole minutes): the rebuild loop
/// sleeps until then, and not at all when no label counts down.
pub fn next_label_change(statuses: &[ProfileStatus], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    statuses
        .iter()
        .filter_map(|p| match &p.state {
            ProfileState::Fresh { expires } | ProfileState::Degraded { expires, .. } => *expires,
            _ => None,
        })
        .chain(crate::tray_sso::sign_in_ends(statuses))
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
    use alicred_core::engine::ChainLink;
    use alicred_core::profile::ProfileType;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
            .single()
            .expect("t")
    }

    fn status(name: &str, active: bool, state: ProfileState) -> ProfileStatus {
        ProfileStatus {
            name: name.into(),
            r#type: ProfileType::RamRoleArn,
            active,
            capabilities: alicred_core::engine::Capabilities::of(ProfileType::RamRoleArn, &state),
            role_arn: None,
            next_rotation: None,
            sign_in: None,
            state,
            issued_at: None,
            expires_at: None,
            refresh_at: None,
            last_refresh: None,
            last_error: None,
            access_key_id_hint: None,
            chain: Vec::<ChainLink>::new(),
            handouts: 0,
            consumers: vec![],
        }
    }

    #[test]
    fn menu_lists_profiles_with_state_and_time_left_active_checked() {
        let t = now();
        let items = tray_model(
            &[
                status("base", false, ProfileState::Fresh { expires: None }),
                status(
                    "dev",
                    true,
                    ProfileState::Fresh {
                        expires: Some(t + chrono::Duration::minutes(42)),
                    },
                ),
                status(
                    "old",
                    false,
                    ProfileState::Expired {
                        error: "503".into(),
                    },
                ),
            ],
            Some("http://127.0.0.1:1/t/v1/credentials"),
            t,
        );
        assert_eq!(
            items[0],
            TrayItem::Profile {
                id: "profile:base".into(),
                label: "base — fresh".into(),
                active: false
            }
        );
        assert_eq!(
            items[1],
            TrayItem::Profile {
                id: "profile:dev".into(),
                label: "dev — fresh, 42 min left".into(),
                active: true
            }
        );
        assert_eq!(
            items[2],
            TrayItem::Profile {
                id: "profile:old".into(),
                label: "⚠ old — expired — retrying".into(),
                active: false
            }
        );
        let actions: Vec<(&str, bool)> = items
            .iter()
            .filter_map(|i| match i {
                TrayItem::Action { id, enabled, .. } => Some((*id, *enabled)),
                _ => None,
            })
            .collect();
        assert_eq!(
            actions,
            vec![
                (ID_REFRESH_ALL, true),
                (ID_ROTATE_DUE, false), // no rotatable profile here
                (ID_COPY_URL, true),
                (ID_COPY_EXPORT, true),
                (ID_OPEN, true),
                (ID_QUIT, true)
            ]
        );
    }

    #[test]
    fn empty_and_no_endpoint() {
        let items = tray_model(&[], None, now());
        assert!(matches!(&items[0], TrayItem::Action { id, .. } if *id == ID_OPEN));
        assert!(items.iter().any(
            |i| matches!(i, TrayItem::Action { id, enabled: false, .. } if *id == ID_COPY_URL)
        ));
        assert!(items.iter().any(
            |i| matches!(i, TrayItem::Action { id, enabled: false, .. } if *id == ID_REFRESH_ALL)
        ));
    }

    #[test]
    fn the_menu_wakes_only_when_a_label_changes() {
        let t = now();
        let fresh = |secs: i64| {
            status(
                "p",
                false,
                ProfileState::Fresh {
                    expires: Some(t + chrono::Duration::seconds(secs)),
                },
            )
        };
        assert_eq!(next_label_change(&[], t), None);
        assert_eq!(
            next_label_change(
                &[status("k", false, ProfileState::Fresh { expires: None })],
                t
            ),
            None,
            "long-term keys never count down"
        );
        assert_eq!(
            next_label_change(&[fresh(42 * 60 + 10)], t),
            Some(t + chrono::Duration::seconds(11))
        );
        assert_eq!(
            next_label_change(&[fresh(30)], t),
            Some(t + chrono::Duration::seconds(1))
        );
    }

    #[test]
    fn attention_and_time_left() {
        assert!(!needs_attention(&[status("a", false, ProfileState::Idle)]));
        assert!(needs_attention(&[
            status("a", false, ProfileState::Idle),
            status(
                "b",
                false,
                ProfileState::NeedsUser {
                    why: "token".into()
                }
            )
        ]));
        assert_eq!(time_left(chrono::Duration::seconds(30)), "30 s");
        assert_eq!(time_left(chrono::Duration::minutes(125)), "2 h 5 min");
        assert_eq!(time_left(chrono::Duration::hours(3)), "3 h");
        assert_eq!(time_left(chrono::Duration::hours(72)), "3 days");
        assert_eq!(time_left(chrono::Duration::seconds(-1)), "expired");
        let t = now();
        let d = ProfileState::Degraded {
            error: "e".into(),
            retry_at: t,
            expires: Some(t + chrono::Duration::minutes(5)),
        };
        assert_eq!(state_label(&d, t), "refresh failing, 5 min left");
    }
}
